"""Body weight per virtual patient: consistent with BSA (Mosteller), reproducible by patient index, drawn
apart from every other draw, carried to mg/kg doses and pembrolizumab PK, validated in one line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ovsim.engine import simulate_cohort, simulate_patient
from ovsim.io import InputFileError, load_patient
from ovsim.population import Lesion, Patient, Population, draw_from_pool, generate_population, load_calibrated_pool
from ovsim.population import _generate
from ovsim.population._weight import (HEIGHT_RANGE_CM, WEIGHT_RANGE_KG, draw_height_cm, height_stream,
                                      patient_weight_kg, weight_from_bsa_kg, weights_kg)

MIX = {"IIIB": 0.1, "IIIC": 0.2, "IVM1a": 0.3, "IVM1b": 0.2, "IVM1c": 0.2}


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(400, seed=20240)


@pytest.fixture(scope="module")
def pool():
    return load_calibrated_pool()


def _height_cm(bsa_m2: float, weight_kg: float) -> float:
    """The height (cm) that the Mosteller formula gives for a BSA (m^2) and weight (kg)."""
    return 3600.0 * bsa_m2 ** 2 / weight_kg


# (a) consistency with BSA and height ---------------------------------------------------------------

def test_weights_follow_bsa_and_a_height_in_range(population):
    """Every weight is inside the clip, and unless clipped, the height it implies with the patient's BSA is
    inside the height range: BSA recomputed from weight and that height is the patient's BSA."""
    p = population.patients
    w, bsa = p["weight_kg"].to_numpy(float), p["bsa_m2"].to_numpy(float)
    assert ((w >= WEIGHT_RANGE_KG[0]) & (w <= WEIGHT_RANGE_KG[1])).all()
    inside = (w > WEIGHT_RANGE_KG[0]) & (w < WEIGHT_RANGE_KG[1])
    h = _height_cm(bsa[inside], w[inside])
    assert ((h >= HEIGHT_RANGE_CM[0] - 1e-9) & (h <= HEIGHT_RANGE_CM[1] + 1e-9)).all()
    np.testing.assert_allclose(np.sqrt(h * w[inside] / 3600.0), bsa[inside], rtol=1e-12)
    # the same height as the patient's own stream draws
    for i in np.flatnonzero(inside)[:3]:
        assert _height_cm(bsa[i], w[i]) == pytest.approx(draw_height_cm(height_stream(20240, int(i))), rel=1e-12)


def test_median_weight_at_median_bsa_is_near_the_pk_reference():
    """At the spec's median BSA (1.9 m^2) the median weight is 76.1 kg (76.8 kg +- 5: Ahamadi 2017's
    reference weight), and the population's median is close to it too."""
    w = weights_kg(7, range(5000), np.full(5000, 1.9))
    assert np.median(w) == pytest.approx(76.8, abs=5.0)
    assert np.median(generate_population(300, seed=3).patients["weight_kg"]) == pytest.approx(76.8, abs=5.0)


def test_weight_from_bsa_is_the_inverse_mosteller_formula_clipped():
    assert weight_from_bsa_kg(1.9, 170.0) == pytest.approx(3600 * 1.9 ** 2 / 170)
    assert weight_from_bsa_kg(0.5, 200.0) == WEIGHT_RANGE_KG[0]
    assert weight_from_bsa_kg(3.9, 140.0) == WEIGHT_RANGE_KG[1]
    assert math.isnan(patient_weight_kg(1, 0, math.nan))


def test_pool_draws_carry_weights_from_the_pool_patients_bsa(pool):
    d = draw_from_pool(pool, 200, 5, MIX, "tvec")
    assert "weight_kg" not in pool.population.patients.columns  # the shipped pool is not touched
    expected = [patient_weight_kg(5, i, b) for i, b in zip(d.patients["index"], d.patients["bsa_m2"])]
    np.testing.assert_array_equal(d.patients["weight_kg"].to_numpy(float), expected)
    assert np.median(d.patients["weight_kg"]) == pytest.approx(76.8, abs=5.0)


# (b) reproducibility ----------------------------------------------------------------------------------

