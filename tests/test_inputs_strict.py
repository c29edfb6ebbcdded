"""Strict, bounded inputs: bad input gets one line naming the file, the field and what was expected.

The reader (``ovsim._read``): no aliases (billion laughs), no duplicate keys, core tags only, bounded
depth and size, UTF-8; strict JSON. The schemas: finite numbers that are not booleans or text, strict
booleans, text that is text, divisors > 0 (derived from the model), upper bounds on sizes; errors
raised deep down reach the user with the file and the field path.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import EXAMPLES
from ovsim._read import (MAX_DEPTH, MAX_FILE_BYTES, MAX_OUTPUT_POINTS, MAX_PATIENTS, InputFileError, loads_json,
                         loads_yaml, read_yaml, shorten)
from ovsim.calibrate import load_calibration_spec
from ovsim.io import load_patient
from ovsim.model import MECHANISMS, Mechanism, ModelDefinition, Parameter, State, Terms, check_overrides
from ovsim.population import Population, generate_population, load_population_spec
from ovsim.regimen import GmcsfRegimen, LabelPolicy
from ovsim.regimen._handling_csv import HandlingInputError, read_handling_csv
from ovsim.regimen._plan import PlanInputError, read_lesion_csv
from ovsim.treatments import parameter_registry, positive_parameters
from ovsim.trial import load_scenario

PATIENT = """\
patient: {id: P, hsv1_seropositive: false, ldh_x_uln: 0.8, ecog: 0}
lesions:
  - {id: A, site: nodal, longest_diameter_cm: 2}
  - {id: B, site: liver, longest_diameter_cm: 1.5}
horizon_days: 56
output_every_days: 7
"""

SCENARIO = """\
name: strict
population: reference
arms:
  tvec: {n: 4, regimen: {tvec: optim}}
  gmcsf: {n: 2, regimen: {gmcsf: {days_on: 14, cycle_days: 28}}}
assessment: {every_days: 28, horizon_days: 56}
survival:
  model: {tumour_hazard_per_month: 0.02, beta_burden: 0.05, beta_growth_day: 30.0}
