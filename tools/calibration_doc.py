"""Fill docs/calibration.md from the shipped calibration (run after `ovsim calibrate --ship --validate`).

    python tools/calibration_doc.py [--profiles]   # template + src/ovsim/data/calibrated/* -> docs/calibration.md

The posterior is recomputed from the shipped pool outcomes (``outcomes.parquet``; deterministic for the
calibration's seed) for the Sobol indices and the stage-invariance check.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ovsim.calibrate import biology_matrix, calibrate_bayesian, load_calibration_spec

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "ovsim" / "data" / "calibrated"


def _f(x, fmt=".3g") -> str:
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else format(x, fmt)


def calibration_table(rows: list[dict]) -> str:
    out = ["| target | published | published 95% interval | calibrated: ensemble mean [2.5%, 97.5%] | "
           "a trial of OPTiM's size would publish (95%) | inside | log-likelihood |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("kind") is None or (isinstance(r.get("kind"), float)):
            out.append(f"| {r['target']} | {_f(r['published'])} | (fitted, docs/trial.md) | {_f(r['calibrated'], '.4g')} "
                       "| — | — | — |")
            continue
        out.append(f"| {r['target']} | {_f(r['published'])} | {_f(r['interval_low'])} to {_f(r['interval_high'])} | "
                   f"{_f(r['predicted_mean'])} [{_f(r['predicted_q025'])}, {_f(r['predicted_q975'])}] | "
                   f"{_f(r['predictive_q025'])} to {_f(r['predictive_q975'])} | {'yes' if r['within_interval'] else '**no**'} | "
                   f"{_f(r['log_likelihood'], '.1f')} |")
    return "\n".join(out)


def profile_table(profiles: dict) -> str:
    rows = ["| hyperparameter | 95% profile interval (decades) | bounded by the targets below / above | "
            "ends at the pool's ESS floor below / above |", "|---|---|---|---|"]
    for name, t in profiles.items():
        a = t.attrs
        lo, hi = a.get("interval", (float("nan"), float("nan")))
        rows.append(f"| `{name}` | {lo:+.2f} to {hi:+.2f} | {'yes' if a.get('bounded_low') else 'no'} / "
                    f"{'yes' if a.get('bounded_high') else 'no'} | {'yes' if a.get('infeasible_low') else 'no'} / "
                    f"{'yes' if a.get('infeasible_high') else 'no'} |")
    return "\n".join(rows)


def main() -> None:
    import sys

    with_profiles = "--profiles" in sys.argv
    doc = json.loads((SHIPPED / "calibration.json").read_text())
    spec = load_calibration_spec()
    prov = doc["provenance"]
    patients = pd.read_parquet(SHIPPED / "patients.parquet")
    outcomes = pd.read_parquet(SHIPPED / "outcomes.parquet")
    X, names = biology_matrix(patients, spec.plausible.log_uniform_fold)
    bayes = calibrate_bayesian(outcomes, X, names, spec)
    inv = bayes.stage_invariance()
    sens = bayes.sensitivity(n=256)
    total = sens.pivot_table(index="output", columns="input", values="total")
    total.columns = [c.replace("mu:", "") for c in total.columns]
    sens_rows = ["| target | " + " | ".join(f"`{c}`" for c in total.columns) + " |", "|---|" + "---|" * len(total.columns)]
    sens_rows += [f"| {i} | " + " | ".join(f"{v:.2f}" for v in row) + " |" for i, row in total.iterrows()]
    hyp = pd.DataFrame(doc["hyperparameters"])
    hyp_rows = ["| hyperparameter (decades of value / default) | posterior mean | SD | 2.5% | median | 97.5% |",
                "|---|---|---|---|---|---|"]
    hyp_rows += [f"| `{r.hyperparameter}` | {r.mean:+.3f} | {r.sd:.3f} | {r.q025:+.3f} | {r.median:+.3f} | {r.q975:+.3f} |"
                 for r in hyp.itertuples()]
    ident = pd.DataFrame(doc["identifiability"])
    id_rows = ["| parameter | range (fold) | weighted median / default | shift (decades) | narrowing | KS |",
               "|---|---|---|---|---|---|"]
    id_rows += [f"| `{r.parameter}` | {r.fold_range:g} | {r.weighted_median_x_default:.2f} | {r.shift_decades:+.3f} | "
                f"{r.narrowing:.3f} | {r.ks:.3f} |" for r in ident.itertuples()]
    sm = doc["survival_model"]
    survival_line = (f"tumour hazard {sm['tumour_hazard_per_month']:.4g}/month, burden exponent {sm['beta_burden']:.3g}, "
                     f"growth effect {sm['beta_growth_day']:.3g} day; achieved " + ", ".join(
                         f"{k} {v:.3g} (published {doc['survival_fit']['targets'][k]:.3g})"
                         for k, v in doc["survival_fit"]["achieved"].items() if k in doc["survival_fit"]["targets"]))
    folds = spec.plausible.log_uniform_fold
    pool = (f"{prov['plausible_patients']:,} plausible patients (seed {prov['seed']}), drawn from the population "
            f"specification; the {len(folds)} patient-level parameters whose values are not measured (docs/model.md) "
            "are redrawn log-uniformly from default ÷ fold to default × fold, independently of everything else: "
            + ", ".join(f"`{k}` {v:g}" for k, v in sorted(folds.items()))
            + f". Each is simulated on both arms (paired) and assessed {prov['replicates']} times with independent "
              "measurement noise; each outcome is the mean over the replicates (a probability). "
            + f"{prov['failed_plausible_patients']} plausible patients failed to simulate and carry weight 0. "
              f"Population model (a distribution the same in every stage): "
            + ", ".join(f"`{p}`" for p in doc["posterior"]["population_model"]) + "; the others keep the plausible range.")
    runtime = (f"simulation {prov['simulation_seconds'] / 60:.0f} min and posterior + survival fits "
               f"{(prov['wall_seconds'] - prov['simulation_seconds']) / 60:.1f} min on {prov.get('workers', 2)} cores")
    if prov.get("outcomes_reused"):
        runtime = (f"this run reused its pool outcomes: posterior + survival fits {prov['wall_seconds'] / 60:.1f} min; "
                   "simulation time under Validation")
    validation = (SHIPPED / "validation.md").read_text().strip() if (SHIPPED / "validation.md").exists() else \
        "(not yet run)"
    text = (ROOT / "tools" / "calibration_template.md").read_text()
    for key, value in {
        "RUNTIME_LINE": runtime, "POOL_PARAGRAPH": pool, "SEED": str(prov["seed"]),
        "CALIBRATION_TABLE": calibration_table(doc["targets"]), "SURVIVAL_LINE": survival_line,
        "HYPERPARAMETER_TABLE": "\n".join(hyp_rows),
        "STAGE_INVARIANCE_LINE": (f"Largest standardised difference of a stage's weighted mean of a parameter from the "
                                  f"other stages': |z| = {inv.attrs['max_abs_z']:.2f} (Bonferroni threshold, Student's t "
                                  f"{inv.attrs['threshold']:.2f}): {'invariant' if inv.attrs['invariant'] else '**not invariant**'}. "
                                  f"Effective sample size of the posterior-mean weights: "
                                  f"{doc['effective_sample_size']:.0f} of {prov['plausible_patients']:,}."),
        "SENSITIVITY_TABLE": "\n".join(sens_rows), "VALIDATION_TABLE": validation,
        "IDENTIFIABILITY_TABLE": "\n".join(id_rows),
        "PROFILE_TABLE": profile_table(bayes.profiles(points=9)) if with_profiles else
        "(run `python tools/calibration_doc.py --profiles`; about 5 minutes)",
    }.items():
        text = text.replace(key, value)
    note = ROOT / "tools" / "calibration_note.md"
    text = text.replace("VALIDATION_NOTE", note.read_text().strip() if note.exists() else "")
    (ROOT / "docs" / "calibration.md").write_text(text)
    print(f"wrote {ROOT / 'docs' / 'calibration.md'}")


if __name__ == "__main__":
    main()
