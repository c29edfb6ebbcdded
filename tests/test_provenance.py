"""Provenance: environment (versions, git commit), pool hash, timestamps only in run.json; the lock file."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from ovsim._provenance import environment, file_sha256, files_sha256, run_stamp

REPO = Path(__file__).resolve().parents[1]


def test_environment_names_versions_without_importing_heavy_modules():
    env = environment()
    assert env["packages"]["numpy"] and env["packages"]["pyarrow"] and env["python"].count(".") == 2
    assert env["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", env["git_commit"])
    assert environment() == env  # deterministic within an installation
    assert "created" in run_stamp() and "created" not in env


def test_file_hashes(tmp_path):
    (tmp_path / "a").write_bytes(b"abc")
    assert file_sha256(tmp_path / "a") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    one = files_sha256(tmp_path, ("a", "missing"))
    assert one["files"] == {"a": file_sha256(tmp_path / "a"), "missing": None}
    (tmp_path / "a").write_bytes(b"abd")
    assert files_sha256(tmp_path, ("a", "missing"))["sha256"] != one["sha256"]


def test_trial_provenance_has_versions_and_pool_hash_and_no_timestamp(tmp_path):
    from ovsim.trial import load_scenario, run_trial
    from ovsim.trial._provenance import calibrated_pool_sha256

    result = run_trial(load_scenario(), seed=9, patients=12)
    prov = result.endpoints["provenance"]
    assert prov["environment"]["packages"]["jax"] and prov["calibrated_pool"] == calibrated_pool_sha256()
    assert re.fullmatch(r"[0-9a-f]{64}", prov["calibrated_pool"]["sha256"])
    text = json.dumps(result.endpoints)
    assert result.run["provenance"]["created"] not in text  # the timestamp stays in run.json


def test_every_pyproject_dependency_is_pinned_in_constraints():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pinned = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    for spec in names:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower())
        assert pinned.get(name), f"constraints.txt: {name} (from pyproject.toml) is not pinned (run make constraints)"
