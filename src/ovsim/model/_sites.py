"""Lesion site types: where a lesion is, whether the label lets it be injected."""

from __future__ import annotations

from enum import Enum


class Site(str, Enum):
    """Anatomical site of a lesion (the categories used by OPTiM's lesion-level analysis)."""

    CUTANEOUS = "cutaneous"
    SUBCUTANEOUS = "subcutaneous"
    NODAL = "nodal"
    LUNG = "lung"
    LIVER = "liver"
    VISCERAL_OTHER = "visceral_other"

    @property
    def injectable(self) -> bool:
        """True for cutaneous, subcutaneous and nodal sites (Imlygic label: only these are injected)."""
        return self in _INJECTABLE

    @property
    def visceral(self) -> bool:
        """True for lung, liver and other visceral sites."""
        return not self.injectable

    @classmethod
    def parse(cls, value: str) -> "Site":
        """Site from its name; raises ``ValueError`` naming the allowed values."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"expected one of {allowed} (got {value!r})") from None


_INJECTABLE = frozenset({Site.CUTANEOUS, Site.SUBCUTANEOUS, Site.NODAL})

SITE_NAMES: tuple[str, ...] = tuple(s.value for s in Site)
INJECTABLE_SITE_NAMES: tuple[str, ...] = tuple(s.value for s in Site if s.injectable)
"""Sites the label lets be injected (cutaneous, subcutaneous, nodal)."""
