"""``tastemaker index``: rebuild (or check) the retrieval index of the current model."""

from __future__ import annotations

import time

import click

from tastemaker.cli._common import Context, cli, pass_ctx
from tastemaker.cli.train import INDEX_CHOICES


@cli.command("index")
@click.option("--kind", type=click.Choice(INDEX_CHOICES), default="auto", show_default=True,
              help="auto: Voyager (HNSW) for catalogues of 50,000 items or more, exact below.")
@click.option("--space", type=click.Choice(["ip", "euclidean", "cosine"]),
              help="Voyager: inner-product space, or the MIPS reduction searched by Euclidean/cosine distance.")
@click.option("--M", "M", type=click.IntRange(2, 256), help="Voyager: graph degree.")
@click.option("--ef-construction", type=click.IntRange(1), help="Voyager: build-time search depth.")
@click.option("--ef", type=click.IntRange(1), help="Voyager: query-time search depth.")
@click.option("--check", is_flag=True, help="Only say which index the current model serves from.")
@pass_ctx
def index_cmd(ctx: Context, kind: str, check: bool, **params) -> None:
    """Build the retrieval index of the current model and save it as a new model version."""
    params = {k: v for k, v in params.items() if v is not None}
    if params and kind not in ("voyager", "auto"):
        raise click.UsageError(f"{', '.join('--' + k.replace('_', '-') for k in params)} are for Voyager indexes")
    if check:
        bundle = ctx.bundle(index=True)
        if bundle.index is None:
            click.echo(f"model {bundle.version} has no index: search is exact (build one with `tastemaker index`)")
        else:
            click.echo(f"{bundle.index.kind} index of model {bundle.version} ({bundle.index.n_items:,} items, "
                       f"{bundle.index.recommend.dim} dimensions) loads and matches it")
        return
    bundle = ctx.bundle(index=False)
    started = time.perf_counter()
    built = bundle.build_index(kind, **params)
    seconds = time.perf_counter() - started
    bundle.save(ctx.model_root)
    if built == "none":
        click.echo(f"saved model {bundle.version} without an index (search is exact)")
        return
    settings = ", ".join(f"{k}={v}" for k, v in bundle.index.recommend.params().items() if k != "metric")
    click.echo(f"built {built} index{' (' + settings + ')' if settings else ''} over {len(bundle.items):,} items "
               f"in {seconds:.1f}s; saved model {bundle.version} to {ctx.model_root}")
