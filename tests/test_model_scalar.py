"""The generated scalar form (numba CPU / CUDA) against the generated array form (numpy, JAX)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from ovsim.model import RhsArgs, default_model, generate_array_model  # noqa: E402
from ovsim.model._codegen_scalar import generate_scalar_model  # noqa: E402

D = default_model()
SM = generate_scalar_model(D)
NP = generate_array_model(D, np)
JX = generate_array_model(D, jnp)
SIZES = (1, 4, 7)


def make_case(n: int, seed: int):
    """Plausible random inputs; a state spanning many orders of magnitude, with a few tiny negatives
    (-1e-9: the clipped side of max(0, x), never exactly at the kink); a nonzero zero-order input."""
    rng = np.random.default_rng(seed)
    patient = {k: p.value * rng.lognormal(0.0, 0.3) for k, p in D.parameters.items() if p.level != "lesion"}
    patient |= {k: float(rng.integers(0, 2)) if k == "hsv1_seropositive" else c.value
                for k, c in D.covariates.items() if c.level != "lesion"}
    lesion = {k: p.value * rng.lognormal(0.0, 0.3, n) for k, p in D.parameters.items() if p.level == "lesion"}
    lesion |= {k: rng.uniform(0.2, 2.0, n) for k, c in D.covariates.items() if c.level == "lesion"}
    scale = np.asarray(D.scale(n))
    y = scale * rng.lognormal(0.0, 3.0, scale.size)
    y[rng.choice(n * D.n_lesion_states, size=max(1, n // 2), replace=False)] = -1e-9
    rate = scale * rng.lognormal(-3.0, 1.0, scale.size)
    return patient, lesion, y, rate


CASES = {n: make_case(n, seed=10 + n) for n in SIZES}


def scalar_rhs(fn, n):
    patient, lesion, y, rate = CASES[n]
    dy = np.full_like(y, np.nan)
    fn(0.0, y, SM.pack_patient(patient), SM.pack_lesion(lesion), rate, n, dy)
    return dy


def scalar_jac(fn, n):
    patient, lesion, y, _ = CASES[n]
    J = np.full((y.size, y.size), np.nan)
    fn(0.0, y, SM.pack_patient(patient), SM.pack_lesion(lesion), n, J)
    return J


@pytest.fixture(scope="module")
def njit_rhs():
    numba = pytest.importorskip("numba")
    return numba.njit(SM.rhs)  # compiled once (same argument types for every n)


@pytest.fixture(scope="module")
def njit_jac():
    numba = pytest.importorskip("numba")
    return numba.njit(SM.jac)


def test_packing_follows_the_definition_order():
    patient, lesion, _, _ = CASES[4]
    assert SM.patient_names == D.patient_names() and SM.lesion_names == D.lesion_names()
    P, Q = SM.pack_patient(patient), SM.pack_lesion(lesion)
    assert P.shape == (len(D.patient_names()),) and Q.shape == (4, len(D.lesion_names()))
    assert P[D.patient_names().index("kill_rate")] == patient["kill_rate"]
    np.testing.assert_array_equal(Q[:, D.lesion_names().index("accessibility")], lesion["accessibility"])
    assert "import" not in SM.source and "np." not in SM.source and "{" not in SM.source


@pytest.mark.parametrize("n", SIZES)
def test_scalar_rhs_equals_numpy_array_rhs(n):
    patient, lesion, y, rate = CASES[n]
    ref = np.asarray(NP.rhs(0.0, y, RhsArgs(patient, lesion, rate)))
    np.testing.assert_allclose(scalar_rhs(SM.rhs, n), ref, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("n", SIZES)
def test_analytic_jacobian_equals_jax_jacfwd(n):
    patient, lesion, y, rate = CASES[n]
    ref = np.asarray(jax.jacfwd(lambda x: JX.rhs(0.0, x, RhsArgs(patient, lesion, jnp.asarray(rate))))(jnp.asarray(y)))
    J = scalar_jac(SM.jac, n)
    assert np.isfinite(J).all()  # every entry overwritten
    floor = 1e-13 * np.max(np.abs(ref), axis=1, keepdims=True)  # absolute floor: the row's scale
    assert np.all(np.abs(J - ref) <= 1e-8 * np.abs(ref) + floor)
    assert np.array_equal(J == 0.0, ref == 0.0)  # same sparsity (lesion sums couple every lesion)
    if n > 1:  # a lesion's cell count changes another lesion's kill (through the effector/tumour ratio)
        assert J[D.index("uninfected_cells", n, 1), D.index("uninfected_cells", n, 0)] != 0.0


def test_jacobian_at_an_exact_kink_is_the_clipped_side():
    # Convention: d max(0, x)/dx = 0 at x == 0 (jax would give 0.5 there), i.e. the derivative just
    # below the kink; every other term is continuous, so it matches jax at x = -1e-30.
    patient, lesion, y, rate = CASES[4]
    at_kink, below = y.copy(), y.copy()
    for state in ("uninfected_cells", "virus_pfu"):
        at_kink[D.index(state, 4, 2)], below[D.index(state, 4, 2)] = 0.0, -1e-30
    f = jax.jacfwd(lambda x: JX.rhs(0.0, x, RhsArgs(patient, lesion, jnp.asarray(rate))))
    ref = np.asarray(f(jnp.asarray(below)))
    J = np.full_like(ref, np.nan)
    SM.jac(0.0, at_kink, SM.pack_patient(patient), SM.pack_lesion(lesion), 4, J)
    floor = 1e-13 * np.max(np.abs(ref), axis=1, keepdims=True)
    assert np.all(np.abs(J - ref) <= 1e-8 * np.abs(ref) + floor)


@pytest.mark.parametrize("n", SIZES)
def test_njit_equals_pure_python(njit_rhs, njit_jac, n):
    np.testing.assert_allclose(scalar_rhs(njit_rhs, n), scalar_rhs(SM.rhs, n), rtol=1e-14, atol=0.0)
    # Jacobian entries built from fractional powers (lesion reach: (1 + V/V_T)^(-1/3)) may differ by an ulp
    # between numba's and CPython's pow, and a few entries are small differences of such terms
    np.testing.assert_allclose(scalar_jac(njit_jac, n), scalar_jac(SM.jac, n), rtol=1e-11, atol=0.0)


CUDA_SCRIPT = textwrap.dedent("""
    import math, sys
    import numpy as np
    from numba import cuda

    namespace = {"math": math}
    exec(compile(open(sys.argv[1]).read(), "<ovsim scalar model>", "exec"), namespace)
    rhs = cuda.jit(device=True)(namespace["rhs_scalar"])

    @cuda.jit
    def kernel(t, Y, P, Q, R, n, DY):
        k = cuda.grid(1)
        if k < Y.shape[0]:
            rhs(t, Y[k], P[k], Q[k], R[k], n, DY[k])

    data = np.load(sys.argv[2])
    DY = np.full_like(data["Y"], np.nan)
    kernel[1, data["Y"].shape[0]](0.0, data["Y"], data["P"], data["Q"], data["R"], int(data["n"]), DY)
    np.save(sys.argv[3], DY)
