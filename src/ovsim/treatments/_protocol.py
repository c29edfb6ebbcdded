"""What a treatment is: its model part, its regimen options and how it doses.

A treatment declares
- ``model``: a :class:`~ovsim.model.Mechanism` with its pharmacokinetic states (if any), its parameters
  and covariates, and the terms through which it acts (e.g. a kill term on tumour cells);
- ``options``: the pydantic schema of its entry in a regimen (``regimen: {name: options}``);
- ``dosing(options)``: a :class:`ScheduledDosing` (doses by the calendar) or a :class:`PolicyDosing`
  (doses decided at visits from the state, like the Imlygic label);
- its dose records, in its own amount units (``DRUG``, ``AMT_UNIT`` columns).

Adding a drug is one new module with a :class:`Treatment` and :func:`ovsim.treatments.register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..model import Mechanism


class Options(BaseModel):
    """Base of every treatment's regimen options: unknown fields are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@runtime_checkable
class ScheduledDosing(Protocol):
    """Doses fixed by the calendar: boluses and zero-order inputs into one state.

    target: the state dosed (a systemic state of the composed model); amounts in the treatment's units.
    """

    target: str

    def event_days(self, horizon_days: float) -> np.ndarray:
        """Days (within [0, horizon)) at which a bolus is given or an input rate changes."""

    def amounts(self, starts_day: np.ndarray, patient: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(bolus (B, S), rate (B, S)): amount given at each segment start and input per day over it.

        starts_day: (S,) segment starts (days); patient: per-patient covariates and parameters (B,).
        """

    def records(self, patient_id: str, horizon_days: float, patient: Mapping[str, float], cmt: int) -> pd.DataFrame:
        """Dose records of one patient (``ovsim.regimen.DOSE_RECORD_COLUMNS``)."""


@runtime_checkable
class PolicyDosing(Protocol):
    """Doses decided at scheduled visits from the lesions' state (pure array functions, ``xp`` numpy or jax).

    target: a lesion state; each lesion receives ``fraction x amount`` (``fraction``: a parameter name or None).
    """

    target: str
    fraction: str | None

    def visit_days(self, horizon_days: float) -> np.ndarray:
        """Scheduled visit days within [0, horizon)."""

    def options_array(self) -> Mapping[str, float]:
        """The policy's options as numbers (passed into compiled code)."""

    def init(self, n_lesions: int, xp: Any) -> Any:
        """The policy's carried state before the first visit (a pytree of arrays)."""

    def step(self, options: Mapping[str, Any], state: Any, t_day: Any, visit_index: Any, diameter_cm: Any,
             injectable: Any, xp: Any) -> tuple[Any, Any, Mapping[str, Any]]:
        """One visit: (new state, amount per lesion (L,), record arrays {name: (L,) or ()}).

        Depends on ``self`` only through its class: compiled backends share one program between policies
        of a class and pass each one's :meth:`options_array` as data."""

    def records(self, patient_id: str, starts_day: np.ndarray, record: Mapping[str, np.ndarray],
                lesion_ids: list[str], cmt: list[int]) -> pd.DataFrame:
        """Dose records of one patient from the per-visit record arrays ({name: (S, L) or (S,)})."""

    def check_patient(self, injectable: np.ndarray) -> str | None:
        """Why a patient cannot receive this treatment (``injectable``: (L,) bool), or None."""


@dataclass(frozen=True)
class Treatment:
    """A treatment: model part, regimen options and dosing. ``name`` is its key in a regimen."""

    name: str
    drug: str
    title: str
    amount_unit: str
    model: Mechanism
    options: type[Options]
    dosing: Callable[[Any], ScheduledDosing | PolicyDosing]
    shorthand: Mapping[str, Mapping[str, Any]] | None = None
    """Names that stand for a whole options mapping (``tvec: optim``)."""

    def parse(self, raw: Any) -> Options:
        """Validated options from a regimen entry (a mapping, ``None`` for defaults, or a shorthand name)."""
        if raw is None:
            raw = {}
        if isinstance(raw, str) and self.shorthand and raw in self.shorthand:
            raw = dict(self.shorthand[raw])
        return self.options.model_validate(raw)
