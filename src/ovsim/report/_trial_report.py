"""The virtual-trial report: one self-contained HTML file (inline CSS and SVG figures, no scripts).

    write_trial_report(path, endpoints=..., patients=..., assessments=..., lesions=..., km=...,
                       design=..., published=..., arm_labels=..., description=...)

The report knows nothing about a particular trial: arm names come from the endpoints, arm labels
and the one-line description from the caller (``TrialResult.report`` passes the scenario's), and
OPTiM's published values (``published``, passed in by the caller) are set beside the arms that
carry OPTiM's arm names only.

The file opens offline in any browser: figures are inline SVG (or base64 PNG), there is no
JavaScript and no external URL. It is written atomically (temporary file, then ``os.replace``).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ._names import arm_name, humanized, humanized_frame, use_arm_names
from ._trial_css import CSS
from ._trial_plots import plot_forest, plot_km, plot_lesion_bars, plot_spider, plot_swimmer, plot_waterfall
from ._trial_plots_survival import targets_block
from ._trial_predictions import predictions_section
from ._trial_roles import roles_note
from ._trial_safety import safety_section
from ._trial_subgroups import bor_table, family_table, lesion_table
from ._trial_style import DASH, arm_list, ci_pair, num
from ._supply_plots import plot_supply_forecast
from ._trial_supply import supply_section
from ._trial_tables import (
    comparison_cell,
    comparisons_table,
    endpoints_table,
    esc,
    frame_table,
    mapping_table,
    number,
    pct,
    published_arms,
    published_name,
    subgroup_table,
)

__all__ = [
    "FIGURES",
    "draw_trial_figure",
    "figure_html",
    "render_trial_report",
    "trial_figure",
    "write_trial_report",
]

SECTIONS = (("summary", "Summary"), ("design", "Design"), ("endpoints", "Endpoints"), ("predictions", "Predictions"),
            ("safety", "Safety"),
            ("supply", "Supply and cost"), ("figures", "Figures"),
            ("calibration", "Calibration"), ("failed", "Failed patients"), ("provenance", "Provenance"))


def figure_html(fig: Any, key: str, alt: str, fmt: str = "svg") -> str:
    """A Figure as inline SVG (ids prefixed with ``key``) or a base64 PNG ``<img>``; the figure is cleared."""
    import base64

    from matplotlib import rc_context

    try:
        if fmt == "png":
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110)
            width = int(fig.get_figwidth() * 110)
            data = base64.b64encode(buf.getvalue()).decode("ascii")
            return f'<img class="fig" src="data:image/png;base64,{data}" alt="{esc(alt)}" style="max-width:{width}px">'
        text = io.StringIO()
        with rc_context({"svg.hashsalt": "ovsim-report", "svg.fonttype": "path"}):
            fig.savefig(text, format="svg", metadata={"Date": None})
    finally:
        fig.clear()
    svg = text.getvalue()
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg[svg.index("<svg"):], flags=re.DOTALL)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{key}-\1"', svg)
    svg = svg.replace('href="#', f'href="#{key}-').replace("url(#", f"url(#{key}-")
    root = re.match(r"<svg[^>]*>", svg)
    assert root is not None
    tag = root.group(0)
    width = re.search(r'\bwidth="([\d.]+)pt"', tag)
    new = re.sub(r'\s(width|height)="[^"]*"', "", tag)
    max_w = f"max-width:{float(width.group(1)) * 4 / 3:.0f}px;" if width else ""
    new = new.replace("<svg", f'<svg class="fig" role="img" aria-label="{esc(alt)}" style="{max_w}"', 1)
    return new + svg[len(tag):]


def _figure(key: str, title: str, caption: str, draw: Callable[[], Any], fmt: str) -> str:
    """One figure block; a figure that fails to draw becomes a visible error box and a warning."""
    try:
        body = figure_html(draw(), key, title, fmt)
    except Exception as exc:   # noqa: BLE001 - a report must not lose every section to one figure
        warnings.warn(f"trial report: figure {key!r} could not be drawn: {exc!r}", RuntimeWarning, stacklevel=3)
        body = f'<div class="flag bad">This figure could not be drawn: {esc(repr(exc))}</div>'
    return (f'<figure id="fig-{key}"><h3>{esc(title)}</h3>{body}'
            f"<figcaption>{caption}</figcaption></figure>")


#: kind -> (title, caption) of the report's figures, in report order; ``{seed}``, ``{km_published}`` and
#: ``{lesions_published}`` are filled in (see ``figure_captions``).
FIGURES = {
    "waterfall": ("Waterfall: best change in tumour burden",
                  ("Best percentage change from baseline in the sum of lesion products of diameters, one bar per "
                  "patient, coloured by best overall response. Dashed lines: \u221250% (partial response) and +25% "
                  "(progressive disease); bars above +100% are drawn at +100% and marked \u25b2.")),
    "spider": ("Spider: tumour burden over time",
               ("Percentage change in tumour burden from baseline at each assessment. Arms with more than 60 "
               "patients show a random subset drawn with seed {seed} (panel titles give the numbers); durable "
               "responders in the arm colour.")),
    "swimmer": ("Swimmer: objective responders",
                ("One bar per objective responder (up to the 40 longest follow-ups per arm): solid = on treatment, "
                "light = follow-up; black line = in response.")),
    "km": ("Kaplan\u2013Meier overall survival",
           ("Overall survival with 95% confidence bands, censoring ticks and numbers at risk; medians and the "
           "hazard ratio (first arm vs the control, the last){km_published}.")),
    "pfs_km": ("Kaplan\u2013Meier progression-free survival",
               ("Progression-free survival by the trial's primary response criterion at its assessment schedule "
                "(progression or death; docs/trial.md), with 95% confidence bands, censoring ticks and numbers at "
                "risk; medians and the hazard ratio (first arm vs the control, the last). Patients are followed "
                "for progression only to the end of tumour assessments.")),
    "forest": ("Forest plot by stage",
               ("Hazard ratio for overall survival (log scale) and difference in durable response rate by AJCC "
               "stage, first arm vs the control (the last); \u201cAll\u201d is the whole trial. Subgroups too small for an estimate are marked.")),
    "lesions": ("Lesion-level response",
                ("Share of baseline lesions with a \u2265 50% decrease and with complete resolution, by category, "
                "simulated (95% CI){lesions_published}.")),
}


def figure_captions(seed: int, published: dict | None, arms: list[str]) -> list[tuple[str, str, str]]:
    """(kind, title, caption) of each figure, captions filled in for this trial's arms and targets."""
    pub = targets_block(published)
    km_pub = (f", with {published_name(published)}'s published values for the arms of the same name"
              if published_arms(pub, arms) else "")
    lesion_arms = [a for a in arms if isinstance(pub.get(f"lesion_level_{a}_arm"), dict)]
    lesions_pub = (f", beside OPTiM's published values for the {', '.join(map(arm_name, lesion_arms))} "
                   f"arm{'s' if len(lesion_arms) > 1 else ''} (hatched)" if lesion_arms else "")
    return [(k, t, c.format(seed=seed, km_published=km_pub, lesions_published=lesions_pub))
            for k, (t, c) in FIGURES.items()]


