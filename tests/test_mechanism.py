"""The mechanism earns its behaviour (issue 10): graded virus, reach, serostatus, slow DCs, suppression, liver."""

from __future__ import annotations

import numpy as np
import pytest

from ovsim.engine import simulate_patient, single_lesion_dose_response
from ovsim.engine._dose_response import NO_KILLING
import sympy as sp

from ovsim.model import default_model
from ovsim.model._spec import LesionSum
from ovsim.population import Lesion, Patient


@pytest.fixture(scope="module")
def dose_response():
    return single_lesion_dose_response(np.array([1e-4, 1e-2, 0.1, 1.0]), days=(182.0,))


def test_virus_alone_is_graded_not_a_step(dose_response):
    """More virus removes more of the lesion; no dose wipes it out, the intermediate dose lands in between."""
    change = dose_response["volume_change_pct_day182"].to_numpy()
    assert np.all(np.diff(change) <= 1e-6), change  # monotone in dose
    assert change[-1] < change[0] - 50.0  # the top dose clearly does more than a tiny one
    assert np.all(change > -99.0)  # the virus alone never removes the whole lesion within 6 months
    lo, hi = change[-1], change[0]
    assert lo + 0.05 * (hi - lo) < change[2] < hi - 0.05 * (hi - lo)  # 1e7 PFU: a graded, intermediate answer


def test_accessibility_caps_what_one_dose_can_infect():
    """A lesion with 10% of its cells within reach cannot be infected beyond that share by one large dose."""
    p = Patient("A", (Lesion("L", "cutaneous", 2.0, accessibility=0.1),),
                parameters={"kill_rate": NO_KILLING, "dose_retention": 1.0})
    r = simulate_patient(p, {"tvec": "label"}, horizon_days=20.0, output_every_days=0.25)
    les = r.lesions
    share = les["infected_cells"].values[:, 0] / les["tumour_cells"].values[:, 0]
    assert share.max() <= 0.1 + 0.02  # reach plus what exchange brings in over the days of the wave
    assert les["sheltered_cells"].values[-1, 0] > 0.85 * les["sheltered_cells"].values[0, 0]


def _patient(sero: bool, sites=("cutaneous", "cutaneous", "subcutaneous", "nodal", "lung"), **params) -> Patient:
    lesions = tuple(Lesion(f"L{k}", s, d) for k, (s, d) in enumerate(zip(sites, (2.0, 1.2, 1.5, 2.5, 1.5))))
    return Patient("S", lesions, hsv1_seropositive=sero, parameters=params)


@pytest.mark.parametrize("params", [{}, {"infection_rate": 5.0, "priming_rate": 30.0}, {"kill_rate": 0.3}])
def test_seropositive_patients_are_not_penalised(params):
    """Clinical reports show no efficacy penalty for HSV-1 seropositive patients: the model must not make one.

    The total tumour burden at 6 months of a seropositive patient is within 25% of (or below) the same
    patient's seronegative burden, across a few parameter sets. (Where tumour-specific killing is weak,
    kill_rate 0.03/day, seropositives keep about 1.7x the burden of seronegatives in this patient: less
    GM-CSF from infected cells cleared early. The population-level check is the calibrated trial's
    serostatus subgroups, docs/predictions.md.)"""
    burden = {}
    for sero in (True, False):
        r = simulate_patient(_patient(sero, **params), "tvec", horizon_days=183.0, output_every_days=7.0)
        burden[sero] = float(r.lesions["volume_cm3"].values[-1].sum())
    assert burden[True] <= 1.25 * burden[False] + 0.05, burden  # 0.05 cm^3: a lesion under 0.5 cm


