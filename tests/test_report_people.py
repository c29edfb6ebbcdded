"""The trial report for people: human names instead of internal keys, published comparators beside the
simulated values, print styling; and the compiling notice of the progress bar."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from ovsim.report._names import arm_name, display, humanize, use_arm_names
from ovsim.report._trial_css import CSS

#: Internal keys a reader must never see outside the provenance section.
INTERNAL = (r"durable_response_rate", r"uninjected_nonvisceral", r"\bae_", r"_pct\b", r"(?<![\w-])tvec(?![\w-])",
            r"(?<![\w-])gmcsf(?![\w-])", r"modified_who", r"injection_site_pain", r"cellulitis_grade3",
            r"influenza_like", r"eu_indication", r"\beu indication\b", r"(?<![/\w.])[a-z]+_[a-z]+(_[a-z]+)*\b(?!\.\w)")


def visible_text(html: str) -> str:
    """The report's text as a reader sees it: style, figures (inline SVG), code and the provenance section
    dropped, tags stripped, entities decoded."""
    html = re.sub(r"<style>.*?</style>|<svg.*?</svg>|<code>.*?</code>", " ", html, flags=re.S)
    html = re.sub(r'<section id="provenance">.*?</section>', " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def internal_keys(text: str) -> list[str]:
    """Every internal-key pattern found in ``text``, with its context."""
    found = []
    for pattern in INTERNAL:
        for m in re.finditer(pattern, text):
            found.append(f"{pattern}: ...{text[max(0, m.start() - 40):m.end() + 40]}...")
    return found


@pytest.fixture(scope="module")
def tiny_trial(tmp_path_factory):
    from ovsim.trial import load_scenario, run_trial

    result = run_trial(load_scenario(), seed=7, patients=12)
    path = result.report(tmp_path_factory.mktemp("people") / "report.html")
    return result, path.read_text(encoding="utf-8")


def test_names_module():
    assert arm_name("tvec") == "T-VEC" and arm_name("gmcsf") == "GM-CSF" and arm_name("armX") == "armX"
    with use_arm_names({"armX": "Drug X", "tvec": ""}):
        assert arm_name("armX") == "Drug X" and arm_name("tvec") == "T-VEC"
        assert humanize("armX vs tvec") == "Drug X vs T-VEC"
    assert arm_name("armX") == "armX"
    assert display("modified_who") == "modified WHO" and display("recist11") == "RECIST 1.1"
    assert display("irrc") == "irRC"
    assert display("cellulitis_grade3_or_more") == "cellulitis (grade \u2265 3)"
    assert display("injection_site_pain") == "injection-site pain"
    assert display("uninjected_nonvisceral") == "uninjected non-visceral"
    assert humanize("adverse event: cellulitis grade3 or more") == "adverse event: cellulitis (grade \u2265 3)"
    # an arm key inside a longer word is not replaced
    assert humanize("tvec_like tvecs") == "tvec_like tvecs"


def test_report_shows_no_internal_keys(tiny_trial):
    _, html = tiny_trial
    text = visible_text(html)
    assert internal_keys(text) == []
    assert "T-VEC" in text and "GM-CSF" in text and "modified WHO" in text
    assert "injection-site pain" in text.lower() and "uninjected non-visceral" in text


def test_figures_show_arm_names(tiny_trial):
    from ovsim.report import trial_figure

    result, _ = tiny_trial
    for kind in ("km", "lesions", "waterfall"):
        fig = trial_figure(result, kind)
        texts = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
        joined = " ".join(texts)
        assert "T-VEC" in joined, kind
        assert not re.search(r"(?<![\w-])(tvec|gmcsf)(?![\w-])", joined), (kind, joined)


def test_published_comparators_beside_subgroups(tiny_trial):
    _, html = tiny_trial
    # stage table: OPTiM's baseline share per arm (final analysis Table 1), EU indication: published DRR
    assert "OPTiM share at baseline" in html and "Durable response: OPTiM" in html
    assert "25.2%" in html and "41/163" in html          # EU indication, T-VEC arm (EMA EPAR)
    text = visible_text(html)
    assert re.search(r"IIIB/IIIC T-VEC \d+ [\d.]+% 30%", text)
    # the label's AE incidences beside the calibration targets of the predictions section
    assert re.search(r"fatigue T-VEC [\d.]+% 50\.3% \(label\)", text)


def test_display_name_from_scenario(tmp_path):
    from ovsim.trial._scenario import ArmSpec

    spec = ArmSpec(n=3, label="long label", display_name="Drug X", regimen={})
    assert spec.display_name == "Drug X"
    assert ArmSpec(n=3, regimen={}).display_name == ""


def test_print_css():
    print_block = CSS[CSS.index("@media print"):]
    for rule in ("@page", "table-layout", "font-size", "break-inside: avoid", "overflow-wrap", "figure"):
        assert rule in print_block, rule
    assert re.search(r"\btr\b[^{]*\{[^}]*break-inside:\s*avoid", print_block)
    assert re.search(r"\.scroll\s*\{[^}]*overflow:\s*visible", print_block)
