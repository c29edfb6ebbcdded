"""One regimen schema for patient files, trial scenarios and the CLI.

A regimen is a mapping from registered treatment names to their options, e.g.::

    regimen:
      tvec: optim                     # a shorthand, or {rules: label, detection_limit_cm: 0.2}
      gmcsf: {dose_ug_per_m2_per_day: 125, days_on: 14, cycle_days: 28}

``{}`` (or ``none``) is no treatment. Several treatments may be combined in one arm, each with its own
schedule; at most one may dose by a state-dependent policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import ValidationError

from .._errors import _FIELD_MESSAGE, first_error
from .._read import one_line, shorten
from ..model import ModelDefinition
from ._protocol import Options, PolicyDosing, ScheduledDosing, Treatment
from ._registry import model_for, names_in, treatment, treatment_names


class RegimenError(ValueError):
    """A regimen entry is invalid; the message is one line: field and what was expected."""


@dataclass(frozen=True)
class Regimen:
    """Validated treatments of one arm or patient, each with its options and dosing."""

    items: tuple[tuple[Treatment, Options], ...] = ()

    @property
    def treatments(self) -> tuple[Treatment, ...]:
        return tuple(t for t, _ in self.items)

    @property
    def names(self) -> tuple[str, ...]:
        """Treatment names in registry order."""
        return names_in(self.treatments)

    def model(self) -> ModelDefinition:
        """The composed model: mechanisms plus these treatments' parts."""
        return model_for(self.names)

    def dosings(self) -> list[tuple[Treatment, ScheduledDosing | PolicyDosing]]:
        return [(t, t.dosing(o)) for t, o in self.items]

    def policy(self) -> tuple[Treatment, PolicyDosing] | None:
        """The (at most one) treatment dosed by a state-dependent policy."""
        found = [(t, d) for t, d in self.dosings() if isinstance(d, PolicyDosing)]
        return found[0] if found else None

    def scheduled(self) -> list[tuple[Treatment, ScheduledDosing]]:
        """Treatments dosed by the calendar."""
        return [(t, d) for t, d in self.dosings() if not isinstance(d, PolicyDosing)]

    def to_dict(self) -> dict[str, Any]:
        """``{name: options}`` (JSON-able; provenance)."""
        return {t.name: o.dump() if hasattr(o, "dump") else o.model_dump() for t, o in self.items}

    @property
    def label_conformant(self) -> bool:
        """False when any treatment is dosed outside its label (a research regimen; ``not_label`` says how)."""
        return not self.not_label()

    def not_label(self) -> list[str]:
        """What differs from the treatments' labels, ``<treatment>: <setting> <value> (label <value>)`` each."""
        return [f"{t.name}: {line}" for t, o in self.items for line in (o.not_label() if hasattr(o, "not_label")
                                                                         else [])]

    def label_summary(self) -> dict[str, Any]:
        """``{"label_conformant": bool, "not_label": [...]}`` (``not_label`` only when not conformant)."""
        lines = self.not_label()
        return {"label_conformant": not lines, **({"not_label": lines} if lines else {})}

    def with_defaults(self, **defaults: Mapping[str, Any]) -> "Regimen":
        """Fill options the regimen did not set explicitly, per treatment (``tvec={"detection_limit_cm": 0.3}``)."""
        items = []
        for t, o in self.items:
            extra = {k: v for k, v in dict(defaults.get(t.name, {})).items() if k not in o.model_fields_set}
            items.append((t, o.model_copy(update=extra) if extra else o))
        return Regimen(tuple(items))


def parse_regimen(raw: Any, where: str = "regimen") -> Regimen:
    """A :class:`Regimen` from a mapping ``{treatment: options}`` (or ``None``/``'none'``/``{}``: untreated).

    Raises :class:`RegimenError` with one line naming the field (``where.tvec.min_months``) and what was expected.
    """
    if raw is None or raw == "none":
        return Regimen()
    if isinstance(raw, str):
        raw = {name.strip(): None for name in raw.split("+")}
    if not isinstance(raw, Mapping):
        raise RegimenError(f"{where}: expected a mapping of treatment names to options "
                           f"(treatments: {', '.join(treatment_names())})")
    items = []
    for name, options in raw.items():
        shown = name if isinstance(name, str) and len(name) <= 80 and name.isprintable() else shorten(name, 80)
        if name not in treatment_names():
            raise RegimenError(f"{where}.{shown}: unknown treatment {shorten(name, 80)} "
                               f"(expected one of {', '.join(treatment_names())})")
        t = treatment(name)
        shorthand = isinstance(options, str) and bool(t.shorthand) and options in t.shorthand
        if not (options is None or isinstance(options, Mapping) or shorthand):
            names = f" or one of {', '.join(t.shorthand)}" if t.shorthand else ""
            raise RegimenError(f"{where}.{shown}: expected a mapping of options{names} (got {shorten(options)})")
        try:
            parsed = t.parse(options)
            t.dosing(parsed)  # a dosing object checks its own values: its error names the field, with the path
            items.append((t, parsed))
        except ValidationError as err:
            e = err.errors(include_url=False)[0]
            if not e["loc"]:  # a check across fields: its message starts with the field it names
                raise RegimenError(f"{where}.{shown}.{one_line(e['msg'].removeprefix('Value error, '))}") from None
            raise RegimenError(f"{where}.{shown}.{first_error(err)}") from None
        except ValueError as err:
            text = one_line(str(err))
            named = _FIELD_MESSAGE.match(text)
            raise RegimenError(f"{where}.{shown}.{text}" if named else f"{where}.{shown}: {text}") from None
    regimen = Regimen(tuple(items))
    if sum(isinstance(d, PolicyDosing) for _, d in regimen.dosings()) > 1:
        raise RegimenError(f"{where}: at most one treatment may be dosed by a state-dependent policy")
    return regimen
