"""The trial runs behind the predictions: trials at OPTiM's size, each with its own seed and ensemble member.

Run ``k`` (0-based) uses seed ``prediction_seeds(n)[k]`` (4001, 4002, ... skipping ``RESERVED_SEEDS``) and,
when the shipped calibration has an ensemble of M members (pool columns ``weight_0 .. weight_{M-1}``),
member ``k mod M`` (scenario option ``calibration_member``); without an ensemble every run uses the
posterior-mean weights, and the interval holds trial sampling only. The seeds are never the calibration's
(1), its validation's (2001-2010, 3001) nor the reference trial's (the scenario seed, 2015 for OPTiM), so
no prediction is computed on a population the calibration or its validation has seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import validated
from ._run import run_trial
from ._scenario import TrialScenario, load_scenario

PREDICTION_SEED_BASE = 4001
RESERVED_SEEDS = frozenset({1, *range(2001, 2011), 3001})
"""The calibration seed (``calibration_optim.yaml``) and the validation seeds (``ovsim.calibrate``)."""
MAX_RUNS = 1000


def prediction_seeds(runs: int, first: int = PREDICTION_SEED_BASE, reserved: Sequence[int] = ()) -> list[int]:
    """``runs`` consecutive seeds from ``first``, skipping ``RESERVED_SEEDS`` and ``reserved``."""
    skip = RESERVED_SEEDS | set(reserved)
    out, seed = [], int(first)
    while len(out) < runs:
        if seed not in skip:
            out.append(seed)
        seed += 1
    return out


def ensemble_members(runs: int, scenario: TrialScenario | None = None) -> list[int | None]:
    """Member ``k mod M`` for run ``k`` when the scenario draws from the shipped pool and it ships M > 0 members;
    else None for every run (the posterior-mean weights)."""
    sc = scenario or load_scenario()
    if sc.population != "optim_calibrated":
        return [None] * runs
    from ..population import load_calibrated_pool

    m = load_calibrated_pool().n_members
    return [k % m if m else None for k in range(runs)]


def prediction_runs(runs: int = 20, *, scenario: TrialScenario | None = None, patients: int | None = None,
                    seeds: Sequence[int] | None = None, members: Sequence[int | None] | None = None,
                    workers: int = 1, run: Callable[..., Any] | None = None,
                    log: Callable[[str], Any] | None = None) -> list[dict[str, Any]]:
    """``runs`` trials of ``scenario`` (default OPTiM) at its size (or ``patients``): one record per run,
    ``{"seed", "member", "wall_seconds", "endpoints"}`` (``endpoints``: the run's endpoints.json document).

    ``seeds`` / ``members``: one per run (default :func:`prediction_seeds`, :func:`ensemble_members`); a seed
    among ``RESERVED_SEEDS`` or the scenario's own seed is refused (``ValueError``, one line). ``run``: the
    trial runner (default :func:`ovsim.trial.run_trial`; tests pass a stand-in). ``log``: called with one line
    per finished run."""
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise ValueError(f"runs: expected a whole number from 1 to {MAX_RUNS} (got {runs!r})")
    sc = scenario or load_scenario()
    seeds = list(prediction_seeds(runs, reserved=(sc.seed,)) if seeds is None else seeds)
    members = list(ensemble_members(runs, sc) if members is None else members)
    if len(seeds) != runs or len(members) != runs:
        raise ValueError(f"seeds, members: expected {runs} of each (got {len(seeds)} and {len(members)})")
    bad = [s for s in seeds if s in RESERVED_SEEDS or s == sc.seed]
    if bad:
        raise ValueError(f"seeds: expected none of the calibration, validation or reference seeds "
                         f"(1, 2001-2010, 3001, {sc.seed}; got {bad[0]})")
    run = run_trial if run is None else run
    out = []
    for k, (seed, member) in enumerate(zip(seeds, members)):
        started = time.perf_counter()
        scenario_k = sc if member is None else validated(TrialScenario, {**sc.model_dump(), "calibration_member": member},
                                                         f"scenario {sc.name}")
        result = run(scenario_k, seed=int(seed), patients=patients, workers=workers)
        record = {"seed": int(seed), "member": member, "wall_seconds": time.perf_counter() - started,
                  "endpoints": getattr(result, "endpoints", result)}
        out.append(record)
        if log is not None:
            log(f"run {k + 1}/{runs}: seed {seed}, member {'posterior mean' if member is None else member}, "
                f"{record['wall_seconds']:.0f} s")
    return out
