"""The Rosenbrock-W method ROS34PW2 (Rang & Angermann 2005), in the transformed form the kernel integrates.

ROS34PW2: 4 stages, order 3 (embedded order 2), L-stable, stiffly accurate, and a W-method: it keeps its
order with any approximation of the Jacobian (Rang J, Angermann L. New Rosenbrock W-methods of order 3 for
partial differential algebraic equations of index 1. BIT Numer Math 2005;45:761-787, table "ROS34PW2").
Its coefficients are stated here in the paper's form (alpha, Gamma, b, b-hat) and transformed numerically:

stage i:  (I / (h gamma) - J) U_i = f(y + sum_j a_ij U_j) - sum_{j<i} (c_ij / h) U_j,
          with U = Gamma k, a = alpha Gamma^-1, c = strictly lower part of Gamma^-1;
step:     y_1 = y + sum_i m_i U_i, m = b Gamma^-1;  error: sum_i e_i U_i, e = (b - b-hat) Gamma^-1.

The transformation needs one LU of the iteration matrix per step and no matrix-vector product with J.
"""

from __future__ import annotations

import numpy as np

GAMMA = 0.435866521508459
"""Diagonal of Gamma (the method's gamma)."""

_ALPHA = np.array([
    [0.0, 0.0, 0.0, 0.0],
    [0.87173304301691801, 0.0, 0.0, 0.0],
    [0.84457060015369423, -0.11299064236484185, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
])
_GAMMA = np.array([
    [GAMMA, 0.0, 0.0, 0.0],
    [-0.87173304301691801, GAMMA, 0.0, 0.0],
    [-0.90338057013044082, 0.054180672388095326, GAMMA, 0.0],
    [0.24212380706095346, -1.2232505839045147, 0.54526025533510214, GAMMA],
])
_B = np.array([0.24212380706095346, -1.2232505839045147, 1.5452602553351020, GAMMA])
_B_HAT = np.array([0.37810903145819369, -0.096042292212423178, 0.5, 0.2179332607542295])

STAGES = 4
ERROR_ORDER = 3
"""Order of the local error estimate + 1 of the embedded pair (the step-size exponent is 1 / ERROR_ORDER)."""


def transformed() -> dict[str, np.ndarray]:
    """``{"A": (4, 4), "C": (4, 4), "M": (4,), "E": (4,)}`` of the transformed form (see the module docstring)."""
    inv = np.linalg.inv(_GAMMA)
    return {"A": np.tril(_ALPHA @ inv, -1), "C": np.tril(inv, -1), "M": _B @ inv, "E": (_B - _B_HAT) @ inv}


def order_residuals() -> dict[str, float]:
    """Residuals of the classical Rosenbrock order conditions (Hairer & Wanner, Solving ODEs II, IV.7), with
    beta = alpha + Gamma off the diagonal, beta'_i = sum_j beta_ij and alpha_i = sum_j alpha_ij: order 3 for b,
    order 2 for b-hat, and stiff accuracy (b = the last row of alpha + Gamma). All should be ~1e-15."""
    beta = _ALPHA + np.tril(_GAMMA, -1)
    beta1 = beta.sum(axis=1)
    alpha1 = _ALPHA.sum(axis=1)
    g = GAMMA
    return {
        "sum b = 1": _B.sum() - 1,
        "b beta' = 1/2 - gamma": _B @ beta1 - (0.5 - g),
        "b alpha^2 = 1/3": _B @ alpha1 ** 2 - 1 / 3,
        "b beta beta' = 1/6 - gamma + gamma^2": _B @ (beta @ beta1) - (1 / 6 - g + g * g),
        "sum b_hat = 1": _B_HAT.sum() - 1,
        "b_hat beta' = 1/2 - gamma": _B_HAT @ beta1 - (0.5 - g),
        "stiffly accurate": float(np.max(np.abs(_B - (_ALPHA + _GAMMA)[3]))),
    }


TSIT5_C = np.array([0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0])
"""Tsitouras' 5(4) explicit Runge-Kutta pair (Tsitouras Ch. Runge-Kutta pairs of order 5(4) satisfying only the
first column simplifying assumption. Comput Math Appl 2011;62:770-775): nodes, lower-triangular A, solution
weights B (first same as last: the 7th stage is f(y_1)) and error weights E (B - B-hat), as diffrax states them."""
TSIT5_A = np.zeros((7, 7))
for _i, _row in enumerate([
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.8971530571054935, -6.359448489975075, 4.3622954328695815],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
    [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774],
], start=1):
    TSIT5_A[_i, :len(_row)] = _row
TSIT5_B = np.append(TSIT5_A[6, :6], 0.0)
TSIT5_E = np.array([0.0017800110522257773, 0.0008164344596567463, -0.007880878010261994, 0.1447110071732629,
                    -0.5823571654525552, 0.45808210592918686, -0.015151515151515152])
TSIT5_ERROR_ORDER = 5

METHODS = {"ros34pw2": 0, "ros34pw2-diagonal": 1, "tsit5": 2}
"""The kernel's methods: ROS34PW2 with the full analytic Jacobian (one dense LU per step); ROS34PW2 as a
W-method with the Jacobian's diagonal only (no LU); explicit Tsit5 (no Jacobian)."""