def test_dendritic_cells_and_inflammation_outlast_the_gmcsf_pulse():
    """GM-CSF washes out within a day of a dose, DC activation and an injected lesion's inflammation do not:
    averaged over days 21-180, the injected lesion's boost to killing is well above the 1.08x it used to be."""
    p = _patient(True)
    r = simulate_patient(p, "tvec", horizon_days=181.0, output_every_days=1.0)
    t = r.lesions["time_day"].values
    window = (t >= 21) & (t <= 180)
    injected = r.lesions["injectable"].values
    phi = r.lesions["local_inflammation"].values[window][:, injected]
    gain = default_model().parameters["inflammation_gain"].value
    assert float(np.mean(1 + gain * phi)) > 1.3
    gm = r.lesions["gmcsf_local_ng"].values[window][:, injected].sum(axis=1)
    dc = r.systemic["dc_activation"].values[window]
    cv = lambda x: float(np.std(x) / np.mean(x))  # noqa: E731
    assert cv(dc) < 0.5 * cv(gm)  # DC activation is smooth where local GM-CSF is pulsed


def _kill_one_lesion(**values: float) -> float:
    """The per-cell kill rate (1/day) of a one-lesion patient: the model's own ``kill`` expression, quantities
    expanded (except those given in ``values``, e.g. the hook ``pd1_occupancy``), sums over lesions taken over
    the one lesion, defaults for every name not in ``values``."""
    model = default_model()
    expr = model.quantities["kill"].expr
    for _ in range(10):
        expr = expr.replace(lambda e: isinstance(e, LesionSum), lambda e: e.args[0])
        subs = {sp.Symbol(q, real=True): model.quantities[q].expr for q in map(str, expr.free_symbols)
                if q in model.quantities and q not in values}
        if not subs:
            break
        expr = expr.subs(subs)
    defaults = {**{k: p.value for k, p in model.parameters.items()}, **{k: c.value for k, c in model.covariates.items()}}
    return float(expr.subs({sp.Symbol(str(x), real=True): values.get(str(x), defaults.get(str(x), 0.0))
                            for x in expr.free_symbols}))


def test_burden_suppresses_killing_and_pd1_occupancy_releases_it():
    state = {"uninfected_cells": 1e8, "sheltered_cells": 2e8, "infected_cells": 0.0, "effector_t_cells": 3e7,
             "local_inflammation": 0.5}
    bigger = {**state, **{k: 100 * v for k, v in state.items() if k.endswith("cells")}}  # same ratio, 100x burden
    assert _kill_one_lesion(**bigger) < 0.5 * _kill_one_lesion(**state)
    assert _kill_one_lesion(**state, pd1_occupancy=1.0) > 1.2 * _kill_one_lesion(**state, pd1_occupancy=0.0)
    inflamed = _kill_one_lesion(**{**state, "local_inflammation": 1.0})
    assert inflamed > _kill_one_lesion(**{**state, "local_inflammation": 0.0})  # infiltration beats PD-L1 here


def test_liver_metastases_weaken_the_response_everywhere():
    """The same patient with its visceral lesion in the liver instead of the lung keeps fewer effector T cells,
    and its skin and nodal lesions shrink less."""
    out = {}
    for site in ("lung", "liver"):
        p = Patient("V", (Lesion("C", "cutaneous", 2.0), Lesion("N", "nodal", 1.5), Lesion("X", site, 1.5)))
        r = simulate_patient(p, "tvec", horizon_days=120.0, output_every_days=7.0)
        out[site] = (float(r.systemic["effector_t_cells"].values.max()),
                     float(r.lesions["volume_cm3"].values[-1, :2].sum()))
    assert out["liver"][0] < 0.9 * out["lung"][0]
    assert out["liver"][1] > out["lung"][1]


def test_large_lesions_are_killed_from_their_margin():
    """Effectors reach all of a small lesion but only the rim of a large one: at the same effectors and the
    same total burden, a 4 cm lesion's per-cell kill rate is close to d_T / d of what full reach would give."""
    model = default_model()
    d_t = model.parameters["t_cell_penetration_diameter_cm"].value
    density = model.parameters["tumour_cell_density"].value
    cells = density * np.pi / 6 * 4.0 ** 3  # a 4 cm lesion
    state = {"uninfected_cells": cells, "sheltered_cells": 0.0, "effector_t_cells": 1e8}
    rim = _kill_one_lesion(**state)
    full = _kill_one_lesion(**state, t_cell_penetration_diameter_cm=1e3)
    assert 0.8 * d_t / 4.0 < rim / full < 1.2 * d_t / 4.0


