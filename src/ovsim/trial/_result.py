"""A simulated trial's results: endpoints, tidy tables, Kaplan-Meier curves; summary, write, plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ._scenario import TrialScenario


def published_targets() -> dict[str, Any]:
    """OPTiM's published design, label facts and targets (``ovsim/data/optim_targets.yaml``)."""
    return yaml.safe_load(resources.files("ovsim.data").joinpath("optim_targets.yaml").read_text())


@dataclass(frozen=True, eq=False)
class TrialResult:
    """Results of :func:`run_trial`.

    endpoints: the ``endpoints.json`` document (arms, comparisons, subgroups, provenance).
    patients: one row per patient (``patient_key`` = ``arm:patient_id``): covariates, ``ok`` / ``reason``,
      response outcomes (days), ``growth_rate_per_day``, ``os_months``, ``os_event``, treatment.
    assessments: one row per patient and assessment (``time_day``): burden, % change, new lesion, the
      primary criterion's ``response`` and each criterion's ``response_<name>``.
    lesions: one row per baseline lesion: category (injected / uninjected non-visceral / visceral),
      best % change in product of diameters, >= 50% decrease, complete resolution.
    measurements: one row per lesion and assessment: true and measured diameters (cm).
    doses: every dose record (NONMEM-style columns) with ``ARM``.
    km: Kaplan-Meier frame per arm (``time_months``, ``survival``, ``lower``, ``upper``, ``at_risk``, ...).
    run: run-time figures (``run.json``): wall seconds, start and end times, whether resumed, each arm's
      simulation speed. Kept out of ``endpoints`` so that the same seed gives byte-identical endpoints.
    """

    scenario: TrialScenario
    endpoints: dict[str, Any]
    subgroup_comparisons: dict[str, Any]
    km: dict[str, pd.DataFrame]
    patients: pd.DataFrame
    assessments: pd.DataFrame
    lesions: pd.DataFrame
    measurements: pd.DataFrame
    doses: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def arms(self) -> list[str]:
        """Arm names, experimental first."""
        return list(self.scenario.arms)

    def published(self) -> dict[str, Any]:
        """The published values shown beside this trial: its scenario's targets file
        (``ovsim/data/<name>_targets.yaml``: OPTiM's, KEYNOTE-006's, CheckMate 067's), else OPTiM's (shown
        beside arms named as in OPTiM only)."""
        from ._roles import scenario_targets

        return scenario_targets(self.scenario.name) or published_targets()

    def summary(self) -> pd.DataFrame:
        """Main endpoints per arm beside the published values (where the arm names match), and each arm's
        hazard ratio against the control (the last arm)."""
        pub = self.published().get("targets") or {}
        rows = []

        def pub_value(key: str, arm: str) -> Any:
            entry = (pub.get(key) or {}).get(arm)
            return entry.get("value") if isinstance(entry, dict) else None

        for arm in self.arms:
            e = self.endpoints["arms"][arm]
            os_pub = ((pub.get("overall_survival") or {}).get("median_months") or {}).get(arm, {})
            for label, key, value in (
                ("durable response rate", "durable_response_rate", e["durable_response_rate"]),
                ("objective response rate", "objective_response_rate", e["objective_response_rate"]),
                ("complete response rate", "complete_response_rate", e["complete_response_rate"]),
            ):
                rows.append({"arm": arm, "endpoint": label, "simulated": value["value"], "ci95": value["ci95"],
                             "published": pub_value(key, arm)})
            ttr = (pub.get("median_time_to_response_months") or {}).get(arm, {})
            rows.append({"arm": arm, "endpoint": "median time to response (months)",
                         "simulated": e["median_time_to_response_months"], "ci95": None, "published": ttr.get("value")})
            rows.append({"arm": arm, "endpoint": "median overall survival (months)",
                         "simulated": e["median_overall_survival_months"]["value"],
                         "ci95": e["median_overall_survival_months"]["ci95"], "published": os_pub.get("value")})
            pfs = e.get("median_progression_free_survival_months")
            if pfs is not None:
                rows.append({"arm": arm, "endpoint": "median progression-free survival (months)",
                             "simulated": pfs["value"], "ci95": pfs["ci95"],
                             "published": pub_value("median_progression_free_survival_months", arm)})
                six = e["progression_free_survival_at_months"]["6"]
                rows.append({"arm": arm, "endpoint": "progression-free at 6 months", "simulated": six["value"],
                             "ci95": six["ci95"], "published": pub_value("progression_free_at_6_months", arm)})
        last = self.arms[-1]
        many = self.endpoints.get("comparisons_vs_control")
        sets = many if many else ({self.arms[0]: self.endpoints["comparisons"]} if len(self.arms) > 1 else {})
        for first, comps in sets.items():
            hr = comps.get("hazard_ratio_os")
            if hr:
                pub_hr = (pub.get("overall_survival") or {}).get(f"hazard_ratio_{first}_vs_{last}") or {}
                rows.append({"arm": f"{first} vs {last}", "endpoint": "hazard ratio, overall survival",
                             "simulated": hr["value"], "ci95": hr["ci95"], "published": pub_hr.get("value")})
        return pd.DataFrame(rows)

    def design(self) -> dict[str, Any]:
        """The design as a flat mapping (for reports)."""
        sc = self.scenario
        a, s = sc.assessment, sc.survival
        out: dict[str, Any] = {"scenario": f"{sc.name}: {sc.description}", "design": sc.design, "seed": self.endpoints["seed"]}
        for arm, spec in sc.arms.items():
            out[f"arm {arm}"] = f"n = {self.endpoints['arms'][arm]['n']}; {spec.label}"
        out["response criterion"] = f"{a.criterion} (also reported: RECIST 1.1, irRC)"
        out["durable response"] = (f"CR or PR beginning within {a.onset_within_months:g} months, lasting continuously "
                                   f">= {a.durable_months:g} months")
        out["tumour assessments"] = (f"every {a.every_days:g} days to day {a.horizon_days:g}; measurement CV "
                                     f"{a.measurement_cv:g}, detection limit {a.detection_limit_cm:g} cm")
        out["survival follow-up"] = f">= {s.follow_up_months:g} months (accrual over {s.accrual_months:g} months)"
        out["source"] = sc.source
        return out

    def write(self, out: str | Path, report: bool = True, cdisc: bool = False) -> Path:
        """Write endpoints.json, run.json, the tables (Parquet), dose records (CSV) and report.html into ``out``.

        ``out`` is replaced whole and atomically (an ovsim output folder: see ``ovsim.io.atomic_output_dir``);
        a folder that is neither empty nor an ovsim output is refused (``OutputFolderError``)."""
        from ..io._results import atomic_output_dir

        out = Path(out)
        with atomic_output_dir(out, kind="trial") as tmp:
            self.write_files(tmp, report=report, cdisc=cdisc)
        return out

    def write_files(self, folder: str | Path, report: bool = True, cdisc: bool = False) -> None:
        """Write the output files into the existing folder ``folder`` (no atomic replacement: see :meth:`write`).

        Also the NONMEM dataset (nonmem.csv, nonmem_ids.csv, nonmem_header.txt) and, with ``cdisc``, the
        CDISC SDTM/ADaM datasets in ``cdisc/`` (docs/datasets.md)."""
        from .._parquet import write_parquet
        from ..io import json_text
        from ..io._csv_safe import safe_csv_frame
        from ._columns import COLUMN_DOCS

        tmp = Path(folder)
        (tmp / "endpoints.json").write_text(json_text(self.endpoints))
        (tmp / "run.json").write_text(json_text(self.run))
        (tmp / "subgroup_comparisons.json").write_text(json_text(self.subgroup_comparisons))
        for name in ("patients", "assessments", "lesions", "measurements"):  # units in each file's schema
            table = f"trial/{name}.parquet"
            write_parquet(getattr(self, name), tmp / f"{name}.parquet", table, COLUMN_DOCS[table])
        safe_csv_frame(self.doses).to_csv(tmp / "doses.csv", index=False)
        (tmp / "scenario.json").write_text(json_text(self.scenario.model_dump()))
        if self.extra.get("supply_forecast") is not None:
            self.extra["supply_forecast"].weekly.to_csv(tmp / "supply_forecast.csv", index=False)
        from ..datasets import write_trial_datasets

        write_trial_datasets(self, tmp, cdisc=cdisc)
        if report:
            self.report(tmp / "report.html")

    @property
    def arm_labels(self) -> dict[str, str]:
        """Each arm's label from the scenario (empty where the scenario gives none)."""
        return {arm: spec.label for arm, spec in self.scenario.arms.items()}

    @property
    def arm_names(self) -> dict[str, str]:
        """Each arm's short display name from the scenario (``display_name``; empty where it gives none)."""
        return {arm: getattr(spec, "display_name", "") for arm, spec in self.scenario.arms.items()}

    def report(self, path: str | Path) -> Path:
        """The self-contained HTML report: the scenario's arm names, labels and description, and the published
        values (:meth:`published`) beside the arms of the same name."""
        from ..report import write_trial_report

        return write_trial_report(
            Path(path), endpoints=self.endpoints, patients=self.patients.copy(), assessments=self.assessments,
            lesions=self.lesions, km=self.km, design=self.design(), published=self.published(),
            arm_labels=self.arm_labels, description=self.scenario.description or None, arm_names=self.arm_names,
            subgroup_comparisons=self.subgroup_comparisons, calibration=_calibration_table(self.extra.get("calibration")),
            supply_forecast=self.extra.get("supply_forecast"), predictions=self.extra.get("predictions"),
        )

    def plot(self, kind: str = "km"):
        """One of the report's figures: ``km``, ``waterfall``, ``spider``, ``swimmer``, ``forest``, ``lesions``."""
        from ..report import trial_figure

        return trial_figure(self, kind, published=self.published().get("targets") or {})


def _calibration_table(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """The shipped calibration's validation (validation.csv) as a readable table."""
    if table is None or table.empty:
        return None
    sim = next((c for c in table.columns if c.startswith("simulated_")), None)
    return pd.DataFrame({
        "target": table["target"],
        "OPTiM": table["published"].map(lambda v: f"{v:.3g}"),
        "acceptance interval": [f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(table["interval_low"], table["interval_high"])],
        f"simulated ({sim.split('_')[-1] if sim else ''}, fresh seed)": table[sim].map(lambda v: f"{v:.3g}") if sim else "",
        "inside": table["inside"].map(lambda v: "yes" if v else "no"),
        "fresh seeds at OPTiM size: mean ± SD": [f"{m:.3g} ± {s:.2g}" for m, s in zip(table["seeds_mean"], table["seeds_sd"])],
    })
