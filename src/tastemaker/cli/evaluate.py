"""``tastemaker evaluate``: offline comparison of models on a held-out split, with a report."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cf import ALGORITHMS
from tastemaker.cli._common import Context, cli, pass_ctx


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@cli.command("evaluate")
@click.option("--models", default="als,sgd,ease,itemknn,popularity", show_default=True,
              help=f"Comma-separated, from: {', '.join(ALGORITHMS)}.")
@click.option("--k", "ks", default="5,10,20", show_default=True, help="Comma-separated cut-offs.")
@click.option("--test-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.2,
              show_default=True, help="Share of each user's items held out.")
@click.option("--min-items", type=click.IntRange(2), default=5, show_default=True,
              help="Users with fewer items are kept for training only.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--search", is_flag=True, help="Also tune ALS on a validation split and evaluate the best.")
@click.option("--out", type=click.Path(file_okay=False), default="reports/evaluation", show_default=True,
              help="Folder for report.md and the plots.")
@pass_ctx
def evaluate_cmd(ctx: Context, models: str, ks: str, test_fraction: float, min_items: int, seed: int,
                 search: bool, out: str) -> None:
    """Compare models on a per-user random holdout (full ranking, played items filtered)."""
    from tastemaker.data import load_interactions
    from tastemaker.evaluation import holdout_comparison

    algorithms = _split(models)
    unknown = sorted(set(algorithms) - set(ALGORITHMS))
    if unknown or not algorithms:
        raise click.BadParameter(f"unknown model(s) {', '.join(unknown) or '(none)'}; choose from "
                                 f"{', '.join(ALGORITHMS)}", param_hint="--models")
    try:
        cutoffs = tuple(sorted({int(k) for k in _split(ks)}))
    except ValueError:
        raise click.BadParameter(f"{ks!r} is not a comma-separated list of integers", param_hint="--k") from None
    if not cutoffs or min(cutoffs) < 1:
        raise click.BadParameter("cut-offs must be positive integers", param_hint="--k")
    with ctx.store(read_only=True) as store:
        data = load_interactions(store)
    table, report, notes = holdout_comparison(data.user_items, algorithms, cutoffs, test_fraction, min_items, seed,
                                              search, Path(out))
    for note in notes:
        click.echo(note, err=True)
    click.echo(table.to_markdown())
    click.echo(f"\nreport: {report}")
