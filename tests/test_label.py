"""The Imlygic label rule, checked against numbers worked out by hand from the label.

Label (EU SmPC / US PI): longest diameter > 5 cm: up to 4 mL; > 2.5 to 5 cm: up to 2 mL;
> 1.5 to 2.5 cm: up to 1 mL; > 0.5 to 1.5 cm: up to 0.5 mL; <= 0.5 cm: up to 0.1 mL.
At most 4 mL a visit; first visit 1e6 PFU/mL, largest lesions first; later visits 1e8 PFU/mL,
new lesions first, then by size. Visits on day 0, day 21, then every 14 days.
Every expected number below is written out by hand, not computed by the code under test.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from ovsim.regimen import (
    allocate_volumes_ml,
    injection_order,
    label_volume_ml,
    load_label,
    strength_pfu_per_ml,
    vials_to_thaw,
    visit_days,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_OPTIM = REPO_ROOT.parent / "shared" / "targets" / "optim.yaml"
LABEL_YAML = REPO_ROOT / "src" / "ovsim" / "data" / "imlygic_label.yaml"


def alloc(diameters_cm, *, first_visit, new=None, eligible=None) -> list[float]:
    """allocate_volumes_ml with numpy, as a plain list of mL."""
    n = len(diameters_cm)
    new = [False] * n if new is None else new
    eligible = [True] * n if eligible is None else eligible
    return allocate_volumes_ml(diameters_cm, eligible, new, first_visit).tolist()


# --- volume bands ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("diameter_cm", "volume_ml"),
    [
        (0.5, 0.1),
        (0.51, 0.5),
        (1.5, 0.5),
        (1.6, 1.0),
        (2.5, 1.0),
        (2.6, 2.0),
        (5.0, 2.0),
        (5.1, 4.0),
        (0.01, 0.1),
        (12.0, 4.0),
        (0.0, 0.0),
        (-1.0, 0.0),
    ],
)
def test_band_boundaries(diameter_cm: float, volume_ml: float) -> None:
    assert float(label_volume_ml(diameter_cm)) == volume_ml


def test_bands_vectorised() -> None:
    got = label_volume_ml(np.array([0.5, 0.51, 1.5, 1.6, 2.5, 2.6, 5.0, 5.1]))
    assert got.tolist() == [0.1, 0.5, 0.5, 1.0, 1.0, 2.0, 2.0, 4.0]


# --- priority order ----------------------------------------------------------------------------

def test_first_visit_largest_first() -> None:
    # 3.0 cm (2 mL) and 3.0 cm (2 mL) use the 4 mL; 1.0 and 2.0 cm get nothing.
    assert alloc([1.0, 2.0, 3.0, 3.0], first_visit=True) == [0.0, 0.0, 2.0, 2.0]
    # 6 cm alone takes the whole 4 mL even though it is listed last.
    assert alloc([1.0, 0.3, 6.0], first_visit=True) == [0.0, 0.0, 4.0]


def test_first_visit_everyone_fits() -> None:
    # 2.0 + 1.0 + 0.5 + 0.1 = 3.6 mL <= 4 mL: each gets its band volume.
    assert alloc([3.2, 2.1, 1.2, 0.4], first_visit=True) == [2.0, 1.0, 0.5, 0.1]


def test_first_visit_ignores_new() -> None:
    # At the first visit "new" has no meaning: 0.4 cm flagged new still comes after 6 cm.
    assert alloc([0.4, 6.0], first_visit=True, new=[True, False]) == [0.0, 4.0]


def test_later_visit_small_new_beats_large_old() -> None:
    # New 0.4 cm first (0.1 mL); 6 cm (band 4 mL) gets the remaining 3.9 mL.
    assert alloc([6.0, 0.4], first_visit=False, new=[False, True]) == [3.9, 0.1]
    # New 1.0 cm first (0.5 mL), then 3 cm old lesions: 2.0, then 1.5 of its 2.0 mL.
    assert alloc([3.0, 3.0, 1.0], first_visit=False, new=[False, False, True]) == [2.0, 1.5, 0.5]


def test_later_visit_new_lesions_by_size() -> None:
    # New 1.6 cm (1.0) before new 0.6 cm (0.5), then old 3.0 cm (2.0): 3.5 mL in all.
    assert alloc([0.6, 1.6, 3.0], first_visit=False, new=[True, True, False]) == [0.5, 1.0, 2.0]
    # New 2.6 (2.0), new 1.6 (1.0), new 1.52 (1.0) fill 4 mL; new 1.49 gets nothing.
    assert alloc([2.6, 1.49, 1.52, 1.6], first_visit=False, new=[True] * 4) == [2.0, 0.0, 1.0, 1.0]


def test_injection_order() -> None:
    # Later visit: new 0.4 first, then old by size 6.0, 2.0; visceral (ineligible) last.
    order = injection_order([2.0, 6.0, 0.4, 9.0], [True, True, True, False], [False, False, True, False], False)
    assert order.tolist() == [2, 1, 0, 3]
    # First visit: by size only.
    order = injection_order([2.0, 6.0, 0.4, 9.0], [True, True, True, False], [False, False, True, False], True)
    assert order.tolist() == [1, 0, 2, 3]


# --- the 4 mL cap ------------------------------------------------------------------------------

def test_cap_three_lesions_of_3cm() -> None:
    assert alloc([3.0, 3.0, 3.0], first_visit=False) == [2.0, 2.0, 0.0]


def test_cap_6cm_and_1cm() -> None:
    assert alloc([6.0, 1.0], first_visit=False) == [4.0, 0.0]
    assert alloc([1.0, 6.0], first_visit=True) == [0.0, 4.0]


def test_cap_exactly_used() -> None:
    # 3.0 cm: 2.0, 2.0 cm: 1.0, 2.0 cm: 1.0 -> 4.0 mL; 1.0 cm and 0.4 cm get nothing.
    assert alloc([1.0, 2.0, 3.0, 0.4, 2.0], first_visit=False) == [0.0, 1.0, 2.0, 0.0, 1.0]


def test_cap_partial_volume_where_it_falls() -> None:
    # New 0.4 (0.1) + 3.0 (2.0) = 2.1; 2.6 cm wants 2.0 but only 1.9 mL remain.
    assert alloc([3.0, 2.6, 0.4], first_visit=False, new=[False, False, True]) == [2.0, 1.9, 0.1]
    # Three new 0.3 cm (0.1 each), then 6 cm gets 4.0 - 0.3 = 3.7 mL (tenths stay exact).
    assert alloc([0.3, 0.3, 6.0, 0.3], first_visit=False, new=[True, True, False, True]) == [0.1, 0.1, 3.7, 0.1]


def test_total_never_exceeds_cap() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        d = rng.uniform(0.0, 8.0, n)
        got = allocate_volumes_ml(d, rng.random(n) < 0.8, rng.random(n) < 0.3, bool(rng.random() < 0.5))
        assert round(float(got.sum()), 9) <= 4.0
        assert np.all(got >= 0.0) and np.all(got <= label_volume_ml(d))


# --- eligibility, ties -------------------------------------------------------------------------

def test_visceral_never_injected() -> None:
    # The 6 cm lesion is visceral (not eligible): the 1 cm cutaneous lesion gets its 0.5 mL.
    assert alloc([6.0, 1.0], first_visit=True, eligible=[False, True]) == [0.0, 0.5]
    assert alloc([6.0, 4.0], first_visit=False, eligible=[False, False], new=[True, True]) == [0.0, 0.0]


def test_ties_broken_by_list_order() -> None:
    # Four 3 cm lesions: the first two in the list get 2 mL each.
    assert alloc([3.0, 3.0, 3.0, 3.0], first_visit=True) == [2.0, 2.0, 0.0, 0.0]
    # New 0.4 first (0.1), then the 3 cm lesions in list order: 2.0, 1.9, 0.
    assert alloc([3.0, 3.0, 3.0, 0.4], first_visit=False, new=[False, False, False, True]) == [2.0, 1.9, 0.0, 0.1]


# --- strengths, schedule, vials ----------------------------------------------------------------

def test_strengths() -> None:
    assert float(strength_pfu_per_ml(0)) == 1.0e6
    assert float(strength_pfu_per_ml(1)) == 1.0e8
    assert float(strength_pfu_per_ml(7)) == 1.0e8
    assert strength_pfu_per_ml(np.array([0, 1, 2])).tolist() == [1.0e6, 1.0e8, 1.0e8]


def test_visit_days() -> None:
    assert visit_days(60).tolist() == [0.0, 21.0, 35.0, 49.0]
    assert visit_days(0).tolist() == [0.0]
    assert visit_days(20).tolist() == [0.0]
    assert visit_days(21).tolist() == [0.0, 21.0]
    assert visit_days(63).tolist() == [0.0, 21.0, 35.0, 49.0, 63.0]
    with pytest.raises(ValueError, match="horizon_days"):
        visit_days(-1)


@pytest.mark.parametrize(
    ("total_ml", "vials"),
    [(0.6, 1), (4.0, 4), (2.1, 3), (1.0, 1), (0.1, 1), (0.0, 0), (3.6, 4), (0.1 + 0.2, 1), (2.0000000001, 2)],
)
def test_vials_to_thaw(total_ml: float, vials: int) -> None:
    got = vials_to_thaw(total_ml)
    assert got == vials and isinstance(got, int)


# --- the shipped label file matches the shared targets -----------------------------------------

def test_label_yaml_matches_shared_targets() -> None:
    if not SHARED_OPTIM.exists():
        pytest.skip(f"shared targets not found at {SHARED_OPTIM} (repo checked out outside the workspace)")
    shared = yaml.safe_load(SHARED_OPTIM.read_text())["label"]
    ours = yaml.safe_load(LABEL_YAML.read_text())
    for key in ("strengths_pfu_per_ml", "vial_ml", "schedule_days", "max_volume_per_visit_ml"):
        assert ours[key] == shared[key], key
    assert ours["volume_by_longest_diameter_cm"] == shared["volume_by_longest_diameter_cm"]
    assert ours["priority"].split() == shared["priority"].split()


def test_loaded_label_facts() -> None:
    label = load_label()
    assert (label.first_strength_pfu_per_ml, label.later_strength_pfu_per_ml) == (1.0e6, 1.0e8)
    assert (label.second_visit_day, label.interval_days) == (21.0, 14.0)
    assert (label.vial_ml, label.max_volume_per_visit_ml) == (1.0, 4.0)
    assert label.band_lower_cm == (0.0, 0.5, 1.5, 2.5, 5.0)
    assert label.band_volume_ml == (0.1, 0.5, 1.0, 2.0, 4.0)


# --- JAX: the one test that uses jax (a fresh interpreter, about 2 s); skipped without jax -------

# Run in a child interpreter: by the time this test runs, other tests may have imported the engine,
# which switches JAX to float64 process-wide (``ovsim._jax``), and that cannot be undone reliably.
_JAX_FLOAT32_CHECK = """
import jax
import jax.numpy as jnp
import numpy as np

