"""Output folder lifecycle: atomic replacement, refusal of foreign folders, stale temporary folders,
workers that follow their parent, and ``--resume`` of a killed cohort or trial (SIGKILL from here)."""

from __future__ import annotations

import filecmp
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.io._results import CHECKPOINT_DIR, MARKER, OutputFolderError, atomic_output_dir

runner = CliRunner()


def _cohort(patients: int = 8, seed: int = 1) -> list[str]:
    return ["cohort", "--patients", str(patients), "--seed", str(seed), "--horizon-days", "84", "--every-days", "28",
            "--chunk-size", "2", "--workers", "1"]


COHORT = _cohort()
SCENARIO = """name: short
description: "a short two-arm trial (resume tests)"
seed: 5
design: randomised
population: reference
arms:
  tvec: {n: 4, regimen: {tvec: optim}}
  gmcsf: {n: 4, regimen: {gmcsf: {days_on: 14}}}
assessment: {every_days: 28, horizon_days: 84}
"""


def _trial_args(tmp_path: Path) -> list[str]:
    scenario = tmp_path / "short.yaml"
    if not scenario.exists():
        scenario.write_text(SCENARIO)
    return ["trial", str(scenario), "--patients", "8", "--chunk-size", "2", "--workers", "1", "--no-report"]


def _invoke(args: list[str], out: Path):
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return res


def _kill_when(args: list[str], out: Path, ready, timeout: float = 120.0) -> None:
    """Run ``ovsim ARGS --out OUT`` in a new process and SIGKILL it once ``ready(temporary folder)`` holds."""
    proc = subprocess.Popen([sys.executable, "-c", "from ovsim.cli import main; main()", *args, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tmp = out.parent / f".{out.name}.ovsim-tmp-{proc.pid}"
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if tmp.is_dir() and ready(tmp):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        time.sleep(0.01)
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"the run was not killed at the point wanted (exit {proc.returncode}): {err.decode()[-2000:]}")


def _resume(args: list[str], out: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", "from ovsim.cli import main; main()", *args, "--out", str(out),
                           "--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _chunks(tmp: Path, where: str = "") -> list[Path]:
    return sorted((tmp / CHECKPOINT_DIR / where / "chunks").glob("[0-9]*"))


def _same_files(a: Path, b: Path, but: tuple[str, ...] = ("run.json",)) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a, b, [n for n in names if n not in but], shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def _no_leftovers(out: Path) -> None:
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.ovsim-")]


def test_cohort_killed_and_resumed_equals_an_uninterrupted_run(tmp_path):
    base, out = tmp_path / "base", tmp_path / "killed"
    _invoke(COHORT, base)
    _kill_when(COHORT, out, lambda tmp: len(_chunks(tmp)) >= 1)
    [tmp] = tmp_path.glob(".killed.ovsim-tmp-*")
    assert _chunks(tmp) and (tmp / CHECKPOINT_DIR / "manifest.json").is_file() and not out.exists()

    # a checkpoint of other inputs is refused in one line, and kept
    res = runner.invoke(app, [*_cohort(seed=2), "--out", str(out), "--resume"])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert lines == ["ovsim: error: cannot resume: the run's inputs differ (population)"], res.output
    assert tmp.is_dir() and not out.exists()

    done = _resume(COHORT, out)
    assert "resumed: " in done.stdout
    _same_files(base, out)
    assert json.loads((out / "run.json").read_text())["n_chunks_resumed"] >= 1
    assert json.loads((base / "run.json").read_text())["n_chunks_resumed"] == 0
    lesions = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("lesions-part-*.parquet"))], ignore_index=True)
    assert lesions.patient_id.nunique() == 8
    assert (out / MARKER).is_file() and not (out / CHECKPOINT_DIR).exists()
    _no_leftovers(out)


def test_trial_killed_in_the_first_arm_and_between_arms_resumes_to_the_same_files(tmp_path):
    args = _trial_args(tmp_path)
    base, out = tmp_path / "base", tmp_path / "killed"
    _invoke(args, base)

    _kill_when(args, out, lambda tmp: len(_chunks(tmp, "arm-0")) >= 1)  # during the first arm
    [tmp] = tmp_path.glob(".killed.ovsim-tmp-*")
    assert not (tmp / CHECKPOINT_DIR / "arm-1").exists()
    res = runner.invoke(app, [*args, "--seed", "6", "--out", str(out), "--resume"])
    assert res.exit_code == 2 and "cannot resume: the run's inputs differ (seed)" in res.output, res.output

    # resumed, then killed again as the second arm starts (the first one finished)
    _kill_when([*args, "--resume"], out, lambda tmp: (tmp / CHECKPOINT_DIR / "arm-1" / "manifest.json").is_file())
    [tmp] = tmp_path.glob(".killed.ovsim-tmp-*")
    assert len(_chunks(tmp, "arm-0")) >= 2
    done = _resume(args, out)
    assert "resumed: " in done.stdout

    _same_files(base, out)  # endpoints.json, tables, doses.csv: byte-identical
    run = json.loads((out / "run.json").read_text())
    assert run["resumed"] and sum(c["n_chunks_resumed"] for c in run["cohorts"].values()) >= 2
    endpoints = json.loads((out / "endpoints.json").read_text())
    assert "wall_seconds" not in endpoints["provenance"]
    assert endpoints["provenance"]["environment"]["packages"]["numpy"] and "created" in run["provenance"]
    # byte-identical above: no timestamp in endpoints; a trial on the reference spec names no calibrated pool
    assert "calibrated_pool" in endpoints["provenance"] and endpoints["provenance"]["calibrated_pool"] is None
    assert all("wall_seconds" not in c and "patients_per_second" not in c
               for c in endpoints["provenance"]["cohorts"].values())
    _no_leftovers(out)

    # a rerun into the (ovsim) folder replaces it whole: no stale file survives; same seed, same bytes
    (out / "report.html").write_text("stale")
    (out / "notes.txt").write_text("stale")
    _invoke(args, out)
    _same_files(base, out)