def draw_trial_figure(kind: str, *, endpoints: dict, patients: pd.DataFrame, assessments: pd.DataFrame,
                      km: dict[str, pd.DataFrame], published: dict | None = None,
                      subgroup_comparisons: dict | None = None, arms: list[str] | None = None) -> Any:
    """One of the report's figures (a Figure), ``kind`` one of FIGURES, drawn exactly as in the report."""
    arms = arm_list(arms if arms is not None else list((endpoints.get("arms") or {}).keys()) or None,
                    patients["arm"], km.keys())
    seed = int(num(endpoints.get("seed")) or 0)
    if kind == "waterfall":
        return plot_waterfall(patients, arms=arms)
    if kind == "spider":
        return plot_spider(assessments, patients, arms=arms, seed=seed)
    if kind == "swimmer":
        return plot_swimmer(patients, assessments, arms=arms)
    if kind == "km":
        return plot_km(km, endpoints=endpoints, published=published, arms=arms)
    if kind == "pfs_km":
        return plot_km(_pfs_frames(patients, arms), endpoints=endpoints, arms=arms, endpoint="pfs")
    if kind == "forest":
        return plot_forest(endpoints, subgroup_comparisons, published=published)
    if kind == "lesions":
        level = {a: ((endpoints.get("arms") or {}).get(a) or {}).get("lesion_level") or {} for a in arms}
        return plot_lesion_bars(level, published, arms=arms)
    raise ValueError(f"unknown figure {kind!r}; one of {', '.join(FIGURES)}")


