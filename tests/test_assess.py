"""Response criteria and outcomes, checked on lesion histories with answers worked out by hand.

Diameters are in cm; with ``perpendicular`` omitted a lesion is round (perpendicular = longest),
so its product is the square of the diameter. Every expected number below is written out by
hand from the rules in docs/assessment.md, not computed by the code under test.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ovsim.assess import (
    CRITERIA,
    Measurements,
    Response,
    ResponseTable,
    irrc,
    lesion_outcomes,
    modified_who,
    recist11,
    response_outcomes,
)
from ovsim.model import DAYS_PER_MONTH

M = DAYS_PER_MONTH
NaN = np.nan


def one(time_day, longest, perpendicular=None, site=None, exists=None, injected=None) -> Measurements:
    """One patient: longest (V, L) cm; perpendicular defaults to longest; sites default cutaneous."""
    lon = np.array(longest, dtype=float)[None]
    per = lon.copy() if perpendicular is None else np.array(perpendicular, dtype=float)[None]
    n = lon.shape[2]
    site = ["cutaneous"] * n if site is None else site
    exists = [True] * n if exists is None else exists
    injected = [False] * n if injected is None else injected
    return Measurements(np.array(time_day, dtype=float), lon, per, np.array([site], dtype=object),
                        np.array([exists], dtype=bool), np.array([injected], dtype=bool))


def stack(*patients: Measurements) -> Measurements:
    """Patients on the same visit grid in one batch, lesion slots padded (exists False, NaN, '')."""
    n = max(p.n_lesions for p in patients)

    def pad(a, fill):
        width = [(0, 0)] * (a.ndim - 1) + [(0, n - a.shape[-1])]
        return np.pad(a, width, constant_values=fill)

    return Measurements(
        patients[0].time_day,
        np.concatenate([pad(p.longest_cm, NaN) for p in patients]),
        np.concatenate([pad(p.perpendicular_cm, NaN) for p in patients]),
        np.concatenate([pad(p.site, "") for p in patients]),
        np.concatenate([pad(p.exists, False) for p in patients]),
        np.concatenate([pad(p.injected, False) for p in patients]),
    )


def codes(table: ResponseTable, patient: int = 0) -> list[str]:
    return table.response_names()[patient].tolist()


def outcome(table: ResponseTable, patient: int = 0) -> pd.Series:
    return response_outcomes(table).iloc[patient]


# --- modified WHO (OPTiM) ---------------------------------------------------------------------

def test_who_sum_of_products_pr_at_exactly_50pct_and_cr():
    # two lesions: 2x2 + 1x1 = 5 cm2 -> 3.24 + 1 = 4.24 (SD) -> 1.5x1 + 1 = 2.5 = 50% (PR) -> 0 (CR)
    m = one([0, 28, 56, 84], [[2, 1], [1.8, 1], [1.5, 1], [0, 0]],
            perpendicular=[[2, 1], [1.8, 1], [1.0, 1], [0, 0]])
    t = modified_who(m)
    np.testing.assert_allclose(t.burden[0], [5.0, 4.24, 2.5, 0.0])
    assert t.baseline_burden[0] == 5.0
    assert codes(t) == ["NE", "SD", "PR", "CR"]
    o = outcome(t)
    assert o.best_overall_response == "CR" and o.objective_response and o.complete_response
    assert o.time_to_response_days == 56 and o.time_to_complete_response_days == 84
    assert o.best_change_pct == -100.0


def test_who_pd_by_growth_is_against_the_nadir_and_beats_pr():
    # 4 -> 4.8 (120%: SD) -> 1 (PR) -> 1.25 (125% of nadir 1: PD though 69% below baseline) -> 1.2 (PR)
    m = one([0, 28, 56, 84, 112], [[2], [2], [1], [1], [1]], perpendicular=[[2], [2.4], [1], [1.25], [1.2]])
    t = modified_who(m)
    np.testing.assert_allclose(t.burden[0], [4.0, 4.8, 1.0, 1.25, 1.2])
    assert codes(t) == ["NE", "SD", "PR", "PD", "PR"]
    o = outcome(t)
    assert o.best_overall_response == "PR" and not o.progression_before_response
    assert o.duration_of_response_days == 84 - 56 and not o.duration_of_response_censored
    assert o.time_to_treatment_failure_days == 112 and o.ttf_censored     # PD at 84 followed by PR


def test_who_reappearance_after_cr_is_progression():
    t = modified_who(one([0, 28, 56], [[2], [0], [0.5]]))
    assert codes(t) == ["NE", "CR", "PD"]


def test_who_new_lesion_is_added_and_is_progression():
    # A 2x2 throughout; B new at day 56 (0.5), still there at 84 (0.6): burden 4, 4, 4.25, 4.36
    m = one([0, 28, 56, 84], [[2, 0], [2, 0], [2, 0.5], [2, 0.6]])
    t = modified_who(m)
    np.testing.assert_allclose(t.burden[0], [4.0, 4.0, 4.25, 4.36])
    assert t.new_lesion[0].tolist() == [False, False, True, False]
    assert codes(t) == ["NE", "SD", "PD", "SD"]
    assert codes(modified_who(m, new_lesion_is_progression=False)) == ["NE", "SD", "SD", "SD"]


def test_who_optional_confirmation_of_response():
    m = one([0, 28, 42, 70], [[2], [1.4], [1.4], [1.5]])     # PR at 28 and 42 (14 days), then SD
    assert codes(modified_who(m)) == ["NE", "PR", "PR", "SD"]
    assert codes(modified_who(m, confirm_response_days=28.0)) == ["NE", "SD", "SD", "SD"]
    assert codes(modified_who(m, confirm_response_days=14.0)) == ["NE", "PR", "PR", "SD"]


def test_who_progression_before_response():
    # PD at month 2 (2.5x2.5 = 6.25 >= 125% of 4), PR at month 4 and 6 (1x1)
    m = one([0, 2 * M, 4 * M, 6 * M], [[2], [2.5], [1], [1]])
    t = modified_who(m)
    assert codes(t) == ["NE", "PD", "PR", "PR"]
    o = outcome(t)
    assert o.best_overall_response == "PR" and o.objective_response and o.progression_before_response
    assert o.time_to_response_days == pytest.approx(4 * M)
    assert o.duration_of_response_days == pytest.approx(2 * M) and o.duration_of_response_censored
    assert o.time_to_treatment_failure_days == pytest.approx(6 * M) and o.ttf_censored
    assert o.best_change_pct == pytest.approx(-75.0)
    # ... and a PD after the last response is treatment failure
    t = modified_who(one([0, 2 * M, 4 * M, 6 * M], [[2], [2.5], [1], [1.5]]))
    assert codes(t) == ["NE", "PD", "PR", "PD"]
    o = outcome(t)
    assert o.time_to_treatment_failure_days == pytest.approx(6 * M) and not o.ttf_censored
    assert o.duration_of_response_days == pytest.approx(2 * M) and not o.duration_of_response_censored


# --- durable response (OPTiM definition) ---------------------------------------------------------
# baseline 2x2 = 4; 1.8 -> 3.24 (SD); 1.4 -> 1.96 (PR); 1.5 -> 2.25 (SD: > 50%, < 125% of 1.96); 2 -> PD

def test_response_lasting_exactly_6_months_is_durable():
    grid = [0, 28, 56, 56 + 3 * M, 56 + 6.0 * M, 56 + 6.0 * M + 28]
    t = modified_who(one(grid, [[2], [1.8], [1.4], [1.4], [1.4], [2]]))
    assert codes(t) == ["NE", "SD", "PR", "PR", "PR", "PD"]
    o = outcome(t)
    assert o.durable_response and o.durable_response_onset_day == 56
    assert o.duration_of_response_days == pytest.approx(6 * M + 28) and not o.duration_of_response_censored


def test_response_lasting_5_9_months_is_not_durable():
    grid = [0, 28, 56, 56 + 3 * M, 56 + 5.9 * M, 56 + 5.9 * M + 28]
    t = modified_who(one(grid, [[2], [1.8], [1.4], [1.4], [1.4], [2]]))
    assert codes(t) == ["NE", "SD", "PR", "PR", "PR", "PD"]
    o = outcome(t)
    assert o.objective_response and not o.durable_response and np.isnan(o.durable_response_onset_day)


def test_durable_response_must_start_within_12_months():
    late = one([0, 28, 12 * M + 1, 15 * M + 1, 18 * M + 1], [[2], [1.8], [1.4], [1.4], [1.4]])
    assert not outcome(modified_who(late)).durable_response
    on_time = one([0, 28, 12 * M, 15 * M, 18 * M], [[2], [1.8], [1.4], [1.4], [1.4]])
    o = outcome(modified_who(on_time))
    assert o.durable_response and o.durable_response_onset_day == pytest.approx(12 * M)


def test_durable_response_must_be_continuous_and_may_be_a_later_episode():
    broken = one([0, 28, 56, 56 + 3 * M, 56 + 6 * M], [[2], [1.8], [1.4], [1.5], [1.4]])
    t = modified_who(broken)
    assert codes(t) == ["NE", "SD", "PR", "SD", "PR"]
    assert not outcome(t).durable_response
    later = one([0, 28, 56, 84, 84 + 6 * M], [[2], [1.4], [1.5], [1.4], [1.4]])
    o = outcome(modified_who(later))
    assert o.durable_response and o.durable_response_onset_day == 84
    assert o.time_to_response_days == 28                   # first episode
    assert o.duration_of_response_days == pytest.approx(84 + 6 * M - 28) and o.duration_of_response_censored


def test_visit_not_assessed_neither_breaks_nor_extends_a_response():
    t = modified_who(one([0, 56, 56 + 3 * M, 56 + 6 * M], [[2], [1.4], [NaN], [1.4]]))
    assert codes(t) == ["NE", "PR", "NE", "PR"]
    assert np.isnan(t.burden[0, 2])
    assert outcome(t).durable_response
    # trailing visits not assessed (death, off study): the last assessment is day 56 + 3M
    t = modified_who(one([0, 56, 56 + 3 * M, 56 + 6 * M], [[2], [1.4], [1.4], [NaN]]))
    o = outcome(t)
    assert not o.durable_response and o.duration_of_response_censored
    assert o.duration_of_response_days == pytest.approx(3 * M)
    assert o.time_to_treatment_failure_days == pytest.approx(56 + 3 * M) and o.ttf_censored


# --- RECIST 1.1 ----------------------------------------------------------------------------------

def test_recist_targets_five_largest_two_per_organ_nodes_by_short_axis():
    sites = ["cutaneous", "cutaneous", "cutaneous", "lung", "lung", "liver", "subcutaneous", "nodal", "nodal"]
    longest = [[5.0, 4.0, 3.0, 2.5, 2.0, 1.8, 0.9, 2.0, 2.4],
               [5.0, 4.0, 3.5, 2.5, 2.0, 3.0, 0.9, 2.0, 2.4]]   # non-targets (3rd cutaneous, liver) grow
    perp = [[4.0, 3.0, 2.0, 2.0, 1.5, 1.5, 0.8, 1.4, 1.9],
            [4.0, 3.0, 2.5, 2.0, 1.5, 2.5, 0.8, 1.4, 1.9]]
    t = recist11(one([0, 28], longest, perpendicular=perp, site=sites))
    # targets: cutaneous 5.0 and 4.0 (not 3.0: 2 per organ), lung 2.5 and 2.0, node short axis 1.9
    # (liver 1.8 is sixth; subcutaneous 0.9 and the node with short axis 1.4 are not measurable)
    assert t.baseline_burden[0] == pytest.approx(15.4)
    np.testing.assert_allclose(t.burden[0], [15.4, 15.4])
    assert codes(t) == ["NE", "SD"]
    assert t.burden_units == "cm"


def test_recist_pd_needs_20pct_and_5mm_and_pr_30pct():
    grid = [0, 28, 56]
    small = one(grid, [[1.0], [1.4], [1.5]])                    # +40% but +4 mm: SD; +5 mm: PD
    large = one(grid, [[5.0, 5.0], [5.0, 6.9], [5.0, 7.0]])     # 11.9 (+19%): SD; 12.0 (+20%): PD
    pr = one(grid, [[5.0, 5.0], [3.0, 4.1], [3.0, 4.0]])        # 7.1: SD; 7.0 (-30%): PR
    t = recist11(stack(small, large, pr))
    np.testing.assert_allclose(t.burden, [[1.0, 1.4, 1.5], [10.0, 11.9, 12.0], [10.0, 7.1, 7.0]])
    assert codes(t, 0) == ["NE", "SD", "PD"]
    assert codes(t, 1) == ["NE", "SD", "PD"]
    assert codes(t, 2) == ["NE", "SD", "PR"]


def test_recist_nodal_cr_is_short_axis_below_1cm():
    # node 2.5 x 2.0 (short axis 2.0) -> 1.0 (not normal: PR, -50%) -> 0.9 (normal: CR, sum stays 0.9)
    m = one([0, 28, 56], [[2.5], [1.4], [1.2]], perpendicular=[[2.0], [1.0], [0.9]], site=["nodal"])
    t = recist11(m)
    np.testing.assert_allclose(t.burden[0], [2.0, 1.0, 0.9])
    assert codes(t) == ["NE", "PR", "CR"]


def test_recist_cr_needs_non_targets_and_new_lesions_gone():
    # target 2.0; non-target 0.8 (not measurable) stays until day 112; new lesion 0.3 from day 84 to 112
    m = one([0, 28, 56, 84, 112, 140],
            [[2.0, 0.8, 0], [1.0, 0.8, 0], [0, 0.8, 0], [0, 0.8, 0.3], [0, 0, 0.3], [0, 0, 0]])
    t = recist11(m)
    np.testing.assert_allclose(t.burden[0], [2.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    assert t.new_lesion[0].tolist() == [False, False, False, True, False, False]
    assert codes(t) == ["NE", "PR", "PR", "PD", "PR", "CR"]
    stopped = recist11(m, stop_at_progression=True)
    assert codes(stopped) == ["NE", "PR", "PR", "PD", "NE", "NE"]
    assert np.isnan(stopped.burden[0, 4:]).all()
    assert outcome(stopped).best_overall_response == "PR" and outcome(stopped).time_to_treatment_failure_days == 84
    # a target that reappears after vanishing is progression (sum 0 -> 1.0: +1.0 cm over the nadir)
    assert codes(recist11(one([0, 28, 56], [[2.0], [0], [1.0]]))) == ["NE", "CR", "PD"]


def test_recist_no_measurable_lesion_is_not_evaluable():
    m = one([0, 28], [[0.8], [0.4]])
    t = recist11(m)
    assert not t.evaluable[0] and codes(t) == ["NE", "NE"]
    assert outcome(t).best_overall_response == "NE"
    assert modified_who(m).evaluable[0]


def test_recist_confirmation_of_responses():
    grid = [0, 28, 56, 70, 84]
    held = one(grid, [[4], [2], [2], [2], [2]])       # PR from 28 to 84: confirmed
    lost = one(grid, [[4], [2.6], [3.0], [3.0], [3.0]])  # PR at 28 only, then SD: unconfirmed
    cr = one(grid, [[4], [2], [0], [0], [0]])         # CR from 56 to 84 (28 days): confirmed CR
    short_cr = one(grid, [[4], [2], [0], [0], [2]])    # CR 56-70 only: confirmed as PR; PD at 84
    m = stack(held, lost, cr, short_cr)
    plain = recist11(m)
    assert [codes(plain, i) for i in range(4)] == [
        ["NE", "PR", "PR", "PR", "PR"], ["NE", "PR", "SD", "SD", "SD"],
        ["NE", "PR", "CR", "CR", "CR"], ["NE", "PR", "CR", "CR", "PD"]]
    conf = recist11(m, confirm=True)
    assert [codes(conf, i) for i in range(4)] == [
        ["NE", "PR", "PR", "PR", "PR"], ["NE", "SD", "SD", "SD", "SD"],
        ["NE", "PR", "CR", "CR", "CR"], ["NE", "PR", "PR", "PR", "PD"]]
    assert response_outcomes(conf)["best_overall_response"].tolist() == ["PR", "SD", "CR", "PR"]
    # a response at the last assessment cannot be confirmed
    assert codes(recist11(one([0, 28, 56], [[4], [3], [2]]), confirm=True)) == ["NE", "SD", "SD"]


# --- irRC ----------------------------------------------------------------------------------------

def test_irrc_new_measurable_lesions_add_to_burden_without_progression():
    # index A 2x2; B new at 28 (0.5: measurable, added from then on, even at 0.4);
    # C new at 56 (0.4, 0.45: never measurable, never added)
    m = one([0, 28, 56, 84], [[2, 0, 0], [2, 0.5, 0], [2, 0.6, 0.4], [2, 0.4, 0.45]])
    t = irrc(m)
    np.testing.assert_allclose(t.burden[0], [4.0, 4.25, 4.36, 4.16])
    assert t.new_lesion[0].tolist() == [False, True, True, False]
    assert codes(t) == ["NE", "SD", "SD", "SD"]
    assert codes(modified_who(m)) == ["NE", "PD", "PD", "SD"]


def test_irrc_small_new_lesion_precludes_cr():
    t = irrc(one([0, 28, 56], [[2, 0], [0, 0.3], [0, 0]]))
    np.testing.assert_allclose(t.burden[0], [4.0, 0.0, 0.0])
    assert codes(t) == ["NE", "PR", "CR"]


def test_irrc_progression_needs_confirmation_28_days_later():
    grid = [0, 28, 42, 70]
    perp = {
        "not_confirmed": [[2], [2.5], [2.5], [2]],    # TMTB 4, 5, 5, 4: raw PD at 28 and 42 only (14 days)
        "confirmed": [[2], [2.5], [2.5], [2.5]],      # raw PD 28..70 (42 days)
        "at_last_visit": [[2], [2], [2], [2.5]],      # raw PD at the last assessment: stays SD
        "across_gap": [[2], [2.5], [NaN], [2.5]],     # day 42 not assessed: PD 28 and 70 confirm
    }
    m = stack(*(one(grid, [[2]] * 4, perpendicular=p) for p in perp.values()))
    t = irrc(m)
    assert [codes(t, i) for i in range(4)] == [
        ["NE", "SD", "SD", "SD"], ["NE", "PD", "PD", "PD"], ["NE", "SD", "SD", "SD"], ["NE", "PD", "NE", "PD"]]
    raw = irrc(m, confirm_progression=False)
    assert [codes(raw, i) for i in range(4)] == [
        ["NE", "PD", "PD", "SD"], ["NE", "PD", "PD", "PD"], ["NE", "SD", "SD", "PD"], ["NE", "PD", "NE", "PD"]]
    assert response_outcomes(t)["best_overall_response"].tolist() == ["SD", "PD", "SD", "PD"]


def test_irrc_index_lesions_are_the_15_largest_measurable():
    # 15 lesions 1x1, a 16th 0.6x0.6 (beyond 15), a 17th 0.4x0.4 (not measurable)
    base = [1.0] * 15 + [0.6, 0.4]
    later = [0.0] * 15 + [0.6, 0.4]
    t = irrc(one([0, 28, 56], [base, later, [0.0] * 17]))
    assert t.baseline_burden[0] == pytest.approx(15.0)
    np.testing.assert_allclose(t.burden[0], [15.0, 0.0, 0.0])
    assert codes(t) == ["NE", "PR", "CR"]           # non-index lesions must go for irCR


def test_irrc_response_confirmation_option():
    grid = [0, 28, 56]
    m = stack(one(grid, [[2], [1], [1]]), one(grid, [[2], [2], [1]]))
    assert [codes(irrc(m), i) for i in range(2)] == [["NE", "PR", "PR"], ["NE", "SD", "PR"]]
    conf = irrc(m, confirm_response=True)
    assert [codes(conf, i) for i in range(2)] == [["NE", "PR", "PR"], ["NE", "SD", "SD"]]


# --- shared behaviour ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_not_assessed_visits_and_non_evaluable_patients(name):
    crit = CRITERIA[name]
    grid = [0, 28, 56]
    no_baseline = one(grid, [[0], [1.5], [1.5]])            # lesion first seen at day 28
    baseline_missing = one(grid, [[NaN], [2], [2]])
    partial = one(grid, [[2, 2], [NaN, 2], [2, 2]])         # one lesion not measured at day 28: NE
    t = crit(stack(no_baseline, baseline_missing, partial))
    assert t.evaluable.tolist() == [False, False, True]
    assert codes(t, 0) == codes(t, 1) == ["NE", "NE", "NE"]
    assert codes(t, 2) == ["NE", "NE", "SD"] and np.isnan(t.burden[2, 1])
    out = response_outcomes(t)
    assert out["best_overall_response"].tolist() == ["NE", "NE", "SD"]
    assert out["evaluable"].tolist() == [False, False, True]
    assert np.isnan(out["best_change_pct"].iloc[0]) and out["best_change_pct"].iloc[2] == 0.0
    assert not out["ttf_censored"].iloc[0] and out["ttf_censored"].iloc[2]


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_padded_slots_are_ignored(name):
    grid = [0, 28, 56]
    plain = one(grid, [[2.0], [1.0], [1.0]])
    padded = one(grid, [[2.0, 9.0, NaN], [1.0, NaN, 3.0], [1.0, 0.0, 5.0]],
                 site=["cutaneous", "", "nonsense"], exists=[True, False, False])
    a, b = CRITERIA[name](plain), CRITERIA[name](padded)
    np.testing.assert_array_equal(a.burden, b.burden)
    np.testing.assert_array_equal(a.response, b.response)
    np.testing.assert_array_equal(a.new_lesion, b.new_lesion)
    assert codes(a) == ["NE", "PR", "PR"]


BATCH_GRID = [0, 28, 56, 84, 112]
BATCH = (
    one(BATCH_GRID, [[2], [1.8], [1.4], [1.4], [1.4]]),
    one(BATCH_GRID, [[2, 0], [2.4, 0.5], [1.0, 0.5], [1.0, 0.0], [0.0, 0.0]], site=["nodal", "lung"]),
    one(BATCH_GRID, [[3, 1.2, 2], [3.5, 1.2, 2], [NaN, NaN, NaN], [4, 1.5, 2.5], [NaN, NaN, NaN]],
        site=["subcutaneous", "liver", "lung"]),
    one(BATCH_GRID, [[0], [1], [1], [1], [1]]),
    one(BATCH_GRID, [[1.2, 1.1, 1.0, 1.5], [1.2, 0.5, 0, 1.5], [0.5, 0, 0, 1.0], [0, 0, 0, 0.8], [0, 0, 0, 0.5]],
        site=["cutaneous", "cutaneous", "cutaneous", "nodal"]),
)


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_batch_equals_each_patient_alone(name):
    crit = CRITERIA[name]
    batch = crit(stack(*BATCH))
    batch_out = response_outcomes(batch)
    for i, patient in enumerate(BATCH):
        alone = crit(patient)
        np.testing.assert_array_equal(batch.burden[i], alone.burden[0])
        np.testing.assert_array_equal(batch.response[i], alone.response[0])
        np.testing.assert_array_equal(batch.new_lesion[i], alone.new_lesion[0])
        assert batch.evaluable[i] == alone.evaluable[0]
        pd.testing.assert_series_equal(batch_out.iloc[i], response_outcomes(alone).iloc[0], check_names=False)
    assert set(batch.response.ravel()) <= {int(r) for r in Response}


def test_outcome_columns_and_types():
    out = response_outcomes(modified_who(stack(*BATCH)))
    assert list(out.columns) == [
        "best_overall_response", "objective_response", "complete_response", "time_to_response_days",
        "time_to_complete_response_days", "duration_of_response_days", "duration_of_response_censored",
        "durable_response", "durable_response_onset_day", "progression_before_response",
        "time_to_treatment_failure_days", "ttf_censored", "best_change_pct", "evaluable"]
    assert len(out) == 5 and out.index.name == "patient_index" and out.attrs["criterion"] == "modified_who"
    for col in ("objective_response", "complete_response", "durable_response", "ttf_censored", "evaluable"):
        assert out[col].dtype == bool, col


GOOD = {"time_day": np.array([0.0, 28.0]), "longest_cm": np.ones((2, 2, 3)), "perpendicular_cm": np.ones((2, 2, 3)),
        "site": np.full((2, 3), "cutaneous", dtype=object), "exists": np.ones((2, 3), bool),
        "injected": np.zeros((2, 3), bool)}


@pytest.mark.parametrize(("field", "value"), [
    ("time_day", np.array([[0.0, 28.0]])),                     # not 1-D
    ("time_day", np.array([7.0, 28.0])),                       # baseline not day 0
    ("time_day", np.array([0.0, 0.0])),                        # not increasing
    ("longest_cm", np.ones((2, 3, 3))),                        # V != len(time_day)
    ("longest_cm", -np.ones((2, 2, 3))),                       # negative diameter
    ("perpendicular_cm", np.ones((2, 2, 2))),
    ("site", np.full((2, 2), "cutaneous", dtype=object)),
    ("site", np.full((2, 3), "brain", dtype=object)),          # unknown site
    ("exists", np.ones((3, 3), bool)),
    ("exists", np.ones((2, 3))),                               # not bool
    ("injected", np.zeros((2,), bool)),
])
def test_bad_inputs_raise_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"^{field}: ") as err:
        Measurements(**{**GOOD, field: value})
    assert "\n" not in str(err.value)


# --- lesion level (Andtbacka et al. Ann Surg Oncol 2016) ----------------------------------------

def test_lesion_outcomes_categories_and_flags():
    grid = [0, 28, 56]
    first = one(grid,
                [[2, 2, 1.0, 1.5, 0.0, 7], [1, 2, 1.2, 1.5, 0.5, 7], [0, 2, 1.1, 1.5, 0.0, 7]],
                perpendicular=[[2, 2, 1.0, 1.5, 0.0, 7], [1, 1, 1.2, 1.5, 0.5, 7], [0, 1.5, 1.1, 1.5, 0.0, 7]],
                site=["cutaneous", "subcutaneous", "lung", "nodal", "cutaneous", ""],
                exists=[True, True, True, True, True, False], injected=[True, False, False, True, False, False])
    no_baseline = one(grid, [[NaN], [1], [1]], site=["liver"])
    gap = one(grid, [[1], [NaN], [0.5]], site=["liver"])
    m = stack(first, no_baseline, gap)
    out = lesion_outcomes(m)
    assert out[["patient_index", "lesion_index"]].values.tolist() == [[0, 0], [0, 1], [0, 2], [0, 3], [2, 0]]
    assert out["site"].tolist() == ["cutaneous", "subcutaneous", "lung", "nodal", "liver"]
    assert out["category"].tolist() == ["injected", "uninjected_nonvisceral", "uninjected_visceral",
                                        "injected", "uninjected_visceral"]
    np.testing.assert_allclose(out["baseline_product_cm2"], [4.0, 4.0, 1.0, 2.25, 1.0])
    np.testing.assert_allclose(out["best_change_pct"], [-100.0, -50.0, 21.0, 0.0, -75.0])
    assert out["decrease_ge_50pct"].tolist() == [True, True, False, False, True]
    assert out["complete_resolution"].tolist() == [True, False, False, False, False]
    assert not out["new_lesion"].any()

    with_new = lesion_outcomes(m, include_new=True)
    row = with_new[with_new["new_lesion"]]
    assert row[["patient_index", "lesion_index"]].values.tolist() == [[0, 4], [1, 0]]
    assert row["first_seen_day"].tolist() == [28.0, 28.0]
    np.testing.assert_allclose(row["baseline_product_cm2"], [0.25, 1.0])
    np.testing.assert_allclose(row["best_change_pct"], [-100.0, 0.0])
    assert row["complete_resolution"].tolist() == [True, False]


def test_import_does_not_load_jax():
    code = "import sys, ovsim.assess; assert 'jax' not in sys.modules, 'jax imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
