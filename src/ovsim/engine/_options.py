"""Solver options shared by the engines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SolverOptions:
    """Tolerances and limits of the ODE solve.

    rtol / atol: relative and absolute tolerance of the adaptive step control (atol in the state's
    own units: cells, PFU, ng, ...); max_steps: step limit per segment (a segment is at most
    the output interval or the time between dosing events, days).
    """

    rtol: float = 1e-6
    atol: float = 1e-8
    max_steps: int = 20_000
    method: str = "tsit5"
    scaled_atol: bool = True
    """If True, the absolute tolerance of each state is ``atol x`` its reference magnitude
    (``ovsim.model.SCALE``: 1e6 for cells and PFU, 1 for ng, titre, ...)."""

    def __post_init__(self) -> None:
        if not (0 < self.rtol < 1 and self.atol > 0):
            raise ValueError(f"rtol/atol: expected 0 < rtol < 1 and atol > 0 (got {self.rtol}, {self.atol})")
        if self.max_steps < 1:
            raise ValueError(f"max_steps: expected >= 1 (got {self.max_steps})")
        if self.method not in ("tsit5", "kvaerno5", "dopri5"):
            raise ValueError(f"method: expected one of tsit5, kvaerno5, dopri5 (got {self.method!r})")
