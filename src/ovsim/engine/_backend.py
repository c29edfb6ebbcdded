"""The backend protocol: typed batch inputs in, a typed raw solution out.

A backend solves a batch of patients of one composed model on one schedule. It integrates segment by
segment; at a segment start it adds the scheduled boluses and, at a visit, lets the policy dose from
the current lesion diameters. It flags, never hides, a failed patient. Backends register by name;
every registered backend must pass the conformance suite (``tests/backend_conformance.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from ..model import ModelDefinition
from ..treatments import PolicyDosing
from ._options import SolverOptions

DIFFERENTIABLE = "differentiable"
"""Gradients of outputs with respect to inputs are available (e.g. JAX autodiff through the solve)."""
GPU = "gpu"
"""Can run on a GPU."""
DENSE_OUTPUT = "dense_output"
"""Output times come from interpolation inside steps, not from restarting the integrator."""


@dataclass(frozen=True, eq=False)
class BatchInputs:
    """Everything a backend needs to solve B patients with L lesion slots over S segments (numpy)."""

    model: ModelDefinition
    y0: np.ndarray  # (B, n_state)
    patient: Mapping[str, np.ndarray]  # {name: (B,)}
    lesion: Mapping[str, np.ndarray]  # {name: (B, L)}
    injectable: np.ndarray  # (B, L) bool
    boundaries_day: np.ndarray  # (S+1,) days
    visit_index: np.ndarray  # (S,) int, -1 where no visit
    bolus: np.ndarray  # (B, S, n_state) amount added at each segment start
    rate: np.ndarray  # (B, S, n_state) zero-order input over each segment (per day)
    grid_index: np.ndarray  # (G,) boundaries reported as output
    policy: PolicyDosing | None  # state-dependent dosing at visits (at most one)

    @property
    def n_patients(self) -> int:
        return int(self.y0.shape[0])

    @property
    def n_slots(self) -> int:
        return int(self.injectable.shape[1])

    def pad(self, size: int) -> "BatchInputs":
        """The batch padded to ``size`` patients by repeating the last one (one compiled shape per chunk)."""
        b = self.n_patients
        if b == size:
            return self
        rep = lambda a: np.concatenate([a, np.repeat(a[-1:], size - b, axis=0)], axis=0)  # noqa: E731
        return BatchInputs(self.model, rep(self.y0), {k: rep(v) for k, v in self.patient.items()},
                           {k: rep(v) for k, v in self.lesion.items()}, rep(self.injectable), self.boundaries_day,
                           self.visit_index, rep(self.bolus), rep(self.rate), self.grid_index, self.policy)


@dataclass(frozen=True, eq=False)
class RawSolution:
    """What a backend returns (numpy, leading axis = patient)."""

    states: np.ndarray  # (B, G, n_state) on the output grid, each before that time's doses
    record: Mapping[str, np.ndarray]  # policy record arrays {name: (B, S, ...)} (e.g. volume_ml (B, S, L))
    segment_ok: np.ndarray  # (B, S) bool
    steps: np.ndarray  # (B, S) solver steps per segment
    ok: np.ndarray  # (B,) bool: every segment succeeded and every state is finite

    def take(self, n: int) -> "RawSolution":
        """The first ``n`` patients (drop padding)."""
        return RawSolution(self.states[:n], {k: v[:n] for k, v in self.record.items()}, self.segment_ok[:n],
                           self.steps[:n], self.ok[:n])


@runtime_checkable
class Backend(Protocol):
    """Solves batches. ``capabilities`` is a subset of {DIFFERENTIABLE, GPU, DENSE_OUTPUT}."""

    name: str
    capabilities: frozenset[str]

    def solve(self, batch: BatchInputs, options: SolverOptions) -> RawSolution:
        """Solve every patient of ``batch``; a failed patient has ``ok`` False, the others are unaffected."""

    def device(self) -> str:
        """Where it runs, in words (provenance)."""


_BACKENDS: dict[str, Any] = {}


def register_backend(backend: Backend) -> Backend:
    """Make ``backend`` available by its name (``simulate_cohort(..., backend=name)``)."""
    _BACKENDS[backend.name] = backend
    return backend


def get_backend(backend: str | Backend) -> Backend:
    """A backend by name (``jax``, ``scipy``, ...) or the object itself; one-line error naming the choices."""
    if not isinstance(backend, str):
        if not isinstance(backend, Backend):
            raise TypeError("backend: expected a name or an object with name, capabilities, solve and device")
        return backend
    if backend not in _BACKENDS:
        raise ValueError(f"backend: expected one of {', '.join(sorted(_BACKENDS))} (got {backend!r})")
    return _BACKENDS[backend]


AUTO = "auto"
"""The default backend choice: the fastest registered backend that can run the regimen."""
PREFERENCE = ("numba", "jax")
"""Backends ``auto`` tries, fastest first (docs/performance.md measures them); a backend may decline a regimen
through an optional ``supports(regimen) -> bool``."""


def resolve_backend(backend: "str | Backend", regimen: Any) -> Backend:
    """``backend`` itself, or for ``"auto"`` the first of :data:`PREFERENCE` that is registered and supports ``regimen``."""
    if backend != AUTO:
        return get_backend(backend)
    for name in PREFERENCE:
        engine = _BACKENDS.get(name)
        if engine is not None and getattr(engine, "supports", lambda r: True)(regimen):
            return engine
    return get_backend("jax")


def backend_names() -> tuple[str, ...]:
    """Registered backend names."""
    return tuple(sorted(_BACKENDS))