def _pfs_frames(patients: pd.DataFrame, arms: list[str]) -> dict[str, pd.DataFrame]:
    """Each arm's Kaplan-Meier progression-free survival ({} when the table has no PFS columns)."""
    if not {"pfs_months", "pfs_event", "ok"} <= set(patients.columns):
        return {}
    from ..trial._endpoints import km_frames  # the trial's own estimator (lazy: the trial package writes reports)

    return km_frames(patients, arms, "pfs_months", "pfs_event")


def trial_figure(result: Any, kind: str = "km", *, published: dict | None = None) -> Any:
    """Figure ``kind`` (see FIGURES) of a trial result with ``endpoints``, ``patients``, ``assessments``,
    ``km`` and ``subgroup_comparisons`` attributes (``TrialResult``); its ``arms`` order if it has one.

    ``published``: OPTiM's targets to draw beside arms of the same name (``TrialResult.plot`` passes
    ``ovsim.trial.published_targets()``); None draws the simulated values only.
    """
    with use_arm_names(getattr(result, "arm_names", None)):
        return draw_trial_figure(kind, endpoints=result.endpoints, patients=result.patients,
                                 assessments=result.assessments, km=result.km, published=published or {},
                                 subgroup_comparisons=getattr(result, "subgroup_comparisons", None),
                                 arms=list(getattr(result, "arms", None) or []) or None)


def _rate_text(entry: Any) -> str:
    """'16.3% (95% CI 12.4–20.8)' from a RATE, or a dash."""
    if not isinstance(entry, dict) or num(entry.get("value")) is None:
        return DASH
    lo, hi = ci_pair(entry)
    return pct(entry["value"]) + (f" (95% CI {pct(lo)}\u2013{pct(hi)})" if lo is not None and hi is not None else "")


def _summary(endpoints: dict, published: dict, arms: list[str]) -> str:
    """The one-paragraph summary (plain text, escaped here)."""
    ep, pub = endpoints.get("arms") or {}, targets_block(published)
    total = sum(int(ep.get(a, {}).get("n") or 0) for a in arms)
    sizes = ", ".join(f"{arm_name(a)} {ep.get(a, {}).get('n', DASH)}" for a in arms)
    parts = [(f"{total} virtual patients ({sizes}) were simulated in scenario "
             f"\u201c{endpoints.get('scenario', DASH)}\u201d (seed {endpoints.get('seed', DASH)}).")]
    for key, name in (("durable_response_rate", "Durable response rate"),
                      ("objective_response_rate", "Objective response rate")):
        sim = "; ".join(f"{arm_name(a)} {_rate_text(ep.get(a, {}).get(key))}" for a in arms)
        known = [(a, (pub.get(key) or {}).get(a)) for a in arms]
        optim = ", ".join(f"{arm_name(a)} {pct(p.get('value'))}" for a, p in known if isinstance(p, dict))
        parts.append(f"{name}: {sim}" + (f" ({published_name(published)}: {optim})." if optim else "."))
    meds = []
    for a in arms:
        m = (ep.get(a) or {}).get("median_overall_survival_months") or {}
        meds.append(f"{arm_name(a)} {number(m.get('value') if isinstance(m, dict) else None)}")
    hr = (endpoints.get("comparisons") or {}).get("hazard_ratio_os")
    text = "Median overall survival: " + " vs ".join(meds) + " months"
    if len(arms) >= 2 and isinstance(hr, dict):
        text += (f"; hazard ratio {arm_name(arms[0])} vs {arm_name(arms[-1])} "
                 f"{_html_to_text(comparison_cell(hr, 'ratio'))}")
        phr = (pub.get("overall_survival") or {}).get(f"hazard_ratio_{arms[0]}_vs_{arms[-1]}")
        if isinstance(phr, dict):
            text += f" ({published_name(published)}: {_html_to_text(comparison_cell(phr, 'ratio'))})"
    parts.append(text + ".")
    pfs = [((ep.get(a) or {}).get("median_progression_free_survival_months") or {}) for a in arms]
    if any(isinstance(m, dict) and m for m in pfs):
        parts.append("Median progression-free survival: " + " vs ".join(
            f"{arm_name(a)} {number(m.get('value') if isinstance(m, dict) else None)}" for a, m in zip(arms, pfs))
            + " months.")
    failed = endpoints.get("failed_patients")
    parts.append(f"Patients whose simulation failed: {failed if failed is not None else DASH}.")
    return esc(" ".join(parts))


