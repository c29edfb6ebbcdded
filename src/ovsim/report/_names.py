"""Human names for the internal keys the report and the CLI summary show: arms, endpoints, response
criteria, lesion categories, best overall responses, adverse events, stages and subgroups.

One mapping, used by every table and figure of the trial report (and the CLI's printed summary), so a
reader sees "T-VEC", "durable response rate" and "injection-site pain", never ``tvec``,
``durable_response_rate`` or ``injection_site_pain``. Keys the mapping does not know fall back to the
key with underscores as spaces (:func:`display`).

Arm names: a scenario arm may give a short ``display_name``; the report passes the scenario's names
with :func:`use_arm_names` (a context, so plots drawn inside the report see them too); otherwise OPTiM's
arm keys get their drug names (``ARM_NAMES``) and any other arm shows its key.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: Short display names of the reference scenarios' arm keys.
ARM_NAMES = {"tvec": "T-VEC", "gmcsf": "GM-CSF", "gm_csf": "GM-CSF", "untreated": "untreated"}

#: Endpoint keys (endpoints.json) -> display name (lower case; tables capitalise the first letter).
ENDPOINT_NAMES = {
    "durable_response_rate": "durable response rate",
    "objective_response_rate": "objective response rate",
    "complete_response_rate": "complete response rate",
    "median_time_to_response_months": "median time to response (months)",
    "median_time_to_complete_response_months": "median time to complete response (months)",
    "median_overall_survival_months": "median overall survival (months)",
    "overall_survival_at_months": "overall survival at landmark months",
    "hazard_ratio_os": "hazard ratio, overall survival",
    "durable_response_difference": "durable response rate difference (percentage points)",
    "durable_response_odds_ratio": "durable response odds ratio",
    "objective_response_relative_risk": "objective response relative risk",
    "best_overall_response": "best overall response",
    "lesion_level": "lesion-level response",
    "decrease_ge_50pct": "\u2265 50% decrease",
    "complete_resolution": "complete resolution",
    "median_time_to_decrease_50pct_months": "median time to \u2265 50% decrease (months)",
    "n_lesions": "lesions (n)",
    "n_new_lesions": "new lesions (n)",
}

#: Response criteria (scenario ``assessment.criterion``) -> display name.
CRITERION_NAMES = {"modified_who": "modified WHO", "recist11": "RECIST 1.1", "recist_1_1": "RECIST 1.1",
                   "irrc": "irRC", "who": "WHO"}

#: Lesion categories of the lesion-level endpoints.
LESION_NAMES = {"injected": "injected", "uninjected_nonvisceral": "uninjected non-visceral",
                "uninjected_visceral": "uninjected visceral"}

#: Best overall response codes.
BOR_NAMES = {"CR": "complete response", "PR": "partial response", "SD": "stable disease",
             "PD": "progressive disease", "NE": "not evaluable"}

#: Adverse events (src/ovsim/data/adverse_events.yaml) -> display name, grade included where the event has one.
AE_NAMES = {
    "fatigue": "fatigue", "chills": "chills", "pyrexia": "pyrexia", "nausea": "nausea",
    "influenza_like_illness": "influenza-like illness", "injection_site_pain": "injection-site pain",
    "cellulitis_grade3_or_more": "cellulitis (grade \u2265 3)",
}

#: Stage and subgroup keys -> display name.
GROUP_NAMES = {
    "IIIB_IIIC": "IIIB/IIIC", "IIIB/IIIC": "IIIB/IIIC", "IVM1a": "IVM1a", "IVM1b": "IVM1b", "IVM1c": "IVM1c",
    "eu_indication": "EU indication", "serostatus": "HSV-1 serostatus", "stage": "stage",
    "seropositive": "HSV-1 seropositive", "seronegative": "HSV-1 seronegative",
}

_ALL = {**ENDPOINT_NAMES, **CRITERION_NAMES, **LESION_NAMES, **AE_NAMES, **GROUP_NAMES}

_ARMS: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("ovsim_report_arm_names", default={})


def arm_name(arm: object) -> str:
    """The display name of arm key ``arm``: the names set by :func:`use_arm_names`, else ``ARM_NAMES``, else the key."""
    key = str(arm)
    return str(_ARMS.get().get(key) or ARM_NAMES.get(key) or key)


@contextlib.contextmanager
def use_arm_names(names: Mapping[str, str] | None) -> Iterator[None]:
    """Within the block, :func:`arm_name` returns ``names[arm]`` for the arms it names (empty names ignored)."""
    token = _ARMS.set({str(k): str(v) for k, v in (names or {}).items() if v})
    try:
        yield
    finally:
        _ARMS.reset(token)


def display(key: object) -> str:
    """The display name of any internal key this module knows, else the key with underscores as spaces."""
    text = str(key)
    return _ALL.get(text) or text.replace("_", " ")


def capital(text: str) -> str:
    """``text`` with its first letter upper case (the rest untouched: 'T-VEC', 'irRC' stay as they are)."""
    return text[:1].upper() + text[1:]


def humanize(text: object, arms: list[str] | tuple[str, ...] = ()) -> str:
    """Free text built from internal keys made readable: the known keys and each arm key in ``arms``
    (and those of ``ARM_NAMES`` and :func:`use_arm_names`) replaced, as whole words, by their display names."""
    out = str(text)
    for key, name in sorted({**AE_NAMES, **LESION_NAMES, "eu indication": "EU indication",
                             "eu_indication": "EU indication", "uninjected nonvisceral": "uninjected non-visceral",
                             "cellulitis grade3 or more": AE_NAMES["cellulitis_grade3_or_more"],
                             "influenza like illness": "influenza-like illness",
                             "injection site pain": "injection-site pain",
                             **CRITERION_NAMES, **ENDPOINT_NAMES}.items(), key=lambda kv: -len(kv[0])):
        out = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", name, out)
    for arm in sorted({*map(str, arms), *ARM_NAMES, *_ARMS.get()}, key=len, reverse=True):
        out = re.sub(rf"(?<![\w-]){re.escape(arm)}(?![\w-])", arm_name(arm), out)
    return out



def humanized(data: Any, arms: list[str]) -> Any:
    """A free-form mapping (the design) with its keys and text values made readable (``humanize``)."""
    if isinstance(data, dict):
        return {humanize(k, arms): humanized(v, arms) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [humanized(v, arms) for v in data]
    return humanize(data, arms) if isinstance(data, str) else data


def humanized_frame(frame: Any, arms: list[str]) -> Any:
    """A table to show (the calibration's) with readable column names and text cells (``humanize``)."""
    out = frame.rename(columns=lambda c: humanize(display(c), arms))
    for col in out.columns:
        out[col] = out[col].map(lambda v: humanize(v, arms) if isinstance(v, str) else v)
    return out


__all__ = ["AE_NAMES", "ARM_NAMES", "BOR_NAMES", "CRITERION_NAMES", "ENDPOINT_NAMES", "GROUP_NAMES",
           "LESION_NAMES", "arm_name", "capital", "display", "humanize", "humanized", "humanized_frame",
           "use_arm_names"]
