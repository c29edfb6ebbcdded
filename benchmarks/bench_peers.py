"""Peer benchmark (issue 11): every available engine on the reference workload, measured in the same run.

Workload (``benchmarks/_workload.py``): 24 months, the Imlygic label, OPTiM-like T-VEC-arm patients (seed
2026), output every 28 days, rtol 1e-6, atol 1e-8 x each state's reference magnitude. Peers: the scipy
LSODA loop (``backend="scipy"``), the diffrax/vmap engine (``"jax"``), libRoadRunner CVODE on the exported
SBML (doses replayed as events; SBML export + load timed apart from simulate), and every registered
``numba``, ``numba-*`` and ``cuda*`` backend, picked up from ``ovsim.engine.backend_names()``.

For each peer: a probe on the first ``--ref-n`` patients (default 8), whose lesion diameters are compared
with a tight reference (scipy Radau, rtol 1e-10, atol 1e-10; cached), then each ``--n`` in a fresh
process (its own peak RSS) unless the probe's rate predicts more than ``--max-seconds`` for it. Each run
has a first call (on ``--warm-n`` patients: compilation) and a second, timed call on all N; from
``--stream-from`` patients on, trajectories stream to a temporary ``out_dir`` (memory flat in N).

    python benchmarks/bench_peers.py                                  # N = 1e3, 1e4, 1e5 within 120 s each
    python benchmarks/bench_peers.py --n 100 --max-seconds 60          # quick look (a few minutes)
    python benchmarks/bench_peers.py --backends jax numba --n 1000 10000 100000 --max-seconds 1800

The first run also computes the reference (about 1-2 minutes per patient on a 2-core machine; cached in
``~/.cache/ovsim-bench``). Writes ``benchmarks/results/peers-<host>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _workload as w  # noqa: E402

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "peers-<host>.json (rows)": {
        "backend": ("", "peer: scipy (LSODA loop), jax (diffrax/vmap), roadrunner (CVODE on SBML), numba*, cuda*"),
        "n": ("1", "patients in the timed call"),
        "wall_seconds": ("s", "wall time of the timed (second) call"),
        "ms_per_patient": ("ms", "wall_seconds / n x 1000"),
        "cores_used": ("1", "cores the peer may use: 1 for the one-patient-at-a-time loops, else --cores"),
        "ms_per_patient_per_core": ("ms", "ms_per_patient x cores_used"),
        "cpu_ms_per_patient": ("ms", "CPU time (user + system, every thread and worker) of the timed call / n"),
        "first_call_seconds": ("s", "wall time of the first call, on warm_n patients (includes compilation)"),
        "warm_n": ("1", "patients in the first call"),
        "compile_seconds": ("s", "first_call_seconds - warm_n x the timed call's seconds per patient"),
        "load_ms_per_patient": ("ms", "roadrunner only: SBML export + load (LLVM compile) per patient"),
        "simulate_ms_per_patient": ("ms", "roadrunner only: simulate per patient"),
        "peak_rss_mib": ("MiB", "peak resident memory of the fresh process running this N (and its workers)"),
        "failed": ("1", "patients whose solve failed"),
        "max_diameter_deviation_cm": ("cm", "largest |diameter - reference| over the first ref_n patients, "
                                            "every lesion and output time (the peer's probe run)"),
    },
}


def _cohort_child(name: str, n: int, a) -> dict:
    from ovsim.engine import SolverOptions, simulate_cohort

    pop = w.population(n)
    loop = name in w.LOOP_PEERS
    kw = dict(horizon_days=w.HORIZON_DAYS, output_every_days=w.EVERY_DAYS, chunk_size=a.chunk,
              solver=SolverOptions(rtol=a.rtol, atol=a.atol), backend=name, workers=1 if loop else a.workers)
    warm_n = min(n, 1 if loop else a.warm_n)
    t0 = time.perf_counter()
    simulate_cohort(pop.rows(0, warm_n), **kw)
    first = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        stream = n >= a.stream_from
        c0, t0 = w.cpu_seconds(), time.perf_counter()
        res = simulate_cohort(pop, **kw, out_dir=tmp if stream else None)
        wall, cpu = time.perf_counter() - t0, w.cpu_seconds() - c0
    return {"first_call_seconds": first, "warm_n": warm_n, "wall_seconds": wall, "cpu_seconds": cpu,
            "failed": res.n_failed, "streamed": stream, "device": str(res.provenance.get("device", "")),
            "diameters": None if stream else [d.tolist() for d in w.cohort_diameters(res, a.ref_n)]}


def _roadrunner_child(n: int, a) -> dict:
    import _roadrunner as R

    from ovsim.engine import SolverOptions, as_regimen, simulate_cohort

    pop = w.population(n)
    regimen = as_regimen("tvec")
    if n <= a.ref_n:  # the reference's doses: the deviation is then the integration's alone
        doses = w.reference(a.ref_n)["doses"]
    else:  # doses recorded by the jax engine (not timed): RoadRunner replays, it does not decide them
        doses = simulate_cohort(pop, horizon_days=w.HORIZON_DAYS, output_every_days=w.EVERY_DAYS,
                                solver=SolverOptions(rtol=a.rtol, atol=a.atol)).doses
    times = w.reference(a.ref_n)["times"]
    c0 = w.cpu_seconds()
    r = R.replay_cohort(pop, n, regimen, doses, times, w.HORIZON_DAYS, a.rtol, a.atol, a.rr_stiff)
    cpu = w.cpu_seconds() - c0
    return {"first_call_seconds": r["first_patient_seconds"], "warm_n": 1,
            "wall_seconds": r["load_seconds"] + r["simulate_seconds"], "cpu_seconds": cpu,
            "load_ms_per_patient": 1e3 * r["load_seconds"] / n, "simulate_ms_per_patient": 1e3 * r["simulate_seconds"] / n,
            "failed": len(r["failed"]), "failures": r["failed"][:5], "streamed": False,
            "device": "cpu (libRoadRunner CVODE, " + ("BDF" if a.rr_stiff else "Adams") + ")",
            "diameters": [d.tolist() for d in r["diameters"][: a.ref_n]]}


def run_child(name: str, n: int, a) -> dict:
    """One peer, one N, in this (fresh) process."""
    import ovsim

    ovsim.configure_jax()
    out = _roadrunner_child(n, a) if name == "roadrunner" else _cohort_child(name, n, a)
    out.update(backend=name, n=n, peak_rss_mib=w.peak_rss_mib())
    return out


def _finish(r: dict, cores: int) -> dict:
    n = r["n"]
    r["cores_used"] = 1 if r["backend"] in w.LOOP_PEERS else cores
    r["ms_per_patient"] = 1e3 * r["wall_seconds"] / n
    r["ms_per_patient_per_core"] = r["ms_per_patient"] * r["cores_used"]
    r["cpu_ms_per_patient"] = 1e3 * r["cpu_seconds"] / n
    r["compile_seconds"] = max(0.0, r["first_call_seconds"] - r["warm_n"] * r["wall_seconds"] / n)
    return r


def _pass_on(a) -> list[str]:
    return ["--rtol", str(a.rtol), "--atol", str(a.atol), "--chunk", str(a.chunk), "--workers", str(a.workers),
            "--warm-n", str(a.warm_n), "--stream-from", str(a.stream_from), "--ref-n", str(a.ref_n),
            *(["--rr-stiff"] if a.rr_stiff else [])]


def measure(a) -> dict:
    ref = w.reference(a.ref_n, cache=not a.no_cache)
    how = "cached" if ref["cached"] else f"{ref['seconds']:.0f} s"
    print(f"reference: {a.ref_n} patients, Radau rtol {w.REF_RTOL:g} ({how})", file=sys.stderr)
    names = a.backends or w.peer_names()
    rows, skipped = [], []
    for name in names:
        probe = w.child(__file__, ["--child", name, "--one", str(a.ref_n), *_pass_on(a)], timeout=a.probe_timeout)
        if "error" in probe:
            skipped.append({"backend": name, "n": a.ref_n, "why": probe["error"]})
            print(f"{name}: failed: {probe['error']}", file=sys.stderr)
            continue
        dev = w.max_deviation_cm(probe.pop("diameters"), ref["diameters"])
        probe = _finish(probe, a.cores)
        probe["max_diameter_deviation_cm"] = dev
        rows.append(probe)
        rate = probe["wall_seconds"] / probe["n"]
        print(f"{name}: {probe['ms_per_patient']:.0f} ms/patient, deviation {dev:.1e} cm", file=sys.stderr)
        for n in a.n:
            predicted = n * rate
            if predicted > a.max_seconds:
                skipped.append({"backend": name, "n": n, "why": f"predicted {predicted:.0f} s > --max-seconds"})
                continue
            r = w.child(__file__, ["--child", name, "--one", str(n), *_pass_on(a)], timeout=3 * a.max_seconds + 600)
            if "error" in r:
                skipped.append({"backend": name, "n": n, "why": r["error"]})
                continue
            r.pop("diameters", None)
            r = _finish(r, a.cores)
            r["max_diameter_deviation_cm"] = dev
            rows.append(r)
            rate = r["wall_seconds"] / n
            print(f"{name} N={n}: {r['ms_per_patient']:.1f} ms/patient, {r['peak_rss_mib']:.0f} MiB", file=sys.stderr)
    return {
        "date": date.today().isoformat(),
        "workload": {"seed": w.SEED, "horizon_days": w.HORIZON_DAYS, "output_every_days": w.EVERY_DAYS,
                     "regimen": "tvec (Imlygic label)", "rtol": a.rtol, "atol_scaled": a.atol,
                     "reference": f"scipy Radau rtol {w.REF_RTOL:g} atol {w.REF_ATOL:g} (scaled), compiled RHS "
                                  f"and analytic Jacobian, first {a.ref_n} patients"},
        "machine": {"cores": a.cores, "platform": platform.platform(), "node": platform.node(),
                    "python": platform.python_version()},
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()
                    if k not in ("child", "one")},
        "rows": rows,
        "skipped": skipped,
    }


def table(result: dict) -> str:
    rows = result["rows"]
    base = {r["n"]: r["ms_per_patient_per_core"] for r in rows if r["backend"] == "scipy"}
    scipy_probe = next((r["ms_per_patient_per_core"] for r in rows if r["backend"] == "scipy"), None)
    lines = ["| backend | N | ms/patient (wall) | cores | ms/patient/core | CPU ms/patient | vs scipy per core "
             "| first call s (patients) | compile s | peak RSS MiB | max diameter deviation (cm) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        peer = base.get(r["n"], scipy_probe)
        ratio = f"{peer / r['ms_per_patient_per_core']:.1f}x" if peer else "-"
        ratio += "" if r["n"] in base or not peer else "*"
        ms = f"{r['ms_per_patient']:.1f}"
        if "load_ms_per_patient" in r:
            ms += f" (load {r['load_ms_per_patient']:.0f} + simulate {r['simulate_ms_per_patient']:.0f})"
        lines.append(f"| {r['backend']} | {r['n']} | {ms} | {r['cores_used']} | {r['ms_per_patient_per_core']:.1f} "
                     f"| {r['cpu_ms_per_patient']:.1f} | {ratio} | {r['first_call_seconds']:.1f} ({r['warm_n']}) "
                     f"| {r['compile_seconds']:.1f} | {r['peak_rss_mib']:.0f} | {r['max_diameter_deviation_cm']:.1e} |")
    if any(r["n"] not in base for r in rows) and scipy_probe:
        lines.append("\n\\* against the scipy loop's rate on the probe's patients (it did not run this N)")
    for s in result["skipped"]:
        lines.append(f"\n- {s['backend']} N={s['n']}: not run ({s['why']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000, 100000], help="cohort sizes (patients)")
    ap.add_argument("--ref-n", type=int, default=8, help="patients compared with the Radau reference")
    ap.add_argument("--max-seconds", type=float, default=120.0,
                    help="skip an N whose predicted timed call exceeds this (s)")
    ap.add_argument("--probe-timeout", type=float, default=1800.0, help="give up a peer whose probe takes longer (s)")
    ap.add_argument("--backends", nargs="+", help="peers to run (default: every available one)")
    ap.add_argument("--rtol", type=float, default=w.RTOL)
    ap.add_argument("--atol", type=float, default=w.ATOL, help="absolute tolerance x each state's scale")
    ap.add_argument("--chunk", type=int, default=128, help="patients per batch (cohort engines)")
    ap.add_argument("--workers", type=int, default=1, help="worker processes (cohort engines)")
    ap.add_argument("--warm-n", type=int, default=512, help="patients in the first (compiling) call")
    ap.add_argument("--stream-from", type=int, default=10000, help="stream trajectories to disk from this N on")
    ap.add_argument("--cores", type=int, default=w.cores_available(), help="cores a cohort engine may use")
    ap.add_argument("--rr-stiff", action="store_true", help="roadrunner: CVODE BDF instead of Adams")
    ap.add_argument("--no-cache", action="store_true", help="recompute the reference")
    ap.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/peers-<host>.json)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(run_child(a.child, a.one, a)))
        return
    result = measure(a)
    out = a.out or Path(__file__).parent / "results" / f"peers-{platform.node() or 'host'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"\nwritten {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