def test_same_seed_same_weights_and_chunks_agree(population):
    again = generate_population(400, seed=20240)
    pd.testing.assert_series_equal(again.patients["weight_kg"], population.patients["weight_kg"])
    chunks = pd.concat([generate_population(150, 20240, start=0).patients,
                        generate_population(170, 20240, start=150).patients,
                        generate_population(80, 20240, start=320).patients], ignore_index=True)
    pd.testing.assert_frame_equal(chunks, population.patients)
    other = generate_population(50, seed=20241).patients["weight_kg"].to_numpy()
    assert not np.array_equal(other, population.patients["weight_kg"].to_numpy()[:50])


def test_pool_chunks_agree(pool):
    whole = draw_from_pool(pool, 60, 11, MIX, "tvec").patients
    parts = pd.concat([draw_from_pool(pool, 25, 11, MIX, "tvec", start=0).patients,
                       draw_from_pool(pool, 35, 11, MIX, "tvec", start=25).patients], ignore_index=True)
    pd.testing.assert_frame_equal(parts, whole)


# (c) no other draw changed ---------------------------------------------------------------------------

def test_weight_draw_leaves_every_other_column_unchanged(population, monkeypatch):
    """Structural: the weight uses no number of the patient's stream (i,). With the weight draw replaced by a
    constant that draws nothing, every other column and every lesion is identical."""
    monkeypatch.setattr(_generate, "patient_weight_kg", lambda seed, index, bsa: 76.8)
    plain = generate_population(400, seed=20240)
    assert (plain.patients["weight_kg"] == 76.8).all()
    pd.testing.assert_frame_equal(plain.patients.drop(columns="weight_kg"),
                                  population.patients.drop(columns="weight_kg"))
    pd.testing.assert_frame_equal(plain.lesions, population.lesions)


def test_draws_match_those_recorded_before_weight_existed(population, pool):
    """Values recorded on the commit before weight was added (bafd10e): seed 20240's first patients and a
    pool draw (seed 7) are unchanged. Re-record only for a change that alters the draws on purpose."""
    p = population.patients.iloc[:6]
    assert p["stage"].tolist() == ["IVM1b", "IIIB", "IIIB", "IVM1c", "IVM1b", "IIIC"]
    assert p["ecog"].tolist() == [0, 1, 1, 0, 0, 0]
    assert p["n_lesions"].tolist() == [16, 7, 11, 13, 14, 16]
    np.testing.assert_allclose(p["bsa_m2"], [2.064401969194467, 1.712075876466098, 2.051198808886332,
                                             1.9690338066950535, 1.7768108084417835, 1.7177057247874163], rtol=1e-12)
    first = population.lesions.groupby("patient_id", sort=False)["longest_diameter_cm"].first().iloc[:6]
    assert first.tolist() == [0.594, 2.809, 7.745, 1.829, 3.191, 0.409]
    d = draw_from_pool(pool, 6, 7, MIX, "tvec").patients
    assert d["pool_patient_id"].tolist() == ["VP0003925", "VP0000839", "VP0002420", "VP0002261", "VP0001774",
                                             "VP0002524"]


# (d) mg/kg doses and PK follow the patient's weight ---------------------------------------------------

def _patient(pid: str, **kw) -> Patient:
    return Patient(pid, (Lesion("C1", "cutaneous", 1.5),), **kw)


def test_ipilimumab_mg_per_kg_doses_scale_with_weight():
    regimen = {"ipilimumab": {"dose_mg_per_kg": 3, "every_days": 21, "n_doses": 4, "start_day": 0},
               "pembrolizumab": {"dose_mg": 200, "n_doses": 1}}
    light = simulate_patient(_patient("L", weight_kg=55.0), regimen, horizon_days=70.0)
    heavy = simulate_patient(_patient("H", weight_kg=110.0), regimen, horizon_days=70.0)
    for res, w in ((light, 55.0), (heavy, 110.0)):
        ipi = res.doses[res.doses["DRUG"] == "IPILIMUMAB"]
        assert ipi["TIME"].tolist() == [0.0, 21.0, 42.0, 63.0] and (ipi["AMT_UNIT"] == "mg").all()
        np.testing.assert_allclose(ipi["AMT"], 3.0 * w)
        assert res.doses.loc[res.doses["DRUG"] == "PEMBROLIZUMAB", "AMT"].tolist() == [200.0]  # flat dose
    # pembrolizumab's clearance grows with weight: the same flat dose leaves less drug in the central compartment
    c_light = light.systemic["pembrolizumab_central_mg"].values[1:3]
    c_heavy = heavy.systemic["pembrolizumab_central_mg"].values[1:3]
    assert (c_heavy < c_light).all()


