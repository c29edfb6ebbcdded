"""The scenarios shipped in ``ovsim/data/scenarios`` (OPTiM and the checkpoint trials), by name: ``ovsim trial NAME``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SCENARIO_DIR = "scenarios"


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``ovsim/data/scenarios`` (``ovsim trial NAME``)."""
    folder = resources.files("ovsim.data").joinpath(SCENARIO_DIR)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def shipped_scenario_path(name: str) -> Path | None:
    """The file of the shipped scenario ``name``, or None if none ships under that name."""
    if name not in shipped_scenarios():
        return None
    return Path(str(resources.files("ovsim.data").joinpath(f"{SCENARIO_DIR}/{name}.yaml")))
