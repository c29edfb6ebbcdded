"""A trial scenario: arms with their regimens, the population, assessment and follow-up (YAML).

A scenario is declarative: ``load_scenario(path)`` validates it and raises ``ValueError`` with one
line naming the file, the field and what was expected. ``load_scenario()`` is the shipped OPTiM
reference (``ovsim/data/scenarios/optim.yaml``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import validated
from .._read import (MAX_HORIZON_DAYS, MAX_OUTPUT_POINTS, MAX_PATIENT_ASSESSMENTS, MAX_PATIENTS, MAX_REPLICATES,
                     Flag, InputFileError, Integer, Number, Text, loads_yaml, one_line, read_yaml, shorten)
from ..population import Override, describe_overrides, parse_overrides
from ..treatments import Regimen, RegimenError, parse_regimen
from ._decision import Condition, check_rule
from ._eligibility import Eligibility
from ._survival_spec import SurvivalModel, calibrated_survival_model

MAX_MONTHS = 1200.0
"""Longest duration in months a scenario may give (a century)."""
MAX_ARMS = 20
"""Most arms in one scenario."""
MAX_PRICE = 1e9
"""Largest price of one vial or GM-CSF cycle (any currency): beyond it a price is a typing error."""
POPULATION_NAMES = ("reference", "optim_calibrated", "keynote006", "masterkey265")
"""Populations a scenario may name: the OPTiM spec, the calibrated pool, or a shipped spec (population_<name>.yaml)."""
MAX_MEMBER = 1_000_000
"""Largest calibration-ensemble member index a scenario may name (the shipped ensemble bounds it further)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmSpec(_Strict):
    """``regimen``: ``{treatment: options}`` (one schema for patient files, scenarios and the CLI; see
    ``ovsim.treatments.parse_regimen``); ``{}`` is an untreated arm."""

    n: Integer = Field(ge=1, le=MAX_PATIENTS)
    label: Text = Field("", max_length=500)
    display_name: Text = Field("", max_length=40)   # short name in reports ("T-VEC"); default: the arm's key
    regimen: dict[Text, Any]
    parameters: dict[Text, Any] | None = None
    """Model-parameter overrides of this arm's patients, after the scenario's (``ovsim.population.parse_overrides``)."""

    @model_validator(mode="after")
    def _parameters(self) -> "ArmSpec":
        parse_overrides(self.parameters or {}, "parameters")  # one line: ``parameters.kil_rate: expected ...``
        return self

    @model_validator(mode="after")
    def _regimen(self) -> "ArmSpec":
        try:
            parse_regimen(self.regimen, "regimen")
        except RegimenError as err:  # ``regimen.gmcsf.cycle_days: expected ...``: the path follows the arm's
            raise ValueError(str(err)) from None
        return self


class AssessmentSpec(_Strict):
    every_days: Number = Field(28.0, gt=0, le=MAX_HORIZON_DAYS)
    horizon_days: Number = Field(728.0, gt=0, le=MAX_HORIZON_DAYS)
    criterion: Literal["modified_who", "recist11", "irrc"] = "modified_who"
    measurement_cv: Number = Field(0.10, ge=0, le=1)
    detection_limit_cm: Number = Field(0.2, gt=0, le=10)
    durable_months: Number = Field(6.0, gt=0, le=MAX_MONTHS)
    onset_within_months: Number = Field(12.0, gt=0, le=MAX_MONTHS)

    @model_validator(mode="after")
    def _grid(self) -> "AssessmentSpec":
        if self.every_days > self.horizon_days:
            raise ValueError(f"every_days: expected <= horizon_days (got {self.every_days:g})")
        if self.horizon_days / self.every_days > MAX_OUTPUT_POINTS:
            raise ValueError(f"every_days: expected at most {MAX_OUTPUT_POINTS:,} assessment times over the horizon "
                             f"(horizon_days / every_days; got {self.horizon_days / self.every_days:.3g})")
        return self

    @property
    def n_times(self) -> int:
        """Assessment times (the output grid of each simulated patient: every_days from 0 to the horizon)."""
        return int(math.ceil(self.horizon_days / self.every_days - 1e-9)) + 1


class FollowUpSpec(_Strict):
    follow_up_months: Number = Field(60.0, gt=0, le=MAX_MONTHS)
    accrual_months: Number = Field(24.0, ge=0, le=MAX_MONTHS)
    model: SurvivalModel | Literal["calibrated"] = SurvivalModel()

    def survival_model(self, member: int | None = None) -> SurvivalModel:
        """The joint survival model: the given coefficients, or the shipped calibrated ones (``calibrated``; those
        fitted at calibration-ensemble member ``member``'s weights when one is given)."""
        if self.model == "calibrated":
            return calibrated_survival_model(member)
        return self.model


