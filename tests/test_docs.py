"""docs/model.md documents every parameter of the registry with the same value, units and source."""

from __future__ import annotations

import re

from conftest import REPO
from ovsim.model import INFILTRATION_BY_SITE, PARAMETERS


def _table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in (REPO / "docs" / "model.md").read_text().splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_every_parameter_documented_with_value_units_and_source():
    rows = _table_rows()
    assert set(PARAMETERS) <= set(rows), sorted(set(PARAMETERS) - set(rows))
    for name, p in PARAMETERS.items():
        value, units, _level, _meaning, source = rows[name]
        assert float(value) == float(f"{p.value:.6g}"), name
        assert units == p.units, name
        assert source and source == p.source, name


def test_every_parameter_has_units_and_source():
    for p in PARAMETERS.values():
        assert p.units and p.source and p.description


def test_site_infiltration_table_matches_code():
    text = (REPO / "docs" / "model.md").read_text()
    for site, phi in INFILTRATION_BY_SITE.items():
        assert re.search(rf"^\| {site.value} \| {phi} \|", text, re.M), site


def test_survival_link_documented_with_values():
    from ovsim.trial import SurvivalModel

    rows = _table_rows()
    for name, value in SurvivalModel().model_dump().items():
        assert name in rows, name
        assert float(rows[name][0]) == float(value), name
        assert rows[name][-1], name


def test_calibrated_survival_values_in_docs_match_the_shipped_calibration():
    from ovsim.trial import calibrated_survival_model

    model = calibrated_survival_model()
    text = (REPO / "docs" / "model.md").read_text()
    for name in ("intercept_log_months", "sigma", "beta_log_kg"):
        value = getattr(model, name)
        assert f"calibrated value {value:.3f}" in text, name
    cal = (REPO / "docs" / "calibration.md").read_text()
    assert f"intercept {model.intercept_log_months:.3f}" in cal and f"sigma {model.sigma:.3f}" in cal


def test_calibration_doc_shows_the_shipped_validation():
    shipped = (REPO / "src" / "ovsim" / "data" / "calibrated" / "validation.md").read_text().strip()
    assert shipped in (REPO / "docs" / "calibration.md").read_text()