"""

LAUGHS = ("[&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], "
          "&c [*b, *b, *b, *b, *b, *b, *b, *b, *b], &d [*c, *c, *c, *c, *c, *c, *c, *c, *c], "
          "&e [*d, *d, *d, *d, *d, *d, *d, *d, *d], &f [*e, *e, *e, *e, *e, *e, *e, *e, *e], "
          "&g [*f, *f, *f, *f, *f, *f, *f, *f, *f], &h [*g, *g, *g, *g, *g, *g, *g, *g, *g], "
          "&i [*h, *h, *h, *h, *h, *h, *h, *h, *h]]")


def _one_line(err: pytest.ExceptionInfo, path: Path, *words: str) -> str:
    msg = str(err.value)
    assert "\n" not in msg, msg
    assert msg.startswith(str(path)), msg
    for word in words:
        assert word in msg, (word, msg)
    return msg


def _patient(tmp_path: Path, text: str, *words: str, name: str = "patient.yaml") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(InputFileError) as err:
        load_patient(path)
    return _one_line(err, path, *words)


def _scenario(tmp_path: Path, text: str, *words: str) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    return _one_line(err, path, *words)


# ---------------------------------------------------------------------------------------------
# 1. The bounded, strict reader
# ---------------------------------------------------------------------------------------------


def test_the_bases_are_accepted(tmp_path):
    (tmp_path / "p.yaml").write_text(PATIENT)
    assert load_patient(tmp_path / "p.yaml").patient.ldh_x_uln == 0.8
    (tmp_path / "s.yaml").write_text(SCENARIO)
    assert load_scenario(tmp_path / "s.yaml").arms["gmcsf"].n == 2
    for name in ("patient_reference.yaml", "patient_gmcsf.yaml"):
        load_patient(EXAMPLES / name)
    for name in ("trial_costs.yaml", "trial_paired.yaml"):
        load_scenario(EXAMPLES / name)


@pytest.mark.parametrize("where", ["lesions", "parameters", "patient"])
def test_billion_laughs_is_refused_at_once(tmp_path, where):
    text = "\n".join(line for line in PATIENT.splitlines() if not line.startswith(where) and
                     not (where == "lesions" and line.startswith("  -"))) + f"\n{where}: {LAUGHS}\n"
    started = time.perf_counter()
    msg = _patient(tmp_path, text, "aliases and anchors are not allowed", "line")
    assert time.perf_counter() - started < 2.0
    assert len(msg) < 500


def test_billion_laughs_in_a_scenario(tmp_path):
    started = time.perf_counter()
    msg = _scenario(tmp_path, SCENARIO + f"description: {LAUGHS}\n", "aliases and anchors are not allowed")
    assert time.perf_counter() - started < 2.0 and len(msg) < 500


@pytest.mark.parametrize("text", [
    "parameters: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "parameters: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
    "".join("  " * i + f"k{i}:\n" for i in range(200)),
])
def test_deep_nesting_is_refused_in_bounded_time(tmp_path, text):
    started = time.perf_counter()
    msg = _patient(tmp_path, PATIENT + text if text.startswith("parameters") else text,
                   f"nested more than {MAX_DEPTH} levels deep")
    assert time.perf_counter() - started < 2.0
    assert len(msg) < 500


def test_duplicate_keys_name_the_key_and_the_line(tmp_path):
    # a second arms: block would silently replace the design
    text = SCENARIO + "arms:\n  other: {n: 100, regimen: {}}\n"
    _scenario(tmp_path, text, "line 9: duplicate key 'arms'", "first at line 3")
    _patient(tmp_path, PATIENT.replace("ecog: 0}", "ecog: 0, ecog: 1}"), "duplicate key 'ecog'", "line 1")


@pytest.mark.parametrize("tag", ["!!binary aGVsbG8=", "!!python/object/apply:os.system ['echo pwned']",
                                 "!!timestamp 2024-01-01", "!!set {a: null}", "!custom x"])
def test_tags_other_than_the_core_ones_are_refused(tmp_path, tag):
    _patient(tmp_path, PATIENT.replace("id: P,", f"id: {tag},") if "[" not in tag else
             PATIENT + f"parameters: {tag}\n", "is not allowed", "line")


def test_core_tags_and_yaml_12_scalars(tmp_path):
    doc = loads_yaml("a: !!float 3\nb: 1e-6\nc: yes\nd: 2024-01-01\n1e6: x\ne: 0o17\nf: ~\ng: !!str 5\n", "f.yaml")
    assert doc == {"a": 3.0, "b": 1e-6, "c": "yes", "d": "2024-01-01", "1e6": "x", "e": 15, "f": None, "g": "5"}
    with pytest.raises(InputFileError, match=r"f\.yaml: line 1: expected true or false \(got 'yes'\)"):
        loads_yaml("a: !!bool yes\n", "f.yaml")
    with pytest.raises(InputFileError, match="expected a single document"):
        loads_yaml("a: 1\n---\nb: 2\n", "f.yaml")
    with pytest.raises(InputFileError, match="expected an integer of at most 40 digits"):
        loads_yaml("a: " + "9" * 5000 + "\n", "f.yaml")


def test_file_size_is_capped(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(PATIENT.encode() + b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    started = time.perf_counter()
    with pytest.raises(InputFileError) as err:
        load_patient(path)
    _one_line(err, path, "larger than 1 MiB")
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("junk, words", [(b"# caf\xe9\n", ("not UTF-8", "0xe9")), (b"a: \x00\n", ("#x0000",))])
def test_not_utf8_or_control_characters(tmp_path, junk, words):
    _patient(tmp_path, PATIENT.encode() + junk, *words)
    path = tmp_path / "scenario.yaml"
    path.write_bytes(SCENARIO.encode() + junk)
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    _one_line(err, path, *words)


def test_bom_and_crlf_are_fine(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + PATIENT.replace("\n", "\r\n").encode())
    assert load_patient(path).patient.patient_id == "P"


@pytest.mark.parametrize("path_of", [load_population_spec, load_calibration_spec])
def test_every_yaml_input_uses_the_strict_reader(tmp_path, path_of):
    path = tmp_path / "spec.yaml"
    path.write_text(f"source: {LAUGHS}\n")
    with pytest.raises(ValueError) as err:
        path_of(path)
    _one_line(err, path, "aliases and anchors are not allowed")
    path.write_text("source: x\nsource: y\n")
    with pytest.raises(ValueError) as err:
        path_of(path)
    _one_line(err, path, "duplicate key 'source'")


@pytest.mark.parametrize("text, words", [
    ('{"a": 1, "a": 2}', "duplicate key 'a'"),
    ('{"a": NaN}', "NaN is not allowed"),
    ('{"a": -Infinity}', "-Infinity is not allowed"),
    ('{"a": 1e999}', "out of range"),
    ("[" * 100_000 + "]" * 100_000, "nested more than 50 levels deep"),
    ('{"a": ', "not valid JSON at line 1"),
])
def test_strict_json(text, words):
    started = time.perf_counter()
    with pytest.raises(InputFileError) as err:
        loads_json(text, "population.json")
    msg = str(err.value)
    assert msg.startswith("population.json: ") and words in msg and "\n" not in msg and len(msg) < 500
    assert time.perf_counter() - started < 2.0


def test_echoed_values_are_short(tmp_path):
    assert len(shorten("x" * 10**6)) < 220 and len(shorten(list(range(10**5)))) < 250
    msg = _patient(tmp_path, PATIENT.replace("site: nodal", "site: " + "z" * 100_000), "lesions[0].site")
    assert len(msg) < 500
    msg = _patient(tmp_path, PATIENT + "horizon_days: " + "x" * 100_000 + "\n", "duplicate key 'horizon_days'")
    assert len(msg) < 500


# ---------------------------------------------------------------------------------------------
# 2. Strict, finite, bounded values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new, field, expected", [
    ("longest_diameter_cm: 2", "longest_diameter_cm: true", "lesions[0].longest_diameter_cm", "valid number"),
    ("longest_diameter_cm: 2", "longest_diameter_cm: '2'", "lesions[0].longest_diameter_cm", "valid number"),
    ("longest_diameter_cm: 2", "longest_diameter_cm: .inf", "lesions[0].longest_diameter_cm", "finite number"),
    ("longest_diameter_cm: 2", "longest_diameter_cm: 1e308", "lesions[0].longest_diameter_cm", "less than or equal"),
    ("horizon_days: 56", "horizon_days: 1e7", "horizon_days", "less than or equal to 36525"),
    ("horizon_days: 56", "horizon_days: .nan", "horizon_days", "finite number"),
    ("output_every_days: 7", "output_every_days: 1e-6", "output_every_days",
     f"at most {MAX_OUTPUT_POINTS:,} output times"),
    ("hsv1_seropositive: false", "hsv1_seropositive: 'no'", "patient.hsv1_seropositive", "valid boolean"),
    ("hsv1_seropositive: false", "hsv1_seropositive: no", "patient.hsv1_seropositive", "valid boolean"),
    ("hsv1_seropositive: false", "hsv1_seropositive: 1", "patient.hsv1_seropositive", "valid boolean"),
    ("ecog: 0", "ecog: true", "patient.ecog", "valid integer"),
    ("ldh_x_uln: 0.8", "ldh_x_uln: -0.8", "patient.ldh_x_uln", "greater than or equal to 0"),
    ("ldh_x_uln: 0.8", "ldh_x_uln: .inf", "patient.ldh_x_uln", "finite number"),
    ("id: P,", "id: 5,", "patient.id", "valid string"),
    ("id: A,", "id: true,", "lesions[0].id", "valid string"),
])
def test_patient_values_are_strict(tmp_path, old, new, field, expected):
    assert old in PATIENT
    _patient(tmp_path, PATIENT.replace(old, new), f": {field}:", expected)


def test_too_many_lesions(tmp_path):
    lesions = "".join(f"  - {{id: L{i}, site: cutaneous, longest_diameter_cm: 1}}\n" for i in range(65))
    _patient(tmp_path, "patient: {id: P}\nlesions:\n" + lesions, "lesions: expected at most 64 item(s)")


@pytest.mark.parametrize("value, expected", [
    ("0", "expected a number > 0 (it divides in the model"),
    ("-1", ">= 0"), (".inf", "finite number"), ("true", "valid number"), ("'5'", "valid number"),
    ("1e300", "expected at most 1e+14 (10^6 x the default"),
])
def test_parameter_overrides(tmp_path, value, expected):
    # tumour_cell_density: 0 wrote NaN diameters with exit 0
    _patient(tmp_path, PATIENT + f"parameters: {{tumour_cell_density: {value}}}\n",
             ": parameters.tumour_cell_density:", expected)


def test_divisors_are_derived_from_the_model():
    found = positive_parameters()
    assert {"tumour_cell_density", "priming_delay_days", "doubling_time_days", "kill_effector_halfsat_cells",
            "carrying_capacity_cells"} <= found
    assert "kill_rate" not in found and "burst_size" not in found
    toy = Mechanism("toy", "Toy", "a quantity that divides by a new parameter", lambda s: Terms(
        quantities={"toy_effect": s.gmcsf_systemic_ug / (s.gmcsf_systemic_ug + s.toy_k)},
        rates={"toy_state": -s.toy_effect * s.toy_state / s.toy_tau}),
        states=(State("toy_state", "1", 1.0, "systemic", "toy"),),
        parameters=(Parameter("toy_k", 1.0, "cells", "half-saturation", "toy"),
                    Parameter("toy_tau", 2.0, "day", "time scale", "toy"),
                    Parameter("toy_gain", 3.0, "1", "unused gain", "toy")))
    denominators = ModelDefinition((*MECHANISMS, toy)).denominator_parameters()
    assert {"toy_k", "toy_tau"} <= denominators and "toy_gain" not in denominators
    with pytest.raises(ValueError, match=r"parameters\.toy_tau: expected a number > 0"):
        check_overrides({"toy_tau": 0.0}, {**parameter_registry(), "toy_tau": toy.parameters[1]}, positive=denominators)
    with pytest.raises(ValueError, match=r"parameters\.kill_rate: expected a number \(got '0\.2'\)"):
        check_overrides({"kill_rate": "0.2"}, parameter_registry())
    with pytest.raises(ValueError, match=r"parameters\.kill_rate: expected a number \(got True\)"):
        check_overrides({"kill_rate": True}, parameter_registry())


@pytest.mark.parametrize("old, new, words", [
    ("beta_growth_day: 30.0", "beta_growth_day: .nan", ("survival.model.beta_growth_day", "finite number")),
    ("beta_growth_day: 30.0", "beta_growth_day: -.inf", ("survival.model.beta_growth_day", "finite number")),
    ("beta_burden: 0.05", "beta_burden: 1e308", ("survival.model.beta_burden", "less than or equal")),
    ("tumour_hazard_per_month: 0.02", "tumour_hazard_per_month: true", ("survival.model.tumour_hazard_per_month",
                                                                        "valid number")),
    ("horizon_days: 56}", "horizon_days: 1e7}", ("assessment.horizon_days", "less than or equal")),
    ("every_days: 28,", "every_days: 1e-6,", ("assessment.every_days", "at most 100,000 assessment times")),
    ("n: 4,", "n: true,", ("arms.tvec.n", "valid integer")),
    ("n: 4,", "n: 1e9,", ("arms.tvec.n", "less than or equal to 1000000")),
    ("cycle_days: 28", "cycle_days: 1e-9", ("arms.gmcsf.regimen.gmcsf.cycle_days", "greater than or equal to 1")),
    ("cycle_days: 28", "cycle_days: .inf", ("arms.gmcsf.regimen.gmcsf.cycle_days", "finite number")),
    ("days_on: 14", "days_on: 30", ("arms.gmcsf.regimen.gmcsf.days_on", "expected <= cycle_days")),
    ("population: reference", "population: zz-no-such-spec.yaml", ("population: expected reference or",
                                                                    "zz-no-such-spec.yaml")),
    ("name: strict", "name: " + "L" * 1000, ("name:", "at most 100 characters")),
])
def test_scenario_values_are_strict(tmp_path, old, new, words):
    assert old in SCENARIO
    msg = _scenario(tmp_path, SCENARIO.replace(old, new), *words)
    assert len(msg) < 500


@pytest.mark.parametrize("extra, words", [
    ("adverse_events: 'no'\n", ("adverse_events", "valid boolean")),
    ("adverse_events: 1\n", ("adverse_events", "valid boolean")),
    ("prices: {1e6: .inf}\n", ("prices.1e6", "finite number")),
    ("prices: {1e8: 1e300}\n", ("prices.1e8", "<= 1e+09")),
    ("eligibility: {ecog: [0, 0]}\n", ("eligibility.ecog", "at most once")),
    ("eligibility: {ecog: [true]}\n", ("eligibility.ecog[0]", "valid integer")),
    ("eligibility: {exclude_contraindicated: 'no'}\n", ("eligibility.exclude_contraindicated", "valid boolean")),
    ("eligibility: {ldh_max_x_uln: .inf}\n", ("eligibility.ldh_max_x_uln", "finite number")),
    ("supply_forecast: {patients_per_month: 4, months: 2, replicates: 1000000}\n",
     ("supply_forecast.replicates", "less than or equal to 10000")),
    ("seed: true\n", ("seed", "valid integer")),
    ("description: !!binary aGVsbG8=\n", ("!!binary", "is not allowed")),
    ("description: 5\n", ("description", "valid string")),
])
def test_scenario_extras_are_strict(tmp_path, extra, words):
    _scenario(tmp_path, SCENARIO + extra, *words)


def test_patients_per_trial_are_capped(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    sc = load_scenario(tmp_path / "s.yaml")
    with pytest.raises(ValueError, match=rf"patients: expected at most {MAX_PATIENTS:,} patients in a trial "
                                         r"\(got 1,000,000,000\)"):
        sc.arm_sizes(1_000_000_000)
    with pytest.raises(ValueError, match="patients: expected a whole number"):
        sc.arm_sizes(True)
    assert sum(sc.arm_sizes(30).values()) == 30
    big = SCENARIO.replace("n: 4,", "n: 900000,").replace("n: 2,", "n: 200000,")
    _scenario(tmp_path, big, "arms: expected at most 1,000,000 simulated patients")


def test_spec_files_are_strict(tmp_path):
    data = Path(load_population_spec.__code__.co_filename).parent.parent / "data"
    spec = (data / "population_optim.yaml").read_text()
    path = tmp_path / "pop.yaml"
    path.write_text(spec.replace("max_lesions: 24", "max_lesions: 1e6"))
    with pytest.raises(ValueError) as err:
        load_population_spec(path)
    _one_line(err, path, "max_lesions", "less than or equal to 64")
    path.write_text(spec.replace("ecog0_fraction: 0.71", "ecog0_fraction: true"))
    with pytest.raises(ValueError) as err:
        load_population_spec(path)
    _one_line(err, path, "covariates.ecog0_fraction", "valid number")
    path.write_text(spec.replace("diameter_cm: [0.02, 0.15]", "diameter_cm: [0.15, 0.02]"))
    with pytest.raises(ValueError) as err:
        load_population_spec(path)
    _one_line(err, path, "occult.diameter_cm: expected [low, high]")
    cal = (data / "calibration_optim.yaml").read_text()
    path = tmp_path / "cal.yaml"
    path.write_text(cal.replace("patients: 4000", "patients: 1000000000"))
    with pytest.raises(ValueError) as err:
        load_calibration_spec(path)
    _one_line(err, path, "plausible.patients", "less than or equal to 1000000")
    path.write_text(cal.replace("kill_rate: 10", "kill_rate: .inf"))
    with pytest.raises(ValueError) as err:
        load_calibration_spec(path)
    _one_line(err, path, "plausible.log_uniform_fold.kill_rate", "finite number")


# ---------------------------------------------------------------------------------------------
# Saved populations: tables validated on load
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    pop = generate_population(3, seed=1)
    return pop.patients.copy(), pop.lesions.copy(), dict(pop.provenance)


def _save(folder: Path, patients, lesions, provenance) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    patients.to_parquet(folder / "patients.parquet", index=False)
    lesions.to_parquet(folder / "lesions.parquet", index=False)
    (folder / "population.json").write_text(provenance if isinstance(provenance, str) else json.dumps(provenance))
    return folder


def _load_fails(folder: Path, *words: str) -> str:
    with pytest.raises(ValueError) as err:
        Population.load(folder)
    return _one_line(err, folder, *words)


def test_saved_population_roundtrip(tmp_path, saved):
    assert len(Population.load(_save(tmp_path / "pop", *saved))) == 3


@pytest.mark.parametrize("text, words", [
    ("[1, 2]", ("population.json", "expected a JSON mapping")),
    ('{"seed": NaN}', ("population.json", "NaN is not allowed")),
    ('{"seed": 1, "seed": 2}', ("population.json", "duplicate key 'seed'")),
    ("{not json", ("population.json", "not valid JSON")),
])
def test_population_json_is_strict(tmp_path, saved, text, words):
    p, les, _ = saved
    _load_fails(_save(tmp_path / "pop", p, les, text), *words)


def test_population_json_not_utf8(tmp_path, saved):
    folder = _save(tmp_path / "pop", *saved)
    (folder / "population.json").write_bytes(b'{"seed": "\xff"}')
    _load_fails(folder, "population.json", "not UTF-8")


@pytest.mark.parametrize("column, values, words", [
    ("hsv1_seropositive", ["no", "yes", "no"], ("patients.hsv1_seropositive", "expected true or false", "'no'")),
    ("ldh_x_uln", [-0.5, 0.8, 0.9], ("patients.ldh_x_uln", "-0.5")),
    ("ldh_x_uln", [1e308, 0.8, 0.9], ("patients.ldh_x_uln", "from 0 to 1000")),
    ("ecog", [7, 0, 1], ("patients.ecog", "expected 0, 1, 2, 3 or 4")),
    ("stage", ["IVM9", "IIIB", "IIIB"], ("patients.stage", "'IVM9'")),
    ("bsa_m2", [0.0, 1.8, 1.9], ("patients.bsa_m2", "between 0.3 and 4")),
    ("weight_kg", [75.0, 500.0, 60.0], ("patients.weight_kg", "between 20 and 300 kg", "500")),
    ("kill_rate", ["abc", 0.1, 0.1], ("patients.kill_rate", "expected numbers")),
    ("kill_rate", [1e308, 0.1, 0.1], ("patients.kill_rate", "10^6 x the default")),
    ("index", [None, 1, 2], ("patients.index", "empty cell")),
])
def test_population_columns_are_validated(tmp_path, saved, column, values, words):
    p, les, prov = saved
    p = p.copy()
    p[column] = pd.Series(values, dtype=object)
    if p[column].map(lambda v: isinstance(v, str)).any() and column not in ("stage", "hsv1_seropositive"):
        p[column] = p[column].map(lambda v: None if v is None else str(v))  # how a mixed column is stored
    _load_fails(_save(tmp_path / "pop", p, les, prov), *words)


def test_population_divisors_and_lesions_on_load(tmp_path, saved):
    p, les, prov = saved
    bad = p.copy()
    bad["kill_effector_halfsat_cells"] = [0.0, 0.1, 0.1]
    _load_fails(_save(tmp_path / "a", bad, les, prov), "kill_effector_halfsat_cells", "> 0", "divides in the model")
    bad = les.copy()
    bad["doubling_time_days"] = 0.0
    _load_fails(_save(tmp_path / "b", p, bad, prov), "lesions.doubling_time_days")
    bad = les.copy()
    bad["accessibility"] = 2.0
    _load_fails(_save(tmp_path / "c", p, bad, prov), "lesions.accessibility")


def test_empty_and_corrupt_populations(tmp_path, saved):
    p, les, prov = saved
    _load_fails(_save(tmp_path / "empty", p.iloc[:0], les.iloc[:0], prov), "no patients")
    folder = _save(tmp_path / "corrupt", p, les, prov)
    (folder / "lesions.parquet").write_bytes(b"patient_id,x\nA,1\n")
    _load_fails(folder, "lesions.parquet", "not a readable Parquet table")


# ---------------------------------------------------------------------------------------------
# 3. Errors raised deep down reach the user with the file and the field path
# ---------------------------------------------------------------------------------------------


def test_cross_field_policy_error_names_file_and_path(tmp_path):
    _patient(tmp_path, PATIENT + "regimen: {tvec: {min_months: 10, max_months: 5}}\n",
             ": regimen.tvec.max_months: expected None or >= min_months")
    _scenario(tmp_path, SCENARIO.replace("tvec: optim", "tvec: {rules: optim, max_months: 3}"),
              "arms.tvec.regimen.tvec.max_months: expected None or >= min_months")
    _patient(tmp_path, PATIENT + "regimen: {gmcsf: {cycle_days: 1e-9}}\n",
             ": regimen.gmcsf.cycle_days:", "greater than or equal to 1")


def test_dosing_objects_check_themselves():
    with pytest.raises(ValueError, match="cycle_days: expected at least 1 day"):
        GmcsfRegimen(days_on=1e-10, cycle_days=1e-9)
    with pytest.raises(ValueError, match="days_on: expected a finite number"):
        GmcsfRegimen(days_on=math.nan)
    with pytest.raises(ValueError, match="max_months: expected None or a finite number"):
        LabelPolicy(max_months=math.nan)
    with pytest.raises(ValueError, match="stop_on_progression: expected true or false"):
        LabelPolicy(stop_on_progression="no")


# ---------------------------------------------------------------------------------------------
# CSV readers: bounded, UTF-8, bounded values
# ---------------------------------------------------------------------------------------------


def test_lesion_csv_is_bounded(tmp_path):
    path = tmp_path / "lesions.csv"
    path.write_bytes(b"lesion_id,site,longest_diameter_cm,new\n" + b"L1,nodal,2,false\n" * (MAX_FILE_BYTES // 17 + 1))
    with pytest.raises(PlanInputError) as err:
        read_lesion_csv(path)
    _one_line(err, path, "larger than 1 MiB")
    path.write_bytes(b"lesion_id,site,longest_diameter_cm,new\nL1,nodal,1e308,false\n")
    with pytest.raises(PlanInputError) as err:
        read_lesion_csv(path)
    _one_line(err, path, "longest_diameter_cm", "<= 100")
    path.write_bytes(b"lesion_id,site,longest_diameter_cm,new\nL1,n\xe9dal,2,false\n")
    with pytest.raises(PlanInputError) as err:
        read_lesion_csv(path)
    _one_line(err, path, "not UTF-8")


def test_handling_log_temperatures_are_bounded(tmp_path):
    path = tmp_path / "log.csv"
    text = (EXAMPLES / "handling_log.csv").read_text().splitlines()
    text[1] = text[1].rsplit(",", 1)[0] + ",-400"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(HandlingInputError) as err:
        read_handling_csv(path)
    _one_line(err, path, "temperature_c", "from -273.15 to 100")


def test_reader_of_a_directory_or_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="is a directory"):
        read_yaml(tmp_path)
    with pytest.raises(InputFileError, match="cannot read file"):
        read_yaml(tmp_path / "nope.yaml")


def test_a_negative_power_is_a_divisor():
    # a negative power of a parameter is a divisor too (e.g. k**-2)
    toy = Mechanism("toy2", "Toy", "k**-2", lambda s: Terms(quantities={"toy_q": s.tumour_cells * s.toy_k2 ** -2}),
                    parameters=(Parameter("toy_k2", 1.0, "1", "k", "toy"),))
    assert "toy_k2" in ModelDefinition((*MECHANISMS, toy)).denominator_parameters()


def test_the_pure_python_parser_reads_the_same(monkeypatch):
    import ovsim._read as reader

    text = "a: !!float 3\nb: 1e-6\nc: yes\n1e6: [x, 'y', {z: ~}]\n"
    fast = loads_yaml(text, "f.yaml")
    monkeypatch.setattr(reader, "_parser", reader._PyParser)
    assert loads_yaml(text, "f.yaml") == fast
    for bad, words in ((f"a: {LAUGHS}\n", "aliases and anchors"), ("a: 1\na: 2\n", "duplicate key 'a'"),
                       ("a: " + "[" * 5000 + "]" * 5000, "nested more than 50"), ("a: !!binary aGk=\n", "!!binary")):
        started = time.perf_counter()
        with pytest.raises(InputFileError, match=words):
            loads_yaml(bad, "f.yaml")
        assert time.perf_counter() - started < 2.0


def test_ids_with_control_characters_are_refused(tmp_path):
    """A NUL or escape in a patient or lesion id would reach terminals, files and SBML's XML."""
    from ovsim.io import InputFileError, load_patient

    f = tmp_path / "p.yaml"
    for bad in ('"a\\x00b"', '"\\e[31mred"', '"x\\ny"'):
        f.write_text("patient: {id: P}\nlesions:\n  - {id: %s, site: nodal, longest_diameter_cm: 2}\n" % bad)
        with pytest.raises(InputFileError) as info:
            load_patient(f)
        msg = str(info.value)
        assert "\n" not in msg and "lesions[0].id" in msg and "control characters" in msg
