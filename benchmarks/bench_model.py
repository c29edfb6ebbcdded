"""What the model-as-data representation costs: composing and generating code, and evaluating it.

    .venv/bin/python benchmarks/bench_model.py

Measured in one run on this machine: composing the definition from its mechanisms (sympy), generating
the array form (numpy/JAX source), the scalar form and its analytic Jacobian, compiling the scalar form
with numba, and the cost of one right-hand-side evaluation of a 4-lesion patient in each form. The
hand-written right-hand side it replaced is compared through the trial's results (docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

CHILD = r"""
import json, time
t0 = time.perf_counter()
import sympy  # noqa
t_sympy = time.perf_counter() - t0
from ovsim.model._definition import ModelDefinition
from ovsim.model.mechanisms import MECHANISMS
t0 = time.perf_counter(); d = ModelDefinition(MECHANISMS); t_compose = time.perf_counter() - t0
from ovsim.model import generate_array_model, RhsArgs
import numpy as np
t0 = time.perf_counter(); m = generate_array_model(d, np); t_array = time.perf_counter() - t0
from ovsim.model._codegen_scalar import generate_scalar_model
t0 = time.perf_counter(); s = generate_scalar_model(d); t_scalar = time.perf_counter() - t0
import numba
t0 = time.perf_counter(); rhs = numba.njit(s.rhs); jac = numba.njit(s.jac)
n = 4
P = s.pack_patient({k: (d.parameters[k].value if k in d.parameters else d.covariates[k].value) for k in s.patient_names})
Q = s.pack_lesion({k: np.full(n, d.parameters[k].value if k in d.parameters else d.covariates[k].value) for k in s.lesion_names})
y = np.abs(np.random.default_rng(0).lognormal(10, 3, d.size(n))); dy = np.zeros_like(y); rate = np.zeros_like(y)
J = np.zeros((y.size, y.size))
rhs(0.0, y, P, Q, rate, n, dy); jac(0.0, y, P, Q, n, J)
t_numba = time.perf_counter() - t0
def per_call(f, reps):
    t0 = time.perf_counter()
    for _ in range(reps): f()
    return (time.perf_counter() - t0) / reps
pat = {k: float(P[i]) for i, k in enumerate(s.patient_names)}
les = {k: Q[:, i].copy() for i, k in enumerate(s.lesion_names)}
args = RhsArgs(pat, les, rate)
out = {
  "import_sympy_s": t_sympy, "compose_s": t_compose, "array_codegen_s": t_array,
  "scalar_and_jacobian_codegen_s": t_scalar, "numba_compile_s": t_numba,
  "rhs_numpy_us": 1e6 * per_call(lambda: m.rhs(0.0, y, args), 2000),
  "rhs_numba_us": 1e6 * per_call(lambda: rhs(0.0, y, P, Q, rate, n, dy), 20000),
  "jacobian_numba_us": 1e6 * per_call(lambda: jac(0.0, y, P, Q, n, J), 20000),
  "n_states_4_lesions": int(y.size),
}
print(json.dumps(out))
"""


def main() -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print("| step | cost |\n|---|---|")
    for k, v in r.items():
        print(f"| {k} | {v:.3g} |")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - t0:.1f} s, fresh interpreter)", file=sys.stderr)