assert not jax.config.jax_enable_x64, "x64 is on in the child interpreter"
assert jnp.zeros(1).dtype == jnp.float32, jnp.zeros(1).dtype

from ovsim.regimen import allocate_volumes_ml

assert jnp.zeros(1).dtype == jnp.float32, "importing ovsim.regimen switched JAX to float64"
d = [2.6, 1.49, 1.52, 1.6, 0.3, 6.0]
eligible = [True, True, True, True, True, False]
for new, first in [([True] * 6, False), ([False, True, False, True, True, False], False), ([False] * 6, True)]:
    want = allocate_volumes_ml(d, eligible, new, first)
    got = allocate_volumes_ml(jnp.asarray(d), jnp.asarray(eligible), jnp.asarray(new), first, xp=jnp)
    assert got.dtype == jnp.float32, got.dtype
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)
got = allocate_volumes_ml(jnp.asarray(d), jnp.asarray(eligible), jnp.asarray([True] * 6), False, xp=jnp)
np.testing.assert_allclose(np.asarray(got), [2.0, 0.0, 1.0, 1.0, 0.0, 0.0], atol=1e-6)
print("float32 ok")
"""


def test_jax_allocation_matches_numpy_float32() -> None:
    """Same volumes from jax.numpy in float32 (JAX's default) as from numpy, including new lesions
    whose diameters differ by less than float32 resolves near 1e6 (1.49 vs 1.52 cm).

    Checked in a fresh interpreter with x64 off, since this process may already run JAX in float64."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    env.setdefault("JAX_PLATFORMS", "cpu")
    proc = subprocess.run([sys.executable, "-c", _JAX_FLOAT32_CHECK], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("float32 ok"), proc.stdout