def _html_to_text(s: str) -> str:
    """Strip tags and the only entity our cells use."""
    return re.sub(r"<[^>]+>", "", s).replace("&lt;", "<")


def _failed(endpoints: dict, patients: pd.DataFrame, arms: list[str]) -> str:
    """The failed-patients section body: the count, per arm, and how failed patients are counted."""
    ok = patients["ok"].fillna(False).astype(bool) if "ok" in patients else pd.Series(True, index=patients.index)
    per_arm = {a: int(((patients["arm"] == a) & ~ok).sum()) for a in arms}
    reported = endpoints.get("failed_patients")
    total = int(reported) if num(reported) is not None else sum(per_arm.values())
    cls = "bad" if total else "good"
    out = [f'<div class="flag {cls}"><strong>{total}</strong> patient{"s" if total != 1 else ""} whose '
           f'simulation failed (<code>ok = False</code>): '
           + esc(", ".join(f"{arm_name(a)} {n}" for a, n in per_arm.items())) + ".</div>"]
    if num(reported) is not None and int(reported) != sum(per_arm.values()):
        out.append(f'<p class="flag bad">endpoints.json reports {esc(reported)} failed patients but the patient '
                   f"table has {sum(per_arm.values())} rows with ok = False.</p>")
    ep = endpoints.get("arms") or {}
    n_ep = {a: ep.get(a, {}).get("n") for a in arms}
    rows_all = {a: int((patients["arm"] == a).sum()) for a in arms}
    rows_ok = {a: rows_all[a] - per_arm[a] for a in arms}
    if all(n_ep[a] == rows_ok[a] for a in arms):
        how = ("Failed patients are flagged in the patient table (ok = False, with the reason) and excluded "
               "from the denominators: every arm's n above counts only the patients whose simulation succeeded.")
    elif all(n_ep[a] == rows_all[a] for a in arms):
        how = ("Failed patients stay in the intention-to-treat denominators: every arm's n above counts "
               "all randomised patients, failed or not, and a failed patient counts with the response "
               "recorded for it in the patient table")
        bor = patients.loc[~ok, "best_overall_response"].astype(str).value_counts() if total else None
        how += (" (" + ", ".join(f"{k} {v}" for k, v in bor.items()) + ")." if bor is not None and len(bor)
                else ".")
    else:
        def per_arm_text(counts: dict) -> str:
            return ", ".join(f"{arm_name(a)} {counts[a]}" for a in arms)

        how = (f"The endpoints' n per arm ({per_arm_text(n_ep)}) match neither all patient rows "
               f"({per_arm_text(rows_all)}) nor the successful ones ({per_arm_text(rows_ok)}): check how the trial "
               "counted them.")
    out.append(f"<p>{esc(how)}</p>")
    return "".join(out)


def _provenance(endpoints: dict) -> dict:
    """Provenance to show: the endpoints' own provenance, after version, seed and scenario."""
    out: dict[str, Any] = {"ovsim_version": endpoints.get("ovsim_version"), "seed": endpoints.get("seed"),
                           "scenario": endpoints.get("scenario")}
    prov = endpoints.get("provenance")
    if isinstance(prov, dict):
        out.update(prov)
    elif prov is not None:
        out["provenance"] = prov
    return out


def _header(title: str, description: str | None, arms: list[str], arm_labels: dict[str, str],
            endpoints: dict) -> str:
    """The header: title, the trial's one-line description (default: its arms), version and seed, and
    the arms' labels where given."""
    text = description or (("Virtual trial: " + " vs ".join(map(arm_name, arms))) if arms else "Virtual trial")
    version = esc(endpoints.get("ovsim_version", DASH))
    out = (f'<h1>{esc(title)}</h1><p class="meta">{esc(text)} \u00b7 ovsim {version} \u00b7 '
           f"seed {esc(endpoints.get('seed'))}</p>")
    research = [(a, e.get("not_label") or []) for a, e in (endpoints.get("arms") or {}).items()
                if isinstance(e, dict) and e.get("label_conformant") is False]
    if research:  # a research regimen: visible above everything (docs/parameters.md)
        out += ('<div class="flag bad research-regimen"><strong>Not the Imlygic label:</strong> '
                + "; ".join(f"arm {esc(a)}: {esc(', '.join(map(str, lines)))}" for a, lines in research) + "</div>")
    labelled = [(a, str(arm_labels[a])) for a in arms if arm_labels.get(a)]
    if labelled:
        out += ('<ul class="meta arms">'
                + "".join(f"<li><strong>{esc(arm_name(a))}</strong>: {esc(label)}</li>" for a, label in labelled)
                + "</ul>")
    return out


