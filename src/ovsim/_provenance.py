"""Provenance of a run: the software environment, file hashes and a timestamp (a top-level helper: no
ovsim imports but its version, no heavy modules imported).

``environment()`` is deterministic on one installation (same versions, same source commit), so it can go
into files that must be byte-identical for the same seed (``endpoints.json``); ``run_stamp()`` holds the
wall-clock time and belongs in ``run.json``.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("ovsim", "numpy", "scipy", "pandas", "pyarrow", "xarray", "jax", "jaxlib", "diffrax", "equinox",
            "pydantic", "numba", "libroadrunner")
"""Distributions whose versions :func:`environment` records (None where not installed)."""

GIT_TIMEOUT_S = 5.0
"""Seconds ``git rev-parse`` may take before the commit is recorded as None."""


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """``{distribution: version}`` from the installed metadata (nothing imported); None if not installed."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=4)
def git_commit(path: str | None = None) -> str | None:
    """The commit (40 hex digits) of the git checkout holding ``path`` (default: ovsim's source), if that
    file is tracked there; None when it is not a git checkout, git is missing, or git takes longer than
    :data:`GIT_TIMEOUT_S`. An installed (non-editable) ovsim inside some other repository gives None."""
    target = Path(path) if path is not None else Path(__file__).resolve().with_name("__init__.py")
    folder = target.parent if target.is_file() else target
    try:
        tracked = subprocess.run(["git", "-C", str(folder), "ls-files", "--error-unmatch", target.name],
                                 capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False)
        if tracked.returncode != 0:
            return None
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return commit if head.returncode == 0 and len(commit) == 40 else None


@lru_cache(maxsize=1)
def _environment() -> tuple[tuple[str, Any], ...]:
    return (("python", platform.python_version()), ("implementation", sys.implementation.name),
            ("platform", platform.platform()), ("machine", platform.machine()),
            ("packages", package_versions()), ("git_commit", git_commit()))


def environment() -> dict[str, Any]:
    """The software environment: ``python`` version, ``implementation``, ``platform``, ``machine``,
    ``packages`` (:func:`package_versions` of :data:`PACKAGES`) and ``git_commit`` (:func:`git_commit` of the
    source tree, None outside a git checkout). Deterministic on one installation; computed once per process."""
    out = dict(_environment())
    out["packages"] = dict(out["packages"])
    return out


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def files_sha256(folder: str | Path, names: tuple[str, ...]) -> dict[str, Any]:
    """``{"sha256": ..., "files": {name: sha256}}`` of the files ``names`` in ``folder`` (a missing file: None);
    the combined hash is the SHA-256 of the ``name:sha256`` lines in the given order."""
    folder = Path(folder)
    files = {name: file_sha256(folder / name) if (folder / name).is_file() else None for name in names}
    combined = hashlib.sha256("".join(f"{n}:{h}\n" for n, h in files.items()).encode()).hexdigest()
    return {"sha256": combined, "files": files}


def run_stamp() -> dict[str, Any]:
    """Run-time provenance for ``run.json``: ``created`` (UTC, ISO 8601 to the second) and the environment."""
    return {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **environment()}


__all__ = ["GIT_TIMEOUT_S", "PACKAGES", "environment", "file_sha256", "files_sha256", "git_commit",
           "package_versions", "run_stamp"]
