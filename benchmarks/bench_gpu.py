"""GPU throughput of the fused kernel (``CudaBackend``): for when a GPU is lent. Not yet measured on a GPU.

Workload: the reference model, the Imlygic label regimen, 730 days, output every 28 days, rtol 1e-6,
OPTiM-like virtual patients (T-VEC arm, seed 2026). A base population of at most ``--base`` patients is
generated and batched once per lesion-slot group; N patients are that base repeated (the same mix of
work; generating 1e7 distinct patients would take longer than the run), solved in calls of at most
``--piece`` patients straight on the backend (outputs discarded after counting). A warm-up call per slot
group compiles (or loads) the kernel first. The runner's own overhead (``simulate_cohort(...,
backend="cuda", chunk_size=2**17, out_dir=...)``: tables, Parquet) is timed on the first N alone.
An N whose estimated time exceeds what is left of ``--max-seconds`` is skipped, and said so.

    python benchmarks/bench_gpu.py                          # N = 1e4, 1e5, 1e6, 1e7 within 420 s
    python benchmarks/bench_gpu.py --check                  # 64 patients: GPU against CPU numba (cm)
    CUDA_HOME=<toolkit with nvvm> python benchmarks/bench_gpu.py --ptx   # compile for sm_90, no GPU needed

Writes ``benchmarks/results/gpu.json`` and prints a Markdown table for docs/gpu.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 2026
HORIZON_DAYS, EVERY_DAYS = 730.0, 28.0
OUT = Path(__file__).resolve().parent / "results" / "gpu.json"


def _gpu_facts() -> dict:
    import numba

    facts = {"numba": numba.__version__}
    try:
        line = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        facts.update(zip(("gpu", "driver", "memory"), (s.strip() for s in line.split(","))))
    except (OSError, IndexError, subprocess.SubprocessError):
        facts["gpu"] = "nvidia-smi not found"
    return facts


def _groups(n: int):
    """The base population's batches, one per lesion-slot group: [(batch, patients)]."""
    from ovsim.engine import as_regimen, make_batch, n_slots_for
    from ovsim.engine._schedule import build_schedule
    from ovsim.population import generate_population

    pop = generate_population(n, seed=SEED, arm="tvec")
    regimen = as_regimen("tvec")
    schedule = build_schedule(regimen, HORIZON_DAYS, EVERY_DAYS)
    slots = np.array([n_slots_for(int(c)) for c in pop.patients.n_lesions])
    return [make_batch(pop.subset(np.flatnonzero(slots == g)), regimen.model(), schedule, int(g))[0]
            for g in np.unique(slots)]


def _rows(batch, idx: np.ndarray):
    """Patients ``idx`` of ``batch`` (repeats allowed)."""
    return type(batch)(batch.model, batch.y0[idx], {k: v[idx] for k, v in batch.patient.items()},
                       {k: v[idx] for k, v in batch.lesion.items()}, batch.injectable[idx], batch.boundaries_day,
                       batch.visit_index, batch.bolus[idx], batch.rate[idx], batch.grid_index, batch.policy)


def _solve(backend, groups, n_total: int, base: int, piece: int, options) -> dict:
    """Solve n_total patients (the base repeated); seconds, steps, failures."""
    done = steps = failed = 0
    t0 = time.perf_counter()
    for batch in groups:
        share = int(round(n_total * batch.n_patients / base))
        for lo in range(0, share, piece):
            idx = np.arange(lo, min(lo + piece, share)) % batch.n_patients
            raw = backend.solve(_rows(batch, idx), options)
            done += len(idx)
            steps += int(raw.steps.sum())
            failed += int((~raw.ok).sum())
    return {"patients": done, "seconds": time.perf_counter() - t0, "steps": steps, "failed": failed}


def run(args) -> dict:
    from ovsim.engine import SolverOptions, simulate_cohort
    from ovsim.engine.kernel import CudaBackend
    from ovsim.population import generate_population

    backend = CudaBackend(args.method, threads_per_block=args.tpb, slice_size=args.slice)
    options = SolverOptions(rtol=args.rtol)
    started = time.perf_counter()
    base = min(args.base, max(args.n))
    groups = _groups(base)
    t0 = time.perf_counter()
    for batch in groups:  # warm-up: compile (or load) the kernel, first context, first transfers
        backend.solve(_rows(batch, np.arange(min(batch.n_patients, 64))), options)
    result = {**_gpu_facts(), "device": backend.device(), "method": args.method, "rtol": args.rtol,
              "threads_per_block": args.tpb, "slice_size": args.slice, "piece": args.piece, "base_patients": base,
              "warmup_seconds": time.perf_counter() - t0, "runs": []}
    rate = None
    for n in sorted(args.n):
        left = args.max_seconds - (time.perf_counter() - started)
        if rate is not None and n / rate > left:
            result["runs"].append({"n": n, "skipped": f"estimated {n / rate:.0f} s, {left:.0f} s left"})
            continue
        r = _solve(backend, groups, n, base, args.piece, options)
        rate = r["patients"] / r["seconds"]
        result["runs"].append({"n": n, **r, "patients_per_second": rate})
        print(f"N={n}: {r['seconds']:.1f} s, {rate:.4g} patients/s", file=sys.stderr, flush=True)
    n0 = min(args.n)
    if args.max_seconds - (time.perf_counter() - started) > 2 * n0 / rate:
        pop = generate_population(n0, seed=SEED, arm="tvec")
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            simulate_cohort(pop, "tvec", horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS, chunk_size=2 ** 17,
                            solver=options, backend=backend, out_dir=Path(tmp))
            result["runner"] = {"n": n0, "seconds": time.perf_counter() - t0}
    return result


