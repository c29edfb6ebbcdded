"""The fused kernel (``ovsim.engine.kernel``): its methods, its in-kernel label policy, its cache, its threads.

The conformance suite (test_backends.py) checks every kernel method against the reference solutions;
here: the coefficients, the policy against the array policy on random visits, thread-count invariance,
and that a second process loads the compiled code instead of compiling.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from ovsim.engine import simulate_cohort  # noqa: E402
from ovsim.engine.kernel import kernel_module  # noqa: E402
from ovsim.engine.kernel._numba_backend import policy_arrays  # noqa: E402
from ovsim.engine.kernel._tableau import TSIT5_A, TSIT5_B, TSIT5_C, TSIT5_E, order_residuals, transformed  # noqa: E402
from ovsim.population import generate_population  # noqa: E402
from ovsim.regimen import LabelPolicy, policy_init, policy_step  # noqa: E402
from ovsim.treatments import model_for, parse_regimen  # noqa: E402


def test_ros34pw2_satisfies_its_order_conditions():
    res = order_residuals()
    assert max(abs(v) for v in res.values()) < 1e-14, res
    t = transformed()
    assert np.allclose(t["M"], np.append(t["A"][3, :3], 1.0))  # stiffly accurate: the last stage is the solution


def test_tsit5_coefficients_are_diffrax_s():
    from diffrax._solver.tsit5 import _tsit5_tableau as ref

    for i, row in enumerate(ref.a_lower, start=1):
        np.testing.assert_array_equal(TSIT5_A[i, :i], row)
    np.testing.assert_array_equal(TSIT5_B[:6], ref.b_sol[:6])
    np.testing.assert_array_equal(TSIT5_E, ref.b_error)
    np.testing.assert_array_equal(TSIT5_C[1:], ref.c)
    assert abs(TSIT5_B.sum() - 1) < 1e-14 and abs(TSIT5_E.sum()) < 1e-14


POLICIES = [LabelPolicy(), LabelPolicy.optim(), LabelPolicy(volume_scale=1.5, max_volume_ml_per_visit=2.5,
                                                            detection_limit_cm=0.5, min_months=2.0, max_months=4.0,
                                                            stop_on_progression=True)]


@pytest.mark.parametrize("which", range(len(POLICIES)))
def test_in_kernel_policy_equals_the_array_policy(which):
    """Random courses of 12 visits, 9 lesions: the kernel's volumes, strengths and state equal policy_step's."""
    policy = POLICIES[which]
    module = kernel_module(model_for(("tvec",)), "cpu", "tsit5")
    opts = policy_arrays(type("P", (), {"policy": policy, "options_array": policy.as_arrays})())
    rng = np.random.default_rng(which)
    L = 9
    for course in range(20):
        inj = rng.random(L) < 0.7
        state = policy_init(L, np)
        prev, pst = np.zeros(L), np.zeros(4)
        vol, want, order = np.zeros(L), np.zeros(L), np.zeros(L, np.int64)
        d = rng.lognormal(0.0, 0.8, L) * (rng.random(L) < 0.8)
        for v in range(12):
            t = 0.0 if v == 0 else 21.0 + 14.0 * (v - 1)
            d = np.where(rng.random(L) < 0.1, 0.0, d * rng.lognormal(-0.05, 0.3, L))
            d[rng.random(L) < 0.05] = rng.choice([0.5, 1.5, 2.5, 5.0])  # exactly on band edges now and then
            state, ref_vol, ref_conc = policy_step(policy.as_arrays(), state, t, v, d, inj, np)
            conc = module.label_visit(opts, t, v == 0, d, inj, L, prev, pst, vol, want, order)
            np.testing.assert_array_equal(vol, ref_vol, err_msg=f"course {course} visit {v}")
            assert conc == ref_conc
            np.testing.assert_array_equal(prev.astype(bool), state.prev_present)
            # sums of squared diameters: a sequential sum here, numpy's pairwise one there (last bit may differ)
            np.testing.assert_allclose(pst[:2], [state.baseline_spd_cm2, state.nadir_spd_cm2], rtol=1e-14, atol=0)
            assert (bool(pst[2]), pst[3]) == (bool(state.stopped), state.visits_given)


def test_kernel_declines_a_policy_it_does_not_run():
    with pytest.raises(ValueError, match="label policy only"):
        policy_arrays(object())


def test_results_do_not_depend_on_the_thread_count():
    pop = generate_population(6, seed=5)
    runs = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        runs.append(simulate_cohort(pop, parse_regimen("tvec"), horizon_days=120.0, backend="numba", chunk_size=8))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    a, b = runs
    assert np.array_equal(a.trajectories.longest_diameter_cm.values, b.trajectories.longest_diameter_cm.values,
                          equal_nan=True)
    assert a.doses.equals(b.doses)


def test_auto_picks_the_kernel_where_it_runs_the_regimen():
    from ovsim.engine._backend import resolve_backend

    assert resolve_backend("auto", parse_regimen("tvec")).name == "numba"
    assert resolve_backend("auto", parse_regimen({"gmcsf": {}})).name == "numba"
    assert resolve_backend("jax", parse_regimen("tvec")).name == "jax"


SCRIPT = textwrap.dedent("""
    import json, sys
    from ovsim.engine import simulate_patient
    from ovsim.engine.kernel import kernel_module
    from ovsim.testing._backend_checks import reference_patient
    from ovsim.treatments import model_for
    simulate_patient(reference_patient(), "tvec", horizon_days=42, output_every_days=7, backend="numba")
    fn = kernel_module(model_for(("tvec",)), "cpu", "tsit5").solve_batch
    print(json.dumps({"hits": sum(fn.stats.cache_hits.values()), "misses": sum(fn.stats.cache_misses.values())}))
""")


def test_a_second_process_loads_the_compiled_kernel(tmp_path):
    env = {**os.environ, "OVSIM_KERNEL_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
            for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
    first, second = (__import__("json").loads(r.stdout.strip().splitlines()[-1]) for r in runs)
    assert first["misses"] >= 1 and first["hits"] == 0
    assert second["hits"] >= 1 and second["misses"] == 0
    assert list(tmp_path.glob("ovsim_kernel_cpu_*.py"))


def test_trial_backend_option(tmp_path):
    """``ovsim trial --backend``: the kernel by default, jax on request (recorded per arm), a bad name in one line."""
    import json

    from typer.testing import CliRunner

    from ovsim.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["trial", "--backend", "nope", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--backend: expected auto or one of" in bad.output
    for backend, expected in (("auto", "numba"), ("jax", "jax")):
        out = tmp_path / backend
        res = runner.invoke(app, ["trial", "--patients", "4", "--seed", "2", "--no-report", "--backend", backend,
                                  "--out", str(out)])
        assert res.exit_code == 0, res.output
        cohorts = json.loads((out / "endpoints.json").read_text())["provenance"]["cohorts"]
        assert {c["backend"] for c in cohorts.values()} == {expected}
