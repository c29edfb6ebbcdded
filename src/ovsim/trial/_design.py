"""Trial design: probability of success over design settings (power curves, or assurance curves).

A design point sets one or more scenario settings (``--vary``); each point runs replicated trials
(:func:`run_replicates`) with its own seed ``derived_seed(seed, point, DESIGN_KEY)`` and the decision rule.
Settings (``name=values``; values as ``a:b:step`` (inclusive) or a comma list):

- ``patients``: total patients, split over the arms in the scenario's proportions (as ``--patients``);
- ``arms.<arm>.n``: patients in that arm;
- ``ratio``: randomisation ratio over the arms in order (``2:1,1:1``), keeping the scenario's total;
- ``follow_up_months`` (or ``survival.follow_up_months``): minimum survival follow-up (months);
- ``assessment.every_days``: days between tumour assessments.

Several ``--vary`` make a grid (every combination, the first varying slowest).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from .._errors import validated
from ._decision import Condition
from ._replicates import ReplicateResult, derived_seed, run_replicates
from ._scenario import TrialScenario

DESIGN_KEY = 1
"""Third entropy word of a design point's seed (``SeedSequence([seed, point, DESIGN_KEY])``)."""
MAX_POINTS = 200
"""Most design points in one run."""
SETTINGS = ("patients", "arms.<arm>.n", "ratio", "follow_up_months", "assessment.every_days")

COLUMN_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "power.csv": {
        "point": ("1", "design point number (0, 1, ...)"),
        "settings": ("", "the point's settings, 'name=value; ...' (as given to --vary)"),
        "<setting>": ("as the setting", "one column per varied setting: patients (total), arms.<arm>.n (patients), "
                      "ratio (text a:b), follow_up_months (month), assessment.every_days (day)"),
        "seed": ("", "the point's seed: SeedSequence([seed, point, 1]) -> [0, 2**63); replicate r uses "
                 "replicate_seed(point seed, r)"),
        "n_patients": ("1", "patients in the trial at this point (all arms)"),
        "n_replicates": ("1", "replicated trials run at the point"),
        "successes": ("1", "replicates meeting the decision rule"),
        "probability": ("", "probability of success: successes / n_replicates"),
        "ci_low": ("", "lower limit of the exact (Clopper-Pearson) 95% interval of the probability (Monte Carlo)"),
        "ci_high": ("", "upper limit of the exact (Clopper-Pearson) 95% interval of the probability (Monte Carlo)"),
    },
}


@dataclass(frozen=True)
class Vary:
    """One varied setting: its name as given and its values (numbers, or ratio texts)."""

    name: str
    values: tuple[Any, ...]