def test_rerun_of_a_smaller_cohort_leaves_no_stale_parts(tmp_path):
    out = tmp_path / "c"
    _invoke(_cohort(patients=4), out)
    first = {p.name for p in out.iterdir()}
    _invoke(_cohort(patients=2), out)
    parts = sorted(p.name for p in out.glob("lesions-part-*.parquet"))
    assert len(parts) < len([n for n in first if n.startswith("lesions-part-")])
    assert pd.read_parquet(out / "status.parquet").shape[0] == 2
    assert sum(pd.read_parquet(out / p).patient_id.nunique() for p in parts) == 2
    _no_leftovers(out)


@pytest.mark.parametrize("command", ["cohort", "trial"])
def test_out_is_checked_before_any_work(tmp_path, command):
    args = COHORT if command == "cohort" else _trial_args(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out, expected in (("", "empty"), (str(afile), "not a folder"), (str(home), "not an ovsim output folder"),
                          (str(afile / "sub"), "is a file")):
        res = runner.invoke(app, [*args, "--out", out])
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert res.exit_code == 2 and len(lines) == 1 and "--out" in lines[0] and expected in lines[0], res.output
    assert [p.name for p in home.iterdir()] == ["thesis.tex"] and afile.read_text() == "x"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporary_folders_are_removed_and_checkpoints_resumed(tmp_path):
    out = tmp_path / "res"
    stale = tmp_path / f".res.ovsim-tmp-{_dead_pid()}"
    stale.mkdir()
    (stale / "lesions-part-000-00000.parquet").write_bytes(b"PAR1 truncat")  # a killed run's half-written part
    ckpt = tmp_path / f".res.ovsim-tmp-{_dead_pid()}"
    (ckpt / CHECKPOINT_DIR).mkdir(parents=True)
    (ckpt / "lesions-part-000-00000.parquet").write_text("done")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".res.ovsim-tmp-{sleeper.pid}"  # a run still going: left alone
        live.mkdir()
        lines: list[str] = []
        with atomic_output_dir(out, kind="test", log=lines.append) as tmp:
            assert not stale.exists() and ckpt.is_dir() and live.is_dir()
            assert [p.name for p in tmp.iterdir()] == [".ovsim-owner.json"]
            (tmp / "a.txt").write_text("a")
        assert lines[0] == f"removed stale temporary folder {stale}"
        assert lines[1].startswith(f"kept resumable checkpoint {ckpt}")
        assert lines[2] == f"removed superseded checkpoint {ckpt}" and not ckpt.exists()
        assert live.is_dir() and sorted(p.name for p in out.iterdir()) == [MARKER, "a.txt"]

        # resume adopts a checkpoint (its files carry on); a failure keeps it for the next try
        (ckpt / CHECKPOINT_DIR).mkdir(parents=True)
        (ckpt / "b.txt").write_text("b")
        with pytest.raises(RuntimeError):
            with atomic_output_dir(out, kind="test", resume=True, log=lines.append) as tmp:
                assert (tmp / "b.txt").read_text() == "b" and not ckpt.exists()
                raise RuntimeError("killed")
        assert (ckpt / "b.txt").is_file() and sorted(p.name for p in out.iterdir()) == [MARKER, "a.txt"]
        with atomic_output_dir(out, kind="test", resume=True, log=lines.append) as tmp:
            (tmp / "c.txt").write_text("c")
        assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt", "c.txt"]  # a.txt: replaced whole
        assert live.is_dir() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [live.name]

        # a run that stops on an error leaves nothing behind; an interrupted one keeps its checkpoint
        for exc, kept in ((ValueError("bad input"), False), (KeyboardInterrupt(), True)):
            with pytest.raises(type(exc)):
                with atomic_output_dir(out, kind="test", log=lines.append) as tmp:
                    (tmp / CHECKPOINT_DIR).mkdir()
                    raise exc
            assert tmp.is_dir() == kept and sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt", "c.txt"]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_foreign_folder_is_never_replaced(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    with pytest.raises(OutputFolderError, match="not an ovsim output folder"):
        with atomic_output_dir(home, kind="trial"):
            pass
    assert [p.name for p in home.iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    with atomic_output_dir(tmp_path / "empty", kind="trial") as tmp:
        (tmp / "endpoints.json").write_text("{}")
    assert (tmp_path / "empty" / MARKER).is_file()


WORKER_PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from ovsim.engine._parallel import _init_worker

if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                               initargs=(os.getpid(),))
    print(pool.submit(os.getpid).result(), flush=True)
    pool.submit(time.sleep, 120)
    time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(WORKER_PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    assert _running(worker)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker)
