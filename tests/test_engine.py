"""The engine: against scipy, growth without virus, non-negativity, immunity, dosing in the loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import EVERY, HORIZON, make_patient
from ovsim.engine import ScipyBackend, SimulationError, SolverOptions, simulate_patient
from ovsim.model import DAYS_PER_MONTH, cells_from_diameter_cm
from ovsim.treatments import model_for

GMCSF = {"gmcsf": {}}


def run(patient, regimen="tvec", **kw):
    return simulate_patient(patient, regimen, horizon_days=HORIZON, output_every_days=EVERY, **kw)


@pytest.fixture(scope="module")
def tvec_result():
    return run(make_patient())


def test_jax_matches_scipy_radau_reference(tvec_result):
    """Same model, same policy, independent integrators (diffrax Tsit5 vs scipy's implicit Radau IIA at 1e-9)."""
    ref = run(make_patient(), solver=SolverOptions(rtol=1e-9, atol=1e-9), backend=ScipyBackend("Radau"))
    assert ref.provenance["solver"] == "scipy-radau"
    d_jax = tvec_result.lesions.longest_diameter_cm.values
    d_ref = ref.lesions.longest_diameter_cm.values
    assert np.max(np.abs(d_jax - d_ref)) < 1e-4  # cm
    e_jax = tvec_result.systemic.effector_t_cells.values
    e_ref = ref.systemic.effector_t_cells.values
    assert np.max(np.abs(e_jax - e_ref) / (np.abs(e_ref) + 1e3)) < 1e-3
    cols = ["TIME", "LESION_ID", "VOL_ML", "CONC_PFU_ML", "AMT", "CMT"]
    assert tvec_result.doses[cols].equals(ref.doses[cols])


def test_scipy_radau_agrees_with_lsoda():
    """The reference itself: two scipy methods (implicit Radau IIA, LSODA) agree on the untreated course."""
    kw = dict(horizon_days=70.0, output_every_days=7.0, solver=SolverOptions(rtol=1e-9, atol=1e-9))
    a = simulate_patient(make_patient(), None, backend=ScipyBackend("Radau"), **kw)
    b = simulate_patient(make_patient(), None, backend=ScipyBackend("LSODA"), **kw)
    assert (a.provenance["solver"], b.provenance["solver"]) == ("scipy-radau", "scipy")
    for name in ("tumour_cells", "longest_diameter_cm"):
        np.testing.assert_allclose(a.lesions[name].values, b.lesions[name].values, rtol=1e-5)
    np.testing.assert_allclose(a.systemic.effector_t_cells.values, b.systemic.effector_t_cells.values,
                               rtol=1e-5, atol=1e-3)


def test_untreated_growth_at_documented_rate_without_immunity():
    """No virus, no killing: volume doubles every doubling_time_days (logistic cap negligible)."""
    p = make_patient(kill_rate=0.0)
    r = run(p, None)
    t = r.lesions.time_day.values
    cells0 = cells_from_diameter_cm(np.array([2.0, 1.2, 3.0, 1.5]), p.parameter("tumour_cell_density"))
    r_growth = math.log(2) / p.parameter("doubling_time_days")
    k = p.parameter("carrying_capacity_cells")
    expected = k / (1 + (k / cells0[None, :] - 1) * np.exp(-r_growth * t[:, None]))  # logistic
    got = r.lesions.tumour_cells.values
    assert np.max(np.abs(got / expected - 1)) < 1e-5


def test_untreated_growth_close_to_nominal_with_baseline_immunity():
    """Default parameters: baseline immune pressure slows untreated growth by < 5% over 2 months."""
    r = run(make_patient(), None)
    cells = r.lesions.tumour_cells.values
    t = r.lesions.time_day.values
    k = int(np.searchsorted(t, 56.0))
    nominal = 2.0 ** (t[k] / 60.0)
    assert np.all(cells[k] / cells[0] > 0.95 * nominal)
    assert np.all(cells[k] / cells[0] <= nominal * (1 + 1e-9))


@pytest.mark.parametrize("regimen", ["tvec", GMCSF, None], ids=["tvec", "gmcsf", "none"])
def test_states_never_negative(regimen):
    for sero in (True, False):
        r = run(make_patient(seropositive=sero), regimen)
        # Cell counts stay above -1 cell (the extinction scale: less than one cell is none). A lesion whose
        # living cells are gone can still be injected while its dying cells keep it visible, and the fast
        # infection of its last cells may overshoot zero by a fraction of a cell.
        for name in ("uninfected_cells", "sheltered_cells", "infected_cells", "dying_cells", "tumour_cells"):
            assert float(r.lesions[name].min()) >= -1.0, name
        for name in ("antigen", "dendritic_cells", "effector_t_cells", "memory_t_cells", "primed_1"):
            assert float(r.systemic[name].min()) >= 0.0, name
        # Fast, non-cell states may dip below zero only within the absolute tolerance (1e-8).
        assert float(r.lesions.virus_pfu.min()) > -1e-6
        assert float(r.lesions.gmcsf_local_ng.min()) > -1e-6


def test_uninjected_lesion_shrinks_only_through_t_cells():
    p = make_patient(kill_rate=0.0)
    r = run(p)
    lung = r.lesions.sel(lesion="P1")
    assert float(np.abs(lung.virus_pfu).max()) == 0.0
    assert float(lung.infected_cells.max()) == 0.0
    assert np.all(np.diff(lung.tumour_cells.values) > 0)  # only grows
    # With T cells on, the same lesion shrinks below its baseline within the year.
    lung_on = run(make_patient()).lesions.sel(lesion="P1")
    assert float(lung_on.longest_diameter_cm[-1]) < 1.5


def test_oncolysis_shrinks_injected_lesions_and_primes_t_cells(tvec_result):
    """Against the same patient with a virus that cannot infect (infection_rate = 0)."""
    inert = run(make_patient(infection_rate=0.0))
    at = {"time": 3}  # day 21, just before the second visit
    with_virus = tvec_result.lesions.tumour_cells.isel(**at).sel(lesion=["C1", "S1", "N1"]).values
    without = inert.lesions.tumour_cells.isel(**at).sel(lesion=["C1", "S1", "N1"]).values
    assert np.all(with_virus < without)
    assert float(tvec_result.lesions.gmcsf_local_ng.max()) > 0.0
    assert float(inert.lesions.gmcsf_local_ng.max()) == 0.0
    day42 = {"time": 6}
    e_virus = float(tvec_result.systemic.effector_t_cells.isel(**day42))
    e_inert = float(inert.systemic.effector_t_cells.isel(**day42))
    assert e_virus > 3 * e_inert


def test_dose_records_follow_label(tvec_result):
    doses = tvec_result.doses
    tvec = doses[doses.DRUG == "TVEC"]
    days = sorted(tvec.TIME.unique())
    assert days[:4] == [0.0, 21.0, 35.0, 49.0]
    assert set(tvec[tvec.TIME == 0].CONC_PFU_ML) == {1e6}
    assert set(tvec[tvec.TIME > 0].CONC_PFU_ML) == {1e8}
    assert tvec.groupby("TIME").VOL_ML.sum().max() <= 4.0 + 1e-12
    assert "P1" not in set(tvec.LESION_ID)  # lung never injected
    assert np.allclose(tvec.AMT, tvec.VOL_ML * tvec.CONC_PFU_ML)
    # visit 1, largest first: N1 (3 cm, 2 mL), C1 (2 cm, 1 mL), S1 (1.2 cm, 0.5 mL): all fit in 4 mL
    first = tvec[tvec.TIME == 0].set_index("LESION_ID").VOL_ML.to_dict()
    assert first == {"N1": 2.0, "C1": 1.0, "S1": 0.5}
    assert list(doses.columns[:6]) == ["ID", "TIME", "EVID", "AMT", "RATE", "CMT"]
    model = model_for(("tvec",))
    slots = tvec_result.lesions.sizes["lesion"]
    assert set(tvec.CMT) == {model.index("virus_pfu", slots, j) + 1 for j in range(3)}  # lesions 1-3's free virus


def test_seroconversion_and_faster_clearance():
    neg = run(make_patient(seropositive=False))
    pos = run(make_patient(seropositive=True))
    titre_neg = neg.systemic.hsv_antibody_titre.values
    assert titre_neg[0] == 0.0 and titre_neg[3] > 1.0  # seroconverted by day 21
    # Before the second visit, a seropositive patient has cleared more of the first dose.
    v_pos = pos.lesions.virus_pfu.sel(lesion="N1").values[1]
    v_neg = neg.lesions.virus_pfu.sel(lesion="N1").values[1]
    assert v_pos < v_neg


def test_gmcsf_regimen_feeds_systemic_compartment():
    r = run(make_patient(), GMCSF)
    doses = r.doses
    assert set(doses.DRUG) == {"GMCSF"}
    days = doses.TIME.to_numpy()
    assert np.all(np.mod(days, 28) < 14)
    assert len(days) == 14 * 13  # 13 cycles in 364 days
    assert np.allclose(doses.AMT, 125.0 * 1.9)
    gm = r.systemic.gmcsf_systemic_ug.values
    t = r.systemic.time_day.values
    on = np.mod(t, 28) == 7
    off = np.mod(t, 28) == 21
    assert gm[on].min() > 10.0 and gm[off].max() < 1e-3


def test_optim_rules_stop_treatment_after_12_months_without_response():
    p = make_patient(kill_rate=0.0, infection_rate=0.0)  # no response possible
    label = simulate_patient(p, "tvec", horizon_days=18 * DAYS_PER_MONTH, output_every_days=7.0)
    optim = simulate_patient(p, {"tvec": "optim"}, horizon_days=18 * DAYS_PER_MONTH, output_every_days=7.0)
    last_label = label.doses.TIME.max() / DAYS_PER_MONTH
    last_optim = optim.doses.TIME.max() / DAYS_PER_MONTH
    assert last_label > 17.0
    # Progression ends OPTiM treatment at the first visit past month 6 (visits every 14 days).
    assert 6.0 - 14.0 / DAYS_PER_MONTH <= last_optim < 6.0


def test_treatment_pauses_when_no_injectable_lesion_remains():
    """A visit doses exactly when the injectable lesion is seen (>= 0.2 cm) at that visit."""
    from ovsim.population import Lesion, Patient
    from ovsim.regimen import visit_days

    # mostly reachable, fast-growing: the first dose takes the lesion below detection, its sheltered cells
    # regrow into view, and it is dosed again (killed cells cleared within days, so it does leave view)
    p = Patient("T2", (Lesion("C1", "cutaneous", 0.25, accessibility=0.9, doubling_time_days=20.0),
                       Lesion("P1", "lung", 1.0)),
                parameters={"kill_rate": 0.0, "dying_cell_clearance_rate": 0.7})
    r = run(p, {"tvec": {"detection_limit_cm": 0.2}})
    c1 = r.lesions.longest_diameter_cm.sel(lesion="C1").values
    t = r.lesions.time_day.values
    visits = visit_days(HORIZON)
    visits = visits[visits < HORIZON]
    assert np.isin(visits, t).all()  # every visit is on the output grid: c1 there is the size the policy saw
    seen = c1[np.searchsorted(t, visits)] >= 0.2
    dosed = np.isin(visits, r.doses.TIME.to_numpy())
    assert np.array_equal(dosed, seen)
    assert seen[0] and not seen[1] and seen[2:].any()  # paused while unseen, re-initiated when seen again


def test_failed_solve_is_reported():
    with pytest.raises(SimulationError, match="solve failed"):
        run(make_patient(), solver=SolverOptions(max_steps=3))
