"""Work-precision diagram (issue 11): time per patient against the largest lesion-diameter error, per method.

Workload as ``bench_peers.py`` (24 months, Imlygic label, OPTiM-like patients seed 2026, output every 28
days) on the first ``--n`` patients (default 16). For each method and each rtol (atol = rtol / 100, scaled by
each state's reference magnitude): the wall time per patient of a warm call, and the largest |diameter -
reference| (cm) over every lesion and output time, the reference being scipy Radau at rtol 1e-10, atol
1e-10 (``_workload.reference``, cached). Methods:

- ``jax-tsit5``: the diffrax/vmap engine (``backend="jax"``), timed on a second call (the first compiles);
- ``scipy-lsoda``: the engine's scipy loop (numpy right-hand side), as ``backend="scipy"`` runs it;
- ``scipy-radau``: the same loop with Radau, on the numba-compiled scalar right-hand side and its analytic
  Jacobian (with the numpy form and finite differences it is ~5x slower per patient; see ``_workload``);
- ``roadrunner-cvode``: libRoadRunner CVODE (Adams) on the exported SBML replaying the reference's doses;
  each document is loaded once (load time reported apart) and simulated at every rtol, on the first
  ``--rr-n`` patients only (default 4: one export + load takes 20 s to minutes);
- every registered ``numba``, ``numba-*`` and ``cuda*`` backend (second call timed).

A method stops at the first rtol whose run takes longer than ``--max-seconds`` (default 120 s), which keeps
the default run near 10 minutes on a 2-core machine once the reference is cached (computing the reference
for 16 patients took 34 minutes there under load; it is cached in ``~/.cache/ovsim-bench`` and reused).

    python benchmarks/work_precision.py                          # 16 patients, rtol 1e-4 .. 1e-8
    python benchmarks/work_precision.py --n 4 --rtols 1e-4 1e-6  # quick look

Writes ``docs/img/work_precision.png`` (log-log, one line per method, the 1e-3 cm goal as a horizontal
line), ``benchmarks/results/work_precision-<host>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _workload as w  # noqa: E402

GOAL_CM = 1e-3
ROOT = Path(__file__).resolve().parent.parent

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "work_precision-<host>.json (points)": {
        "method": ("", "jax-tsit5, scipy-lsoda, scipy-radau, roadrunner-cvode, or a registered numba*/cuda* backend"),
        "rtol": ("", "relative tolerance; atol = rtol / 100 x each state's reference magnitude"),
        "ms_per_patient": ("ms", "wall time of the timed call / patients"),
        "max_diameter_error_cm": ("cm", "largest |diameter - Radau rtol 1e-10 reference|, every lesion and time"),
        "failed": ("1", "patients whose solve failed (their error counts as inf)"),
    },
}


def _cohort_point(backend, rtol: float, n: int, warm: bool) -> tuple[float, list, int]:
    from ovsim.engine import SolverOptions, simulate_cohort

    kw = dict(horizon_days=w.HORIZON_DAYS, output_every_days=w.EVERY_DAYS, chunk_size=max(n, 2),
              solver=SolverOptions(rtol=rtol, atol=rtol / 100), backend=backend)
    pop = w.population(n)
    if warm:
        simulate_cohort(pop, **kw)  # the first call compiles
    t0 = time.perf_counter()
    res = simulate_cohort(pop, **kw)
    return time.perf_counter() - t0, w.cohort_diameters(res, n), res.n_failed


class _RoadRunnerMethod:
    """Each patient's document loaded once; every rtol simulated on the same RoadRunner objects."""

    def __init__(self, n: int, ref: dict):
        import _roadrunner as R

        from ovsim.engine import as_regimen
        from ovsim.io import patient_sbml

        regimen, pop = as_regimen("tvec"), w.population(n)
        doses = {pid: d.reset_index(drop=True) for pid, d in ref["doses"].groupby("ID", sort=False)}
        self.times, self.runs = [float(t) for t in ref["times"]], []
        t0 = time.perf_counter()
        for i in range(n):
            p = pop.patient(i)
            text = patient_sbml(p, regimen, doses.get(p.patient_id, ref["doses"].iloc[0:0]), w.HORIZON_DAYS)
            rr = R.roadrunner_for(text, p, regimen.model(), 1e-6, 1e-8)
            self.runs.append((rr, p, R.diameter_ids(p), regimen.model()))
        self.load_seconds = time.perf_counter() - t0

    def point(self, rtol: float) -> tuple[float, list, int]:
        import _roadrunner as R
        import numpy as np

        out, failed = [], 0
        t0 = time.perf_counter()
        for rr, p, ids, model in self.runs:
            rr.resetAll()
            R.set_tolerances(rr, p, model, rtol, rtol / 100)
            try:
                out.append(np.asarray(rr.simulate(times=self.times, selections=ids)))
            except RuntimeError:
                out.append(np.full((len(self.times), len(ids)), np.nan))
                failed += 1
        return time.perf_counter() - t0, out, failed


def methods(registered: tuple[str, ...] | None = None) -> list[str]:
    """The methods available here (roadrunner if installed, registered numba*/cuda* backends)."""
    peers = w.peer_names(registered)
    out = ["jax-tsit5", "scipy-lsoda", "scipy-radau"]
    out += ["roadrunner-cvode"] if "roadrunner" in peers else []
    return out + [p for p in peers if p.startswith(("numba", "cuda"))]


