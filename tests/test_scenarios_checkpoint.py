"""The five checkpoint / combination scenarios shipped in ovsim/data/scenarios, their populations and the
name lookup of ``ovsim trial NAME``. Until the pembrolizumab and ipilimumab treatments are registered, loading
a scenario that uses them fails in one line naming the unknown treatment (asserted here, nothing skipped)."""

import numpy as np
import pytest

from ovsim.population import draw_from_pool, load_calibrated_pool, shipped_population_spec
from ovsim.treatments import parse_regimen, treatment_names
from ovsim.trial import load_scenario, shipped_scenario_path, shipped_scenarios
from ovsim.trial._scenario import TrialScenario

EXPECTED = {  # name: (arms with n, criterion) as in shared/targets/checkpoint.yaml
    "keynote006": ({"pembrolizumab_q2w": 279, "pembrolizumab_q3w": 277, "ipilimumab": 278}, "recist11"),
    "checkmate067_ipilimumab": ({"ipilimumab": 315}, "recist11"),
    "masterkey265_phase1b": ({"tvec_pembrolizumab": 21}, "irrc"),
    "masterkey265_phase3": ({"tvec_pembrolizumab": 346, "placebo_pembrolizumab": 346}, "recist11"),
    "tvec_ipilimumab_phase2": ({"tvec_ipilimumab": 98, "ipilimumab": 100}, "irrc"),
}


def test_the_five_scenarios_ship():
    assert set(EXPECTED) <= set(shipped_scenarios()) and "optim" in shipped_scenarios()
    assert shipped_scenario_path("nonsense") is None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_loads_or_names_the_missing_treatment(name):
    path = shipped_scenario_path(name)
    text = path.read_text()
    needed = {t for t in ("pembrolizumab", "ipilimumab") if f"{t}:" in text}
    missing = sorted(needed - set(treatment_names()))
    if missing:
        with pytest.raises(ValueError) as err:
            load_scenario(path)
        msg = str(err.value)
        assert "\n" not in msg and str(path) in msg and "unknown treatment" in msg
        assert any(f"'{t}'" in msg for t in missing)
        return
    sc = load_scenario(path)
    arms, criterion = EXPECTED[name]
    assert {a: s.n for a, s in sc.arms.items()} == arms
    assert sc.assessment.criterion == criterion
    assert sc.source and sc.population == "optim_calibrated" and sc.population_mix


def test_phase3_tvec_schedule_is_the_trial_protocol_not_the_label():
    reg = parse_regimen({"tvec": {"late_interval_days": 21, "late_interval_from_visit": 5, "max_months": 24}}, "r")
    assert not reg.label_conformant
    assert any("interval 21 days from visit 5" in line for line in reg.not_label())
    from ovsim.regimen import LabelPolicy
    from ovsim.treatments.tvec import TvecDosing

    days = TvecDosing(LabelPolicy(late_interval_days=21, late_interval_from_visit=5)).visit_days(130)
    assert days.tolist() == [0, 21, 35, 49, 63, 84, 105, 126]  # weeks 0, 3, 5, 7, 9, then every 3 weeks
    assert parse_regimen({"tvec": "label"}, "r").label_conformant
    # the same interval from visit 5 is the label's schedule
    assert parse_regimen({"tvec": {"late_interval_days": 14, "late_interval_from_visit": 5}}, "r").label_conformant


def test_population_specs():
    kn = shipped_population_spec("keynote006")
    mix = next(iter(kn.stage_mix.values()))
    assert 0.64 <= mix["IVM1c"] <= 0.68 and 0.29 <= kn.covariates.ldh_above_uln_fraction <= 0.35
    assert abs(sum(mix.values()) - 1) < 1e-9
    mk = shipped_population_spec("masterkey265")
    assert set(next(iter(mk.stage_mix.values()))) == {"IIIB", "IIIC", "IVM1a", "IVM1b", "IVM1c"}
    with pytest.raises(ValueError, match="expected one of"):
        shipped_population_spec("nope")


def test_pool_draw_with_stage_mix_and_ldh_share():
    pool = load_calibrated_pool()
    mix = next(iter(shipped_population_spec("keynote006").stage_mix.values()))
    pop = draw_from_pool(pool, 600, 7, mix, "a", ldh_above_uln_fraction=0.32)
    p = pop.patients
    assert abs((p["stage"] == "IVM1c").mean() - 0.66) < 0.06
    assert abs((p["ldh_x_uln"] > 1).mean() - 0.32) < 0.06   # the pool has about 5% by its own mix
    assert ((p["ldh_x_uln"] > 1) <= (p["stage"] == "IVM1c")).all()  # elevated LDH only in M1c
    again = draw_from_pool(pool, 600, 7, mix, "a", ldh_above_uln_fraction=0.32)
    assert (again.patients["pool_patient_id"] == p["pool_patient_id"]).all()  # deterministic for the seed
    # without an LDH share, the stage draws are those of the same seed with one (the stage stream is shared)
    plain = draw_from_pool(pool, 600, 7, mix, "a")
    assert (plain.patients["stage"].to_numpy() == p["stage"].to_numpy()).all()
    assert (plain.patients["ldh_x_uln"] > 1).mean() < 0.25
    with pytest.raises(ValueError, match="at most the IVM1c share"):
        draw_from_pool(pool, 10, 7, mix, "a", ldh_above_uln_fraction=0.9)


def test_population_mix_validation(tmp_path):
    base = load_scenario().model_dump()
    base.pop("success")
    with pytest.raises(ValueError, match="population_mix: expected null unless population is optim_calibrated"):
        TrialScenario(**{**base, "population": "reference", "population_mix": "keynote006"})
    sc = TrialScenario(**{**base, "population_mix": "keynote006"})
    assert sc.digest() != load_scenario().digest()
    assert TrialScenario(**base).digest() == load_scenario().digest()  # unset: the reference keeps its digest
    path = tmp_path / "s.yaml"
    path.write_text(shipped_scenario_path("optim").read_text().replace("population: optim_calibrated", "population: optim_calibrated\n"
                                         "population_mix: nowhere.yaml"))
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    assert "\n" not in str(err.value) and "population_mix" in str(err.value)


def test_cli_runs_a_shipped_scenario_by_name_or_fails_in_one_line(capsys):
    from ovsim.cli import run

    code = run(["trial", "no_such_trial", "--no-report"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "keynote006" in err[0] and "no_such_trial" in err[0]
