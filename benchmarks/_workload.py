"""The issue-11 reference workload and what the peer benchmarks share: peers, reference solution, deviations.

Workload: 24 months (730 days), the Imlygic label regimen (``"tvec"``), OPTiM-like patients
(``generate_population(n, seed=2026, arm="tvec")``), output every 28 days, rtol 1e-6 and atol 1e-8 x each
state's reference magnitude (the default :class:`~ovsim.engine.SolverOptions`).

Reference: ``solve_ivp`` Radau at rtol 1e-10, atol 1e-10 (scaled) through the engine's own scipy backend
(same segments, doses and dosing policy), with the generated scalar right-hand side and its analytic
Jacobian compiled by numba instead of the numpy form and a finite-difference Jacobian: the same equations,
a few hundred times cheaper per step (Radau with finite differences took 376 s for one 20-lesion patient).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

SEED = 2026
HORIZON_DAYS = 730.0
EVERY_DAYS = 28.0
RTOL = 1e-6
ATOL = 1e-8
REF_RTOL = 1e-10
REF_ATOL = 1e-10
LOOP_PEERS = ("scipy", "roadrunner")
"""Peers that solve one patient at a time on one core."""


def population(n: int):
    """The first ``n`` OPTiM-like T-VEC-arm patients (patient i is the same whatever n: keys (i,))."""
    from ovsim.population import generate_population

    return generate_population(n, seed=SEED, arm="tvec")


def peer_names(registered: tuple[str, ...] | None = None) -> list[str]:
    """Every peer available here: scipy (LSODA), jax, roadrunner (if installed), and each registered
    ``numba``, ``numba-*`` or ``cuda*`` backend (picked up as soon as ovsim registers it)."""
    if registered is None:
        from ovsim.engine import backend_names

        registered = backend_names()
    names = [b for b in ("scipy", "jax") if b in registered]
    if has_roadrunner():
        names.append("roadrunner")
    names += sorted(b for b in registered if b == "numba" or b.startswith(("numba-", "cuda")))
    return names


def has_roadrunner() -> bool:
    try:
        import libsbml  # noqa: F401 (installed?)
        import roadrunner  # noqa: F401
    except ImportError:
        return False
    return True


def peak_rss_mib() -> float:
    """Peak resident memory of this process and its waited-for children (MiB)."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process and its waited-for children (s, every thread)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def cores_available() -> int:
    return len(os.sched_getaffinity(0))


def child(script: str, args: list[str], timeout: float | None = None) -> dict:
    """Run ``script`` in a fresh interpreter (its own peak memory); its last stdout line is JSON."""
    try:
        proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cohort_diameters(result, k: int) -> list[np.ndarray]:
    """Lesion diameters (cm) of the first ``k`` patients of an in-memory CohortResult, each (time, lesion)."""
    ds = result.trajectories
    d, has = ds["longest_diameter_cm"].values, ds["has_lesion"].values
    return [d[i][:, has[i]] for i in range(min(k, d.shape[0]))]


def max_deviation_cm(diameters: list, reference: list) -> float:
    """Largest |diameter - reference| over every lesion and output time of the patients both have (cm);
    inf if a value is missing or not finite (a failed patient)."""
    worst = 0.0
    for d, r in zip(diameters, reference):
        d, r = np.asarray(d, float), np.asarray(r, float)
        if d.shape != r.shape or not np.all(np.isfinite(d)):
            return float("inf")
        worst = max(worst, float(np.max(np.abs(d - r))) if d.size else 0.0)
    return worst


def _scalar_functions():
    """numba-compiled scalar RHS and analytic Jacobian of the label regimen's model (cached per process)."""
    global _SCALAR
    if _SCALAR is None:
        import numba

        from ovsim.engine import as_regimen
        from ovsim.model._codegen_scalar import generate_scalar_model

        s = generate_scalar_model(as_regimen("tvec").model())
        _SCALAR = (s, numba.njit(s.rhs), numba.njit(s.jac))
    return _SCALAR


_SCALAR = None


