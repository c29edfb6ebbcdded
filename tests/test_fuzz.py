"""Fuzzing every input surface through the real CLI, and the non-finite guards of survival and endpoints.

By default a fast, deterministic subset runs (``FAST_EXAMPLES`` generated cases per surface,
derandomized). ``OVSIM_FUZZ=long`` (``make fuzz``) runs ``OVSIM_FUZZ_EXAMPLES`` cases per surface
(default 200, six surfaces: 1,200 in all) from a fresh random seed unless ``OVSIM_FUZZ_SEED`` is set,
and writes the counts to ``results/fuzz/census-<surface>.json``. The cases, the rules and the
categories of findings are in ``tests/fuzz_inputs.py``; the method and the figures in
``docs/reliability.md``.
"""

from __future__ import annotations

import json
import math
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_inputs as fz
from conftest import REPO
from ovsim.trial import SurvivalModel, burden_course, censor, death_months, hazard
from ovsim.trial._endpoints import arm_endpoints, check_evaluable, comparisons, km_frames, trial_endpoints

LONG = os.environ.get("OVSIM_FUZZ", "").lower() == "long"
FAST_EXAMPLES = 40
if not LONG and "OVSIM_FUZZ_CASE_SECONDS" not in os.environ:
    fz.CASE_SECONDS = 20.0  # the fast subset: a valid case compiles and runs in a few seconds
EXAMPLES = int(os.environ.get("OVSIM_FUZZ_EXAMPLES", "200")) if LONG else FAST_EXAMPLES
SEED = int(os.environ["OVSIM_FUZZ_SEED"]) if os.environ.get("OVSIM_FUZZ_SEED") else None


# ---------------------------------------------------------------------------------------------
# The examples the generators start from are accepted (else every "silent accept" check is void)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", fz.valid_cases(), ids=lambda c: f"{c.surface}-{c.label}".replace(" ", "_"))
def test_valid_example_is_accepted(case):
    outcome, found = fz.run_case(case)
    assert not found, f"{case!r}: {found}\n{outcome.stderr[-2000:]}"
    assert outcome.code in case.accept_codes