def _numbers(text: str, flag: str, name: str, whole: bool) -> tuple[float, ...]:
    def num(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise ValueError(f"{flag}: {name}: expected a number (got {s.strip()[:40]!r})") from None
        if not math.isfinite(v) or v <= 0 or (whole and v != int(v)):
            raise ValueError(f"{flag}: {name}: expected {'whole numbers' if whole else 'numbers'} > 0 "
                             f"(got {s.strip()[:40]!r})")
        return int(v) if whole else v

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"{flag}: {name}: expected FROM:TO:STEP or a comma list (got {text[:60]!r})")
        lo, hi, step = (num(p) for p in parts)
        if hi < lo:
            raise ValueError(f"{flag}: {name}: expected FROM <= TO in FROM:TO:STEP (got {text[:60]!r})")
        count = int(math.floor((hi - lo) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            raise ValueError(f"{flag}: {name}: expected at most {MAX_POINTS} values (got {count})")
        values = [lo + k * step for k in range(count)]
        return tuple(int(round(v)) if whole else round(v, 12) for v in values)
    items = text.split(",")
    if len(items) > MAX_POINTS:
        raise ValueError(f"{flag}: {name}: expected at most {MAX_POINTS} values (got {len(items)})")
    return tuple(num(p) for p in items)


def parse_vary(text: str, scenario: TrialScenario, flag: str = "--vary") -> Vary:
    """A ``--vary`` value (see the module docstring); ``ValueError`` in one line naming ``flag``."""
    name, sep, values = text.partition("=")
    name, values = name.strip(), values.strip()
    if not sep or not values:
        raise ValueError(f"{flag}: expected NAME=VALUES with NAME one of {', '.join(SETTINGS)} (got {text[:80]!r})")
    if name == "patients":
        return Vary(name, _numbers(values, flag, name, whole=True))
    m = re.fullmatch(r"arms\.(\w+)\.n", name)
    if m:
        if m.group(1) not in scenario.arms:
            raise ValueError(f"{flag}: {name}: no arm {m.group(1)!r} in scenario {scenario.name} "
                             f"(arms: {', '.join(scenario.arms)})")
        return Vary(name, _numbers(values, flag, name, whole=True))
    if name == "ratio":
        out = []
        for item in values.split(","):
            parts = item.strip().split(":")
            r = [int(p) for p in parts if p.strip().isdigit() and len(p.strip()) <= 6]
            if len(r) != len(parts) or len(r) != len(scenario.arms) or min(r) <= 0:
                raise ValueError(f"{flag}: ratio: expected {len(scenario.arms)} whole numbers > 0 joined by ':' per "
                                 f"ratio, one per arm ({', '.join(scenario.arms)}), e.g. 2:1,1:1 "
                                 f"(got {item.strip()[:40]!r})")
            out.append(item.strip())
        return Vary(name, tuple(out))
    if name in ("follow_up_months", "survival.follow_up_months"):
        return Vary("follow_up_months", _numbers(values, flag, name, whole=False))
    if name == "assessment.every_days":
        return Vary(name, _numbers(values, flag, name, whole=False))
    raise ValueError(f"{flag}: {name[:60]!r}: expected one of {', '.join(SETTINGS)}")


def apply_point(scenario: TrialScenario, settings: dict[str, Any], flag: str = "--vary") -> TrialScenario:
    """The scenario with a design point's settings; ``ValueError`` (one line) if the result is not valid."""
    data = scenario.model_dump(exclude_none=True)
    for name, value in settings.items():
        if name == "patients":
            try:
                sizes = scenario.arm_sizes(int(value))
            except ValueError as err:
                raise ValueError(f"{flag}: {err}") from None
            for arm, n in sizes.items():
                data["arms"][arm]["n"] = n
        elif name.startswith("arms."):
            data["arms"][name.split(".")[1]]["n"] = int(value)
        elif name == "ratio":  # the scenario's total split by the ratio (largest remainder, as --patients)
            weights = dict(zip(scenario.arms, map(int, value.split(":"))))
            split = scenario.model_copy(update={"arms": {a: spec.model_copy(update={"n": weights[a]})
                                                         for a, spec in scenario.arms.items()}})
            for arm, n in split.arm_sizes(scenario.n_patients).items():
                data["arms"][arm]["n"] = n
        elif name == "follow_up_months":
            data.setdefault("survival", {})["follow_up_months"] = float(value)
        elif name == "assessment.every_days":
            data.setdefault("assessment", {})["every_days"] = float(value)
    text = "; ".join(f"{k}={v}" for k, v in settings.items())
    return validated(TrialScenario, data, f"{flag} {text}")


def design_points(varies: list[Vary]) -> list[dict[str, Any]]:
    """Every combination of the varied settings (the first varying slowest)."""
    names = [v.name for v in varies]
    if len(set(names)) != len(names):
        raise ValueError(f"--vary: expected each setting once (got {', '.join(names)})")
    points = [dict(zip(names, combo)) for combo in itertools.product(*(v.values for v in varies))]
    if len(points) > MAX_POINTS:
        raise ValueError(f"--vary: expected at most {MAX_POINTS} design points (got {len(points)})")
    return points


def run_design(scenario: TrialScenario, varies: list[Vary], replicates: int, *, seed: int | None = None,
               rule: list[Condition] | None = None, assurance: bool = False, workers: int = 1,
               chunk_size: int = 128, progress: bool = False,
               on_point: Callable[[int, dict[str, Any], ReplicateResult], None] | None = None) -> pd.DataFrame:
    """``power.csv``: the probability of success at every design point (see ``COLUMN_DOCS``)."""
    rule = scenario.success if rule is None else rule
    if not rule:
        raise ValueError("--success: expected a decision rule (the scenario has no success: field)")
    base = scenario.seed if seed is None else int(seed)
    points = design_points(varies)
    scenarios = [apply_point(scenario, p) for p in points]  # every point checked before any work
    rows = []
    for k, (point, sc) in enumerate(zip(points, scenarios)):
        point_seed = derived_seed(base, k, DESIGN_KEY)
        if progress:
            print(f"design point {k + 1} of {len(points)}: {_settings_text(point)}", flush=True)
        res = run_replicates(sc, replicates, seed=point_seed, workers=workers, chunk_size=chunk_size,
                             assurance=assurance, progress=progress, rule=rule)
        s = res.success or {}
        rows.append({"point": k, "settings": _settings_text(point), **point, "seed": point_seed,
                     "n_patients": sc.n_patients, "n_replicates": s.get("n_replicates"),
                     "successes": s.get("successes"), "probability": s.get("probability"),
                     "ci_low": s.get("ci95", [None, None])[0], "ci_high": s.get("ci95", [None, None])[1]})
        if on_point is not None:
            on_point(k, point, res)
    return pd.DataFrame(rows)


def _settings_text(point: dict[str, Any]) -> str:
    return "; ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in point.items())