def _solve_ivp_compiled(fun, t_span, y0, method, rtol, atol):
    """``solve_ivp`` with the compiled scalar RHS (and, for implicit methods, the analytic Jacobian) in
    place of the numpy closure the scipy backend passes; its inputs are read from that closure."""
    from scipy.integrate import solve_ivp

    args = inspect.getclosurevars(fun).nonlocals.get("args")
    if args is None:
        raise RuntimeError("the scipy backend's solve_ivp call changed: no 'args' in its right-hand side closure")
    s, rhs, jac = _scalar_functions()
    p, q = s.pack_patient(args.patient), np.ascontiguousarray(s.pack_lesion(args.lesion))
    rate, n = np.asarray(args.rate, dtype=float), int(q.shape[0])

    def f(t, y):
        dy = np.empty_like(y)
        rhs(t, y, p, q, rate, n, dy)
        return dy

    def j(t, y):
        out = np.empty((y.size, y.size))
        jac(t, y, p, q, n, out)
        return out

    extra = {"jac": j} if method in ("Radau", "BDF", "LSODA") else {}
    return solve_ivp(f, t_span, y0, method=method, rtol=rtol, atol=atol, **extra)


@contextlib.contextmanager
def compiled_scipy():
    """Within: the engine's scipy backends integrate the compiled scalar form (see :func:`_solve_ivp_compiled`)."""
    from ovsim.engine import _scipy_backend

    saved = _scipy_backend.solve_ivp
    _scipy_backend.solve_ivp = _solve_ivp_compiled
    try:
        yield
    finally:
        _scipy_backend.solve_ivp = saved


def model_fingerprint() -> str:
    """sha256 (12 hex) of the generated scalar source and the label schedule: a cached reference is reused
    only for the same equations and dosing."""
    from ovsim.engine import as_regimen
    from ovsim.model._codegen_scalar import scalar_source

    regimen = as_regimen("tvec")
    text = scalar_source(regimen.model()) + repr(regimen)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def reference(k: int, cache: bool = True) -> dict:
    """Radau rtol 1e-10 / atol 1e-10 diameters of the first ``k`` patients: {"diameters": [(time, lesion)],
    "times": (time,), "doses": DataFrame, "seconds": wall}; cached under ``$XDG_CACHE_HOME/ovsim-bench``."""
    import time

    import pandas as pd

    from ovsim.engine import ScipyBackend, SolverOptions, simulate_cohort

    stem = f"ref-{model_fingerprint()}-s{SEED}-h{HORIZON_DAYS:g}-e{EVERY_DAYS:g}-{REF_RTOL:g}-{REF_ATOL:g}"
    folder = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ovsim-bench"
    path = folder / f"{stem}-n{k}.json"
    cached = sorted((int(p.stem.rsplit("-n", 1)[1]), p) for p in folder.glob(f"{stem}-n*.json")) if cache else []
    for n, p in cached:
        if n >= k:  # a larger reference holds these patients too (patient i does not depend on n)
            raw = json.loads(p.read_text())
            doses = pd.DataFrame(raw["doses"])
            ids = set(population(k).patient(i).patient_id for i in range(k))
            return {"diameters": [np.asarray(d) for d in raw["diameters"][:k]], "times": np.asarray(raw["times"]),
                    "doses": doses[doses["ID"].isin(ids)].reset_index(drop=True),
                    "seconds": raw["seconds"] * k / n, "cached": True}
    t0 = time.perf_counter()
    with compiled_scipy():
        res = simulate_cohort(population(k), horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS,
                              chunk_size=max(k, 1), backend=ScipyBackend("Radau"),
                              solver=SolverOptions(rtol=REF_RTOL, atol=REF_ATOL, max_steps=10**6))
    seconds = time.perf_counter() - t0
    if res.n_failed:
        raise RuntimeError(f"reference solve failed for {res.n_failed} of {k} patients")
    out = {"diameters": cohort_diameters(res, k), "times": res.trajectories["time_day"].values,
           "doses": res.doses, "seconds": seconds, "cached": False}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"diameters": [d.tolist() for d in out["diameters"]], "times": out["times"].tolist(),
                               "doses": out["doses"].to_dict(orient="list"), "seconds": seconds}))
    tmp.replace(path)
    return out
