"""Checkpoint hooks in the mechanism: neutral without a drug, PD-1 brake lifted, CTLA-4 priming, combination."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import sympy as sp

from ovsim.engine import simulate_patient
from ovsim.model import (MECHANISMS, Hook, Mechanism, ModelDefinition, ModelDefinitionError, Parameter, RhsArgs,
                         Terms, generate_array_model, generate_scalar_model)
from ovsim.model.mechanisms import priming, tcells
from ovsim.population import Lesion, Patient
from ovsim.treatments import PEMBROLIZUMAB, model_for


# ------------------------------------------------------------------ the model as it was before the hooks
def _legacy_tcells_terms(s):
    new = tcells._terms(s)
    pdl1 = s.pdl1_baseline + (1 - s.pdl1_baseline) * s.local_inflammation
    q = dict(new.quantities)
    del q["pd1_signal"], q["pd1_exhaustion_factor"]
    q["burden_suppression"] = 1 / (1 + s.tumour_cells_total / s.exhaustion_burden_cells)
    q["pd1_brake"] = 1 - s.pd1_max_inhibition * pdl1 * (1 - s.pd1_occupancy)
    return dataclasses.replace(new, quantities=q)


def _legacy_priming_terms(s):
    k = s.priming_transit_rate
    return Terms(quantities={"priming_transit_rate": 3 / s.priming_delay_days},
                 rates={"primed_1": s.priming_rate * s.dendritic_cells - k * s.primed_1,
                        "primed_2": k * (s.primed_1 - s.primed_2), "primed_3": k * (s.primed_2 - s.primed_3),
                        "effector_t_cells": k * s.primed_3})


def _legacy(parts):
    out = []
    for m in parts:
        if m is tcells.MECHANISM:
            params = tuple(p for p in m.parameters if p.name not in ("pd1_signal_halfsat", "pd1_exhaustion_share"))
            m = dataclasses.replace(m, terms=_legacy_tcells_terms, hooks=(), parameters=params + (
                Parameter("pd1_occupancy", 0.0, "1", "occupancy", "legacy", "patient"),))
        elif m is priming.MECHANISM:
            params = tuple(p for p in m.parameters if not p.name.startswith("ctla4"))
            m = dataclasses.replace(m, terms=_legacy_priming_terms, hooks=(), parameters=params)
        out.append(m)
    return ModelDefinition(out)


def _inputs(d: ModelDefinition, n: int, rng):
    values = {**{k: p.value for k, p in d.parameters.items()}, **{k: c.value for k, c in d.covariates.items()},
              "pd1_occupancy": 0.0}
    patient = {k: values[k] for k in d.patient_names() if k in values} | {"pd1_occupancy": 0.0}
    lesion = {k: np.full(n, values[k]) * rng.uniform(0.5, 2.0, n) for k in d.lesion_names()}
    return patient, lesion


@pytest.mark.parametrize("treatments", [("tvec",), ("gmcsf", "tvec")])
def test_without_a_checkpoint_inhibitor_the_model_is_bit_for_bit_the_former_one(treatments):
    """The array (numpy and JAX) and scalar (numba) right-hand sides and Jacobian equal the pre-hook model's
    exactly at random states: same function, so same trajectories and the OPTiM calibration stays valid."""
    import jax.numpy as jnp

    new = model_for(treatments)
    old = _legacy(new.parts)
    assert [s.name for s in new.states.values()] == [s.name for s in old.states.values()]
    rng = np.random.default_rng(15)
    n = 3
    patient, lesion = _inputs(new, n, rng)
    scale = np.asarray(new.scale(n))
    for xp in (np, jnp):
        f_new, f_old = generate_array_model(new, xp).rhs, generate_array_model(old, xp).rhs
        for _ in range(20):
            y = scale * rng.lognormal(0.0, 2.0, len(scale)) * (rng.uniform(size=len(scale)) > 0.1)
            args = RhsArgs(patient, lesion, np.zeros(len(scale)))
            a, b = np.asarray(f_new(0.0, xp.asarray(y), args)), np.asarray(f_old(0.0, xp.asarray(y), args))
            np.testing.assert_array_equal(a, b)
    s_new, s_old = generate_scalar_model(new), generate_scalar_model(old)
    y = scale * rng.lognormal(0.0, 1.0, len(scale))
    for fn in ("rhs", "jac"):
        outs = []
        for m in (s_new, s_old):
            p, q = m.pack_patient(patient), m.pack_lesion(lesion)
            out = np.zeros(len(scale)) if fn == "rhs" else np.zeros((len(scale), len(scale)))
            if fn == "rhs":
                m.rhs(0.0, y, p, q, np.zeros(len(scale)), n, out)
            else:
                m.jac(0.0, y, p, q, n, out)
            outs.append(out)
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=0)


def test_hooks_default_to_neutral_and_drugs_supply_them():
    plain = model_for(("tvec",))
    assert float(plain.quantities["pd1_occupancy"].expr) == 0.0 == float(plain.quantities["ctla4_occupancy"].expr)
    both = model_for(("tvec", "pembrolizumab", "ipilimumab"))
    assert both.hook_providers == {"pd1_occupancy": ("pembrolizumab",), "ctla4_occupancy": ("ipilimumab",)}
    assert both.quantities["pd1_occupancy"].expr == sp.Symbol("pembrolizumab_pd1_occupancy", real=True)


def _second_pd1_drug() -> Mechanism:
    return Mechanism("nivo_toy", "toy anti-PD-1", "a constant occupancy", terms=lambda s: Terms(
        quantities={"nivo_toy_occupancy": s.nivo_toy_level}, provides={"pd1_occupancy": s.nivo_toy_occupancy}),
        parameters=(Parameter("nivo_toy_level", 0.6, "1", "occupancy", "test"),))


def test_two_pd1_drugs_combine_by_independent_binding():
    d = ModelDefinition((*MECHANISMS, PEMBROLIZUMAB.model, _second_pd1_drug()))
    a, b = sp.Symbol("pembrolizumab_pd1_occupancy", real=True), sp.Symbol("nivo_toy_occupancy", real=True)
    expr = d.quantities["pd1_occupancy"].expr
    assert sp.simplify(expr - (1 - (1 - a) * (1 - b))) == 0
    assert float(expr.subs({a: 0.5, b: 0.6})) == pytest.approx(0.8)
    assert d.hook_providers["pd1_occupancy"] == ("pembrolizumab", "nivo_toy")


def test_providing_an_undeclared_hook_is_one_line():
    bad = Mechanism("bad", "bad", "bad", terms=lambda s: Terms(provides={"pd2_occupancy": sp.Integer(1)}))
    with pytest.raises(ModelDefinitionError, match=r"^bad: provides 'pd2_occupancy', which no mechanism declares"):
        ModelDefinition((*MECHANISMS, bad))
    clash = Mechanism("clash", "c", "c", terms=lambda s: Terms(), hooks=(Hook("pd1_occupancy", 0.0, "1", "x"),))
    with pytest.raises(ModelDefinitionError, match="already defined by tcells"):
        ModelDefinition((*MECHANISMS, clash))


def test_pd1_signal_is_a_normalised_hill_function():
    d = model_for(("tvec",))
    sig = d.quantities["pd1_signal"].expr
    k = d.parameters["pd1_signal_halfsat"].value
    occ = sp.Symbol("pd1_occupancy", real=True)
    h = lambda o: float(sig.subs({occ: o, sp.Symbol("pd1_signal_halfsat", real=True): k}))  # noqa: E731
    assert h(0.0) == 1.0 and h(1.0) == 0.0
    assert h(0.95) < 0.05 * (1 - 0.95) / 0.05 * 0.3  # steeper than linear near full occupancy (Hill n = 2)
    u = 0.3
    assert h(1 - u) == pytest.approx(u ** 2 * (1 + k ** 2) / (u ** 2 + k ** 2))


def _patient(**params) -> Patient:
    lesions = (Lesion("C1", "cutaneous", 2.0), Lesion("S1", "subcutaneous", 1.2), Lesion("P1", "lung", 1.5))
    return Patient("CPI", lesions, parameters=params)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for key, params, regimen in [
        ("tvec", {"pdl1_baseline": 0.9}, {"tvec": "label"}),
        ("tvec+pem", {"pdl1_baseline": 0.9}, {"tvec": "label", "pembrolizumab": "q3w"}),
        ("tvec_nobrake", {"pd1_max_inhibition": 0.0, "pd1_exhaustion_share": 0.0}, {"tvec": "label"}),
        ("tvec+pem_nobrake", {"pd1_max_inhibition": 0.0, "pd1_exhaustion_share": 0.0},
         {"tvec": "label", "pembrolizumab": "q3w"}),
        ("tvec+ipi", {"pdl1_baseline": 0.9}, {"tvec": "label", "ipilimumab": "label"}),
    ]:
        out[key] = simulate_patient(_patient(**params), regimen, horizon_days=150.0, output_every_days=1.0)
    return out


def test_pembrolizumab_lifts_the_pd1_brake_of_a_pdl1_high_patient(runs):
    """With PD-L1 high, pembrolizumab leaves every lesion smaller at day 150; with no PD-1 brake and no PD-1
    share of exhaustion it changes nothing (its only action is through the hook)."""
    d = lambda k: runs[k].lesions.longest_diameter_cm.values[-1]  # noqa: E731
    assert np.all(d("tvec+pem") < d("tvec")) and d("tvec+pem").sum() < 0.9 * d("tvec").sum()
    np.testing.assert_allclose(d("tvec+pem_nobrake"), d("tvec_nobrake"), rtol=1e-6)
    occ = runs["tvec+pem"].systemic.pembrolizumab_central_mg.values[1:] / 3.48
    assert np.all(occ / (occ + 0.535) > 0.9)  # occupancy stays high from day 1


def test_ctla4_blockade_raises_effector_t_cells(runs):
    e = lambda k: runs[k].systemic.effector_t_cells.values  # noqa: E731
    t = runs["tvec"].systemic.time_day.values
    window = (t >= 14) & (t <= 90)
    assert np.all(e("tvec+ipi")[window] > e("tvec")[window])
    assert e("tvec+ipi")[window].max() > 1.5 * e("tvec")[window].max()


def test_treg_depletion_is_off_by_default_and_raises_killing_when_on():
    from ovsim.treatments import IPILIMUMAB

    assert {p.name: p.value for p in IPILIMUMAB.model.parameters}["ipilimumab_treg_depletion"] == 0.0
    regimen = {"ipilimumab": "label"}
    off = simulate_patient(_patient(), regimen, horizon_days=60.0, output_every_days=5.0)
    on = simulate_patient(_patient(ipilimumab_treg_depletion=1.0), regimen, horizon_days=60.0, output_every_days=5.0)
    assert on.lesions.tumour_cells.values[-1].sum() < off.lesions.tumour_cells.values[-1].sum()


def test_jax_and_scipy_agree_with_both_checkpoint_inhibitors():
    p = _patient(pdl1_baseline=0.9)
    regimen = {"tvec": "label", "pembrolizumab": "keynote006_q3w", "ipilimumab": "label"}
    a = simulate_patient(p, regimen, horizon_days=120.0, output_every_days=7.0, backend="jax")
    b = simulate_patient(p, regimen, horizon_days=120.0, output_every_days=7.0, backend="scipy")
    np.testing.assert_allclose(a.lesions.longest_diameter_cm.values, b.lesions.longest_diameter_cm.values,
                               rtol=0, atol=1e-3)
    np.testing.assert_allclose(a.systemic.pembrolizumab_central_mg.values, b.systemic.pembrolizumab_central_mg.values,
                               rtol=1e-4, atol=1e-6)
    pd.testing.assert_frame_equal(a.doses.reset_index(drop=True), b.doses.reset_index(drop=True))


def test_cli_simulate_tvec_with_pembrolizumab(tmp_path):
    from typer.testing import CliRunner

    from conftest import EXAMPLES
    from ovsim.cli import app

    out = tmp_path / "pem"
    res = CliRunner().invoke(app, ["simulate", str(EXAMPLES / "patient_tvec_pembrolizumab.yaml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    doses = pd.read_csv(out / "doses.csv")
    pem = doses[doses.DRUG == "PEMBROLIZUMAB"]
    assert set(doses.DRUG) == {"TVEC", "PEMBROLIZUMAB"} and len(pem) == 18  # days 0..357 q3w within 365 days
    assert (pem.AMT == 200).all() and (pem.AMT_UNIT == "mg").all() and np.allclose(pem.RATE, 9600, rtol=1e-6)
    systemic = pd.read_parquet(out / "systemic.parquet")
    assert systemic.pembrolizumab_central_mg.max() > 150
