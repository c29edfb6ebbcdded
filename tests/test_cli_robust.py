"""The ``ovsim`` entry point never shows a traceback: internal errors are one line (exit 3, the
traceback in a log file), usage errors one line naming the flag (exit 2), Ctrl-C exit 130; output
folders are checked before any work; user text cannot break rich, matplotlib or a spreadsheet."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import EXAMPLES
from ovsim.cli import main, run, safe_text, strip_control
from ovsim.cli._app import internal_error_line, usage_message  # noqa: F401  (public enough to import)
from ovsim.io import safe_csv_frame
from ovsim.io._csv_safe import safe_csv_cell
from ovsim.report._text import plot_text

ESC = "\x1b"
NASTY_IDS = {
    "markup": "L[/]1[bold]",
    "mathtext": "$\\frac{$",
    "escape": f"E{ESC}[31mred{ESC}]0;title\x07{ESC}[0m",
}


@pytest.fixture(autouse=True)
def _log_dir(tmp_path, monkeypatch):
    """Crash logs go to this test's folder, never to ~/.cache."""
    monkeypatch.setenv("OVSIM_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


def invoke(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the ``ovsim`` entry point in-process (as the console script does): exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as done:
        old = sys.argv
        sys.argv = ["ovsim", *map(str, argv)]
        try:
            main()
        finally:
            sys.argv = old
    out, err = capsys.readouterr()
    return done.value.code, out, err


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


# --- the catch-all ----------------------------------------------------------------------------

def _boom(*args, **kwargs):
    raise RuntimeError("boom: the plan exploded\nsecond line of the message")


def test_internal_error_is_one_line_exit_3_and_a_log_with_the_traceback(capsys, monkeypatch, _log_dir):
    import ovsim.cli._plan as plan_module

    monkeypatch.setattr(plan_module, "plan_visit", _boom)
    code, out, err = invoke(capsys, "plan", EXAMPLES / "lesions_visit3.csv", "--visit", "3")
    assert code == 3
    line = one_line(err)
    assert line.startswith("ovsim: internal error: RuntimeError: boom: the plan exploded (traceback in ")
    assert "Traceback" not in err and "second line" not in err
    logs = list(_log_dir.glob("ovsim-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    text = logs[0].read_text()
    assert "Traceback (most recent call last)" in text and "_boom" in text
    assert "RuntimeError: boom: the plan exploded" in text and "second line of the message" in text
    assert "'plan'" in text and "'--visit'" in text  # the command line


def test_internal_error_without_a_writable_log_dir_still_one_line(capsys, monkeypatch, tmp_path):
    import ovsim.cli._plan as plan_module

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("OVSIM_LOG_DIR", str(blocker / "logs"))  # cannot be created: falls back to the temp folder
    monkeypatch.setattr(plan_module, "plan_visit", _boom)
    code, _, err = invoke(capsys, "plan", EXAMPLES / "lesions_visit3.csv", "--visit", "3")
    line = one_line(err)
    assert code == 3 and line.startswith("ovsim: internal error: RuntimeError: ")
    log = Path(line.rsplit("(traceback in ", 1)[1].rstrip(")"))
    try:
        assert log.parent != blocker and "RuntimeError" in log.read_text()
    finally:
        log.unlink(missing_ok=True)


def test_internal_error_line_is_short_and_clean():
    exc = ValueError("\n" + "x" * 500 + f"{ESC}[31m\nmore")
    line = internal_error_line(exc, Path("/tmp/some.log"))
    assert line.endswith(" (traceback in /tmp/some.log)\n") and line.count("\n") == 1
    assert ESC not in line and len(line) < 300
    assert internal_error_line(KeyError(), None).startswith("ovsim: internal error: KeyError (the traceback could")


def test_keyboard_interrupt_is_one_line_exit_130(capsys, monkeypatch):
    import ovsim.cli._plan as plan_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plan_module, "plan_visit", interrupted)
    code, _, err = invoke(capsys, "plan", EXAMPLES / "lesions_visit3.csv", "--visit", "3")
    assert code == 130 and one_line(err) == "ovsim: interrupted"


def test_expected_failures_keep_their_codes(capsys, tmp_path):
    code, _, err = invoke(capsys, "plan", tmp_path / "missing.csv", "--visit", "1")
    assert code == 2 and one_line(err).startswith("ovsim: error: ")
    code, out, err = invoke(capsys, "handling", EXAMPLES / "handling_log.csv", "--format", "json")
    assert code == 1 and json.loads(out) and err == ""
    code, out, _ = invoke(capsys, "--version")
    assert code == 0 and out.startswith("ovsim ")


def test_console_script_in_a_subprocess_shows_no_traceback(tmp_path):
    code = ("import sys, ovsim.cli._plan as p\n"
            "def boom(*a, **k): raise ZeroDivisionError('division by zero')\n"
            "p.plan_visit = boom\n"
            f"sys.argv = ['ovsim', 'plan', {str(EXAMPLES / 'lesions_visit3.csv')!r}, '--visit', '3']\n"
            "from ovsim.cli import main\nmain()\n")
    env = {**os.environ, "OVSIM_LOG_DIR": str(tmp_path / "logs")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert line.startswith("ovsim: internal error: ZeroDivisionError: division by zero (traceback in ")
    assert "Traceback" in next((tmp_path / "logs").glob("ovsim-*.log")).read_text()


# --- usage errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, expected", [
    (["supply", "--patients-per-month", "2", "--months", "x"], "ovsim: error: --months: expected an integer (got 'x')"),
    (["supply", "--patients-per-month=abc", "--months", "2"],
     "ovsim: error: --patients-per-month: expected a number (got 'abc')"),
    (["plan", "x.csv", "--visit", "1", "--format", "xml"],
     "ovsim: error: --format: expected one of table, csv, json (got 'xml')"),
    (["simulate", "p.yaml", "--bogus"], "ovsim: error: --bogus: no such option of 'ovsim simulate'"),
    (["simulate", "p.yaml"], "ovsim: error: --out: missing"),
    (["simulate"], "ovsim: error: PATIENT_FILE: missing"),
    (["simulate", "p.yaml", "--out"], "ovsim: error: --out: expected a value"),
    (["nosuchcommand"], "ovsim: error: no such command 'nosuchcommand'"),
    (["plan", "a.csv", "b.csv", "--visit", "1"], "ovsim: error: got unexpected extra argument"),
])
def test_usage_errors_are_one_line_naming_the_flag(capsys, argv, expected):
    code, out, err = invoke(capsys, *argv)
    assert code == 2 and out == ""
    assert one_line(err).startswith(expected), err


# --- --out checked before any work ----------------------------------------------------------------

def _forbid(*args, **kwargs):
    raise AssertionError("work started although --out is unusable")


@pytest.mark.parametrize("kind", ["empty", "file", "under_file"])
def test_out_rejected_before_any_work(capsys, monkeypatch, tmp_path, kind):
    import ovsim.io
    import ovsim.supply

    monkeypatch.setattr(ovsim.io, "load_patient", _forbid)
    monkeypatch.setattr(ovsim.io, "export_patient_sbml", _forbid)
    monkeypatch.setattr(ovsim.supply, "load_or_simulate_courses", _forbid)
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    out = {"empty": "", "file": str(existing), "under_file": str(existing / "sub")}[kind]
    patient = EXAMPLES / "patient_reference.yaml"
    commands = [["simulate", patient, "--out", out], ["supply", "--patients-per-month", "1", "--months", "1",
                                                      "--out", out]]
    if kind != "file":  # -o OUT.xml may overwrite a file
        commands.append(["model", "--sbml", patient, "-o", out])
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv in commands:
        start = time.perf_counter()
        code, stdout, err = invoke(capsys, *argv)
        assert time.perf_counter() - start < 5.0
        assert code == 2 and stdout == "", (argv, err)
        assert one_line(err).startswith("ovsim: error: --out: "), err
    assert sorted(p.name for p in tmp_path.iterdir()) == before and existing.read_text() == "keep me"


def test_sbml_out_must_not_be_a_folder(capsys, monkeypatch, tmp_path):
    import ovsim.io

    monkeypatch.setattr(ovsim.io, "export_patient_sbml", _forbid)
    code, _, err = invoke(capsys, "model", "--sbml", EXAMPLES / "patient_reference.yaml", "-o", tmp_path)
    assert code == 2 and "is a folder" in one_line(err)


# --- user text: rich markup, math text, escape sequences ----------------------------------------------

def _patient_file(tmp_path: Path, ident: str) -> Path:
    doc = {
        "patient": {"id": f"P-{ident}", "hsv1_seropositive": True},
        "lesions": [{"id": ident, "site": "cutaneous", "longest_diameter_cm": 2.0},
                    {"id": "N1", "site": "nodal", "longest_diameter_cm": 1.5}],
        "regimen": {"tvec": {"rules": "label"}},
        "horizon_days": 28,
        "output_every_days": 7,
    }
    path = tmp_path / "patient.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=False))
    return path


@pytest.mark.parametrize("name", sorted(NASTY_IDS))
def test_simulate_with_hostile_ids(capsys, tmp_path, name):
    ident = NASTY_IDS[name]
    out = tmp_path / "out"
    code, stdout, err = invoke(capsys, "simulate", _patient_file(tmp_path, ident), "--out", out,
                               "--backend", "scipy")
    assert ESC not in stdout + err and "\x07" not in stdout + err
    assert "Traceback" not in err and "internal error" not in err
    if name == "escape" and code == 2:  # the patient-file reader may refuse control characters: one line
        one_line(err)
        return
    assert code == 0, err
    assert (out / "trajectories.png").stat().st_size > 5_000
    assert strip_control(ident) in stdout  # the summary names the lesion, control characters removed
    doses = pd.read_csv(out / "doses.csv")
    assert len(doses) > 0


def _plan_csv(tmp_path: Path) -> Path:
    rows = [(NASTY_IDS["markup"], "cutaneous", 2.4), (NASTY_IDS["mathtext"], "nodal", 2.7),
            (NASTY_IDS["escape"], "subcutaneous", 1.8), ("=HYPERLINK(\"http://x\")", "cutaneous", 1.0),
            ("-1.5", "cutaneous", 0.5)]
    frame = pd.DataFrame(rows, columns=["lesion_id", "site", "longest_diameter_cm"]).assign(new=False)
    path = tmp_path / "lesions.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_plan_with_hostile_ids(capsys, tmp_path, fmt):
    args = ["plan", _plan_csv(tmp_path), "--visit", "3", "--format", fmt]
    if fmt != "csv":
        args += ["--visit-time", "09:00"]
    code, out, err = invoke(capsys, *args)
    if code == 2:  # the lesion reader may refuse control characters: one line, still no escape sequence
        assert ESC not in err and one_line(err)
        return
    assert code == 0 and err == "", err
    assert ESC not in out and "\x07" not in out
    if fmt == "table":
        assert NASTY_IDS["markup"] in out and NASTY_IDS["mathtext"] in out and "Ered" in out
    elif fmt == "csv":
        got = pd.read_csv(io.StringIO(out), dtype={"lesion_id": str})
        ids = got["lesion_id"].tolist()
        assert "'=HYPERLINK(\"http://x\")" in ids and "-1.5" in ids and "Ered" in ids
        assert NASTY_IDS["mathtext"] in ids and NASTY_IDS["markup"] in ids
    else:
        ids = [x["lesion_id"] for x in json.loads(out)["lesions"]]
        assert NASTY_IDS["escape"] in ids  # JSON keeps the text exactly, escaped as \u001b


def test_safe_text_renders_literally_through_rich():
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None, emoji=False)  # as rich_console()
    for text in ("a[/]b", "[bold]x[/bold]", "[/]", "x\\[y]", "[link=http://e.org]e[/link]", ":x: [red]"):
        console.print(safe_text(text))
        assert console.file.getvalue().rstrip("\n").endswith(text), text
    console.print(f"[bold]{safe_text('back' + chr(92))}[/bold]")  # a final backslash cannot escape a tag
    assert "back" in console.file.getvalue().splitlines()[-1]
    assert safe_text(f"A{ESC}[2J{ESC}]8;;http://e{ESC}\\B\x9bC\x00D\tE") == "AB" + "CD\tE"
    assert strip_control("a\nb\tc\r", newlines=False) == "a b c"


def test_fail_is_one_line_without_control_characters(capsys):
    import typer

    from ovsim.cli import fail

    with pytest.raises(typer.Exit) as done:
        fail(f"bad {ESC}[31mred\nsecond")
    assert done.value.exit_code == 2
    assert capsys.readouterr().err == "ovsim: error: bad red second\n"


def test_usage_message_without_a_value_in_argv():
    from typer._click.exceptions import UsageError

    assert usage_message(UsageError("Something odd."), []) == "something odd (see ovsim --help)"


# --- matplotlib ---------------------------------------------------------------------------------

def test_plot_text_draws_literally():
    from matplotlib.figure import Figure

    for text in ("$\\frac{$", "$x$", "a\\$b", "cost $5", f"E{ESC}[31m"):
        fig = Figure()
        ax = fig.subplots()
        ax.set_title(plot_text(text))
        ax.plot([0, 1], [0, 1], label=plot_text(text))
        ax.legend()
        ax.set_yticks([0.5], [plot_text(text)])
        fig.savefig(io.BytesIO(), format="png")
        shown = ax.title._preprocess_math(ax.title.get_text())
        assert shown == (text.replace(f"{ESC}[31m", ""), False)


def test_trial_figures_with_hostile_arm_and_patient_names():
    from ovsim.report import plot_km, plot_swimmer, plot_waterfall

    arms = ["$\\frac{$", "ctl[/]"]
    patients = pd.DataFrame({
        "arm": [arms[0]] * 3 + [arms[1]] * 3,
        "patient_id": ["$a", "b$", "$\\sqrt{$", "p[/]", f"q{ESC}[1m", "r"],
        "best_change_pct": [-60.0, 10.0, -100.0, 30.0, np.nan, -55.0],
        "best_overall_response": ["PR", "SD", "CR", "PD", "NE", "PR"],
        "objective_response": [True, False, True, False, False, True],
        "durable_response": [True, False, True, False, False, False],
        "time_to_response_days": [56.0, np.nan, 84.0, np.nan, np.nan, 56.0],
        "duration_of_response_days": [300.0, np.nan, 200.0, np.nan, np.nan, 100.0],
        "treatment_end_day": [200.0, 100.0, 150.0, 50.0, 30.0, 100.0],
        "os_months": [24.0, 12.0, 20.0, 6.0, 3.0, 15.0],
        "os_event": [False, True, False, True, True, False],
    })
    km = {a: pd.DataFrame({"time_months": [0.0, 6.0, 12.0], "survival": [1.0, 0.8, 0.6],
                           "lower": [1.0, 0.6, 0.4], "upper": [1.0, 0.9, 0.8], "at_risk": [3, 2, 1],
                           "events": [0, 1, 1], "censored": [0, 0, 1]}) for a in arms}
    for fig in (plot_waterfall(patients, arms=arms), plot_swimmer(patients, arms=arms),
                plot_km(km, arms=arms, endpoints={"comparisons": {"hazard_ratio_os": {"value": 0.7}}})):
        fig.savefig(io.BytesIO(), format="svg")


# --- CSV injection ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected", [
    ("=1+2", "'=1+2"), ("+SUM(A1)", "'+SUM(A1)"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'=1"), (f"{ESC}[0m=1", "'=1"), ("=", "'="), ("-", "'-"),
    ("-0.5", "-0.5"), ("+3", "+3"), ("-1.2e-3", "-1.2e-3"), ("-1+2", "'-1+2"), ("-inf", "'-inf"),
    ("L1", "L1"), ("a=b", "a=b"), ("", ""), ("'=x", "'=x"), (f"ok{ESC}[31m", "ok"),
])
def test_safe_csv_cell(cell, expected):
    assert safe_csv_cell(cell) == expected
    assert safe_csv_cell(expected) == expected or expected.startswith("'")  # idempotent on its output


