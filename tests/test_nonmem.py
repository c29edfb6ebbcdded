"""nonmem.csv: every dose and observation of the tidy tables, numeric, one unit per compartment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ovsim.datasets import STAGE_CODES, compartment_table, trial_model, trial_nonmem
from ovsim.trial import load_scenario, run_trial


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    result = run_trial(load_scenario(), seed=3, patients=20)
    folder = tmp_path_factory.mktemp("trial")
    result.write_files(folder, report=False)
    return result, folder


@pytest.fixture(scope="module")
def written(trial):
    _, folder = trial
    return (pd.read_csv(folder / "nonmem.csv"), pd.read_csv(folder / "nonmem_ids.csv"),
            (folder / "nonmem_header.txt").read_text())


def test_all_columns_numeric_and_sorted(written):
    data, ids, _ = written
    assert list(data.columns[:8]) == ["ID", "TIME", "EVID", "AMT", "CMT", "DV", "MDV", "RATE"]
    assert all(pd.api.types.is_numeric_dtype(t) for t in data.dtypes), data.dtypes
    assert not data.isna().any().any()
    key = data[["ID", "TIME", "EVID"]].to_numpy()
    order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
    assert (order == np.arange(len(data))).all()
    assert set(data["EVID"]) == {0, 1}
    assert (data["MDV"] == data["EVID"]).all()
    assert sorted(ids["ID"]) == list(range(1, len(ids) + 1))


def test_ids_map_back(trial, written):
    result, _ = trial
    data, ids, _ = written
    assert list(ids["patient_key"]) == list(result.patients["patient_key"])
    p = result.patients.set_index("patient_key")
    cov = data.drop_duplicates("ID").merge(ids, on="ID", suffixes=("", "_key"))
    for row in cov.itertuples():
        assert row.arm == p.loc[row.patient_key, "arm"]
        assert row.STAGE == STAGE_CODES[p.loc[row.patient_key, "stage"]]
        assert row.ECOG == p.loc[row.patient_key, "ecog"]
        assert row.LDH == pytest.approx(p.loc[row.patient_key, "ldh_x_uln"])
    assert (cov["ARM"] == cov["ARM_key"]).all()


def test_every_dose(trial, written):
    result, _ = trial
    data, ids, _ = written
    model = trial_model(result.scenario)
    layout = compartment_table(model, int(data["LESION"].max())).set_index("CMT")
    doses = data[data["EVID"] == 1].merge(ids, on="ID")
    tidy = result.doses.assign(patient_key=result.doses["ARM"] + ":" + result.doses["ID"])
    assert len(doses) == len(tidy)
    lesion_no = {}
    for key, grp in result.measurements.groupby("patient_key", sort=False):
        lesion_no.update({(key, lid): k + 1 for k, lid in enumerate(dict.fromkeys(grp["lesion_id"]))})
    got = doses.sort_values(["patient_key", "TIME", "CMT"], kind="stable").reset_index(drop=True)
    tidy = tidy.assign(LESION=[lesion_no.get((k, l), 0) for k, l in zip(tidy["patient_key"], tidy["LESION_ID"])])
    want = tidy.sort_values(["patient_key", "TIME", "LESION", "DRUG"], kind="stable").reset_index(drop=True)
    got = got.sort_values(["patient_key", "TIME", "LESION", "CMT"], kind="stable").reset_index(drop=True)
    assert (got["patient_key"] == want["patient_key"]).all()
    assert np.allclose(got["TIME"], want["TIME"])
    assert np.allclose(got["AMT"], want["AMT"], rtol=1e-12)
    assert np.allclose(got["RATE"], want["RATE"], rtol=1e-12)
    assert (got["LESION"] == want["LESION"]).all()
    nl = model.n_lesion_states
    # the engine's lesion slot (from its per-batch CMT) is the dataset's LESION
    lesion_rows = want["LESION"] > 0
    assert ((want.loc[lesion_rows, "CMT"] - 1) // nl + 1 == want.loc[lesion_rows, "LESION"]).all()
    # one amount unit per compartment: T-VEC (PFU) into the lesion's virus, GM-CSF (ug) into the systemic depot
    for cmt, drug in zip(got["CMT"], want["DRUG"]):
        state = layout.loc[cmt]
        assert (state["state"], state["units"]) == (("virus_pfu", "PFU") if drug == "TVEC" else ("gmcsf_systemic_ug", "ug"))
    assert (layout.loc[got.loc[lesion_rows, "CMT"], "lesion"].to_numpy() == got.loc[lesion_rows, "LESION"]).all()


def test_every_observation(trial, written):
    result, _ = trial
    data, ids, header = written
    limit = result.scenario.assessment.detection_limit_cm
    obs = data[data["EVID"] == 0].merge(ids, on="ID")
    m = result.measurements[result.measurements["longest_cm"].notna()]
    les = obs[obs["DVID"] == 1]
    assert len(les) == len(m)
    lesion_no = {}
    for key, grp in result.measurements.groupby("patient_key", sort=False):
        lesion_no.update({(key, lid): k + 1 for k, lid in enumerate(dict.fromkeys(grp["lesion_id"]))})
    m = m.assign(LESION=[lesion_no[(k, l)] for k, l in zip(m["patient_key"], m["lesion_id"])])
    j = les.merge(m, left_on=["patient_key", "TIME", "LESION"], right_on=["patient_key", "time_day", "LESION"],
                  how="inner", validate="one_to_one")
    assert len(j) == len(m)
    seen = j["longest_cm"] > 0
    assert np.allclose(j.loc[seen, "DV"], j.loc[seen, "longest_cm"])
    assert (j.loc[~seen, "DV"] == limit).all() and (j.loc[~seen, "CENS"] == 1).all()
    assert (j.loc[seen, "CENS"] == 0).all() and (~seen).any()
    a = result.assessments[result.assessments["burden"].notna()]
    bur = obs[obs["DVID"] == 2]
    jb = bur.merge(a, left_on=["patient_key", "TIME"], right_on=["patient_key", "time_day"], validate="one_to_one")
    assert len(bur) == len(a) == len(jb)
    assert np.allclose(jb["DV"], jb["burden"]) and (jb["LESION"] == 0).all()
    assert "modified_who" in header and "cm^2" in header


def test_header_documents_compartments(trial, written):
    result, _ = trial
    data, _, header = written
    model = trial_model(result.scenario)
    for s in model.states.values():
        assert f"{s.name} [{s.units}]" in header
    assert "TVEC: AMT in PFU" in header and "GMCSF: AMT in ug" in header


def test_cohort_writes_a_nonmem_dataset_of_its_doses_and_true_diameters(tmp_path):
    """``ovsim cohort`` writes nonmem.csv too: every dose of its parts, and every lesion's true diameter on the
    grid as an observation (censored below the detection limit), with no burden rows."""
    from ovsim.cli import run

    out = tmp_path / "cohort"
    assert run(["cohort", "--out", str(out), "--patients", "4", "--seed", "3", "--horizon-days", "84",
                "--every-days", "28"]) == 0
    data, ids = pd.read_csv(out / "nonmem.csv"), pd.read_csv(out / "nonmem_ids.csv")
    assert all(pd.api.types.is_numeric_dtype(t) for t in data.dtypes) and not data.isna().any().any()
    doses = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("doses-part-*.parquet"))], ignore_index=True)
    lesions = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("lesions-part-*.parquet"))], ignore_index=True)
    key = dict(zip(ids["patient_id"].astype(str), ids["ID"]))
    got = data[data["EVID"] == 1].sort_values(["ID", "TIME", "AMT"])[["ID", "TIME", "AMT"]].to_numpy()
    want = (doses.assign(ID=doses["ID"].astype(str).map(key)).sort_values(["ID", "TIME", "AMT"])
            [["ID", "TIME", "AMT"]].to_numpy(dtype=float))
    assert len(got) == len(doses) > 0 and np.allclose(got, want)
    obs = data[data["EVID"] == 0]
    assert set(obs["DVID"]) == {1} and len(obs) == len(lesions)
    below = lesions["longest_diameter_cm"] < 0.2
    assert obs["CENS"].sum() == below.sum()
    assert np.allclose(np.sort(obs.loc[obs["CENS"] == 0, "DV"]), np.sort(lesions.loc[~below, "longest_diameter_cm"]))
    assert "nonmem_header" not in data.columns and (out / "nonmem_header.txt").read_text().startswith("# nonmem.csv")
