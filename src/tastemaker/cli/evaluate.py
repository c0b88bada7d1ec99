"""``tastemaker evaluate``: offline comparison of models on a held-out split, with a report."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cli._common import Context, cli, pass_ctx
from tastemaker.cli.train import ALGORITHMS, make_model

#: the hyper-parameter grid ``--search`` tries for ALS on a validation split
SEARCH_GRID = {"factors": [64, 128, 256], "regularization": [3.0, 10.0, 30.0], "alpha": [1.0, 2.0],
               "epsilon": [3.0, 10.0]}
EASE_MAX_ITEMS = 30_000


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def run_evaluation(interactions, algorithms, ks=(5, 10, 20), test_fraction=0.2, min_items=5, seed=0,
                   search=False, out=None, title="Model comparison"):
    """Hold out ``test_fraction`` of each user's items, fit every model, compare, write a report."""
    from tastemaker.evaluation import compare, grid_search, random_holdout, write_report

    train, test = random_holdout(interactions.user_items, test_fraction=test_fraction, min_items=min_items,
                                 random_state=seed)
    models = {}
    for name in algorithms:
        if name == "ease" and min(train.shape) > EASE_MAX_ITEMS:
            click.echo(f"skipping EASE: {train.shape[1]:,} items is too many for its dense solve", err=True)
            continue
        models[name] = make_model(name)
    if search:
        sub_train, validation = random_holdout(train, test_fraction=test_fraction, min_items=min_items,
                                               random_state=seed + 1)
        click.echo(f"searching {len(list(_grid_points(SEARCH_GRID)))} ALS settings on a validation split ...",
                   err=True)
        result = grid_search(lambda **p: make_model("als", **p), SEARCH_GRID, sub_train, validation)
        click.echo(f"best on validation: {result.best_params} (ndcg@10 {result.best_score:.4f})", err=True)
        models["als (tuned)"] = make_model("als", **result.best_params)
    table = compare(models, train, test, ks=ks)
    report = write_report(table, out, title=title) if out else None
    return table, report


def _grid_points(grid):
    import itertools

    return itertools.product(*grid.values())


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
    table, report = run_evaluation(data, algorithms, cutoffs, test_fraction, min_items, seed, search, Path(out))
    click.echo(table.to_markdown())
    click.echo(f"\nreport: {report}")
