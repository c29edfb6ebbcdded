"""Output of replicated trials (``ovsim trial --replicates``, ``ovsim design``): files and terminal summary."""

from __future__ import annotations

from pathlib import Path

from ..io import json_text


def write_replicates(folder: Path, result, *, plot: bool = True) -> None:
    """``replicates.parquet``, ``replicates_summary.csv``, ``success.json`` (with a rule), ``run.json`` and
    ``replicates.png`` of a :class:`~ovsim.trial.ReplicateResult` into the existing ``folder``."""
    folder = Path(folder)
    result.table.to_parquet(folder / "replicates.parquet", index=False)
    result.summary.to_csv(folder / "replicates_summary.csv", index=False)
    if result.success is not None:
        (folder / "success.json").write_text(json_text(result.success))
    (folder / "run.json").write_text(json_text(result.run))
    if plot and len(result.table):
        from ..report._design_plots import plot_replicates
        from ..trial import published_targets

        fig = plot_replicates(result.table, list(result.scenario.arms), published_targets()["targets"])
        fig.savefig(folder / "replicates.png", dpi=110)


def key_summary(result):
    """The summary rows of the main endpoints (arms' rates and median OS, the comparisons' values)."""
    s = result.summary
    keep = s["endpoint"].isin(["durable_response_rate.value", "objective_response_rate.value",
                               "complete_response_rate.value", "median_overall_survival_months.value", "value"])
    keep &= s["section"].isin(["arms", "comparisons"])
    return s.loc[keep, ["section", "arm", "endpoint", "median", "q05", "q95", "mean", "n_replicates"]]


def success_line(success: dict | None) -> str:
    """``probability of success: 0.62 (95% CI 0.55-0.69; 124 of 200 replicates) for RULE``."""
    if success is None:
        return "no decision rule (give --success or a success: field in the scenario)"
    lo, hi = success["ci95"]
    return (f"probability of success{' (assurance)' if success.get('assurance') else ''}: "
            f"{success['probability']:.3g} (exact 95% CI {lo:.3g}-{hi:.3g}; {success['successes']} of "
            f"{success['n_replicates']} replicates) for {success['rule']}")


def run_replicates_command(sc, path: Path, folder: str, *, replicates: int | None, assurance: bool,
                           success: list[str] | None, seed: int | None, patients: int | None, workers: int,
                           chunk_size: int, resume: bool, dask: str | None = None) -> None:
    """``ovsim trial --replicates N``: run, write OUT whole, print the summary and the probability of success."""
    from ..io._results import atomic_output_dir
    from ..trial import run_replicates
    from ..trial._decision import parse_rule
    from ._app import fail

    if replicates is None:
        fail(f"{'--assurance' if assurance else '--success'}: expected --replicates N as well")
    if resume:
        fail("--resume: not available with --replicates (a replicated run restarts)")
    try:
        rule = parse_rule(success) if success else None
        with atomic_output_dir(path, kind="trial") as tmp:
            result = run_replicates(sc, replicates, seed=seed, patients=patients, workers=workers, dask=dask,
                                    chunk_size=chunk_size, assurance=assurance, progress=True, rule=rule)
            write_replicates(tmp, result)
    except ValueError as err:
        fail(str(err))
    print(key_summary(result).to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(success_line(result.success))
    print(f"wrote {folder}/replicates.parquet, replicates_summary.csv"
          f"{', success.json' if result.success else ''} and replicates.png "
          f"({result.run['wall_seconds']:.0f} s for {len(result.table)} replicates)")
