"""Plausible patients: the reference population with its provisional parameters redrawn over wide ranges.

Patient ``i`` of the pool is patient ``i`` of ``generate_population(n, seed)`` (lesions, stage,
covariates), with each parameter of ``log_uniform_fold`` redrawn as ``default * fold**u``,
``u ~ U(-1, 1)``, from its own stream ``SeedSequence(seed, spawn_key=(i, 4))``.
"""

from __future__ import annotations

import numpy as np

from ..model import PARAMETERS
from ..population import Population, generate_population
from ._spec import CalibrationSpec


def plausible_pool(spec: CalibrationSpec, n: int | None = None, seed: int | None = None) -> Population:
    """The plausible-patient pool (``n`` and ``seed`` default to the spec's)."""
    p = spec.plausible
    n = p.patients if n is None else int(n)
    seed = p.seed if seed is None else int(seed)
    pop = generate_population(n, seed, arm=p.stage_mix)
    names = sorted(p.log_uniform_fold)
    u = np.empty((n, len(names)))
    for k, i in enumerate(pop.patients["index"].to_numpy(dtype=int)):
        u[k] = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(i), 4))).uniform(-1.0, 1.0, len(names))
    patients = pop.patients.copy()
    for j, name in enumerate(names):
        patients[name] = PARAMETERS[name].value * p.log_uniform_fold[name] ** u[:, j]
    provenance = {**pop.provenance, "plausible": p.model_dump(), "kind": "plausible pool"}
    return Population.from_tables(patients, pop.lesions, provenance, source="plausible pool")