def test_safe_csv_cell_leaves_non_text_alone():
    for value in (-0.5, -3, None, np.nan, True, np.float64(-2.0)):
        got = safe_csv_cell(value)
        assert got is value or (isinstance(value, float) and np.isnan(value) and np.isnan(got))
    assert safe_csv_cell(f"{ESC}[1m=1", strip_control=False).startswith(ESC)


def test_safe_csv_frame_neutralises_only_text_cells():
    frame = pd.DataFrame({
        "ID": ["=cmd|' /C calc'!A0", "P2", "-0.5", None],
        "TIME": [-0.5, 1.0, -2.0, np.nan],
        "N": [-1, 2, 3, 4],
        "CAT": pd.Categorical(["@x", "y", "@x", "z"]),
        "S": pd.array(["+1", "+a", None, "b"], dtype="string"),
        "=head": ["a", "b", "c", "d"],
    })
    original = frame.copy()
    safe = safe_csv_frame(frame)
    pd.testing.assert_frame_equal(frame, original)  # the input is not changed
    assert safe["ID"].tolist()[:3] == ["'=cmd|' /C calc'!A0", "P2", "-0.5"] and safe["ID"].isna().iloc[3]
    assert safe["TIME"].dtype == frame["TIME"].dtype and safe["N"].dtype == frame["N"].dtype
    pd.testing.assert_series_equal(safe["TIME"], frame["TIME"])
    assert safe["CAT"].tolist() == ["'@x", "y", "'@x", "z"]
    assert safe["S"].tolist()[:2] == ["+1", "'+a"]
    assert "'=head" in safe.columns
    back = pd.read_csv(io.StringIO(safe.to_csv(index=False)))
    assert back["TIME"].tolist()[:3] == [-0.5, 1.0, -2.0] and back["N"].tolist() == [-1, 2, 3, 4]