def measure(a) -> dict:
    from ovsim.engine import ScipyBackend

    ref = w.reference(a.n, cache=not a.no_cache)
    points, notes = [], {}
    for m in a.methods or methods():
        rr = None
        if m == "roadrunner-cvode":
            rr = _RoadRunnerMethod(min(a.n, a.rr_n), ref)
            notes[m] = (f"first {len(rr.runs)} patients; SBML export + load: {1e3 * rr.load_seconds / len(rr.runs):.0f} "
                        "ms per patient (once, not in the times)")
        for i, rtol in enumerate(a.rtols):
            if m == "jax-tsit5":
                wall, diam, failed = _cohort_point("jax", rtol, a.n, warm=True)
            elif m == "scipy-lsoda":
                wall, diam, failed = _cohort_point(ScipyBackend("LSODA"), rtol, a.n, warm=False)
            elif m == "scipy-radau":
                with w.compiled_scipy():
                    if i == 0:
                        _cohort_point(ScipyBackend("Radau"), rtol, 1, warm=False)  # numba compiles
                    wall, diam, failed = _cohort_point(ScipyBackend("Radau"), rtol, a.n, warm=False)
            elif rr is not None:
                wall, diam, failed = rr.point(rtol)
            else:
                wall, diam, failed = _cohort_point(m, rtol, a.n, warm=True)
            err = w.max_deviation_cm(diam, ref["diameters"])  # on the patients it ran
            points.append({"method": m, "rtol": rtol, "ms_per_patient": 1e3 * wall / len(diam),
                           "max_diameter_error_cm": err, "failed": failed})
            print(f"{m} rtol {rtol:g}: {1e3 * wall / len(diam):.0f} ms/patient, error {err:.1e} cm", file=sys.stderr)
            if wall > a.max_seconds:
                notes[m] = notes.get(m, "") + f" stopped after rtol {rtol:g} ({wall:.0f} s > --max-seconds)"
                break
    return {"date": date.today().isoformat(), "n": a.n, "rtols": a.rtols,
            "workload": {"seed": w.SEED, "horizon_days": w.HORIZON_DAYS, "output_every_days": w.EVERY_DAYS,
                         "regimen": "tvec (Imlygic label)", "atol": "rtol / 100, scaled",
                         "reference": f"scipy Radau rtol {w.REF_RTOL:g} atol {w.REF_ATOL:g} (scaled)"},
            "machine": {"cores": w.cores_available(), "platform": platform.platform(), "node": platform.node()},
            "points": points, "notes": notes}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.8))
    floor = 1e-13  # an exact match would not show on a log axis
    for m in dict.fromkeys(p["method"] for p in result["points"]):
        pts = [p for p in result["points"] if p["method"] == m]
        xs = [p["ms_per_patient"] for p in pts]
        ys = [max(p["max_diameter_error_cm"], floor) if p["max_diameter_error_cm"] != float("inf") else float("nan")
              for p in pts]
        (line,) = ax.plot(xs, ys, "o-", label=m)
        for x, y, p in zip(xs, ys, pts):
            ax.annotate(f"{p['rtol']:.0e}", (x, y), fontsize=7, color=line.get_color(),
                        xytext=(3, 3), textcoords="offset points")
    ax.axhline(GOAL_CM, color="k", ls="--", lw=1, label="goal: 1e-3 cm")
    ax.set(xscale="log", yscale="log", xlabel="wall time per patient (ms, one warm call)",
           ylabel="max lesion-diameter error (cm)",
           title=f"Work-precision, {result['n']} OPTiM-like patients, 24 months (labels: rtol)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def table(result: dict) -> str:
    lines = ["| method | rtol | ms/patient | max diameter error (cm) | failed |", "|---|---|---|---|---|"]
    for p in result["points"]:
        lines.append(f"| {p['method']} | {p['rtol']:.0e} | {p['ms_per_patient']:.0f} "
                     f"| {p['max_diameter_error_cm']:.1e} | {p['failed']} |")
    lines += [f"\n- {m}: {note.strip()}" for m, note in result["notes"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=16, help="patients (the first n of the OPTiM-like population)")
    ap.add_argument("--rtols", type=float, nargs="+", default=[1e-4, 1e-5, 1e-6, 1e-7, 1e-8])
    ap.add_argument("--rr-n", type=int, default=4,
                    help="roadrunner: only the first patients (loading a document takes 20 s or more)")
    ap.add_argument("--methods", nargs="+", help="default: every available method")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="stop a method after a run longer than this (s)")
    ap.add_argument("--no-cache", action="store_true", help="recompute the reference")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "work_precision.png")
    ap.add_argument("--out", type=Path, help="JSON (default benchmarks/results/work_precision-<host>.json)")
    a = ap.parse_args(argv)
    import ovsim

    ovsim.configure_jax()
    result = measure(a)
    out = a.out or Path(__file__).parent / "results" / f"work_precision-{platform.node() or 'host'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, a.png)
    print(table(result))
    print(f"\nwritten {out} and {a.png}", file=sys.stderr)


if __name__ == "__main__":
    main()
