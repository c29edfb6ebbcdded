"""Calibrate the adverse-event base rates to the label's incidences (writes ovsim/data/adverse_events.yaml).

    .venv/bin/python tools/calibrate_safety.py [--times 4] [--seed 101]
    .venv/bin/python tools/calibrate_safety.py --validate [--times 10] [--seed 202]

Calibration: the reference OPTiM scenario's T-VEC arm (calibrated population, OPTiM's rules) at
``times`` x its size, on a calibration seed; each event's per-visit base rate is the root of
"expected incidence = the label's incidence" over those patients' exposures (ovsim.safety.fit_rates).
Validation (``--validate``): a fresh seed at 10x OPTiM's size with the shipped rates, drawn as in any
trial; prints simulated vs label incidence with exact 95% intervals, and fails (exit 1) if any event
is more than 3 percentage points off.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import time
from importlib import resources
from pathlib import Path


def _tvec_arm(times: int, seed: int):
    from ovsim.trial import load_scenario, run_trial

    sc = load_scenario()
    raw = sc.model_dump()
    raw["arms"] = {"tvec": {**raw["arms"]["tvec"], "n": int(raw["arms"]["tvec"]["n"]) * times}}
    raw["adverse_events"] = False
    from ovsim.trial import TrialScenario

    return run_trial(TrialScenario.model_validate(raw), seed=seed, progress=True)


def calibrate(times: int, seed: int) -> dict:
    from ovsim.safety import fit_rates, load_safety_model, patient_exposure

    model = load_safety_model()
    t0 = time.perf_counter()
    trial = _tvec_arm(times, seed)
    p = trial.patients[trial.patients["ok"].astype(bool)]
    exposure = patient_exposure(model, p, trial.doses)
    rates = fit_rates(exposure, {k: e.label_incidence for k, e in model.events.items()})
    return {"rates": rates, "seed": seed, "patients": int(len(p)), "times_optim": times,
            "date": datetime.date.today().isoformat(), "seconds": round(time.perf_counter() - t0, 1)}


def write(block: dict) -> Path:
    path = Path(str(resources.files("ovsim.data").joinpath("adverse_events.yaml")))
    text = re.split(r"\ncalibrated:\n", path.read_text())[0].rstrip("\n")
    lines = ["", "calibrated:                      # written by tools/calibrate_safety.py; do not edit by hand",
             f"  seed: {block['seed']}", f"  patients: {block['patients']}",
             f"  times_optim: {block['times_optim']}", f"  date: '{block['date']}'", "  rates:"]
    lines += [f"    {k}: {v!r}" for k, v in block["rates"].items()]
    path.write_text(text + "\n" + "\n".join(lines) + "\n")
    return path


def validate(times: int, seed: int) -> int:
    import ovsim.safety as safety
    from ovsim.trial import load_scenario, run_trial, TrialScenario

    sc = load_scenario()
    raw = sc.model_dump()
    raw["arms"] = {k: {**v, "n": int(v["n"]) * times} for k, v in raw["arms"].items()}
    t0 = time.perf_counter()
    trial = run_trial(TrialScenario.model_validate(raw), seed=seed, progress=True)
    table = trial.endpoints["adverse_events"]["tvec"]
    worst = 0.0
    print(f"| event | label | simulated (n = {next(iter(table.values()))['n']}) | 95% CI | difference (pp) |")
    print("|---|---|---|---|---|")
    for name, row in table.items():
        diff = 100 * (row["value"] - row["label_incidence"])
        worst = max(worst, abs(diff))
        print(f"| {name} | {row['label_incidence']:.3f} | {row['value']:.3f} | "
              f"[{row['ci95'][0]:.3f}, {row['ci95'][1]:.3f}] | {diff:+.1f} |")
    print(f"\nseed {seed}, {times}x OPTiM, {time.perf_counter() - t0:.0f} s; largest difference {worst:.1f} pp",
          file=sys.stderr)
    _ = safety
    return 0 if worst <= 3.0 else 1


def main() -> None:
    import ovsim

    ovsim.configure_jax()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--times", type=int, default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--validate", action="store_true")
    a = ap.parse_args()
    if a.validate:
        sys.exit(validate(a.times or 10, 202 if a.seed is None else a.seed))
    block = calibrate(a.times or 4, 101 if a.seed is None else a.seed)
    print(block)
    print(f"wrote {write(block)}")


if __name__ == "__main__":
    main()
