"""Virtual populations: specification statistics, eligibility, reproducibility, save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ovsim.population import Population, generate_population, load_population_spec

SPEC = load_population_spec()


@pytest.fixture(scope="module")
def big():
    return generate_population(3000, seed=11)


def _binomial_ok(count: int, n: int, p: float, z: float = 4.0) -> bool:
    return abs(count - n * p) <= z * np.sqrt(n * p * (1 - p)) + 1


def test_stage_mix_matches_spec_within_sampling_error(big):
    counts = big.patients["stage"].value_counts()
    mix = SPEC.stage_mix["tvec"]
    total = sum(mix.values())
    for stage, frac in mix.items():
        assert _binomial_ok(int(counts.get(stage, 0)), len(big), frac / total), stage


def test_gmcsf_arm_mix_differs():
    pop = generate_population(3000, seed=11, arm="gmcsf")
    frac = (pop.patients["stage"] == "IVM1a").mean()
    assert _binomial_ok(int(frac * 3000), 3000, 0.30 / 0.99)


def test_covariates_match_spec(big):
    n = len(big)
    cov = SPEC.covariates
    assert _binomial_ok(int((big.patients.ecog == 0).sum()), n, cov.ecog0_fraction)
    assert _binomial_ok(int(big.patients.hsv1_seropositive.sum()), n, cov.hsv1_seropositive_fraction)
    assert _binomial_ok(int((big.patients.ldh_x_uln > 1.0).sum()), n, cov.ldh_above_uln_fraction)
    assert big.patients.ldh_x_uln.max() <= cov.ldh_max_x_uln
    assert set(big.patients.loc[big.patients.ldh_x_uln > 1.0, "stage"]) == {"IVM1c"}


def _visible(pop):
    return pop.lesions[~pop.lesions.lesion_id.str.contains("-O")]


def test_lesions_by_stage_mean_biology(big):
    les = _visible(big).merge(big.patients[["patient_id", "stage"]], on="patient_id")
    by_stage = les.groupby("stage")["site"]
    # Stage III and M1a: no visceral disease; M1b: lung in every patient; M1c: other visceral or high LDH.
    for stage in ("IIIB", "IIIC", "IVM1a"):
        assert not by_stage.get_group(stage).isin(["lung", "liver", "visceral_other"]).any()
    m1b = big.patients[big.patients.stage == "IVM1b"].patient_id
    assert set(les[les.site == "lung"].patient_id) >= set(m1b)
    assert not les[les.stage == "IVM1b"].site.isin(["liver", "visceral_other"]).any()
    # Mean number of injectable lesions per stage within 4 standard errors of 1 + Poisson(mean - 1).
    inj = les[les.site.isin(["cutaneous", "subcutaneous", "nodal"])].groupby("patient_id").size()
    stage_of = big.patients.set_index("patient_id").stage
    for stage in ("IIIB", "IIIC", "IVM1a"):
        x = inj[stage_of[inj.index] == stage]
        mu = SPEC.stages[stage].injectable_mean
        assert abs(x.mean() - mu) < 4 * np.sqrt(mu - 1) / np.sqrt(len(x)) + 0.05, stage
    # Growth: one published distribution for every stage (no stage trend): each stage's median patient
    # doubling time is the spec's, within 4 standard errors of a log-normal median.
    sigma = np.sqrt(np.log1p(SPEC.variability.patient_doubling_time_cv ** 2))
    for stage, x in big.patients.groupby("stage").doubling_time_days:
        se = 1.2533 * sigma / np.sqrt(len(x))
        assert abs(np.log(x.median() / SPEC.stages[stage].doubling_time_days)) < 4 * se, stage


def test_eligibility_holds_for_every_patient(big):
    les = _visible(big)
    inj = les[les.site.isin(["cutaneous", "subcutaneous", "nodal"])]
    assert set(inj.patient_id) == set(big.patients.patient_id)  # >= 1 injectable lesion
    assert (inj.groupby("patient_id").longest_diameter_cm.max() >= SPEC.min_measurable_cm).all()
    visc = les[les.site.isin(["liver", "visceral_other"])]
    assert (visc.groupby("patient_id").size() <= 3).all()
    assert (visc.longest_diameter_cm <= SPEC.visceral_other_max_cm).all()
    assert les.longest_diameter_cm.between(SPEC.min_cm, SPEC.max_cm).all()
    assert les.groupby("patient_id").size().max() <= SPEC.max_lesions


def test_occult_deposits_follow_spec(big):
    occ = SPEC.occult
    les = big.lesions
    hidden = les[les.lesion_id.str.contains("-O")]
    lo, hi = occ.diameter_cm
    assert hidden.longest_diameter_cm.between(lo * 0.999, hi * 1.001).all()
    per_patient = hidden.groupby("patient_id").size().reindex(big.patients.patient_id, fill_value=0)
    assert per_patient.max() <= occ.max_per_patient
    assert (per_patient.to_numpy() == big.patients.n_occult.to_numpy()).all()
    # mean count: E[min(Poisson(per_visible_lesion x visible lesions), max_per_patient)]
    from scipy.stats import poisson

    lam = occ.per_visible_lesion * (big.patients.n_lesions - big.patients.n_occult).to_numpy()
    cap = occ.max_per_patient
    expected = sum(k * poisson.pmf(k, lam) for k in range(cap)) + cap * poisson.sf(cap - 1, lam)
    assert abs(per_patient.mean() - expected.mean()) < 4 * np.sqrt(np.minimum(lam, cap).mean() / len(lam))
    # stage III deposits are (almost) all at injectable sites; M1c has visceral ones
    stage_of = big.patients.set_index("patient_id").stage
    visc = hidden.site.isin(["lung", "liver", "visceral_other"])
    assert not visc[stage_of[hidden.patient_id].to_numpy() == "IIIB"].any()
    assert visc[stage_of[hidden.patient_id].to_numpy() == "IVM1c"].mean() > 0.2
    assert "occult" in big.summary().columns


def test_lesion_sizes_lognormal_median(big):
    les = _visible(big)
    cut = les[les.site == "cutaneous"].longest_diameter_cm
    # truncation at [0.3, 10] cm and the measurability redraw shift the median only slightly
    assert abs(np.log(cut.median()) - np.log(SPEC.lesion_size_cm["cutaneous"].median)) < 0.15


def test_parameter_variability_lognormal(big):
    from ovsim.model import PARAMETERS

    for name, cv in SPEC.variability.patient.items():
        x = np.log(big.patients[name])
        sigma = np.sqrt(np.log1p(cv**2))
        assert abs(x.mean() - np.log(PARAMETERS[name].value)) < 4 * sigma / np.sqrt(len(x)), name
        assert abs(x.std() / sigma - 1) < 0.1, name


def test_same_seed_same_population_whatever_the_shard():
    whole = generate_population(60, seed=5)
    parts = [generate_population(20, seed=5, start=s) for s in (0, 20, 40)]
    pd.testing.assert_frame_equal(whole.patients, pd.concat([p.patients for p in parts], ignore_index=True))
    pd.testing.assert_frame_equal(whole.lesions, pd.concat([p.lesions for p in parts], ignore_index=True))
    other = generate_population(60, seed=6)
    assert not whole.patients.stage.equals(other.patients.stage)


def test_save_load_roundtrip(tmp_path, big):
    small = big.rows(0, 50)
    small.save(tmp_path / "pop")
    back = Population.load(tmp_path / "pop")
    pd.testing.assert_frame_equal(small.patients, back.patients)
    pd.testing.assert_frame_equal(small.lesions, back.lesions)
    assert back.provenance["seed"] == 11
    p = back.patient(3)
    assert p.patient_id == small.patients.patient_id[3]
    assert p.n_lesions == int(small.patients.n_lesions[3])


def test_bad_tables_name_table_and_column(tmp_path, big):
    small = big.rows(0, 5)
    bad = small.lesions.copy()
    bad.loc[0, "site"] = "skin"
    with pytest.raises(ValueError, match=r"lesions\.site: expected one of"):
        Population.from_tables(small.patients, bad)
    badp = small.patients.copy()
    badp["kill_rate"] = -1.0
    with pytest.raises(ValueError, match=r"patients\.kill_rate: expected finite numbers >= 0"):
        Population.from_tables(badp, small.lesions)
    with pytest.raises(ValueError, match="file not found"):
        Population.load(tmp_path / "nothing")


def test_bad_spec_file(tmp_path):
    f = tmp_path / "spec.yaml"
    f.write_text("source: x\n")
    with pytest.raises(ValueError, match=r"spec\.yaml: stage_mix: required field is missing"):
        load_population_spec(f)
