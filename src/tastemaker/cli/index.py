"""``tastemaker index``: build (or check) the retrieval index saved next to the model."""

from __future__ import annotations

import time

import click

from tastemaker.cli._common import Context, cli, pass_ctx

INDEX_CHOICES = ("auto", "voyager", "exact", "none")


def build_and_save(ctx: Context, rec, kind: str, **params) -> None:
    """Build the index ``kind`` (auto: Voyager for large catalogues) for ``rec``, save it next
    to the model (or remove a stale one for ``none``) and say what happened."""
    from tastemaker.retrieval import VOYAGER_MIN_ITEMS, auto_kind

    factor_model = hasattr(rec.model, "item_factors_")
    if kind == "auto":
        kind = auto_kind(len(rec.items)) if factor_model else "none"
    elif kind != "none" and not factor_model:
        raise click.UsageError(f"--index {kind} needs a factor model (als or sgd), not "
                               f"{type(rec.model).__name__}; use --index none")
    if params and kind != "voyager":
        raise click.UsageError(f"{', '.join('--' + k.replace('_', '-') for k in params)} are for Voyager indexes")
    if kind == "none":
        rec.index = None
        rec.save_index(ctx.model_path)
        return
    started = time.perf_counter()
    rec.build_index(kind, **params)
    path = rec.save_index(ctx.model_path)
    settings = ", ".join(f"{k}={v}" for k, v in rec.index.recommend.params().items() if k != "metric")
    why = ""
    if kind == "exact" and factor_model and len(rec.items) < VOYAGER_MIN_ITEMS:
        why = f" (under {VOYAGER_MIN_ITEMS:,} items: exact search is fast enough)"
    click.echo(f"built {kind} index{' (' + settings + ')' if settings else ''} over {len(rec.items):,} items "
               f"in {time.perf_counter() - started:.1f}s{why}; saved to {path}")


@cli.command("index")
@click.option("--kind", type=click.Choice(INDEX_CHOICES), default="auto", show_default=True,
              help="auto: Voyager (HNSW) for catalogues of 50,000 items or more, exact below.")
@click.option("--space", type=click.Choice(["ip", "euclidean", "cosine"]),
              help="Voyager: inner-product space, or the MIPS reduction searched by Euclidean/cosine distance.")
@click.option("--M", "M", type=click.IntRange(2, 256), help="Voyager: graph degree.")
@click.option("--ef-construction", type=click.IntRange(1), help="Voyager: build-time search depth.")
@click.option("--ef", type=click.IntRange(1), help="Voyager: query-time search depth.")
@click.option("--check", is_flag=True, help="Only say whether the saved index matches the model.")
@pass_ctx
def index_cmd(ctx: Context, kind: str, check: bool, **params) -> None:
    """Build the retrieval index for the model and save it next to it (rebuilds a stale one)."""
    from tastemaker.recommender import Recommender
    from tastemaker.retrieval import Retrieval, index_path

    if not ctx.model_path.exists():
        raise click.ClickException(f"no model at {ctx.model_path}: run `tastemaker train` first")
    rec = Recommender.load(ctx.model_path, index=False)
    if check:
        path = index_path(ctx.model_path)
        if not path.exists():
            click.echo(f"no index at {path}: search is exact (build one with `tastemaker index`)")
            return
        if not hasattr(rec.model, "item_factors_"):
            raise click.ClickException(f"{path} cannot belong to a {type(rec.model).__name__} model")
        index = Retrieval.load(path, rec.model.item_factors_, rec.version)  # raises when stale
        click.echo(f"{index.kind} index at {path} matches model {rec.version} ({index.n_items:,} items)")
        return
    build_and_save(ctx, rec, kind, **{k: v for k, v in params.items() if v is not None})
