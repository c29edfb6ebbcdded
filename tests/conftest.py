"""Shared fixtures. JAX compiles once per shape: tests reuse a few shapes (4 lesion slots,
horizon 364 days, weekly output) so the suite compiles the engine only a handful of times."""

from __future__ import annotations

from pathlib import Path

import pytest

import ovsim
from ovsim.population import Lesion, Patient

ovsim.configure_jax()  # the test session is an entry point: 64-bit floats, compile cache

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
HORIZON = 364.0
EVERY = 7.0


def make_patient(seropositive: bool = True, **overrides: float) -> Patient:
    """Three injectable lesions and one lung lesion (4 slots)."""
    return Patient(
        "T1",
        (
            Lesion("C1", "cutaneous", 2.0),
            Lesion("S1", "subcutaneous", 1.2),
            Lesion("N1", "nodal", 3.0, accessibility=0.06),
            Lesion("P1", "lung", 1.5),
        ),
        hsv1_seropositive=seropositive,
        parameters=overrides,
    )


@pytest.fixture
def patient() -> Patient:
    return make_patient()