# ---------------------------------------------------------------------------------------------
# The fuzz: every surface, every case judged (no early stop: the census counts them all)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("surface", list(fz.SURFACES))
def test_fuzz_surface(surface):
    result = fz.census(surface, EXAMPLES, derandomize=not LONG or SEED is not None, seed=SEED if LONG else None,
                       profile="ovsim-fuzz-long" if LONG else "ovsim-fuzz-fast")
    if LONG:
        out = REPO / "results" / "fuzz"
        out.mkdir(parents=True, exist_ok=True)
        doc = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), **result.to_dict()}
        (out / f"census-{surface}.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(result.summary())
    assert result.cases >= min(EXAMPLES, 5)
    assert result.failing == 0, result.summary()


# ---------------------------------------------------------------------------------------------
# Explicit cases: alias bombs, nesting, size (time and memory bounds)
# ---------------------------------------------------------------------------------------------


def _bomb_case(surface: str, key: str) -> fz.Case:
    if surface == "patient":
        doc = fz.patient_bases()[0]
        argv, name = fz._patient_argv("simulate"), "patient.yaml"
    else:
        doc = fz.scenario_bases()[0]
        argv, name = ["trial", "{in}/scenario.yaml", "--patients", "3", "--no-report", "--out", "{out}"], "scenario.yaml"
    text = fz._yaml_text({k: v for k, v in doc.items() if k != key}) + f"{key}: {fz.BILLION_LAUGHS}\n"
    return fz.Case(surface, f"billion laughs as {key}", argv, {name: text.encode()}, must_reject=True, file=name)


@pytest.mark.parametrize("surface,key", [("patient", "parameters"), ("patient", "lesions"), ("scenario", "arms"),
                                         ("scenario", "description")])
def test_billion_laughs_refused_quickly_in_little_memory(surface, key):
    case = _bomb_case(surface, key)
    tracemalloc.start()
    try:
        outcome, found = fz.run_case(case)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not found, found
    assert outcome.code == 2 and outcome.seconds < 10
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB traced while refusing a billion laughs"


def test_billion_laughs_in_the_regimen_option():
    case = fz.Case("flags", "billion laughs in --regimen",
                   ["cohort", "--patients", "2", "--seed", "1", "--horizon-days", "28", "--every-days", "28",
                    "--regimen", f"{{tvec: {fz.BILLION_LAUGHS}}}", "--out", "{out}"], must_reject=True,
                   field="--regimen")
    outcome, found = fz.run_case(case)
    assert not found, found
    assert outcome.seconds < 10


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_refused(depth):
    doc = fz.patient_bases()[0]
    text = fz._yaml_text({k: v for k, v in doc.items() if k != "parameters"}) + "parameters: " + "[" * depth + \
        "]" * depth + "\n"
    case = fz.Case("patient", f"nesting {depth}", fz._patient_argv("simulate"), {"patient.yaml": text.encode()},
                   must_reject=True, file="patient.yaml")
    outcome, found = fz.run_case(case)
    assert not found, found


def test_huge_patient_file_is_refused():
    doc = fz.patient_bases()[0]
    data = fz._yaml_text(doc).encode() + b"# padding\n" * (fz.HUGE_FILE_BYTES // 10)
    case = fz.Case("patient", "huge file", fz._patient_argv("simulate"), {"patient.yaml": data}, must_reject=True,
                   file="patient.yaml")
    outcome, found = fz.run_case(case)
    assert not found, found


def test_nan_survival_coefficients_are_refused_not_censored():
    """The issue's example: NaN (or infinite) survival coefficients gave every patient a censored time,
    no events and a durable response rate of 0.0, with exit code 0."""
    for value in (".nan", ".inf", "-.inf"):
        doc = fz.scenario_bases()[0]
        text = fz._yaml_text(doc).replace("beta_growth_day: 30.0", f"beta_growth_day: {value}")
        assert f"beta_growth_day: {value}" in text
        case = fz.Case("scenario", f"beta_growth_day {value}",
                       ["trial", "{in}/scenario.yaml", "--patients", "3", "--no-report", "--out", "{out}"],
                       {"scenario.yaml": text.encode()}, must_reject=True, file="scenario.yaml", field="beta_growth_day")
        outcome, found = fz.run_case(case)
        assert not found, found


# ---------------------------------------------------------------------------------------------
# Second line of defence: survival and endpoints refuse non-finite inputs
# ---------------------------------------------------------------------------------------------


def test_censor_flags_non_finite_survival_instead_of_censoring_it():
    t, e = censor(np.array([10.0, np.nan, np.inf, -np.inf, 0.0, -3.0, 100.0]), np.full(7, 0.5), 60.0, 24.0)
    assert t[0] == 10.0 and e[0]
    assert np.isnan(t[1:6]).all() and not e[1:6].any()   # NaN, not the analysis time: the caller flags it
    assert t[6] == 72.0 and not e[6]                      # a real survival past the analysis: censored


@pytest.mark.parametrize("kwargs", [{"follow_up_months": math.nan}, {"follow_up_months": math.inf},
                                    {"accrual_months": math.nan}, {"accrual_months": -1.0},
                                    {"accrual_u": np.array([0.5, np.nan])}, {"accrual_u": np.array([0.5, 1.5])}])
def test_censor_refuses_non_finite_trial_settings(kwargs):
    args = {"os_months": np.array([10.0, 20.0]), "accrual_u": np.array([0.5, 0.5]), "follow_up_months": 60.0,
            "accrual_months": 24.0, **kwargs}
    with pytest.raises(ValueError, match=r"(follow_up_months|accrual_months|accrual_u): expected"):
        censor(**args)


@settings(max_examples=200 if LONG else 50, derandomize=not LONG, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(os_=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20),
       u=st.floats(0, 1), follow=st.floats(0, 1e4), accrual=st.floats(0, 1e4))
def test_censor_never_turns_a_non_finite_time_into_data(os_, u, follow, accrual):
    x = np.array(os_)
    t, e = censor(x, np.full(len(x), u), follow, accrual)
    valid = np.isfinite(x) & (x > 0)
    assert np.isnan(t[~valid]).all() and not e[~valid].any()
    limit = follow + accrual * (1 - u)
    assert np.isfinite(t[valid]).all() and (t[valid] <= np.maximum(x[valid], limit)).all()
    assert (e[valid] == (x[valid] <= limit)).all()


def _model(**overrides):
    values = {**SurvivalModel().model_dump(), **overrides}
    return SurvivalModel.model_construct(**values)  # bypass validation: the reader is the first line


@pytest.mark.parametrize("name", ["tumour_hazard_per_month", "beta_burden", "beta_growth_day", "beta_ldh_high",
                                  "background_hazard_per_year"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_survival_model_refuses_non_finite_coefficients(name, value):
    course = burden_course(np.arange(0.0, 57.0, 28.0), np.full((1, 3), 10.0), SurvivalModel())
    with pytest.raises(ValueError, match=rf"survival\.model\.{name}: expected a finite number"):
        hazard(course, np.array([0]), np.array([0.8]), _model(**{name: value}))


def test_survival_overflow_is_a_death_not_a_nan_and_invalid_input_is_nan():
    course = burden_course(np.arange(0.0, 57.0, 28.0), np.array([[10.0] * 3, [np.nan] * 3]), SurvivalModel())
    h = hazard(course, np.array([0, 0]), np.array([0.8, 0.8]), _model(tumour_hazard_per_month=1e300))
    t = death_months(h, np.array([0.5, 0.5]))
    assert 0 < t[0] < 1e-6 and np.isnan(t[1])


def _patients(n=4, **overrides):
    frame = pd.DataFrame({
        "patient_key": [f"a:P{i}" for i in range(n)], "patient_id": [f"P{i}" for i in range(n)], "arm": "a",
        "stage": "IVM1b", "ok": True, "reason": "", "durable_response": [True, False] * (n // 2),
        "objective_response": [True, False] * (n // 2), "complete_response": False,
        "progression_before_response": False, "time_to_response_days": [56.0, np.nan] * (n // 2),
        "time_to_complete_response_days": np.nan, "os_months": [12.0, 20.0] * (n // 2), "os_event": True,
    })
    for k, v in overrides.items():
        frame[k] = v
    return frame


def _lesions(patients):
    return pd.DataFrame({"patient_key": patients.patient_key, "arm": patients.arm, "category": "injected",
                         "decrease_ge_50pct": True, "complete_resolution": False})


@pytest.mark.parametrize("column,values,match", [
    ("os_months", [12.0, np.nan, 3.0, 4.0], "os_months is nan"),
    ("os_months", [12.0, np.inf, 3.0, 4.0], "os_months is inf"),
    ("os_months", [12.0, 0.0, 3.0, 4.0], "os_months is 0.0"),
    ("os_event", [True, np.nan, True, False], "os_event is nan"),
    ("durable_response", [True, np.nan, True, False], "durable_response is nan"),
    ("time_to_response_days", [np.nan, np.nan, 56.0, np.nan], "time_to_response_days is nan"),
])
def test_endpoints_refuse_non_finite_inputs(column, values, match):
    p = _patients(**{column: values})
    for call in (lambda: arm_endpoints(p, _lesions(p)), lambda: comparisons(p, _patients()),
                 lambda: trial_endpoints(p, _lesions(p), ["a"])):
        with pytest.raises(ValueError, match=match):
            call()
    if column in ("os_months", "os_event"):
        with pytest.raises(ValueError, match=match):
            km_frames(p, ["a"])


def test_endpoints_leave_failed_patients_out_and_count_them():
    p = _patients(os_months=[12.0, np.nan, 3.0, 4.0])
    p.loc[1, "ok"], p.loc[1, "reason"] = False, "simulation failed"
    out = trial_endpoints(p, _lesions(p), ["a"])
    assert out["failed_patients"] == {"a": 1} and out["arms"]["a"]["n"] == 3
    check_evaluable(p[p.ok], _lesions(p[p.ok]))


def test_endpoints_refuse_a_trial_where_every_patient_failed():
    p = _patients(ok=False, reason="not evaluable (no measurable baseline or no survival estimate)",
                  os_months=np.nan)
    with pytest.raises(ValueError, match="no evaluable patient .4 of 4 failed"):
        trial_endpoints(p, _lesions(p), ["a"])


def test_lesion_flags_must_be_true_or_false():
    p = _patients()
    les = _lesions(p)
    les["complete_resolution"] = [False, np.nan, False, False]
    with pytest.raises(ValueError, match="complete_resolution is nan"):
        arm_endpoints(p, les)


def test_fuzz_census_script_runs(tmp_path):
    """The counting script runs end to end (one surface, a few cases) and writes its counts."""
    out = tmp_path / "census.json"
    fz._main(["--examples", "3", "--surface", "lesions", "--no-valid", "--json", str(out)])
    doc = json.loads(out.read_text())
    assert doc["cases"] >= 1 and set(doc["total"]) == set(fz.CATEGORIES)
    assert Path(doc["surfaces"][0]["surface"]) == Path("lesions")
