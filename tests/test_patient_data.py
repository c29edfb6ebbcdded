"""Issue 13, part 1 ("Data in"): one patient's record from a tidy CSV or a NONMEM-style dataset."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from ovsim.io import InputFileError, PatientRecord, identifiability_problem, load_patient_data

EXAMPLES = ("responder", "non_responder", "new_lesions")
HEADER = "lesion_id,site,day,longest_diameter_cm,perpendicular_diameter_cm,injected_volume_ml,concentration_pfu_per_ml"
GOOD = [
    "A,cutaneous,0,2.0,1.5,2,1e6",
    "B,nodal,0,1.0,,1,1e6",
    "C,lung,0,3.0,2.0,,",
    "A,cutaneous,21,,,2,1e8",
    "A,cutaneous,28,1.5,1.0,,",
    "B,nodal,28,0,0,,",
    "C,lung,28,3.2,2.1,,",
    "D,subcutaneous,28,0.5,0.4,0.5,1e8",
]


def example(name: str) -> tuple[Path, Path]:
    folder = resources.files("ovsim.data") / "examples" / "patients"
    return Path(str(folder / f"{name}.csv")), Path(str(folder / f"{name}_covariates.yaml"))


def write(tmp_path: Path, lines: list[str], header: str = HEADER, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def nonmem_form(record: PatientRecord, patient: int = 7) -> pd.DataFrame:
    """The record as a NONMEM-style dataset (ovsim's columns plus LESION_ID, SITE, PERP_CM, VOL_ML, CONC_PFU_ML)."""
    sites = {les.lesion_id: les.site.value for les in record.lesions}
    index = {les.lesion_id: k + 1 for k, les in enumerate(record.lesions)}
    m, d = record.measurements, record.doses
    obs = pd.DataFrame({"TIME": m["day"], "EVID": 0, "AMT": 0.0, "CMT": 0, "DV": m["longest_diameter_cm"], "MDV": 0,
                        "DVID": 1, "CENS": m["below_detection"].astype(int), "LESION_ID": m["lesion_id"],
                        "PERP_CM": m["perpendicular_diameter_cm"]})
    dose = pd.DataFrame({"TIME": d["day"], "EVID": 1, "AMT": d["amount_pfu"], "DV": 0.0, "MDV": 1, "DVID": 0,
                         "CENS": 0, "LESION_ID": d["lesion_id"], "VOL_ML": d["volume_ml"],
                         "CONC_PFU_ML": d["concentration_pfu_per_ml"]})
    dose["CMT"] = (dose["LESION_ID"].map(index) - 1) * 7 + 5  # the virus compartment of ovsim's default layout
    rows = pd.concat([obs, dose], ignore_index=True).sort_values(["TIME", "EVID"], kind="stable")
    rows.insert(0, "ID", patient)
    rows["LESION"] = rows["LESION_ID"].map(index)
    rows["SITE"] = rows["LESION_ID"].map(sites)
    return rows


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_load_and_are_identifiable(name):
    csv, cov = example(name)
    record = load_patient_data(csv, cov)
    assert record.patient_id == name
    assert record.covariates["stage"] and record.covariates["hsv1_seropositive"] in (True, False)
    assert len(record.lesions) > 0 and len(record.doses) > 0
    assert record.measurements["day"].max() <= 182
    assert identifiability_problem(record) is None
    assert list(record.measurements.columns)[:5] == ["lesion_id", "day", "longest_diameter_cm",
                                                    "perpendicular_diameter_cm", "below_detection"]


def test_new_lesions_example_has_a_new_lesion():
    record = load_patient_data(*example("new_lesions"))
    assert record.new_lesions and all(les.first_seen_day > 0 for les in record.new_lesions)
    baseline = {les.lesion_id for les in record.lesions if les.first_seen_day == 0}
    assert baseline and not ({les.lesion_id for les in record.new_lesions} & baseline)


@pytest.mark.parametrize("name", EXAMPLES)
def test_tidy_and_nonmem_forms_give_equal_records(tmp_path, name):
    csv, cov = example(name)
    tidy = load_patient_data(csv, cov)
    other = nonmem_form(tidy, 8).assign(LESION_ID=lambda f: "X" + f["LESION_ID"])  # a second patient
    path = tmp_path / "nonmem.csv"
    pd.concat([nonmem_form(tidy, 7), other]).to_csv(path, index=False)
    from_nonmem = load_patient_data(path, cov, patient_id=7)
    assert from_nonmem == tidy
    pd.testing.assert_frame_equal(from_nonmem.measurements, tidy.measurements)
    pd.testing.assert_frame_equal(from_nonmem.doses, tidy.doses)
    with pytest.raises(InputFileError) as err:
        load_patient_data(path, cov)
    assert "\n" not in str(err.value) and "IDs 7, 8" in str(err.value) and "--id" in str(err.value)


def test_nonmem_without_volumes_uses_the_label_strengths(tmp_path):
    tidy = load_patient_data(write(tmp_path, GOOD))
    path = tmp_path / "nm.csv"
    nonmem_form(tidy).drop(columns=["VOL_ML", "CONC_PFU_ML", "LESION_ID"]).to_csv(path, index=False)
    sites = "\n".join(f"  L{k + 1}: {les.site.value}" for k, les in enumerate(tidy.lesions))
    cov = tmp_path / "cov.yaml"
    cov.write_text(f"stage: IIIC\nlesion_sites:\n{sites}\n")
    record = load_patient_data(path, cov)
    assert record.doses["concentration_pfu_per_ml"].tolist() == [1e6, 1e8, 1e6, 1e8]  # A day 0, A day 21, B day 0, D day 28
    assert record.doses["volume_ml"].tolist() == tidy.doses["volume_ml"].tolist()
    assert [les.lesion_id for les in record.lesions] == ["L1", "L2", "L3", "L4"]


def test_censoring_and_new_lesions(tmp_path):
    lines = GOOD + ["E,cutaneous,0,0.15,,,", "E,cutaneous,28,0.3,,,"]
    record = load_patient_data(write(tmp_path, lines))
    m = record.measurements.set_index(["lesion_id", "day"])
    assert m.loc[("B", 28.0), "below_detection"] and m.loc[("B", 28.0), "longest_diameter_cm"] == 0
    assert m.loc[("E", 0.0), "below_detection"] and m.loc[("E", 0.0), "longest_diameter_cm"] == 0.15
    assert not m.loc[("A", 0.0), "below_detection"] and not m.loc[("E", 28.0), "below_detection"]
    assert pd.isna(m.loc[("B", 0.0), "perpendicular_diameter_cm"])
    lesions = {les.lesion_id: les for les in record.lesions}
    assert lesions["D"].new and lesions["D"].first_seen_day == 28 and lesions["D"].baseline_diameter_cm == 0.5
    assert lesions["E"].new and lesions["E"].first_seen_day == 28  # below detection at baseline: first seen later
    assert not lesions["A"].new and lesions["A"].baseline_diameter_cm == 2.0
    assert {les.lesion_id for les in record.new_lesions} == {"D", "E"}
    assert record.doses["amount_pfu"].tolist() == [2e6, 2e8, 1e6, 0.5e8]


def test_identifiability_problem(tmp_path):
    baseline_only = load_patient_data(write(tmp_path, [row for row in GOOD if row.split(",")[2] == "0"]))
    assert "only baseline" in identifiability_problem(baseline_only)
    invisible = load_patient_data(write(tmp_path, ["A,cutaneous,0,0,,1,1e6", "A,cutaneous,28,0.1,,,"]))
    assert "below the detection limit" in identifiability_problem(invisible)
    assert identifiability_problem(load_patient_data(write(tmp_path, GOOD))) is None


BAD = [  # (header or None, lines, row, column, words)
    ("lesion_id,site,day", ["A,cutaneous,0"], 1, "longest_diameter_cm", "required column is missing"),
    (HEADER + ",colour", [row + ",red" for row in GOOD], 1, "colour", "unknown column (allowed: lesion_id"),
    (None, GOOD + ["E,cutaneous,abc,1,,,"], 10, "day", "expected a number"),
    (None, GOOD + ["E,cutaneous,-3,1,,,"], 10, "day", ">= 0"),
    (None, GOOD + ["E,cutaneous,56,-1,,,"], 10, "longest_diameter_cm", ">= 0"),
    (None, GOOD + ["E,cutaneous,56,nan,,,"], 10, "longest_diameter_cm", "finite"),
    (None, GOOD + ["E,cutaneous,56,,,,"], 10, "longest_diameter_cm", "empty cell"),
    (None, GOOD + ["E,skin,56,1,,,"], 10, "site", "unknown site"),
    (None, GOOD + ["A,nodal,56,1,,,"], 10, "site", "keeps its site"),
    (None, GOOD + ["A,cutaneous,28,1.4,,,"], 10, "day", "measured twice on day 28"),
    (None, GOOD + ["B,nodal,21,,,2.5,1e8"], 10, "injected_volume_ml", "more than the label's 4 mL per visit"),
    (None, GOOD + ["A,cutaneous,56,1,,1,5e7"], 10, "concentration_pfu_per_ml", "label's strengths"),
    (None, GOOD + ["C,lung,56,3,,1,1e8"], 10, "injected_volume_ml", "visceral"),
    (None, GOOD + ["A,cutaneous,56,1,,1,"], 10, "concentration_pfu_per_ml", "empty cell"),
    (None, [row.replace(",0,", ",7,") for row in GOOD], 2, "day", "no baseline measurement on day 0"),
]


@pytest.mark.parametrize("header, lines, row, column, words", BAD)
def test_each_error_is_one_line_naming_file_row_and_column(tmp_path, header, lines, row, column, words):
    path = write(tmp_path, lines, header or HEADER)
    with pytest.raises(InputFileError) as err:
        load_patient_data(path)
    msg = str(err.value)
    assert isinstance(err.value, ValueError) and "\n" not in msg
    assert msg.startswith(f"{path}: row {row}, column {column}: "), msg
    assert words in msg, msg


def test_nonmem_errors_name_row_and_column(tmp_path):
    tidy = load_patient_data(write(tmp_path, GOOD))
    frame = nonmem_form(tidy)
    frame.loc[frame.index[2], "EVID"] = 4
    path = tmp_path / "nm.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputFileError) as err:
        load_patient_data(path)
    assert str(err.value).startswith(f"{path}: row 4, column EVID: ") and "\n" not in str(err.value)
    frame = nonmem_form(tidy).drop(columns=["SITE"])
    frame.to_csv(path, index=False)
    with pytest.raises(InputFileError, match=r"row 2, column SITE: no site for lesion 'A'"):
        load_patient_data(path)
    nonmem_form(tidy).to_csv(path, index=False)
    with pytest.raises(InputFileError, match=r"column ID: no patient '9'"):
        load_patient_data(path, patient_id=9)


def test_empty_too_big_and_bad_covariates(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputFileError, match="empty file"):
        load_patient_data(empty)
    header_only = write(tmp_path, [], name="h.csv")
    with pytest.raises(InputFileError, match="no data rows"):
        load_patient_data(header_only)
    big = write(tmp_path, GOOD * 20_000, name="big.csv")
    with pytest.raises(InputFileError, match="larger than 1 MiB") as err:
        load_patient_data(big)
    assert "\n" not in str(err.value)
    cov = tmp_path / "cov.yaml"
    cov.write_text("ecog: 7\n")
    with pytest.raises(InputFileError, match=r"cov.yaml: ecog: expected"):
        load_patient_data(write(tmp_path, GOOD), cov)
    cov.write_text("colour: red\n")
    with pytest.raises(InputFileError, match=r"colour: unknown field"):
        load_patient_data(write(tmp_path, GOOD), cov)


def test_record_is_immutable(tmp_path):
    record = load_patient_data(write(tmp_path, GOOD))
    with pytest.raises(AttributeError):
        record.patient_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.covariates["stage"] = "IIIB"  # type: ignore[index]
