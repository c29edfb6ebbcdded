"""Lesion size: cells to volume to longest diameter and product of perpendicular diameters.

A lesion is a sphere: volume V = pi/6 d^3 (cm^3), longest diameter d (cm), product of the two
perpendicular diameters d^2 (cm^2), as measured by the WHO criteria (Miller et al. 1981, Cancer 47:207).
Pure functions over arrays (``xp`` = numpy or jax.numpy).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_PI_6 = math.pi / 6.0


def volume_cm3_from_cells(cells: Any, cell_density_per_cm3: float, xp: Any = np) -> Any:
    """Lesion volume (cm^3) of ``cells`` tumour cells at ``cell_density_per_cm3``."""
    return xp.maximum(xp.asarray(cells), 0.0) / cell_density_per_cm3


def diameter_cm_from_cells(cells: Any, cell_density_per_cm3: float, xp: Any = np) -> Any:
    """Longest diameter (cm) of a spherical lesion of ``cells`` tumour cells."""
    return xp.cbrt(volume_cm3_from_cells(cells, cell_density_per_cm3, xp) / _PI_6)


def cells_from_diameter_cm(diameter_cm: Any, cell_density_per_cm3: float, xp: Any = np) -> Any:
    """Tumour cells in a spherical lesion of longest diameter ``diameter_cm`` (cm)."""
    d = xp.asarray(diameter_cm)
    return _PI_6 * d**3 * cell_density_per_cm3


def product_diameters_cm2(diameter_cm: Any, xp: Any = np) -> Any:
    """Product of the two perpendicular diameters (cm^2) of a spherical lesion."""
    return xp.asarray(diameter_cm) ** 2
