"""docs/model.md is generated from the model definition (tables and equations) and agrees with the code."""

from __future__ import annotations

import importlib.util
import re

from conftest import REPO
from ovsim.model._definition import default_model
from ovsim.model.mechanisms import INFILTRATION_BY_SITE


def _model_doc_tool():
    spec = importlib.util.spec_from_file_location("_ovsim_tools_model_doc", REPO / "tools" / "model_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in (REPO / "docs" / "model.md").read_text().splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_model_doc_is_what_the_tool_generates():
    tool = _model_doc_tool()
    problem = tool.check(REPO / "docs" / "model.md")
    assert problem is None, problem


def test_generated_blocks_cover_every_name_of_the_definition():
    from ovsim.model._docs import BLOCKS, model_markdown

    definition = default_model()
    blocks = model_markdown(definition)
    assert tuple(blocks) == BLOCKS
    assert model_markdown(definition) == blocks  # deterministic
    for name in definition.states:
        assert f"| `{name}` |" in blocks["states"], name
    for name in definition.parameters:
        assert f"| `{name}` |" in blocks["parameters"], name
    for name in definition.covariates:
        assert f"| `{name}` |" in blocks["covariates"], name
    for part in definition.parts:
        assert f"### {part.title} (`{part.name}`)" in blocks["equations"], part.name


def test_every_parameter_has_units_description_and_source():
    for p in default_model().parameters.values():
        assert p.units and p.description and p.source, p.name


def test_site_infiltration_table_matches_code():
    text = (REPO / "docs" / "model.md").read_text()
    for site, phi in INFILTRATION_BY_SITE.items():
        assert re.search(rf"^\| {site.value} \| {phi} \|", text, re.M), site


def _trial_table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in (REPO / "docs" / "trial.md").read_text().splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_survival_model_documented_with_values_units_and_sources():
    from ovsim.trial import SurvivalModel
    from ovsim.trial._survival_spec import CALIBRATED

    rows = _trial_table_rows()
    for name, value in SurvivalModel().model_dump().items():
        assert name in rows, name
        assert float(rows[name][0]) == float(value), name
        assert rows[name][1] and rows[name][-1], name  # units and source
        assert ("calibrated to OPTiM median OS (both arms) and HR" in rows[name][-1]) == (name in CALIBRATED), name


def test_calibrated_survival_values_in_docs_match_the_shipped_calibration():
    from ovsim.trial import calibrated_survival_model

    model = calibrated_survival_model()
    expected = (f"λ0 = {model.tumour_hazard_per_month:.4g} /month", f"β_B = {model.beta_burden:.4g}",
                f"β_G = {model.beta_growth_day:.4g} day")
    for doc in ("trial.md", "model.md"):
        text = (REPO / "docs" / doc).read_text()
        for value in expected:
            assert value in text, (doc, value)


def test_calibration_doc_shows_the_shipped_validation():
    shipped = (REPO / "src" / "ovsim" / "data" / "calibrated" / "validation.md").read_text().strip()
    assert shipped in (REPO / "docs" / "calibration.md").read_text()


def test_plausible_ranges_are_the_calibration_ranges():
    """A calibrated parameter's documented range is the range the calibration draws it from."""
    import math

    from ovsim.calibrate import load_calibration_spec
    from ovsim.model import PARAMETERS

    folds = load_calibration_spec().plausible.log_uniform_fold
    for name, fold in folds.items():
        lo, hi = PARAMETERS[name].range
        value = PARAMETERS[name].value
        assert math.isclose(lo, value / fold) and math.isclose(hi, value * fold), name
        assert PARAMETERS[name].level == "patient", name