def check(args) -> None:
    """64 patients on the GPU and on the CPU numba kernel: the largest diameter deviation (cm)."""
    from ovsim.engine import SolverOptions, simulate_cohort
    from ovsim.engine.kernel import CudaBackend
    from ovsim.population import generate_population

    pop = generate_population(64, seed=SEED, arm="tvec")
    kw = dict(horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS, solver=SolverOptions(rtol=args.rtol))
    gpu = simulate_cohort(pop, "tvec", backend=CudaBackend(args.method), **kw)
    cpu = simulate_cohort(pop, "tvec", backend="numba" if args.method == "tsit5" else f"numba-{args.method}", **kw)
    a, b = gpu.trajectories.longest_diameter_cm.values, cpu.trajectories.longest_diameter_cm.values
    print(f"{CudaBackend(args.method).device()}: max |diameter GPU - CPU| = {np.nanmax(np.abs(a - b)):.3e} cm; "
          f"failed GPU {gpu.n_failed}, CPU {cpu.n_failed}; NaN where CPU is finite: "
          f"{int((np.isnan(a) & ~np.isnan(b)).sum())}; same doses: {gpu.doses.equals(cpu.doses)}")


def ptx(args) -> None:
    """Compile the kernel for sm_90 (H100/H200) without a GPU and print ptxas' register use if it is there."""
    import types as _t

    import numba
    import numba.cuda.dispatcher as disp
    from numba import cuda, typeof

    from ovsim.engine import SolverOptions
    from ovsim.engine.kernel._build import kernel_module
    from ovsim.engine.kernel._cuda_backend import _scratch_shapes
    from ovsim.engine.kernel._numba_backend import empty_outputs, kernel_arguments

    disp.get_current_device = lambda: _t.SimpleNamespace(compute_capability=(9, 0))  # no GPU: say which
    batch = _groups(4)[0]
    args_ = kernel_arguments(batch, SolverOptions(rtol=args.rtol))
    scratch = [np.empty(s, d, order="F") for s, d in _scratch_shapes(args.method, 4, batch.y0.shape[1],
                                                                     batch.n_slots).values()]
    values = [*args_.values(), *empty_outputs(batch).values(), *scratch]
    sig = tuple(numba.types.boolean if isinstance(v, bool) else typeof(v) for v in values)
    module = kernel_module(batch.model, "cuda", args.method)
    code, _ = cuda.compile_ptx(module.solve_batch_cuda.py_func, sig, cc=(9, 0))
    path = Path(tempfile.gettempdir()) / f"ovsim_kernel_{args.method}.ptx"
    path.write_text(code)
    print(f"{args.method}: {code.count(chr(10))} lines of PTX for sm_90 in {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=float, nargs="+", default=[1e4, 1e5, 1e6, 1e7], help="patients per run")
    ap.add_argument("--max-seconds", type=float, default=420.0, help="skip an N that would not finish within this")
    ap.add_argument("--method", default="tsit5", choices=["tsit5", "ros34pw2", "ros34pw2-diagonal"])
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--tpb", type=int, default=64, help="threads per block")
    ap.add_argument("--slice", type=int, default=2 ** 17, help="patients per launch")
    ap.add_argument("--piece", type=int, default=2 ** 18, help="patients per backend call")
    ap.add_argument("--base", type=int, default=2 ** 14, help="distinct patients generated (then repeated)")
    ap.add_argument("--check", action="store_true", help="64 patients: GPU against CPU numba")
    ap.add_argument("--ptx", action="store_true", help="compile for sm_90 without a GPU (needs libnvvm)")
    args = ap.parse_args()
    args.n = [int(n) for n in args.n]
    if args.ptx:
        return ptx(args)
    if args.check:
        return check(args)
    result = run(args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"GPU: {result.get('gpu')}, driver {result.get('driver')}, numba {result['numba']}, {result['method']}, "
          f"rtol {result['rtol']:g}, warm-up {result['warmup_seconds']:.1f} s\n")
    print("| N | seconds | patients/s | steps per patient | failed |\n|---|---|---|---|---|")
    for r in result["runs"]:
        if "skipped" in r:
            print(f"| {r['n']:.0e} | skipped: {r['skipped']} | | | |")
        else:
            print(f"| {r['n']:.0e} | {r['seconds']:.1f} | {r['patients_per_second']:.4g} | "
                  f"{r['steps'] / r['patients']:.0f} | {r['failed']} |")
    if "runner" in result:
        print(f"\nsimulate_cohort (chunk_size 2**17, out_dir) on N={result['runner']['n']}: "
              f"{result['runner']['seconds']:.1f} s")


if __name__ == "__main__":
    main()