def test_safe_csv_frame_with_duplicated_columns():
    frame = pd.DataFrame([["=a", 1, "-b"]], columns=["x", "y", "x"])
    assert safe_csv_frame(frame).iloc[0].tolist() == ["'=a", 1, "'-b"]


def test_handling_json_escapes_c1_controls():
    from ovsim.cli._handling import render_json

    class Result:
        def to_dict(self):
            return {"vial_id": "v\x9b1\x1b", "status": "ok", "reason": "caf\u00e9"}

    text = render_json([Result()])
    assert "\x9b" not in text and "\x1b" not in text and "caf\u00e9" in text
    assert json.loads(text)[0]["vial_id"] == "v\x9b1\x1b"


def test_simulate_replaces_its_folder_and_refuses_a_foreign_one(tmp_path):
    """A rerun of ovsim simulate replaces its own output whole (no stale files); a folder that is not
    ovsim's is refused before any work."""
    from typer.testing import CliRunner

    from conftest import EXAMPLES
    from ovsim.cli import app

    runner = CliRunner()
    patient = tmp_path / "p.yaml"
    patient.write_text((EXAMPLES / "patient_reference.yaml").read_text().replace("horizon_days: 730", "horizon_days: 28")
                       .replace("output_every_days: 1", "output_every_days: 7"))
    out = tmp_path / "out"
    args = ["simulate", str(patient), "--out", str(out), "--backend", "scipy"]
    assert runner.invoke(app, [*args, "--format", "csv"]).exit_code == 0
    assert (out / "lesions.csv").exists()
    assert runner.invoke(app, args).exit_code == 0
    assert (out / "lesions.parquet").exists() and not (out / "lesions.csv").exists()  # no stale csv left
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    res = runner.invoke(app, ["simulate", str(patient), "--out", str(foreign), "--backend", "scipy"])
    assert res.exit_code == 2 and "--out" in res.output
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]
