"""Which lesions investigators inject (``injection_intent``), lesion counts and burden by stage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ovsim.engine import simulate_cohort
from ovsim.population import Lesion, Patient, Population, generate_population, load_population_spec

SPEC = load_population_spec()
INJECTABLE = ["cutaneous", "subcutaneous", "nodal"]
VISCERAL = ["lung", "liver", "visceral_other"]


@pytest.fixture(scope="module")
def big():
    return generate_population(3000, seed=23)


def _visible(pop):
    return pop.lesions[~pop.lesions.lesion_id.str.contains("-O")]


def test_intent_column_drawn_for_every_lesion_and_never_visceral(big):
    les = big.lesions
    assert les["injection_intent"].dtype == bool
    assert not les.loc[les.site.isin(VISCERAL), "injection_intent"].any()
    # every patient has a visible injectable lesion the investigator intends to inject (OPTiM enrolled them to be treated)
    vis = _visible(big)
    intended = vis[vis.site.isin(INJECTABLE) & vis.injection_intent]
    assert set(intended.patient_id) == set(big.patients.patient_id)


def test_intent_probability_per_site_follows_spec(big):
    les = big.lesions
    # occult deposits carry no forced intent: a clean binomial sample of the spec's probability per site
    hidden = les[les.lesion_id.str.contains("-O")]
    for site in INJECTABLE:
        x = hidden.loc[hidden.site == site, "injection_intent"]
        p = SPEC.intent_probability(site)
        assert len(x) > 200
        assert abs(x.sum() - p * len(x)) <= 4 * np.sqrt(len(x) * p * (1 - p)) + 1, site
    # visible lesions: the spec's probability, raised at most by the one forced lesion per patient
    vis = _visible(big)
    inj = vis[vis.site.isin(INJECTABLE)]
    p = SPEC.intent_probability("cutaneous")
    lo = p * len(inj) - 4 * np.sqrt(len(inj) * p * (1 - p))
    assert lo <= inj.injection_intent.sum() <= p * len(inj) + 4 * np.sqrt(len(inj) * p * (1 - p)) + len(big)
    assert 0.0 < SPEC.intent_probability("nodal") < 1.0 and SPEC.intent_probability("lung") == 0.0


def test_intent_reproducible_and_independent_of_shards():
    whole = generate_population(40, seed=9)
    again = generate_population(40, seed=9)
    parts = pd.concat([generate_population(20, seed=9, start=s).lesions for s in (0, 20)], ignore_index=True)
    pd.testing.assert_series_equal(whole.lesions.injection_intent, again.lesions.injection_intent)
    pd.testing.assert_series_equal(whole.lesions.injection_intent, parts.injection_intent)
    other = generate_population(40, seed=10)
    assert not other.lesions.injection_intent.reset_index(drop=True).equals(whole.lesions.injection_intent)


def test_intent_drawn_last_so_a_spec_without_it_keeps_every_earlier_draw():
    """Intent is the last draw of a patient: removing it (all intended) leaves every other value unchanged."""
    spec_all = SPEC.model_copy(update={"injection_intent": {}})
    a = generate_population(30, seed=4)
    b = generate_population(30, seed=4, spec=spec_all)
    cols = [c for c in a.lesions.columns if c != "injection_intent"]
    pd.testing.assert_frame_equal(a.lesions[cols], b.lesions[cols])
    pd.testing.assert_frame_equal(a.patients, b.patients)
    assert b.lesions.loc[b.lesions.site.isin(INJECTABLE), "injection_intent"].all()


def test_counts_per_site_and_stage_follow_spec(big):
    vis = _visible(big).merge(big.patients[["patient_id", "stage"]], on="patient_id")
    stage_of = big.patients.set_index("patient_id").stage
    for stage, st in SPEC.stages.items():
        ids = stage_of[stage_of == stage].index
        rows = vis[vis.stage == stage]
        # site mix of injectable lesions: each site's share within 4 binomial SDs
        inj = rows[rows.site.isin(INJECTABLE)]
        total = sum(st.injectable_sites.values())
        for site, frac in st.injectable_sites.items():
            p = frac / total
            k = int((inj.site == site).sum())
            assert abs(k - p * len(inj)) <= 4 * np.sqrt(len(inj) * p * (1 - p)) + 1, (stage, site)
        # lung: probability x mean count given present (1 + Poisson)
        p_lung, mean_lung = st.lung
        lung = rows[rows.site == "lung"].groupby("patient_id").size().reindex(ids, fill_value=0)
        if p_lung == 0:
            assert lung.sum() == 0, stage
        else:
            has = lung[lung > 0]
            assert abs(len(has) / len(ids) - p_lung) <= 4 * np.sqrt(p_lung * (1 - p_lung) / len(ids)) + 1e-9, stage
            assert abs(has.mean() - mean_lung) < 4 * np.sqrt(max(mean_lung - 1, 0.05) / len(has)), stage
    # M1c: other visceral lesions in every patient whose stage is not from LDH alone, one each on average
    m1c = big.patients[(big.patients.stage == "IVM1c") & (big.patients.ldh_x_uln <= 1.0)].patient_id
    vo = vis[vis.site.isin(["liver", "visceral_other"])].groupby("patient_id").size()
    assert set(m1c) <= set(vo.index)
    assert abs(vo.reindex(m1c).mean() - SPEC.stages["IVM1c"].visceral_other[1]) < 0.05


def test_injectable_counts_the_same_in_every_stage_and_disease_extent_rises(big):
    """No per-stage lesion count is published: the injectable count does not depend on stage, and stage
    acts through its definition (visceral disease in M1b/M1c), so M1b/M1c patients carry more lesions."""
    vis = _visible(big)
    stage_of = big.patients.set_index("patient_id").stage
    inj = vis[vis.site.isin(INJECTABLE)].groupby("patient_id").size().reindex(stage_of.index, fill_value=0)
    means = inj.groupby(stage_of).mean()
    mu = SPEC.stages["IIIB"].injectable_mean
    for stage, m in means.items():
        n = int((stage_of == stage).sum())
        assert abs(m - mu) < 4 * np.sqrt((mu - 1) / n) + 0.05, stage
    total = vis.groupby("patient_id").size().reindex(stage_of.index).groupby(stage_of).mean()
    assert total["IVM1b"] > total["IVM1a"] + 0.8 and total["IVM1c"] > total["IVM1a"] + 0.8


def test_baseline_burden_matches_optim(big):
    """Median baseline burden (sum of products of diameters of lesions seen, cm2) near OPTiM's 14.8 cm2,
    lower quartile near 5.8 cm2 (ASCO abstract 9074; docs/population.md)."""
    seen = big.lesions[big.lesions.longest_diameter_cm >= 0.2]
    burden = (seen.longest_diameter_cm ** 2).groupby(seen.patient_id).sum()
    q1, med, q3 = burden.quantile([0.25, 0.5, 0.75])
    assert 12.5 <= med <= 17.5
    assert 4.5 <= q1 <= 7.5
    assert q3 >= 30.0


def _with_largest_not_intended(pop: Population) -> Population:
    """Each patient's largest visible injectable lesion (the label's first choice) marked not intended."""
    les = pop.lesions.copy()
    vis = les[les.site.isin(INJECTABLE) & (les.longest_diameter_cm >= 0.2)]
    largest = vis.loc[vis.groupby("patient_id").longest_diameter_cm.idxmax(), "lesion_id"]
    les["injection_intent"] = les.site.isin(INJECTABLE) & ~les.lesion_id.isin(set(largest))
    return Population.from_tables(pop.patients, les, pop.provenance)


def test_policy_never_injects_a_lesion_without_intent():
    pop = generate_population(16, seed=3)
    pop = pop.subset(np.flatnonzero((pop.patients.n_lesions <= 16).to_numpy())[:6])
    pop = _with_largest_not_intended(pop)
    res = simulate_cohort(pop, "tvec", horizon_days=56.0, output_every_days=7.0)
    given = res.doses[(res.doses.DRUG == "TVEC") & (res.doses.AMT > 0) & (res.doses.LESION_ID != "")]
    not_intended = set(pop.lesions.loc[~pop.lesions.injection_intent, "lesion_id"])
    assert len(given) > 0
    assert not set(given.LESION_ID) & not_intended
    assert set(given.ID) == set(pop.patients.patient_id)  # everyone was still treated (intended lesions)


def test_patient_without_intended_lesion_cannot_receive_tvec():
    from ovsim.engine import simulate_patient

    p = Patient("X", (Lesion("C1", "cutaneous", 2.0, injection_intent=False), Lesion("P1", "lung", 1.0)))
    assert p.injectable_mask == [False, False]
    with pytest.raises(ValueError, match="T-VEC needs at least one injectable"):
        simulate_patient(p, "tvec", horizon_days=28.0)


def test_tables_accept_intent_with_default_and_reject_bad_values(big):
    small = big.rows(0, 4)
    old = small.lesions.drop(columns="injection_intent")
    assert all(les.injection_intent for p in Population.from_tables(small.patients, old) for les in p.lesions)
    empty = small.lesions.astype({"injection_intent": object})
    empty.loc[0, "injection_intent"] = None
    assert Population.from_tables(small.patients, empty).patient(0).lesions[0].injection_intent is True
    bad = small.lesions.astype({"injection_intent": object})
    bad.loc[1, "injection_intent"] = "yes"
    with pytest.raises(ValueError, match=r"^population: lesions\.injection_intent: expected true or false"):
        Population.from_tables(small.patients, bad)
    with pytest.raises(ValueError, match="injection_intent: expected true or false"):
        Lesion("C1", "cutaneous", 1.0, injection_intent=1)


def test_saved_population_keeps_intent(tmp_path, big):
    small = big.rows(0, 10)
    back = Population.load(small.save(tmp_path / "pop"))
    pd.testing.assert_series_equal(back.lesions.injection_intent, small.lesions.injection_intent)


def test_bad_spec_intent_probability_is_one_line(tmp_path):
    import yaml
    from importlib import resources

    raw = yaml.safe_load(resources.files("ovsim.data").joinpath("population_optim.yaml").read_text())
    raw["injection_intent"] = {"cutaneous": 1.5}
    f = tmp_path / "spec.yaml"
    f.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"spec\.yaml: .*injection_intent: expected probabilities in \[0, 1\]") as err:
        load_population_spec(f)
    assert "\n" not in str(err.value)
    raw["injection_intent"] = {"lung": 0.5}
    f.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"spec\.yaml: injection_intent"):
        load_population_spec(f)