def render_trial_report(*, endpoints: dict, patients: pd.DataFrame, assessments: pd.DataFrame,
                        lesions: pd.DataFrame, km: dict[str, pd.DataFrame], design: dict,
                        published: dict | None = None, arm_labels: dict[str, str] | None = None,
                        description: str | None = None, subgroup_comparisons: dict | None = None,
                        calibration: pd.DataFrame | None = None, figure_format: str = "svg",
                        supply_forecast: Any = None, predictions: pd.DataFrame | None = None,
                        arm_names: dict[str, str] | None = None) -> str:
    """The report as one HTML string (see ``write_trial_report`` for the inputs)."""
    with use_arm_names(arm_names):
        return _render(endpoints=endpoints, patients=patients, assessments=assessments, lesions=lesions, km=km,
                       design=design, published=published, arm_labels=arm_labels, description=description,
                       subgroup_comparisons=subgroup_comparisons, calibration=calibration,
                       figure_format=figure_format, supply_forecast=supply_forecast, predictions=predictions)


def _render(*, endpoints: dict, patients: pd.DataFrame, assessments: pd.DataFrame, lesions: pd.DataFrame,
            km: dict[str, pd.DataFrame], design: dict, published: dict | None, arm_labels: dict[str, str] | None,
            description: str | None, subgroup_comparisons: dict | None, calibration: pd.DataFrame | None,
            figure_format: str, supply_forecast: Any, predictions: pd.DataFrame | None) -> str:
    """The report's HTML, arm display names already set (``use_arm_names``)."""
    published = published or {}
    arms = arm_list(list((endpoints.get("arms") or {}).keys()), patients["arm"], km.keys())
    scenario = str(endpoints.get("scenario", DASH))
    seed = int(num(endpoints.get("seed")) or 0)
    figures = figure_captions(seed, published, arms)
    pub_arms = published_arms(published, arms)
    note = '<p class="note">Simulated values: estimate (95% CI), events/n.'
    trial = published_name(published)
    if pub_arms and trial == "OPTiM":
        note += (" OPTiM: published values (Andtbacka et al. J Clin Oncol 2015; lesion level: Ann Surg Oncol "
                 f"2016; EU indication: EMA EPAR 2015), shown beside the arms named as in OPTiM "
                 f"({esc(', '.join(map(arm_name, pub_arms)))}); {DASH} where "
                 "nothing was published.")
    elif pub_arms:
        src = published.get("source") if isinstance(published.get("source"), dict) else {}
        note += (f" {esc(trial)}: published values ({esc('; '.join(map(str, src.values())))}), shown beside the "
                 f"arms of the same name ({esc(', '.join(map(arm_name, pub_arms)))}); {DASH} where nothing was "
                 "published.")
    note += "</p>"

    def draw(kind: str) -> Callable[[], Any]:
        return lambda: draw_trial_figure(kind, endpoints=endpoints, patients=patients, assessments=assessments,
                                         km=km, published=published, subgroup_comparisons=subgroup_comparisons,
                                         arms=arms)

    body = {
        "summary": f"<p>{_summary(endpoints, published, arms)}</p>",
        "design": mapping_table(humanized(design, arms)),
        "endpoints": (roles_note(endpoints) + endpoints_table(endpoints, published, arms)
                      + "<h3>Best overall response</h3>" + bor_table(endpoints, arms)
                      + "<h3>Comparisons</h3>" + comparisons_table(endpoints, published, arms)
                      + "<h3>By stage</h3>" + subgroup_table(endpoints, subgroup_comparisons, arms, published)
                      + "<h3>EU indication (stage IIIB/IIIC/IVM1a) and the rest</h3>"
                      + family_table(endpoints, subgroup_comparisons, arms, "eu_indication", "EU indication",
                                     published)
                      + "<h3>By HSV-1 serostatus</h3>"
                      + family_table(endpoints, subgroup_comparisons, arms, "serostatus", "HSV-1 serostatus")
                      + "<h3>Lesion-level response</h3>" + lesion_table(endpoints, published, lesions, arms)
                      + note),
        "predictions": predictions_section(endpoints, predictions, published),
        "figures": "".join(_figure(k, t, esc(c), draw(k), figure_format) for k, t, c in figures),
        "failed": _failed(endpoints, patients, arms),
        "provenance": mapping_table(_provenance(endpoints)),
    }
    if calibration is not None:
        body["calibration"] = frame_table(humanized_frame(calibration, arms))
    for key, section in (("safety", safety_section(endpoints, arms)),
                         ("supply", supply_section(endpoints, supply_forecast, lambda f: _figure(
                             "supply", "Supply forecast: T-VEC vials per week", esc(
                                 "Median (line), mean (dashed) and 5-95% (band) of resampled centres; courses from "
                                 "this trial's first T-VEC arm."),
                             lambda: plot_supply_forecast(f), figure_format)))):
        if section is not None:
            body[key] = section
    sections = [(k, t) for k, t in SECTIONS if k in body]
    nav = " \u00b7 ".join(f'<a href="#{k}">{esc(t)}</a>' for k, t in sections)
    html_sections = "".join(f'<section id="{k}"><h2>{esc(t)}</h2>{body[k]}</section>' for k, t in sections)
    title = f"Virtual trial report: {scenario}"
    version = esc(endpoints.get("ovsim_version", DASH))
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header>{_header(title, description, arms, arm_labels or {}, endpoints)}"
            f'<nav>{nav}</nav></header>{html_sections}'
            f'<footer>Generated by ovsim {version}. Self-contained report: inline figures, no scripts, '
            "no external resources.</footer></main></body></html>\n")


