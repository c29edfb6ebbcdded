"""Named states and the layout of the flat state vector.

The vector is lesion-major: for each lesion ``j`` the block ``LESION_STATES`` (4 values), then the
systemic block ``SYSTEMIC_STATES``. NONMEM compartment numbers (``CMT``) are 1-based positions.
"""

from __future__ import annotations

from dataclasses import dataclass

LESION_STATES: tuple[str, ...] = ("uninfected_cells", "infected_cells", "virus_pfu", "gmcsf_local_ng")
"""Per lesion: uninfected tumour cells (cells), infected tumour cells (cells), free virus (PFU),
GM-CSF made in the lesion (ng)."""

SYSTEMIC_STATES: tuple[str, ...] = (
    "antigen",
    "dendritic_cells",
    "primed_1",
    "primed_2",
    "primed_3",
    "effector_t_cells",
    "memory_t_cells",
    "hsv_b_cells",
    "hsv_antibody_titre",
    "gmcsf_systemic_ug",
)
"""Systemic: tumour antigen (cell-equivalents), licensed antigen-loaded DCs (cells), three stages of
T-cell priming (cells), tumour-specific effector and memory T cells (cells), anti-HSV B-cell activity
(1), neutralising anti-HSV titre (relative to a typical seropositive adult), GM-CSF in the body (ug)."""

UNITS: dict[str, str] = {
    "uninfected_cells": "cells",
    "infected_cells": "cells",
    "virus_pfu": "PFU",
    "gmcsf_local_ng": "ng",
    "antigen": "cell-eq",
    "dendritic_cells": "cells",
    "primed_1": "cells",
    "primed_2": "cells",
    "primed_3": "cells",
    "effector_t_cells": "cells",
    "memory_t_cells": "cells",
    "hsv_b_cells": "1",
    "hsv_antibody_titre": "titre",
    "gmcsf_systemic_ug": "ug",
}

SCALE: dict[str, float] = {
    "uninfected_cells": 1e6,
    "infected_cells": 1e6,
    "virus_pfu": 1e6,
    "gmcsf_local_ng": 1.0,
    "antigen": 1e6,
    "dendritic_cells": 1e4,
    "primed_1": 1e6,
    "primed_2": 1e6,
    "primed_3": 1e6,
    "effector_t_cells": 1e6,
    "memory_t_cells": 1e6,
    "hsv_b_cells": 1.0,
    "hsv_antibody_titre": 1.0,
    "gmcsf_systemic_ug": 1.0,
}
"""Reference magnitude of each state (its units): the solver's absolute tolerance is ``atol x scale``,
so that e.g. 1e-8 means 0.01 cells or PFU but 1e-8 ng of GM-CSF."""

N_LESION_STATES = len(LESION_STATES)
N_SYSTEMIC_STATES = len(SYSTEMIC_STATES)


@dataclass(frozen=True)
class StateLayout:
    """Positions of named states in the flat vector of a patient with ``n_lesions`` lesion slots."""

    n_lesions: int

    @property
    def size(self) -> int:
        """Length of the state vector."""
        return self.n_lesions * N_LESION_STATES + N_SYSTEMIC_STATES

    @property
    def systemic_offset(self) -> int:
        """Index of the first systemic state."""
        return self.n_lesions * N_LESION_STATES

    def lesion_index(self, lesion: int, state: str) -> int:
        """0-based index of ``state`` of lesion ``lesion`` (0-based)."""
        if not 0 <= lesion < self.n_lesions:
            raise IndexError(f"lesion {lesion} outside 0..{self.n_lesions - 1}")
        return lesion * N_LESION_STATES + LESION_STATES.index(state)

    def systemic_index(self, state: str) -> int:
        """0-based index of systemic ``state``."""
        return self.systemic_offset + SYSTEMIC_STATES.index(state)

    def scale(self) -> list[float]:
        """Reference magnitude of every entry of the state vector (see :data:`SCALE`)."""
        return [SCALE[s] for s in LESION_STATES] * self.n_lesions + [SCALE[s] for s in SYSTEMIC_STATES]

    def cmt(self, index: int) -> int:
        """NONMEM compartment number (1-based) of a 0-based state index."""
        return index + 1
