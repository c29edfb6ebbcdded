"""The provenance block of a trial's ``endpoints.json``: what was run, on which software, from which pool.

Deterministic items only (the same seed on the same installation gives byte-identical ``endpoints.json``);
the timestamp goes to ``run.json`` (:func:`ovsim._provenance.run_stamp`). The dict stays open: callers add
keys (e.g. ``overrides``).
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from .._provenance import environment, files_sha256
from ..population import calibrated_pool_path
from ._scenario import TrialScenario

POOL_FILES = ("patients.parquet", "lesions.parquet", "pool.json", "calibration.json")
"""Files of the shipped calibrated pool that a trial reads (their hashes identify the calibration)."""


def calibrated_pool_sha256() -> dict[str, Any]:
    """``{"sha256": combined, "files": {name: sha256}}`` of the shipped calibrated pool (:data:`POOL_FILES`)."""
    return files_sha256(calibrated_pool_path(), POOL_FILES)


def trial_provenance(sc: TrialScenario, seed: int, *, design: str, patients: dict[str, int],
                     failed: dict[str, int], cohorts: dict[str, dict[str, Any]], calibrated: bool) -> dict[str, Any]:
    """The ``provenance`` of ``endpoints.json``: ovsim's version, the scenario and its hash, the seed, design,
    patients and failures per arm, the response criterion, each arm's cohort facts (backend, device, failures, lane
    efficiency), the software ``environment`` (versions, git commit) and, when the patients were drawn from
    the shipped calibrated pool (``calibrated``), that pool's hash (``calibrated_pool``; else None)."""
    return {
        "ovsim_version": __version__, "scenario": sc.name, "scenario_sha256": sc.digest(), "seed": seed,
        "design": design, "patients": patients, "failed_patients": failed, "criterion": sc.assessment.criterion,
        "cohorts": cohorts, "environment": environment(),
        "calibrated_pool": calibrated_pool_sha256() if calibrated else None,
    }


__all__ = ["POOL_FILES", "calibrated_pool_sha256", "trial_provenance"]
