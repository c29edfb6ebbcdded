"""``ovsim simulate``'s figure: no empty virus panel without virus, a legend for the dosing, no legend over data."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from conftest import EVERY, HORIZON, make_patient
from ovsim.engine import simulate_patient
from ovsim.report import plot_patient
from ovsim.report._patient_plot import has_virus


@pytest.fixture(scope="module")
def results():
    patient = make_patient()
    return {regimen: simulate_patient(patient, regimen, horizon_days=HORIZON, output_every_days=EVERY)
            for regimen in ("tvec", "gmcsf")}


def drawn(result):
    fig = plot_patient(result)
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig


def legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_gmcsf_patient_has_no_virus_panel(results):
    result = results["gmcsf"]
    assert not has_virus(result)
    fig = drawn(result)
    assert [ax.get_ylabel() for ax in fig.axes if "virus" in ax.get_ylabel()] == []
    assert len(fig.axes) == 3                          # diameters, immune cells and its titre twin
    assert "GM-CSF dosing day" in legend_texts(fig)
    assert not any("T-VEC" in t for t in legend_texts(fig))


def test_tvec_patient_has_virus_panel_and_injection_legend(results):
    result = results["tvec"]
    assert has_virus(result)
    fig = drawn(result)
    assert any(ax.get_ylabel() == "free virus (PFU)" for ax in fig.axes)
    assert "T-VEC injection (size ~ mL)" in legend_texts(fig)


@pytest.mark.parametrize("regimen", ["tvec", "gmcsf"])
def test_legends_do_not_cover_any_axes(results, regimen):
    fig = drawn(results[regimen])
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 2
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), (regimen, ax.get_ylabel())
        assert box.x1 <= fig.bbox.x1 + 1 and box.y0 >= fig.bbox.y0 - 1   # and inside the figure