def _two_uninjected(**lesion_values) -> Patient:
    """One injected lesion and two identical uninjected skin lesions with their own values."""
    les = (Lesion("INJ", "cutaneous", 2.0),
           *(Lesion(k, "cutaneous", 1.5, injection_intent=False, **v) for k, v in lesion_values.items()))
    return Patient("H", les, parameters={"kill_rate": 0.3, "infiltration_spread": 1.0})


def test_hot_and_cold_lesions_of_one_patient_respond_discordantly():
    """The same patient's systemic effectors shrink a hot uninjected lesion and leave a cold twin growing:
    lesion-level outcomes are not all decided by the patient (OPTiM: 34% of uninjected non-visceral lesions
    decreased by half or more while 26% of patients responded)."""
    p = _two_uninjected(HOT={"immune_infiltration": 3.0}, COLD={"immune_infiltration": 0.1})
    r = simulate_patient(p, "tvec", horizon_days=240.0, output_every_days=30.0)
    vol = r.lesions["volume_cm3"].values
    ids = list(r.lesions["lesion"].values)
    hot, cold = ids.index("HOT"), ids.index("COLD")
    assert vol[-1, hot] < 0.35 * vol[0, hot]  # at least a 50% decrease in the product of diameters
    assert vol[-1, cold] > vol[0, cold]


def test_killed_cells_occupy_the_lesion_until_cleared():
    """Killed tumour cells still count in a lesion's size: the measured volume lags the living cells, and a
    slower clearance keeps the lesion measurable for longer."""
    sizes = {}
    for half_life in (7.0, 42.0):
        p = Patient("D", (Lesion("C", "cutaneous", 2.0),),
                    parameters={"kill_rate": 0.5, "dying_cell_clearance_rate": np.log(2) / half_life})
        r = simulate_patient(p, "tvec", horizon_days=150.0, output_every_days=10.0)
        les = r.lesions
        dying = les["dying_cells"].values[:, 0]
        living = sum(les[k].values[:, 0] for k in ("uninfected_cells", "sheltered_cells", "infected_cells"))
        assert dying.max() > 0.1 * living[0]  # the killed cells are a visible part of the lesion for a while
        sizes[half_life] = les["volume_cm3"].values[:, 0]
    assert np.all(sizes[42.0][1:] >= sizes[7.0][1:] - 1e-9)
    assert np.any(sizes[42.0][1:] > 1.5 * sizes[7.0][1:])


def test_killing_inflames_the_lesion_it_happens_in():
    """Tumour-specific killing feeds the lesion's own inflammation (interferon-gamma, CXCL9/10): an uninjected
    lesion that effectors are clearing becomes inflamed, more than a cold twin in the same patient, and not
    at all when the loop is switched off (no virus reaches an uninjected lesion)."""
    def inflammation(**params):
        p = _two_uninjected(HOT={"immune_infiltration": 3.0}, COLD={"immune_infiltration": 0.1})
        p = Patient(p.patient_id, p.lesions, parameters={**dict(p.parameters), **params})
        r = simulate_patient(p, "tvec", horizon_days=120.0, output_every_days=5.0)
        ids = list(r.lesions["lesion"].values)
        phi = r.lesions["local_inflammation"].values
        return phi[:, ids.index("HOT")], phi[:, ids.index("COLD")]

    hot, cold = inflammation()
    assert hot.max() > 0.2
    assert hot[:8].mean() > 1.5 * cold[:8].mean()  # the first 5 weeks: the hot lesion inflames first
    off, _ = inflammation(inflammation_kill_halfsat=1e4)  # the loop off
    assert off.max() < 0.05
