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
