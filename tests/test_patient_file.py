"""Patient files: the examples load; bad files give one line naming the file and the field."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES
from ovsim.io import InputFileError, load_patient
from ovsim.regimen import LabelPolicy

GOOD = """
patient: {id: P, hsv1_seropositive: false}
lesions:
  - {id: A, site: nodal, longest_diameter_cm: 2}
  - {id: B, site: liver, longest_diameter_cm: 1.5}
"""


def test_examples_load():
    ref = load_patient(EXAMPLES / "patient_reference.yaml")
    assert ref.patient.n_lesions == 5 and ref.regimen.names == ("tvec",)
    gm = load_patient(EXAMPLES / "patient_gmcsf.yaml")
    assert gm.regimen.names == ("gmcsf",) and gm.patient.bsa_m2 == 1.8


def test_defaults(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD)
    s = load_patient(f)
    assert s.horizon_days == 730 and s.output_every_days == 1
    assert s.regimen.names == ("tvec",) and s.regimen.policy()[1].policy == LabelPolicy()
    assert not s.patient.hsv1_seropositive


def test_optim_rules(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD + "regimen: {tvec: {rules: optim}}\n")
    assert load_patient(f).regimen.policy()[1].policy == LabelPolicy.optim()


def test_combination_and_untreated_regimens(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD + "regimen: {tvec: optim, gmcsf: {days_on: 7}}\n")
    both = load_patient(f).regimen
    assert both.names == ("tvec", "gmcsf") and both.scheduled()[0][1].regimen.days_on == 7
    f.write_text(GOOD + "regimen: {}\n")
    assert load_patient(f).regimen.names == ()


@pytest.mark.parametrize(
    "text, field, expected",
    [
        (GOOD.replace("site: nodal", "site: skin"), "lesions[0].site", "expected one of cutaneous"),
        (GOOD.replace("longest_diameter_cm: 2", "longest_diameter_cm: -2"), "lesions[0].longest_diameter_cm",
         "greater than 0"),
        (GOOD.replace("longest_diameter_cm: 2", "longest_diameter_cm: two"), "lesions[0].longest_diameter_cm",
         "valid number"),
        (GOOD.replace("site: nodal", "site: lung"), "lesions", "T-VEC needs at least one injectable"),
        (GOOD + "parameters: {bsa_m2: 1.8}\n", "parameters.bsa_m2", "is a covariate"),
        (GOOD + "regimen: {aspirin: {}}\n", "regimen.aspirin", "unknown treatment"),
        (GOOD + "regimen: {gmcsf: {days_on: 30}}\n", "regimen.gmcsf.days_on", "expected <= cycle_days"),
        (GOOD + "regimen: {tvec: {min_months: .inf}}\n", "regimen.tvec.min_months", "finite"),
        (GOOD + "parameters: {burst: 3}\n", "parameters.burst", "unknown parameter"),
        (GOOD + "parameters: {burst_size: -3}\n", "parameters.burst_size", ">= 0"),
        (GOOD + "horizon: 3\n", "horizon", "unknown field"),
        (GOOD.replace("id: B", "id: A"), "lesions[1].id", "unique"),
        (GOOD.replace("hsv1_seropositive: false", "hsv1_seropositive: maybe"), "patient.hsv1_seropositive",
         "boolean"),
        (GOOD + "regimen: {tvec: {rules: weekly}}\n", "regimen.tvec.rules", "'label' or 'optim'"),
        ("patient: {id: P}\n", "lesions", "required"),
        ("lesions: [1,\n", None, "not valid YAML"),
        ("- just a list\n", None, "expected a mapping"),
    ],
)
def test_bad_files_name_file_and_field(tmp_path, text, field, expected):
    f = tmp_path / "bad_patient.yaml"
    f.write_text(text)
    with pytest.raises(InputFileError) as info:
        load_patient(f)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(f))
    if field:
        assert f": {field}:" in msg
    assert expected in msg


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="cannot read"):
        load_patient(tmp_path / "nope.yaml")


def test_injection_intent_defaults_true_and_is_carried(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD)
    assert all(les.injection_intent for les in load_patient(f).patient.lesions)  # old files still work
    f.write_text(GOOD.replace("longest_diameter_cm: 2}", "longest_diameter_cm: 2}\n  - {id: C, site: cutaneous, "
                                                        "longest_diameter_cm: 1, injection_intent: false}"))
    p = load_patient(f).patient
    assert [les.injection_intent for les in p.lesions] == [True, False, True]
    assert p.injectable_mask == [True, False, False]


@pytest.mark.parametrize("value", ["'no'", "1", "maybe"])
def test_bad_injection_intent_is_one_line_naming_file_and_field(tmp_path, value):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("longest_diameter_cm: 2}", f"longest_diameter_cm: 2, injection_intent: {value}}}"))
    with pytest.raises(InputFileError, match=r"p\.yaml: lesions\[0\]\.injection_intent") as err:
        load_patient(f)
    assert "\n" not in str(err.value)


def test_no_intended_injectable_lesion_refused_for_tvec(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("longest_diameter_cm: 2}", "longest_diameter_cm: 2, injection_intent: false}"))
    with pytest.raises(InputFileError, match=r"p\.yaml: lesions: T-VEC needs at least one injectable"):
        load_patient(f)
    f.write_text(GOOD.replace("longest_diameter_cm: 2}", "longest_diameter_cm: 2, injection_intent: false}")
                 + "regimen: {gmcsf: {}}\n")
    assert load_patient(f).regimen.names == ("gmcsf",)
