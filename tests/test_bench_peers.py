"""The peer benchmark's helpers (benchmarks/_workload.py, _roadrunner.py, bench_peers.py, work_precision.py).

Correctness only: which peers it picks up, how it measures deviations, that its compiled reference solver
is the engine's scipy loop with other arithmetic, that RoadRunner replays a patient. No timing is asserted.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import _workload as w  # noqa: E402
import bench_peers  # noqa: E402
import work_precision  # noqa: E402

from ovsim.engine import ScipyBackend, SolverOptions, simulate_cohort  # noqa: E402


def test_new_kernels_are_picked_up_by_name():
    names = w.peer_names(("cuda", "jax", "numba", "numba-rodas5", "other", "scipy", "scipy-radau"))
    assert names[:2] == ["scipy", "jax"]
    assert [n for n in names if n not in ("scipy", "jax", "roadrunner")] == ["cuda", "numba", "numba-rodas5"]
    assert "other" not in names and "scipy-radau" not in names
    assert work_precision.methods(("jax", "scipy", "numba"))[-1] == "numba"


def test_deviation_is_the_largest_difference_and_inf_for_a_failed_patient():
    ref = [np.zeros((3, 2)), np.ones((3, 1))]
    assert w.max_deviation_cm([np.full((3, 2), 0.25), np.ones((3, 1)) + 0.5], ref) == 0.5
    assert w.max_deviation_cm([np.zeros((3, 2)), np.full((3, 1), np.nan)], ref) == math.inf
    assert w.max_deviation_cm([np.zeros((3, 1))], ref) == math.inf  # a lesion missing


def test_compiled_reference_solver_is_the_engine_loop_with_other_arithmetic():
    from ovsim.engine import _scipy_backend

    pop = w.population(2).rows(1, 2)
    kw = dict(horizon_days=28.0, output_every_days=14.0, chunk_size=2, backend=ScipyBackend("Radau"),
              solver=SolverOptions(rtol=1e-8, atol=1e-10))
    plain = simulate_cohort(pop, **kw)
    original = _scipy_backend.solve_ivp
    with w.compiled_scipy():
        assert _scipy_backend.solve_ivp is not original
        fast = simulate_cohort(pop, **kw)
    assert _scipy_backend.solve_ivp is original
    assert plain.doses.equals(fast.doses)
    dev = w.max_deviation_cm(w.cohort_diameters(fast, 1), w.cohort_diameters(plain, 1))
    assert dev < 1e-7, dev  # same equations and steps; only rounding (and the Jacobian) differ


def test_roadrunner_replays_a_patient_within_a_thousandth_of_a_cm():
    pytest.importorskip("roadrunner")
    pytest.importorskip("libsbml")
    import _roadrunner as R

    from ovsim.engine import as_regimen

    pop = w.population(2).rows(1, 2)
    res = simulate_cohort(pop, horizon_days=84.0, output_every_days=28.0, backend="scipy")
    times = res.trajectories["time_day"].values
    out = R.replay_cohort(pop, 1, as_regimen("tvec"), res.doses, times, 84.0, 1e-8, 1e-10)
    assert out["failed"] == [] and out["load_seconds"] > 0 and out["simulate_seconds"] > 0
    assert w.max_deviation_cm(out["diameters"], w.cohort_diameters(res, 1)) < 1e-3


def _row(backend, n, ms, cores=1, **extra):
    return {"backend": backend, "n": n, "wall_seconds": ms * n / 1e3, "cpu_seconds": ms * n / 1e3,
            "first_call_seconds": 2.0, "warm_n": 1, "peak_rss_mib": 100.0, "failed": 0,
            "max_diameter_deviation_cm": 1e-5, **extra}


def test_table_reports_per_core_ratios_against_scipy_and_skipped_runs():
    rows = [bench_peers._finish(_row("scipy", 8, 1000.0), 2), bench_peers._finish(_row("jax", 8, 100.0), 2),
            bench_peers._finish(_row("roadrunner", 8, 3000.0, load_ms_per_patient=2500.0,
                                     simulate_ms_per_patient=500.0), 2)]
    text = bench_peers.table({"rows": rows, "skipped": [{"backend": "scipy", "n": 1000, "why": "predicted"}]})
    jax_line = next(line for line in text.splitlines() if line.startswith("| jax"))
    assert "| 2 | 200.0 |" in jax_line and "5.0x" in jax_line  # 100 ms x 2 cores against 1000 ms on one
    assert "load 2500 + simulate 500" in text and "scipy N=1000: not run" in text
    assert rows[0]["compile_seconds"] == pytest.approx(1.0)  # 2 s first call - 1 patient x 1 s


def test_work_precision_plot_and_table(tmp_path):
    pts = [{"method": m, "rtol": r, "ms_per_patient": t, "max_diameter_error_cm": e, "failed": 0}
           for m, r, t, e in [("a", 1e-4, 10.0, 1e-2), ("a", 1e-6, 30.0, 1e-5), ("b", 1e-4, 5.0, 0.0)]]
    result = {"n": 2, "points": pts, "notes": {"b": "stopped"}}
    work_precision.plot(result, tmp_path / "wp.png")
    assert (tmp_path / "wp.png").stat().st_size > 1000
    text = work_precision.table(result)
    assert "| a | 1e-06 | 30 | 1.0e-05 | 0 |" in text and "- b: stopped" in text