def write_trial_report(path: Path, *, endpoints: dict, patients: pd.DataFrame, assessments: pd.DataFrame,
                       lesions: pd.DataFrame, km: dict[str, pd.DataFrame], design: dict,
                       published: dict | None = None, arm_labels: dict[str, str] | None = None,
                       description: str | None = None, subgroup_comparisons: dict | None = None,
                       calibration: pd.DataFrame | None = None, figure_format: str = "svg",
                       supply_forecast: Any = None, predictions: pd.DataFrame | None = None,
                       arm_names: dict[str, str] | None = None) -> Path:
    """Write the trial report to ``path`` (HTML, atomically) and return the path.

    ``endpoints``: the endpoints.json mapping; ``patients`` (one row per patient), ``assessments``
    (one row per patient and assessment; times in days), ``lesions`` (one row per baseline lesion);
    ``km``: Kaplan-Meier table per arm (months); ``design``: free-form mapping shown as a table;
    ``published``: OPTiM's targets (optim.yaml's ``targets:`` block or the whole file), shown beside the
    arms of the same name only; None or {} (the default) gives a report of the simulated values alone;
    ``arm_labels``: ``{arm: label}`` shown under the title (a scenario's arm labels); ``description``:
    one line under the title (a scenario's description; default "Virtual trial: <arm> vs <arm>");
    ``subgroup_comparisons``: per-stage comparisons for the forest plot; ``calibration``: optional
    table shown as its own section. ``figure_format``: "svg" (default) or "png". ``supply_forecast``: an
    ``ovsim.supply.SupplyForecast`` drawn in the supply section (optional). ``predictions``: a prediction
    table over many runs (``ovsim.trial._predictions.prediction_table``) shown in the Predictions section with
    its intervals; without one the section shows this trial's own values of the predicted quantities.
    ``arm_names``: ``{arm: short display name}`` (a scenario's ``display_name``); arms not named there show
    ``ovsim.report._names.ARM_NAMES``' name (T-VEC, GM-CSF) or their key.
    """
    if figure_format not in ("svg", "png"):
        raise ValueError(f"figure_format must be 'svg' or 'png', not {figure_format!r}")
    path = Path(path)
    text = render_trial_report(endpoints=endpoints, patients=patients, assessments=assessments, lesions=lesions,
                               km=km, design=design, published=published, arm_labels=arm_labels,
                               description=description, subgroup_comparisons=subgroup_comparisons,
                               calibration=calibration, figure_format=figure_format,
                               supply_forecast=supply_forecast, predictions=predictions, arm_names=arm_names)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
