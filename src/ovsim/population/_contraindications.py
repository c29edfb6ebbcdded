"""The label's contraindications and warnings as boolean patient covariates, and a screen.

Imlygic (talimogene laherparepvec) label: ``shared/targets/optim.yaml`` (``label.contraindications``),
EU SmPC and US prescribing information (PI). Kinds:

- ``refusal``: a contraindication; ovsim does not treat the patient (``ovsim simulate`` stops,
  trial eligibility excludes the patient);
- ``warning``: a warning or precaution of the label; the run goes on and says so;
- ``info``: carried for the record only.

The model itself ignores these covariates: they do not change any simulated quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["refusal", "warning", "info"]


@dataclass(frozen=True)
class Contraindication:
    """One label covariate: ``name`` (a boolean ``Patient`` field and population column), its
    ``kind`` (refusal, warning or info), a one-line ``description`` and its ``source`` in the label."""

    name: str
    kind: Kind
    description: str
    source: str


CONTRAINDICATIONS: tuple[Contraindication, ...] = (
    Contraindication(
        "immunocompromised", "refusal",
        "severely immunocompromised patient (primary or acquired immunodeficiency, e.g. HIV/AIDS with a "
        "low CD4 count, leukaemia, lymphoma, or immunosuppressive therapy): risk of life-threatening "
        "disseminated herpetic infection",
        "Imlygic EU SmPC 4.3; US PI 4.1",
    ),
    Contraindication(
        "pregnant", "refusal",
        "pregnancy (US label; the EU SmPC advises avoiding use in pregnancy under 4.6, not as a 4.3 "
        "contraindication)",
        "Imlygic US PI 4.2",
    ),
    Contraindication(
        "antiherpetic_medication", "warning",
        "acyclovir or another anti-herpetic agent may interfere with the effectiveness of T-VEC "
        "(weigh risks and benefits; ovsim does not model the interaction)",
        "Imlygic EU SmPC 4.4-4.5; US PI 5.2",
    ),
    Contraindication(
        "active_herpetic_lesions", "warning",
        "active herpetic lesions: herpetic infections (cold sores, herpetic keratitis) are reported "
        "with T-VEC, and treating them with antivirals may interfere with T-VEC (label warning on "
        "herpetic infection; not a label contraindication)",
        "Imlygic EU SmPC 4.4; US PI 5.2",
    ),
    Contraindication(
        "prior_tvec", "info",
        "prior T-VEC treatment (not a label contraindication; recorded only)",
        "not in the label",
    ),
)
"""The registry, refusals first."""

CONTRAINDICATION_NAMES: tuple[str, ...] = tuple(c.name for c in CONTRAINDICATIONS)
REFUSAL_NAMES: tuple[str, ...] = tuple(c.name for c in CONTRAINDICATIONS if c.kind == "refusal")


def contraindication(name: str) -> Contraindication:
    """The registry entry ``name``; ``KeyError`` naming the known ones if unknown."""
    for c in CONTRAINDICATIONS:
        if c.name == name:
            return c
    raise KeyError(f"{name!r}: expected one of {', '.join(CONTRAINDICATION_NAMES)}")


def refusal_text(c: Contraindication, prefix: str = "patient") -> str:
    """``<prefix>.<name>: contraindicated: <description> (<source>)`` in one line."""
    return f"{prefix}.{c.name}: contraindicated: {c.description} ({c.source})"


def warning_text(c: Contraindication, prefix: str = "patient") -> str:
    """``<prefix>.<name>: <description> (<source>)`` in one line."""
    return f"{prefix}.{c.name}: {c.description} ({c.source})"


def screen(patient: Any) -> tuple[list[str], list[str]]:
    """``(refusals, warnings)`` for ``patient`` (a :class:`~ovsim.population.Patient`): one line each, naming the field, the
    contraindication or warning and its source in the label. ``info`` covariates give neither.

    A patient with any refusal must not be treated (``ovsim simulate`` stops with exit code 2);
    warnings are printed and the run goes on. ``ovsim.engine.simulate_patient`` does not screen.
    """
    refusals: list[str] = []
    warnings: list[str] = []
    for c in CONTRAINDICATIONS:
        if not getattr(patient, c.name, False):
            continue
        if c.kind == "refusal":
            refusals.append(refusal_text(c))
        elif c.kind == "warning":
            warnings.append(warning_text(c))
    return refusals, warnings
