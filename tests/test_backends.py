"""Every registered backend passes the conformance suite (``ovsim.testing``)."""

from __future__ import annotations

import pytest

from ovsim.engine import backend_names, get_backend
from ovsim.testing import BACKEND_CHECKS


@pytest.mark.parametrize("check", list(BACKEND_CHECKS))
@pytest.mark.parametrize("backend", backend_names())
def test_backend_conformance(backend, check):
    BACKEND_CHECKS[check](get_backend(backend))


def test_the_suite_can_fail():
    """A backend that perturbs its solution fails the reference checks (the suite is not vacuous)."""
    from ovsim.engine import JaxBackend, RawSolution

    class Sloppy(JaxBackend):
        name = "sloppy"

        def solve(self, batch, options):
            raw = super().solve(batch, options)
            return RawSolution(raw.states * (1 + 1e-3), raw.record, raw.segment_ok, raw.steps, raw.ok)

    with pytest.raises(AssertionError, match="untreated growth off"):
        BACKEND_CHECKS["untreated_growth_is_exact"](Sloppy())
