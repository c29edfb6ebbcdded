"""Cohort throughput: the JAX engine against a plain scipy loop, measured in the same run.

Workload: the reference model, the Imlygic label regimen, 24 months, output every 28 days,
OPTiM-like virtual patients (T-VEC arm stage mix, seed 2026). For each N the JAX engine runs in
a fresh process (so peak memory is its own): a warm-up run on one chunk per slot group compiles
every shape, then the timed run. The peer is ``solve_ivp`` (LSODA) patient by patient on the same
model, doses and tolerances, on the first ``--scipy-n`` patients; the maximum deviation of lesion
diameters between the two engines is reported on those patients.

    python benchmarks/bench_cohort.py                      # N = 100, 1000, 10000
    python benchmarks/bench_cohort.py --n 100 --scipy-n 3  # quick look

Writes ``benchmarks/results/<device>.json`` and prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

SEED = 2026
HORIZON_DAYS = 730.0
EVERY_DAYS = 28.0


def _population(n: int):
    from ovsim.population import generate_population

    return generate_population(n, seed=SEED, arm="tvec")


def run_jax(n: int, chunk: int, rtol: float, atol: float, workers: int) -> dict:
    """One N in this process: warm-up (compile, or load from the persistent cache), timed run, memory."""
    from ovsim.engine import SolverOptions, simulate_cohort

    solver = SolverOptions(rtol=rtol, atol=atol)
    pop = _population(n)
    kw = dict(horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS, chunk_size=chunk, solver=solver,
              workers=workers)
    warm_n = min(n, 2048)
    t0 = time.perf_counter()
    simulate_cohort(pop.rows(0, warm_n), **kw)  # compiles every chunk shape (and fills the cache)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = simulate_cohort(pop, **kw)
    wall = time.perf_counter() - t0
    import jax

    return {
        "n": n,
        "chunk_size": chunk,
        "workers": workers,
        "warmup_seconds": warm,
        "warmup_patients": warm_n,
        "wall_seconds": wall,
        "patients_per_second": n / wall,
        "steps_per_patient": float(res.status.steps.mean()),
        "lane_efficiency": res.provenance["lane_efficiency"],
        "failed": res.n_failed,
        "peak_rss_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
        "device": str(jax.devices()[0]),
        "diameters": res.trajectories.longest_diameter_cm.values[:50].tolist(),
    }


def run_scipy(k: int, rtol: float, atol: float) -> dict:
    """The peer: first k patients, one at a time, scipy LSODA (one core)."""
    from ovsim.engine import SolverOptions, simulate_patient

    pop = _population(k)
    out = []
    t0 = time.perf_counter()
    for i in range(k):
        r = simulate_patient(pop.patient(i), horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS,
                             backend="scipy", solver=SolverOptions(rtol=rtol, atol=atol))
        out.append(r.lesions.longest_diameter_cm.values.tolist())
    wall = time.perf_counter() - t0
    return {"n": k, "wall_seconds": wall, "seconds_per_patient": wall / k, "diameters": out}


def _child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--scipy-n", type=int, default=10)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="worker processes (default: one per core)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--scipy-only", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    if a.one is not None or a.scipy_only is not None:
        import ovsim

        ovsim.configure_jax()  # each child process is an entry point
    if a.one is not None:
        print(json.dumps(run_jax(a.one, a.chunk, a.rtol, a.atol, a.workers)))
        return
    if a.scipy_only is not None:
        print(json.dumps(run_scipy(a.scipy_only, a.rtol, a.atol)))
        return

    import numpy as np

    tol = ["--rtol", str(a.rtol), "--atol", str(a.atol)]
    peer = _child(["--scipy-only", str(a.scipy_n), *tol])
    rows = []
    for n in a.n:
        r = _child(["--one", str(n), "--chunk", str(a.chunk), "--workers", str(a.workers), *tol])
        k = min(a.scipy_n, n)
        d_jax = r.pop("diameters")
        dev = 0.0
        for i in range(k):  # patients differ in lesion count: compare each on its own lesions
            ref = np.asarray(peer["diameters"][i])
            dev = max(dev, float(np.max(np.abs(np.asarray(d_jax[i])[:, : ref.shape[1]] - ref))))
        r["max_diameter_deviation_cm"] = dev
        r["patients_per_second_per_core"] = r["patients_per_second"] / a.cores
        r["scipy_patients_per_second_per_core"] = 1.0 / peer["seconds_per_patient"]
        r["speedup_per_core"] = r["patients_per_second_per_core"] / r["scipy_patients_per_second_per_core"]
        rows.append(r)
        print(f"N={n}: {r['patients_per_second']:.1f} patients/s, x{r['speedup_per_core']:.0f} per core", file=sys.stderr)
    peer.pop("diameters")
    result = {
        "workload": {"seed": SEED, "horizon_days": HORIZON_DAYS, "output_every_days": EVERY_DAYS,
                     "regimen": "Imlygic label", "rtol": a.rtol, "atol": a.atol},
        "machine": {"cores": a.cores, "platform": platform.platform(), "python": platform.python_version()},
        "scipy_peer": peer,
        "jax": rows,
    }
    out = a.out or Path(__file__).parent / "results" / f"{rows[0]['device'].split(':')[0].lower() or 'cpu'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("| N | patients/s | per core | scipy LSODA per core | speed-up per core | warm-up (compile) s "
          "| steps/patient | lane efficiency | peak RSS MiB | max diameter deviation (cm) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['patients_per_second']:.1f} | {r['patients_per_second_per_core']:.2f} "
              f"| {r['scipy_patients_per_second_per_core']:.3f} | {r['speedup_per_core']:.0f}x "
              f"| {r['warmup_seconds']:.1f} ({r['warmup_patients']} patients) | {r['steps_per_patient']:.0f} "
              f"| {r['lane_efficiency']:.2f} | {r['peak_rss_mib']:.0f} | {r['max_diameter_deviation_cm']:.1e} |")
    print(f"\nwritten {out}", file=sys.stderr)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
