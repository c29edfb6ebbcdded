"""``ovsim model --describe`` lists the model definition; without an option it fails with one line."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.model._definition import default_model

runner = CliRunner()


def test_describe_lists_every_state_and_parameter():
    res = runner.invoke(app, ["model", "--describe"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    words = set(res.output.split())
    definition = default_model()
    missing = [n for n in [*definition.states, *definition.parameters, *definition.covariates] if n not in words]
    assert not missing, missing
    for part in definition.parts:
        assert part.name in words, part.name


def test_model_without_option_is_a_one_line_error():
    res = runner.invoke(app, ["model"])
    assert res.exit_code != 0
    err = res.stderr if hasattr(res, "stderr") else res.output
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("ovsim: error: ") and "--describe" in lines[0], lines


def test_describe_does_not_import_jax():
    code = ("import sys; from typer.testing import CliRunner; from ovsim.cli import app; "
            "res = CliRunner().invoke(app, ['model', '--describe']); "
            "assert res.exit_code == 0, res.output; "
            "assert 'jax' not in sys.modules, 'jax imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_sbml_export_writes_a_valid_document(tmp_path):
    import libsbml

    from conftest import EXAMPLES

    out = tmp_path / "sub" / "reference.xml"
    res = runner.invoke(app, ["model", "--sbml", str(EXAMPLES / "patient_reference.yaml"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert str(out) in "".join(res.output.split())
    assert [p.name for p in out.parent.iterdir()] == ["reference.xml"]  # no temporary file left behind
    doc = libsbml.readSBMLFromFile(str(out))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    assert doc.checkConsistency() == 0  # no errors and no warnings (units included)
    model = doc.getModel()
    assert model.getAssignmentRuleByVariable("C1_longest_diameter_cm") is not None
    assert model.getNumEvents() > 0  # the label's doses, replayed


def test_sbml_export_errors_are_one_line(tmp_path):
    for args in (["--sbml", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "x.xml")],
                 ["--sbml", "p.yaml"], ["--out", str(tmp_path / "x.xml")], ["--describe", "--sbml", "p.yaml"]):
        res = runner.invoke(app, ["model", *args])
        assert res.exit_code == 2, (args, res.output)
        err = res.stderr if hasattr(res, "stderr") else res.output
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("ovsim: error: "), (args, lines)
    assert not (tmp_path / "x.xml").exists()
