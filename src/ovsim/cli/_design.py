"""``ovsim design``: probability of success over design settings (power or assurance curves), docs/design.md."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, fail
from ._cohort import check_ovsim_out


@app.command()
def design(
    scenario: Path = typer.Argument(None, help="Scenario YAML (default: the shipped OPTiM reference)."),
    vary: list[str] = typer.Option(..., "--vary", show_default=False,
                                   help="A setting and its values: patients=60:240:60, arms.<arm>.n=100:600:50, "
                                   "ratio=2:1,1:1, follow_up_months=24,60 or assessment.every_days=28,56 (repeat: a grid)."),
    replicates: int = typer.Option(20, "--replicates", min=1, max=10_000, help="Replicated trials per point."),
    out: str = typer.Option(..., "--out", "-o", show_default=False,
                            help="Output folder (ovsim's: a rerun replaces it whole)."),
    success: list[str] = typer.Option(None, "--success", show_default=False,
                                      help="Decision rule, e.g. 'comparisons.hazard_ratio_os.ci95.1<1' (default: the "
                                      "scenario's success: field)."),
    assurance: bool = typer.Option(False, "--assurance", help="Replicate r uses calibration member r mod M."),
    seed: int = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (one per core is fastest on CPU)."),
    chunk_size: int = typer.Option(128, min=1, help="Patients per compiled batch."),
) -> None:
    """Power curves: run replicated trials at every design point and write power.csv and power.png."""
    from ..io import json_text
    from ..io._results import atomic_output_dir
    from ..trial import load_scenario, parse_rule, parse_vary, rule_text, run_design
    from ..trial._design import apply_point, design_points

    path = check_ovsim_out(out, {"scenario": scenario})
    try:
        sc = load_scenario(scenario)
        rule = parse_rule(success) if success else sc.success
        if rule is None:
            fail("--success: expected a decision rule (the scenario has no success: field)")
        varies = [parse_vary(v, sc) for v in vary]
        for point in design_points(varies):
            apply_point(sc, point)
        if assurance:
            from ..trial._replicates import replicate_members

            replicate_members(sc, 1, True)
    except ValueError as err:
        fail(str(err))
    import time

    started = time.perf_counter()
    try:
        with atomic_output_dir(path, kind="design") as tmp:
            power = run_design(sc, varies, replicates, seed=seed, rule=rule, assurance=assurance, workers=workers,
                               chunk_size=chunk_size, progress=True)
            power.to_csv(tmp / "power.csv", index=False)
            from ..report._design_plots import plot_power

            plot_power(power, [v.name for v in varies], rule_text(rule)).savefig(tmp / "power.png", dpi=110)
            wall = time.perf_counter() - started
            (tmp / "run.json").write_text(json_text({"wall_seconds": wall, "points": len(power),
                                                     "replicates_per_point": replicates, "workers": workers}))
    except ValueError as err:
        fail(str(err))
    print(power.drop(columns=["seed"]).to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"success: {rule_text(rule)}")
    print(f"wrote {out}/power.csv and power.png ({wall:.0f} s)")
