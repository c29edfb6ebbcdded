"""Make the example patient records of src/ovsim/data/examples/patients/ from a simulated OPTiM trial.

Runs ``ovsim trial -n N --seed SEED`` (the T-VEC and GM-CSF arms of OPTiM), then picks three virtual patients of
the T-VEC arm, in order of their index:

- ``new_lesions``: the first with a new lesion (first seen after day 0) within the window;
- ``responder``: the first other patient with a durable response (patients.parquet ``durable_response``);
- ``non_responder``: the first other patient whose best overall response is progressive disease (PD).

Each record keeps what a clinician would have after about six months: the assessments and T-VEC injections on
days 0 to ``--window-days`` (182). Diameters are rounded to 0.001 cm. Each is written as a tidy CSV
(``<name>.csv``) and a covariates file (``<name>_covariates.yaml``) and read back with
``ovsim.io.load_patient_data`` (which must accept it, with no identifiability problem).

Usage: ``PYTHONPATH=src python tools/example_patients.py [--trial-dir DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

SEED = 5
N_PATIENTS = 20
WINDOW_DAYS = 182.0
OUT = Path(__file__).resolve().parents[1] / "src" / "ovsim" / "data" / "examples" / "patients"


def run_trial(folder: Path, n: int, seed: int) -> None:
    """``ovsim trial`` into ``folder`` (same interpreter)."""
    code = "import sys; from ovsim.cli import main; sys.argv = ['ovsim'] + sys.argv[1:]; main()"
    subprocess.run([sys.executable, "-c", code, "trial", "-n", str(n), "--seed", str(seed), "-o", str(folder),
                    "--no-report"], check=True, stdout=subprocess.DEVNULL)


def choose(patients: pd.DataFrame, lesions: pd.DataFrame, window_days: float) -> dict[str, str]:
    """name -> patient_key of the three examples (see the module)."""
    tvec = patients[patients["arm"] == "tvec"].sort_values("index")
    new = lesions[lesions["new_lesion"] & (lesions["first_seen_day"] <= window_days)]
    picked: dict[str, str] = {}
    picked["new_lesions"] = next(k for k in tvec["patient_key"] if k in set(new["patient_key"]))
    rest = tvec[~tvec["patient_key"].isin(picked.values())]
    picked["responder"] = rest.loc[rest["durable_response"].astype(bool), "patient_key"].iloc[0]
    rest = rest[~rest["patient_key"].isin(picked.values())]
    picked["non_responder"] = rest.loc[rest["best_overall_response"] == "PD", "patient_key"].iloc[0]
    return picked


def tidy_record(key: str, measurements: pd.DataFrame, doses: pd.DataFrame, window_days: float) -> pd.DataFrame:
    """The tidy CSV rows of one patient: measurements and T-VEC doses on days 0..window_days; a lesion's rows
    start on the day it is first seen (a lesion never seen in the window is left out, as are its doses)."""
    m = measurements[(measurements["patient_key"] == key) & measurements["longest_cm"].notna()
                     & (measurements["time_day"] <= window_days)]
    first_seen = m[m["longest_cm"] > 0].groupby("lesion_id")["time_day"].min()
    m = m[m["time_day"] >= m["lesion_id"].map(first_seen)]  # a lesion is recorded from when it is first seen
    sites = dict(zip(m["lesion_id"], m["site"]))
    m = pd.DataFrame({"lesion_id": m["lesion_id"], "day": m["time_day"], "longest_diameter_cm": m["longest_cm"].round(3),
                      "perpendicular_diameter_cm": m["perpendicular_cm"].round(3)})
    arm, pid = key.split(":", 1)
    d = doses[(doses["ARM"] == arm) & (doses["ID"] == pid) & (doses["DRUG"] == "TVEC")
              & (doses["TIME"] <= window_days) & doses["LESION_ID"].isin(set(m["lesion_id"]))]
    d = pd.DataFrame({"lesion_id": d["LESION_ID"], "day": d["TIME"], "injected_volume_ml": d["VOL_ML"],
                      "concentration_pfu_per_ml": d["CONC_PFU_ML"]})
    rows = m.merge(d, on=["lesion_id", "day"], how="outer")
    rows.insert(1, "site", rows["lesion_id"].map(sites))
    order = {les: k for k, les in enumerate(dict.fromkeys(m["lesion_id"]))}
    rows = rows.assign(_k=rows["lesion_id"].map(order)).sort_values(["_k", "day"]).drop(columns="_k")
    return rows[["lesion_id", "site", "day", "longest_diameter_cm", "perpendicular_diameter_cm",
                 "injected_volume_ml", "concentration_pfu_per_ml"]]


def covariates_yaml(patient: pd.Series, name: str, seed: int) -> str:
    """The covariates file of one virtual patient."""
    return (f"# virtual patient {patient['patient_key']} of `ovsim trial -n {N_PATIENTS} --seed {seed}` "
            f"({name}; best overall response {patient['best_overall_response']})\n"
            f"id: {name}\nstage: {patient['stage']}\necog: {int(patient['ecog'])}\n"
            f"ldh_x_uln: {float(patient['ldh_x_uln']):g}\n"
            f"hsv1_seropositive: {'true' if patient['hsv1_seropositive'] else 'false'}\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial-dir", type=Path, help="an existing `ovsim trial` output (else one is simulated)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--window-days", type=float, default=WINDOW_DAYS)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.trial_dir or Path(tmp) / "trial"
        if args.trial_dir is None:
            run_trial(folder, N_PATIENTS, args.seed)
        patients = pd.read_parquet(folder / "patients.parquet")
        lesions = pd.read_parquet(folder / "lesions.parquet")
        measurements = pd.read_parquet(folder / "measurements.parquet")
        doses = pd.read_csv(folder / "doses.csv")
    from ovsim.io import identifiability_problem, load_patient_data

    args.out.mkdir(parents=True, exist_ok=True)
    for name, key in choose(patients, lesions, args.window_days).items():
        rows = tidy_record(key, measurements, doses, args.window_days)
        rows.to_csv(args.out / f"{name}.csv", index=False)
        patient = patients[patients["patient_key"] == key].iloc[0]
        (args.out / f"{name}_covariates.yaml").write_text(covariates_yaml(patient, name, args.seed))
        record = load_patient_data(args.out / f"{name}.csv", args.out / f"{name}_covariates.yaml")
        problem = identifiability_problem(record)
        if problem:
            raise SystemExit(f"{name}: {problem}")
        print(f"{name}: {key}, {len(record.lesions)} lesions ({len(record.new_lesions)} new), "
              f"{len(record.measurements)} measurements, {len(record.doses)} doses")


if __name__ == "__main__":
    main()
