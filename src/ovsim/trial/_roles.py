"""Each endpoint's role: a calibration target, or a prediction.

A *calibration target* is an endpoint the calibration was fitted to: one named in the ``targets:`` block
of the scenario's targets file (``ovsim/data/<scenario>_targets.yaml``; OPTiM's is ``optim_targets.yaml``,
the shipped copy of ``shared/targets/optim.yaml``), or an adverse-event incidence of the file's
``label.adverse_reactions_<arm>_arm`` (the safety model's base rates are fitted to those; ``ovsim.safety``).
Every other endpoint is a *prediction*: computed, never tuned to. A scenario without a targets file
has predictions only.

The mapping is derived from the targets file by naming rules, never from a list of values:

- ``targets.<endpoint>.<arm>`` -> ``arms.<arm>.<endpoint>`` (durable, objective, complete response rate,
  median time to response);
- ``targets.overall_survival.median_months.<arm>`` -> ``arms.<arm>.median_overall_survival_months``;
- ``targets.progression_free_at_<m>_months.<arm>`` -> ``arms.<arm>.progression_free_survival_at_months.<m>`` and
  ``targets.overall_survival_at_<m>_months.<arm>`` -> ``arms.<arm>.overall_survival_at_months.<m>`` (the
  checkpoint trials' landmarks, ``keynote006_targets.yaml``);
- ``targets.overall_survival.hazard_ratio_<a>_vs_<b>`` -> ``comparisons.hazard_ratio_os`` when ``a``, ``b``
  are the first and last arms;
- ``targets.lesion_level_<arm>_arm.<category>.<rate>`` -> ``arms.<arm>.lesion_level.<category>.<rate>``;
- ``targets.<family>_subgroup.<endpoint>.<arm>`` -> ``subgroups.<family>.<group>.<arm>.<endpoint>``
  (``SUBGROUP_TARGETS`` names the group: the EU indication, stages IIIB/IIIC/IVM1a);
- ``label.adverse_reactions_<arm>_arm.<event>`` -> ``adverse_events.<arm>.<event>``.

An *endpoint path* is a dotted path into ``endpoints.json`` under ``ROLE_SECTIONS``: a mapping with a
``value`` (a rate, a median with its interval, a comparison) or a bare number (a median in months; None
where not estimable). Arm sizes (``n``) and text are not endpoints. The supply block is given roles per
family (``supply.vials``, ``supply.costs``, ...; ``ROLE_DEPTH``). ``endpoints.json -> roles`` maps every
endpoint path to its role.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from .._read import loads_yaml
from ._subgroups import EU_INDICATION

TARGET = "calibration target"
PREDICTION = "prediction"
ROLES = (TARGET, PREDICTION)
ROLE_SECTIONS = ("arms", "comparisons", "comparisons_vs_control", "subgroups", "adverse_events", "supply")
ROLE_DEPTH = {"supply": 2}
"""Sections whose roles are given per family, at this depth (the section name is depth 1)."""
SUBGROUP_TARGETS = {"eu_indication_subgroup": ("eu_indication", EU_INDICATION)}
"""Targets-file subgroup block -> (subgroup family, group) of ``endpoints.json -> subgroups``."""
_NOT_ENDPOINTS = {"n"}
_OS_NAMES = {"median_months": "median_overall_survival_months"}


def endpoint_paths(doc: Mapping[str, Any]) -> list[str]:
    """Every endpoint path of an ``endpoints.json`` document, in document order."""
    return [path for section in ROLE_SECTIONS if section in doc
            for path in _walk(doc[section], section, ROLE_DEPTH.get(section))]


def _walk(node: Any, path: str, depth: int | None) -> Iterator[str]:
    if isinstance(node, str):
        return
    if not isinstance(node, Mapping) or "value" in node or (depth is not None and path.count(".") + 1 >= depth):
        yield path
        return
    for key, child in node.items():
        if key not in _NOT_ENDPOINTS:
            yield from _walk(child, f"{path}.{key}", depth)


def _block(targets_file: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    """``targets`` or ``label`` of a targets file; a bare ``targets:`` block counts as ``targets``."""
    if not isinstance(targets_file, Mapping):
        return {}
    if name == "targets" and "targets" not in targets_file:
        return targets_file
    block = targets_file.get(name)
    return block if isinstance(block, Mapping) else {}


def _arm_entries(block: Any) -> Iterator[str]:
    """The arm names of an ``{arm: {value: ...}}`` block."""
    if isinstance(block, Mapping):
        yield from (arm for arm, entry in block.items() if isinstance(entry, Mapping))


def target_paths(targets_file: Mapping[str, Any] | None, arms: list[str]) -> dict[str, str]:
    """``{endpoint path: target name}`` for every target of the file (target name: its dotted key there, e.g.
    ``targets.durable_response_rate.tvec``), by the naming rules of this module. ``arms``: the trial's arms,
    experimental first (for the hazard ratio, first vs last)."""
    out: dict[str, str] = {}
    for key, block in _block(targets_file, "targets").items():
        if not isinstance(block, Mapping):
            continue
        lesion = re.fullmatch(r"lesion_level_(\w+)_arm", key)
        landmark = re.fullmatch(r"(progression_free|overall_survival)_at_(\d+)_months", key)
        if key == "overall_survival":
            for sub, entry in block.items():
                hr = re.fullmatch(r"hazard_ratio_(\w+)_vs_(\w+)", sub)
                if sub in _OS_NAMES:
                    out.update({f"arms.{a}.{_OS_NAMES[sub]}": f"targets.{key}.{sub}.{a}" for a in _arm_entries(entry)})
                elif hr and len(arms) > 1 and hr.groups() == (arms[0], arms[-1]):
                    out["comparisons.hazard_ratio_os"] = f"targets.{key}.{sub}"
        elif landmark:
            name = "progression_free_survival" if landmark.group(1) == "progression_free" else "overall_survival"
            out.update({f"arms.{a}.{name}_at_months.{landmark.group(2)}": f"targets.{key}.{a}"
                        for a in _arm_entries(block)})
        elif lesion:
            for cat, rates in block.items():
                for name in (rates if isinstance(rates, Mapping) else {}):
                    if name != "n_lesions":
                        out[f"arms.{lesion.group(1)}.lesion_level.{cat}.{name}"] = f"targets.{key}.{cat}.{name}"
        elif key in SUBGROUP_TARGETS:
            family, group = SUBGROUP_TARGETS[key]
            for endpoint, entry in block.items():
                out.update({f"subgroups.{family}.{group}.{a}.{endpoint}": f"targets.{key}.{endpoint}.{a}"
                            for a in _arm_entries(entry)})
        else:
            out.update({f"arms.{a}.{key}": f"targets.{key}.{a}" for a in _arm_entries(block)})
    for key, block in _block(targets_file, "label").items():
        reactions = re.fullmatch(r"adverse_reactions_(\w+)_arm", key)
        if reactions and isinstance(block, Mapping):
            out.update({f"adverse_events.{reactions.group(1)}.{event}": f"label.{key}.{event}" for event in block})
    return out


def endpoint_roles(doc: Mapping[str, Any], targets_file: Mapping[str, Any] | None) -> dict[str, str]:
    """``{endpoint path: role}`` for every endpoint path of ``doc`` (see :func:`endpoint_paths`): TARGET for the
    targets of ``targets_file`` (the whole targets file, or its ``targets:`` block; None: no targets), else
    PREDICTION."""
    targets = target_paths(targets_file, list((doc.get("arms") or {}).keys()))
    return {path: TARGET if path in targets else PREDICTION for path in endpoint_paths(doc)}


def unmatched_targets(doc: Mapping[str, Any], targets_file: Mapping[str, Any] | None) -> list[str]:
    """Targets of the file (dotted names) that name no endpoint of ``doc``: every target should name one,
    so a non-empty list means a target the roles would miss (a new kind of target, or a renamed endpoint)."""
    names = target_paths(targets_file, list((doc.get("arms") or {}).keys()))
    paths = set(endpoint_paths(doc))
    named = {name.split(".")[1] for name in names.values() if name.startswith("targets.")}
    no_rule = [f"targets.{k}" for k, v in _block(targets_file, "targets").items() if isinstance(v, Mapping)
               and k not in named]
    return no_rule + [name for path, name in names.items() if path not in paths]


def role_of(roles: Mapping[str, str] | None, path: str) -> str | None:
    """The role of ``path`` in an ``endpoints.json -> roles`` block; None if the block does not list it."""
    return (roles or {}).get(path)


def scenario_targets(name: str) -> dict[str, Any] | None:
    """The targets file of scenario ``name`` (``ovsim/data/<name>_targets.yaml``), or None if it has none."""
    return copy.deepcopy(_targets_file(name))


@functools.cache
def _targets_file(name: str) -> dict[str, Any] | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return None
    resource = resources.files("ovsim.data").joinpath(f"{name}_targets.yaml")
    if not resource.is_file():
        return None
    doc = loads_yaml(resource.read_text(), f"{name}_targets.yaml")
    return doc if isinstance(doc, dict) else None
