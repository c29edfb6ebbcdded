"""The label's contraindications: screen(), patient files, ``ovsim simulate`` and trial eligibility."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import make_patient
from ovsim.cli import app
from ovsim.io import InputFileError, load_patient
from ovsim.population import (
    CONTRAINDICATION_NAMES,
    CONTRAINDICATIONS,
    Lesion,
    Patient,
    Population,
    contraindication,
    generate_population,
    screen,
)
from ovsim.trial import load_scenario

runner = CliRunner()

_SHORT = """\
patient:
  id: CI-001
{extra}lesions:
  - {{id: C1, site: cutaneous, longest_diameter_cm: 2.0}}
horizon_days: 28
output_every_days: 7
"""


def _file(tmp_path, extra: str = "") -> str:
    path = tmp_path / "patient.yaml"
    path.write_text(_SHORT.format(extra="".join(f"  {line}\n" for line in extra.splitlines())))
    return str(path)


def _stderr(res) -> list[str]:
    text = res.stderr if hasattr(res, "stderr") else res.output
    return [ln for ln in text.splitlines() if ln.strip()]


def _with(**flags: bool) -> Patient:
    import dataclasses

    return dataclasses.replace(make_patient(), **flags)


def test_registry_kinds_and_sources():
    kinds = {c.name: c.kind for c in CONTRAINDICATIONS}
    assert kinds == {"immunocompromised": "refusal", "pregnant": "refusal", "antiherpetic_medication": "warning",
                     "active_herpetic_lesions": "warning", "prior_tvec": "info"}
    assert set(CONTRAINDICATION_NAMES) == set(kinds)
    assert "EU SmPC 4.3" in contraindication("immunocompromised").source
    assert "US PI 4" in contraindication("immunocompromised").source
    preg = contraindication("pregnant")
    assert "US PI 4" in preg.source and "4.3" not in preg.source and "4.6" in preg.description
    assert all(c.description and c.source and "\n" not in c.description for c in CONTRAINDICATIONS)
    with pytest.raises(KeyError, match="expected one of"):
        contraindication("smoker")


def test_screen_each_covariate():
    assert screen(make_patient()) == ([], [])
    refusals, warnings = screen(_with(immunocompromised=True))
    assert warnings == [] and len(refusals) == 1
    assert refusals[0].startswith("patient.immunocompromised: contraindicated: severely immunocompromised")
    assert refusals[0].endswith("(Imlygic EU SmPC 4.3; US PI 4.1)")
    refusals, warnings = screen(_with(pregnant=True))
    assert warnings == [] and refusals == [f"patient.pregnant: contraindicated: {contraindication('pregnant').description}"
                                          " (Imlygic US PI 4.2)"]
    refusals, warnings = screen(_with(antiherpetic_medication=True))
    assert refusals == [] and len(warnings) == 1
    assert warnings[0].startswith("patient.antiherpetic_medication: acyclovir") and "US PI 5.2" in warnings[0]
    refusals, warnings = screen(_with(active_herpetic_lesions=True))
    assert refusals == [] and len(warnings) == 1 and "herpetic infection" in warnings[0]
    assert screen(_with(prior_tvec=True)) == ([], [])  # recorded only
    refusals, warnings = screen(_with(**{n: True for n in CONTRAINDICATION_NAMES}))
    assert [r.split(":")[0] for r in refusals] == ["patient.immunocompromised", "patient.pregnant"]
    assert [w.split(":")[0] for w in warnings] == ["patient.antiherpetic_medication", "patient.active_herpetic_lesions"]


def test_patient_fields_default_false_and_positional_construction_unchanged():
    p = Patient("P", (Lesion("C1", "cutaneous", 2.0),), False, "IIIB", 1, 0.9, {}, 1.7)
    assert p.bsa_m2 == 1.7 and not any(getattr(p, n) for n in CONTRAINDICATION_NAMES)
    with pytest.raises(ValueError, match="pregnant: expected true or false"):
        Patient("P", (Lesion("C1", "cutaneous", 2.0),), pregnant="no")


def test_patient_file_reads_the_flags(tmp_path):
    sc = load_patient(_file(tmp_path, "immunocompromised: true\nprior_tvec: true"))
    assert sc.patient.immunocompromised and sc.patient.prior_tvec and not sc.patient.pregnant  # parses, no refusal


@pytest.mark.parametrize("value", ["'no'", "1", "'true'", "0"])
@pytest.mark.parametrize("name", CONTRAINDICATION_NAMES)
def test_patient_file_flags_are_strict_booleans(tmp_path, name, value):
    with pytest.raises(InputFileError) as err:
        load_patient(_file(tmp_path, f"{name}: {value}"))
    msg = str(err.value)
    assert "\n" not in msg and f"patient.yaml: patient.{name}: expected a valid boolean" in msg


def test_simulate_refuses_an_immunocompromised_patient(tmp_path):
    path = _file(tmp_path, "immunocompromised: true")
    out = tmp_path / "never"
    res = runner.invoke(app, ["simulate", path, "--out", str(out)])
    assert res.exit_code == 2
    lines = _stderr(res)
    assert lines == [f"ovsim: error: {path}: patient.immunocompromised: contraindicated: "
                     f"{contraindication('immunocompromised').description} (Imlygic EU SmPC 4.3; US PI 4.1)"]
    assert not out.exists() and not list(tmp_path.glob(".never.tmp-*"))


def test_simulate_refuses_a_pregnant_patient(tmp_path):
    res = runner.invoke(app, ["simulate", _file(tmp_path, "pregnant: true"), "--out", str(tmp_path / "never")])
    assert res.exit_code == 2 and "patient.pregnant: contraindicated: pregnancy" in _stderr(res)[0]
    assert not (tmp_path / "never").exists()


def test_simulate_warns_on_antiherpetic_medication_and_runs(tmp_path):
    path = _file(tmp_path, "antiherpetic_medication: true\nprior_tvec: true")
    out = tmp_path / "run"
    res = runner.invoke(app, ["simulate", path, "--out", str(out), "--format", "csv", "--backend", "scipy"])
    assert res.exit_code == 0, res.output
    warnings = [ln for ln in _stderr(res) if ln.startswith("ovsim: warning:")]
    assert warnings == [f"ovsim: warning: {path}: patient.antiherpetic_medication: "
                        f"{contraindication('antiherpetic_medication').description} (Imlygic EU SmPC 4.4-4.5; US PI 5.2)"]
    run = json.loads((out / "run.json").read_text())
    assert run["label_covariates"]["prior_tvec"] is True and run["label_covariates"]["pregnant"] is False
    assert len(run["label_warnings"]) == 1


def _population_with(**columns) -> Population:
    pop = generate_population(4, seed=7)
    patients = pop.patients.copy()
    for name, values in columns.items():
        patients[name] = values
    return Population.from_tables(patients, pop.lesions, pop.provenance)


def test_population_columns_reach_the_patient_and_are_validated(tmp_path):
    pop = _population_with(immunocompromised=[False, True, None, False], prior_tvec=[True, False, False, False])
    assert [p.immunocompromised for p in pop] == [False, True, False, False]
    assert pop.patient(0).prior_tvec and not pop.patient(1).prior_tvec
    back = Population.load(pop.save(tmp_path / "pop"))
    assert back.patient(1).immunocompromised and not back.patient(2).immunocompromised
    with pytest.raises(ValueError, match=r"patients\.pregnant: expected true or false \(or empty\) \(got 'no'\)"):
        _population_with(pregnant=["no", False, False, False])


def test_optim_eligibility_excludes_contraindicated_patients():
    elig = load_scenario().eligibility
    assert elig.exclude_contraindicated
    assert elig.failures(generate_population(4, seed=7), 0.2).empty  # no columns: nothing to exclude
    warned = _population_with(antiherpetic_medication=[True] * 4, prior_tvec=[True] * 4, pregnant=[False] * 4)
    assert elig.failures(warned, 0.2).empty  # warnings and info do not exclude
    pop = _population_with(immunocompromised=[False, True, False, False])
    assert elig.failures(pop, 0.2).to_dict() == {"exclude_contraindicated": 1}
    with pytest.raises(ValueError) as err:
        elig.check(pop, 0.2, "arms.tvec")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("arms.tvec: 1 of 4 patients fail eligibility.exclude_contraindicated "
                          "(patients.immunocompromised: contraindicated: severely immunocompromised")
    assert elig.model_copy(update={"exclude_contraindicated": False}).failures(pop, 0.2).empty


def test_docs_list_every_covariate_with_its_kind():
    from conftest import REPO

    text = (REPO / "docs" / "safety.md").read_text()
    for c in CONTRAINDICATIONS:
        assert f"| `{c.name}` | {c.kind} |" in text, c.name


def test_plan_refuses_a_contraindicated_patient_and_warns_on_antiherpetics():
    from typer.testing import CliRunner

    from conftest import EXAMPLES
    from ovsim.cli import app

    runner = CliRunner()
    csv = str(EXAMPLES / "lesions_visit3.csv")
    refused = runner.invoke(app, ["plan", csv, "--visit", "3", "--covariate", "pregnant"])
    assert refused.exit_code == 2
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--covariate pregnant: contraindicated" in lines[0] and "US PI" in lines[0]
    warned = runner.invoke(app, ["plan", csv, "--visit", "3", "--covariate", "antiherpetic_medication"])
    assert warned.exit_code == 0 and "ovsim: warning: --covariate antiherpetic_medication" in warned.output
    assert "Total" in warned.output
    bad = runner.invoke(app, ["plan", csv, "--visit", "3", "--covariate", "hiv"])
    assert bad.exit_code == 2 and "--covariate: expected one of immunocompromised" in bad.output