""")


def test_cuda_device_function_equals_cpu(tmp_path):
    # NUMBA_ENABLE_CUDASIM=1: numba's CUDA *simulator* (pure Python on the CPU), not a GPU. It checks that
    # the generated source compiles as a device function and indexes per-thread rows correctly.
    pytest.importorskip("numba")
    n = 4
    cases = [make_case(n, seed=100 + k) for k in range(3)]  # 3 patients, one thread each
    Y, R = np.stack([c[2] for c in cases]), np.stack([c[3] for c in cases])
    P, Q = np.stack([SM.pack_patient(c[0]) for c in cases]), np.stack([SM.pack_lesion(c[1]) for c in cases])
    (tmp_path / "model.py").write_text(SM.source)
    (tmp_path / "run.py").write_text(CUDA_SCRIPT)
    np.savez(tmp_path / "in.npz", Y=Y, P=P, Q=Q, R=R, n=n)
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "model.py"), str(tmp_path / "in.npz"),
                    str(tmp_path / "out.npy")], env=env, check=True, timeout=120)
    out = np.load(tmp_path / "out.npy")
    for k in range(3):
        cpu = np.full(Y.shape[1], np.nan)
        SM.rhs(0.0, Y[k], P[k], Q[k], R[k], n, cpu)
        np.testing.assert_array_equal(out[k], cpu)


@pytest.mark.parametrize("n", SIZES)
def test_scalar_observable_equals_array_observable(n):
    patient, lesion, y, rate = CASES[n]
    ns: dict = {"math": __import__("math")}
    exec(SM.source, ns)
    out = np.full(n, np.nan)
    ns["observe_longest_diameter_cm"](np.abs(y), SM.pack_patient(patient), SM.pack_lesion(lesion), n, out)
    ref = np.asarray(NP.observables(np.abs(y), RhsArgs(patient, lesion, rate))["longest_diameter_cm"])
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=0.0)