class SupplyForecastSpec(_Strict):
    """A centre starting ``patients_per_month`` patients a month for ``months`` months on the first T-VEC arm's
    courses: vials per week by strength, 5-95% over ``replicates`` resampled centres (ovsim.supply)."""

    patients_per_month: Number = Field(gt=0, le=10_000)
    months: Integer = Field(ge=1, le=120)
    replicates: Integer = Field(500, ge=1, le=MAX_REPLICATES)


class TrialScenario(_Strict):
    """A virtual trial: who is treated how, how tumours are assessed, how long survival is followed."""

    name: Text = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)
    description: Text = ""
    source: Text = ""
    seed: Integer = Field(0, ge=0, le=2**63 - 1)
    design: Literal["randomised", "paired"] = "randomised"
    population: Text = Field("reference", min_length=1, max_length=4096)
    """reference (the OPTiM spec), optim_calibrated (the shipped calibrated pool), a shipped spec (keynote006,
    masterkey265: patients generated from it, uncalibrated) or the path of a spec (YAML)."""
    population_mix: Text | None = Field(None, min_length=1, max_length=4096)
    """With ``population: optim_calibrated``: a shipped spec name (keynote006, masterkey265) or a spec path whose
    ``stage_mix`` (per arm, else its first mix) and ``covariates.ldh_above_uln_fraction`` the calibrated pool is
    drawn with (``ovsim.population.draw_from_pool``): the calibrated biology in another trial's disease
    population (docs/checkpoint_trials.md). Null (default): OPTiM's stage mix and the pool's LDH within stage."""
    calibration_member: Integer | None = Field(None, ge=0, le=MAX_MEMBER)
    """With ``population: optim_calibrated``: draw with calibration-ensemble member k's weights (``weight_<k>`` of
    the shipped pool); null (default): the posterior-mean weights (``weight``)."""
    arms: dict[Text, ArmSpec] = Field(min_length=1, max_length=MAX_ARMS)
    eligibility: Eligibility = Eligibility()
    assessment: AssessmentSpec = AssessmentSpec()
    prices: dict[Literal["1e6", "1e8", "gmcsf_cycle"], Number] | None = None
    """Price per 1 mL vial by strength and per 28-day GM-CSF cycle (any currency): costs per patient, per durable
    responder and per additional durable responder (ovsim.supply; docs/supply.md). Vials are counted either way."""
    supply_forecast: SupplyForecastSpec | None = None
    adverse_events: Flag = True
    """Draw T-VEC's adverse events (ovsim.safety) from their own random streams; efficacy is unchanged either way."""
    survival: FollowUpSpec = FollowUpSpec()
    parameters: dict[Text, Any] | None = None
    """Model-parameter overrides of every arm's patients: ``name: value`` or ``name: {distribution: ...}``
    (``ovsim.population.parse_overrides``; docs/parameters.md); ``arms.<arm>.parameters`` apply after these."""

    @model_validator(mode="after")
    def _parameters(self) -> "TrialScenario":
        parse_overrides(self.parameters or {}, "parameters")
        return self

    def overrides(self, arm: str) -> tuple[dict[str, Override], list[str]]:
        """The overrides of ``arm``'s patients (the scenario's, then the arm's) and their range warnings."""
        out, warnings = parse_overrides(self.parameters or {}, "parameters")
        mine, more = parse_overrides(self.arms[arm].parameters or {}, f"arms.{arm}.parameters")
        return {**out, **mine}, warnings + more

    def with_parameters(self, parameters: dict[str, Any], arms: dict[str, dict[str, Any]] | None = None,
                        where: str = "--set") -> "TrialScenario":
        """This scenario with more scenario-level (and per-arm) overrides merged in (``ovsim trial --set``).

        Raises ``ValueError`` (one line, ``<where> arms.<arm>...``) for an arm the scenario lacks."""
        raw = self.model_dump()
        raw["parameters"] = {**(self.parameters or {}), **parameters} or None
        for arm, values in (arms or {}).items():
            if arm not in self.arms:
                shown = arm if arm.isprintable() and len(arm) <= 80 else shorten(arm, 80)
                raise ValueError(f"{where} arms.{shown}: unknown arm (expected one of "
                                 f"{', '.join(self.arms)})")
            raw["arms"][arm]["parameters"] = {**(self.arms[arm].parameters or {}), **values}
        return validated(TrialScenario, raw, where)

    def override_provenance(self) -> dict[str, Any] | None:
        """What the scenario sets beyond the reference model and label (provenance ``overrides``), or None."""
        arms: dict[str, Any] = {}
        warnings: list[str] = []
        regimens = self.regimens()
        for arm in self.arms:
            values, more = self.overrides(arm)
            warnings += [w for w in more if w not in warnings]
            entry = {**({"parameters": describe_overrides(values)} if values else {}),
                     **(regimens[arm].label_summary() if not regimens[arm].label_conformant else {})}
            if entry:
                arms[arm] = entry
        if not arms:
            return None
        return {"parameters": describe_overrides(parse_overrides(self.parameters or {})[0]), "arms": arms,
                "warnings": warnings}

    success: list[Condition] | None = Field(None, min_length=1, max_length=20)
    """Decision rule of replicated trials (``ovsim.trial._decision``): conditions on endpoints that must all hold."""

    @model_validator(mode="after")
    def _success(self) -> "TrialScenario":
        if self.success is not None:
            check_rule(self.success, self.arms, self.adverse_events)
        return self

    @model_validator(mode="after")
    def _arm_names(self) -> "TrialScenario":
        for arm in self.arms:
            if not (arm.replace("_", "").isalnum() and arm.isascii() and len(arm) <= 64):
                raise ValueError(f"arms: expected arm names of at most 64 letters, digits and _ "
                                 f"(got {shorten(arm, 80)})")
        return self

    @model_validator(mode="after")
    def _member(self) -> "TrialScenario":
        if self.calibration_member is not None and self.population != "optim_calibrated":
            raise ValueError("calibration_member: expected null unless population is optim_calibrated "
                             f"(got {self.calibration_member} with population {shorten(self.population, 80)})")
        return self

    @model_validator(mode="after")
    def _mix(self) -> "TrialScenario":
        if self.population_mix is not None and self.population != "optim_calibrated":
            raise ValueError("population_mix: expected null unless population is optim_calibrated "
                             f"(got {shorten(self.population_mix, 80)} with population {shorten(self.population, 80)})")
        return self

    def population_spec(self) -> Any:
        """The population spec the arms are generated from (reference / optim_calibrated: OPTiM's)."""
        return _spec(None if self.population in ("reference", "optim_calibrated") else self.population)

    def mix_spec(self) -> Any:
        """The spec whose stage mix (and, for ``population_mix``, LDH share) the calibrated pool is drawn with."""
        return self.population_spec() if self.population_mix is None else _spec(self.population_mix)

    @model_validator(mode="after")
    def _prices(self) -> "TrialScenario":
        for k, v in (self.prices or {}).items():
            if not (math.isfinite(v) and 0 <= v <= MAX_PRICE):
                raise ValueError(f"prices.{k}: expected a finite price >= 0 and <= {MAX_PRICE:g} (got {v!r})")
        return self

    @model_validator(mode="after")
    def _size(self) -> "TrialScenario":
        check_size(self.arms_total(), self.assessment, "arms")
        return self

    def arms_total(self) -> int:
        """Patients simulated over the arms (paired: the first arm's patients on every arm)."""
        if self.design == "paired":
            return len(self.arms) * next(iter(self.arms.values())).n
        return sum(a.n for a in self.arms.values())

    @property
    def n_patients(self) -> int:
        """Total patients over the arms."""
        return sum(a.n for a in self.arms.values())

    def arm_sizes(self, total: int | None = None) -> dict[str, int]:
        """Patients per arm; with ``total``, split in the scenario's proportions (largest remainder).

        Raises ``ValueError`` (``patients: expected ...``) for a ``total`` that is not a whole number from the
        number of arms to ``MAX_PATIENTS``, or that makes more than ``MAX_PATIENT_ASSESSMENTS`` patient-assessments."""
        sizes = {k: a.n for k, a in self.arms.items()}
        if total is None or (not isinstance(total, bool) and total == self.n_patients):
            return sizes
        if isinstance(total, bool) or not isinstance(total, int):
            raise ValueError(f"patients: expected a whole number of patients (got {shorten(total, 60)})")
        if total < len(sizes):
            raise ValueError(f"patients: expected at least one per arm (>= {len(sizes)}, got {total})")
        if total > MAX_PATIENTS:
            raise ValueError(f"patients: expected at most {MAX_PATIENTS:,} patients in a trial (got {total:,})")
        simulated = total * len(sizes) if self.design == "paired" else total
        check_size(simulated, self.assessment, "patients")
        exact = {k: total * n / self.n_patients for k, n in sizes.items()}
        out = {k: max(1, int(v)) for k, v in exact.items()}
        for k in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
            if sum(out.values()) >= total:
                break
            out[k] += 1
        return out

    def regimens(self) -> dict[str, Regimen]:
        """Each arm's regimen; T-VEC sees lesions from the assessment's detection limit unless told otherwise.

        Raises :class:`~ovsim.treatments.RegimenError` (one line, ``arms.<arm>.regimen.<field>``)."""
        limit = {"detection_limit_cm": self.assessment.detection_limit_cm}
        return {k: parse_regimen(a.regimen, f"arms.{k}.regimen").with_defaults(tvec=limit)
                for k, a in self.arms.items()}

    def digest(self) -> str:
        """SHA-256 of the scenario's canonical JSON (provenance): unset ``parameters`` left out, so a scenario
        without overrides keeps its digest, and the decision rule (``success``), which changes no trial, too."""
        dump = self.model_dump(exclude={"success"})
        for key in ("parameters", "population_mix"):  # unset: left out, so older scenarios keep their digest
            if dump.get(key) is None:
                dump.pop(key, None)
        for arm in dump["arms"].values():
            if arm.get("parameters") is None:
                arm.pop("parameters", None)
        return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()


