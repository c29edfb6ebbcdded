"""The report's "Predictions" section: the content of docs/predictions.md, for this trial or over many runs.

With a prediction table (``TrialResult.extra["predictions"]``, from ``ovsim.trial._predictions.prediction_table``
over many runs) the section gives each predicted quantity's mean and 2.5-97.5 percentile interval over the
runs (calibration draws x trial sampling); without one, this trial's own values of the same quantities
(one run: no interval). The calibration targets follow, for reference, beside their published values.
"""

from __future__ import annotations

import pandas as pd

from ._names import humanize
from ._trial_plots_survival import targets_block
from ._trial_roles import roles_of
from ._trial_style import DASH
from ._trial_tables import esc, table


def _runs_text(predictions: pd.DataFrame) -> str:
    """How the interval was made: N calibration draws x trial sampling (or trial sampling only)."""
    n = int(predictions["n_runs"].max()) if len(predictions) else 0
    members = predictions.attrs.get("members")
    if isinstance(members, (list, tuple)):
        draws = len({m for m in members if m is not None})
        if draws == 0:
            return (f"interval over {len(members)} trial runs at the posterior-mean calibration (no calibration "
                    "ensemble shipped: trial sampling only)")
        return f"interval over {draws} calibration draws \u00d7 trial sampling ({len(members)} runs)"
    return f"interval over {n} calibration draws \u00d7 trial sampling"


def _label_incidences(published: dict | None) -> dict[str, float]:
    """The Imlygic label's adverse-reaction incidences (T-VEC arm, OPTiM safety set) from the targets file's
    ``label.adverse_reactions_tvec_arm`` (the whole file must be passed), or {}."""
    block = (((published or {}).get("label") or {}).get("adverse_reactions_tvec_arm")) if isinstance(
        published, dict) else None
    if not isinstance(block, dict):
        return {}
    return {str(k): float(v) for k, v in block.items() if isinstance(v, (int, float))}


def predictions_section(endpoints: dict, predictions: pd.DataFrame | None = None, published: dict | None = None) -> str:
    """The section body (HTML): the predicted quantities, then the calibration targets for reference (beside
    ``published``, the targets file or its ``targets:`` block, when this trial computes no table of its own)."""
    from ..trial._predictions import prediction_sections, prediction_table

    if predictions is not None and len(predictions):
        intro = (f"Predictions, not calibrated: every quantity below was computed by the model and never tuned "
                 f"to; mean and 2.5\u201397.5 percentile {_runs_text(predictions)}, each run a trial at OPTiM's "
                 "size with its own seed (docs/predictions.md, tools/predictions_doc.py).")
        frame = predictions
    elif roles_of(endpoints) is None:
        return ('<p class="note">Predictions, not calibrated: this trial\'s endpoints carry no roles, so predictions '
                "cannot be told from calibration targets here.</p>")
    else:
        intro = ("Predictions, not calibrated: this trial's own values of the quantities never tuned to (one run: "
                 "no interval). Their interval over calibration draws \u00d7 trial sampling is in "
                 "docs/predictions.md (tools/predictions_doc.py), or here when the trial result carries it "
                 "(TrialResult.extra[\"predictions\"]).")
        frame = prediction_table([endpoints], targets_block(published) or None)
    parts = [f'<p class="note">{esc(intro)}</p>']
    arms = list((endpoints.get("arms") or {}).keys())
    label = _label_incidences(published)
    for title, header, rows in prediction_sections(frame):
        shown = []
        for row in rows:
            row = list(row)
            if "published" in header and label:   # the label's AE incidence where the targets leave a dash
                quantity, at = str(row[0]), header.index("published")
                event = quantity.removeprefix("adverse event: ").replace(" ", "_")
                if quantity.startswith("adverse event: ") and event in label and str(row[at]).strip() in ("", DASH):
                    row[at] = f"{100.0 * label[event]:.1f}% (label)"
            shown.append([esc(humanize(c, arms)) for c in row])
        parts.append(f"<h3>{esc(humanize(title, arms))}</h3>" + table(header, shown, "predictions"))
    return "".join(parts)