def test_population_weight_reaches_the_cohort_doses():
    """A population table's weight_kg doses each patient; a table without the column gives 76.8 kg."""
    pop = generate_population(2, seed=1)
    pop = Population.from_tables(pop.patients.assign(weight_kg=[50.0, 100.0]), pop.lesions)
    res = simulate_cohort(pop, {"ipilimumab": "label"}, horizon_days=30.0, output_every_days=10.0)
    amt = res.doses.groupby("ID")["AMT"].first()
    np.testing.assert_allclose(amt[pop.patients["patient_id"]], [150.0, 300.0])
    bare = Population.from_tables(pop.patients.drop(columns="weight_kg"), pop.lesions)
    assert bare.patient(0).weight_kg == 76.8
    res = simulate_cohort(bare, {"ipilimumab": "label"}, horizon_days=30.0, output_every_days=10.0)
    np.testing.assert_allclose(res.doses["AMT"], 3.0 * 76.8)


# (e) bad weights are one-line errors naming weight_kg -------------------------------------------------

@pytest.mark.parametrize("bad", [5.0, 1e4, "heavy"])
def test_bad_weight_in_a_population_table(population, bad):
    p = population.patients.iloc[:3].copy()
    p["weight_kg"] = pd.Series([bad, 70.0, 80.0], dtype=object)
    les = population.lesions[population.lesions["patient_id"].isin(p["patient_id"])]
    with pytest.raises(ValueError) as err:
        Population.from_tables(p, les, source="pop")
    assert str(err.value).startswith("pop: patients.weight_kg: expected") and "\n" not in str(err.value)


def test_empty_weight_cell_takes_the_default(population):
    p = population.patients.iloc[:2].copy()
    p["weight_kg"] = [np.nan, 90.0]
    les = population.lesions[population.lesions["patient_id"].isin(p["patient_id"])]
    pop = Population.from_tables(p, les)
    assert [pop.patient(0).weight_kg, pop.patient(1).weight_kg] == [76.8, 90.0]


@pytest.mark.parametrize("bad", [0.0, 19.9, 301.0, math.inf, math.nan, True, "70"])
def test_bad_patient_weight(bad):
    with pytest.raises(ValueError) as err:
        _patient("P", weight_kg=bad)
    assert str(err.value).startswith("weight_kg: expected a body weight between 20 and 300 kg")
    assert "\n" not in str(err.value)


def test_patient_default_weight():
    assert _patient("P").weight_kg == 76.8


PATIENT_FILE = """
patient: {{id: P, {field}}}
lesions:
  - {{id: A, site: nodal, longest_diameter_cm: 2}}
"""


def test_patient_file_weight(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(PATIENT_FILE.format(field="weight_kg: 62.5"))
    assert load_patient(f).patient.weight_kg == 62.5
    f.write_text(PATIENT_FILE.format(field="stage: IIIB"))
    assert load_patient(f).patient.weight_kg == 76.8


@pytest.mark.parametrize("value, words", [("500", "less than or equal to 300"), ("10", "greater than or equal to 20"),
                                          ("heavy", "valid number")])
def test_bad_patient_file_weight(tmp_path, value, words):
    f = tmp_path / "p.yaml"
    f.write_text(PATIENT_FILE.format(field=f"weight_kg: {value}"))
    with pytest.raises(InputFileError) as err:
        load_patient(f)
    msg = str(err.value)
    assert msg.startswith(f"{f}: patient.weight_kg:") and words in msg and "\n" not in msg
