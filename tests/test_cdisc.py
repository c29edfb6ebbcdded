"""CDISC SDTM/ADaM datasets of a tiny trial: written, readable as XPORT v5, passing the rule checks;
a deliberately broken dataset fails the right rule."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ovsim.datasets import ADAM, RULE_IDS, SDTM, check_all
from ovsim.datasets._xpt import read_xpt, write_dataset
from ovsim.trial import load_scenario, run_trial


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    result = run_trial(load_scenario(), seed=5, patients=16)
    folder = tmp_path_factory.mktemp("trial")
    result.write_files(folder, report=False, cdisc=True)
    data = {n: pd.read_parquet(folder / "cdisc" / f"{n.lower()}.parquet") for n in SDTM + ADAM}
    return result, folder / "cdisc", data


def test_written_and_passing(trial):
    result, folder, data = trial
    for n in SDTM + ADAM:
        frame, labels, table = read_xpt(folder / f"{n.lower()}.xpt")
        assert table == n and len(frame) == len(data[n]) > 0
        assert all(0 < len(lab) <= 40 for lab in labels.values())
        assert all(len(c) <= 8 and c == c.upper() for c in frame.columns)
    assert check_all(data, folder) == []
    define = json.loads((folder / "define.json").read_text())
    assert define["studyid"] == "OPTIM" and define["rules_passed"] == list(RULE_IDS)


def test_content_matches_trial(trial):
    result, _, data = trial
    p = result.patients
    assert len(data["DM"]) == len(data["ADSL"]) == len(p) and data["DM"]["USUBJID"].is_unique
    assert len(data["EX"]) == len(result.doses)
    assert set(data["EX"]["EXROUTE"]) == {"INTRALESIONAL", "SUBCUTANEOUS"}
    assert set(data["EX"].loc[data["EX"]["EXROUTE"] == "INTRALESIONAL", "EXDOSU"]) == {"PFU"}
    assert set(data["EX"].loc[data["EX"]["EXROUTE"] == "SUBCUTANEOUS", "EXDOSU"]) == {"ug"}
    assert np.isclose(data["EX"]["EXDOSE"].sum(), result.doses["AMT"].sum())
    bor = data["ADRS"][data["ADRS"]["PARAMCD"] == "BOR"]
    assert sorted(bor["AVALC"]) == sorted(p["best_overall_response"])
    dur = data["ADRS"][data["ADRS"]["PARAMCD"] == "DURRSP"]
    assert (dur["AVALC"] == "Y").sum() == p["durable_response"].sum()
    tte = data["ADTTE"]
    assert (tte["CNSR"] == 0).sum() == p["os_event"].sum()
    assert np.allclose(np.sort(tte["AVAL"]), np.sort(p["os_months"] * 365.25 / 12))
    # first dose on study day 1 (trial day 0); no study day 0
    assert (data["EX"]["EXSTDY"] != 0).all() and data["EX"]["EXSTDY"].min() == 1
    ldiam = data["TR"][data["TR"]["TRTESTCD"] == "LDIAM"]
    m = result.measurements
    assert ldiam["TRSTRESN"].max() == pytest.approx(m["longest_cm"].max())


@pytest.mark.parametrize("rule, name, breaker", [
    ("OVC-01", "DM", lambda f: f.drop(columns="SEX")),
    ("OVC-04", "DM", lambda f: pd.concat([f, f.iloc[:1]], ignore_index=True)),
    ("OVC-05", "AE", lambda f: f.assign(USUBJID="OPTIM-NOBODY")),
    ("OVC-06", "EX", lambda f: f.assign(EXSEQ=1.0)),
    ("OVC-07", "RS", lambda f: f.assign(RSORRES="GOOD")),
    ("OVC-08", "TR", lambda f: f.assign(TRDTC="06/01/2020")),
    ("OVC-09", "TR", lambda f: f.assign(TRDY=f["TRDY"] - 1)),
    ("OVC-10", "ADTTE", lambda f: f.assign(CNSR=2.0)),
    ("OVC-02", "ADSL", lambda f: f.rename(columns={"LDHBL": "LDH_BASELINE"})),
])
def test_broken_dataset_fails_its_rule(trial, tmp_path, rule, name, breaker):
    _, _, data = trial
    broken = dict(data)
    broken[name] = breaker(data[name].copy())
    if rule == "OVC-02":
        pytest.importorskip("pyreadstat")
    for n, f in broken.items():
        try:
            write_dataset(f, n, tmp_path)
        except Exception:  # an over-long name cannot even be written as XPORT v5
            assert rule == "OVC-02"
            write_dataset(data[n], n, tmp_path)
    failures = check_all(broken, tmp_path)
    assert rule in {f.rule for f in failures}
    assert all(f.dataset == name for f in failures if f.rule == rule)