def check_size(patients: int, assessment: AssessmentSpec, field: str) -> None:
    """``ValueError`` (``<field>: expected ...``) if a trial simulates more than ``MAX_PATIENTS`` patients, or more
    than ``MAX_PATIENT_ASSESSMENTS`` patients x assessment times (memory of the assessment tables)."""
    if patients > MAX_PATIENTS:
        raise ValueError(f"{field}: expected at most {MAX_PATIENTS:,} simulated patients in a trial "
                         f"(got {patients:,})")
    if patients * assessment.n_times > MAX_PATIENT_ASSESSMENTS:
        raise ValueError(f"{field}: expected at most {MAX_PATIENT_ASSESSMENTS:,} patients x assessment times "
                         f"(got {patients:,} x {assessment.n_times:,}; fewer patients or a coarser "
                         "assessment.every_days)")


def load_scenario(path: str | Path | None = None) -> TrialScenario:
    """The scenario in ``path`` (YAML), or the shipped OPTiM reference when ``None``.

    Raises ``InputFileError`` (a ``ValueError``) in one line naming the file and the field: the file is read
    by the strict reader (``ovsim._read``), every arm's regimen and the population spec are checked here."""
    if path is None:
        return _reference()
    scenario = validated(TrialScenario, read_yaml(Path(path)), str(path))
    try:
        scenario.regimens()
    except RegimenError as err:
        raise InputFileError(f"{path}: {err}") from None
    for field, ref in (("population", scenario.population), ("population_mix", scenario.population_mix)):
        if ref is None or ref in ("reference", "optim_calibrated"):
            continue
        try:
            _spec(ref)
        except ValueError as err:
            raise InputFileError(f"{path}: {field}: expected {' or '.join(POPULATION_NAMES)} or a population "
                                 f"spec file ({one_line(str(err), 300)})") from None
    if scenario.population_mix is not None:
        mix = scenario.mix_spec()
        for arm in scenario.arms:
            stage_mix = mix.stage_mix.get(arm, next(iter(mix.stage_mix.values())))
            m1c = stage_mix.get("IVM1c", 0.0) / max(sum(stage_mix.values()), 1e-12)
            if mix.covariates.ldh_above_uln_fraction > m1c + 1e-9:
                raise InputFileError(f"{path}: population_mix: expected covariates.ldh_above_uln_fraction <= the "
                                     f"IVM1c share ({m1c:.3g}) of arm {arm}'s stage mix (elevated LDH makes M1c)")
    return scenario


def _spec(ref: str | None) -> Any:
    """A population spec: OPTiM's (None), a shipped one by name, or a spec file (``ValueError``, one line)."""
    from ..population import SHIPPED_POPULATIONS, load_population_spec, shipped_population_spec

    if ref in SHIPPED_POPULATIONS:
        return shipped_population_spec(ref)
    return load_population_spec(ref)


@functools.cache
def _reference() -> TrialScenario:
    text = resources.files("ovsim.data").joinpath("scenarios/optim.yaml").read_text()
    return validated(TrialScenario, loads_yaml(text, "scenarios/optim.yaml"), "scenarios/optim.yaml")
