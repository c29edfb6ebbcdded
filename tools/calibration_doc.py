"""Fill docs/calibration.md from the shipped calibration (run after `ovsim calibrate --ship --validate`).

    python tools/calibration_doc.py     # tools/calibration_template.md + src/ovsim/data/calibrated/* -> docs/calibration.md
"""

import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "ovsim" / "data" / "calibrated"


def _tol(value: float | None) -> str:
    return "(fitted)" if value is None or value != value else f"±{value:g}"


def main() -> None:
    doc = json.loads((SHIPPED / "calibration.json").read_text())
    cal = "\n".join(
        f"| {r['target']} | {r['published']:.3g} | {_tol(r['tolerance'])} | {r['calibrated']:.4g} |" for r in doc["targets"]
    )
    ident = pd.DataFrame(doc["identifiability"])
    rows = ["| parameter | range (fold) | weighted median / default | shift (decades) | narrowing | KS |", "|---|---|---|---|---|---|"]
    rows += [f"| `{r.parameter}` | {r.fold_range:g} | {r.weighted_median_x_default:.2f} | {r.shift_decades:+.3f} | "
             f"{r.narrowing:.3f} | {r.ks:.3f} |" for r in ident.itertuples()]
    validation = (SHIPPED / "validation.md").read_text().strip()
    text = (ROOT / "tools" / "calibration_template.md").read_text()
    text = text.replace("CALIBRATION_TABLE", cal).replace("VALIDATION_TABLE", validation)
    text = text.replace("IDENTIFIABILITY_TABLE", "\n".join(rows))
    (ROOT / "docs" / "calibration.md").write_text(text)


if __name__ == "__main__":
    main()
