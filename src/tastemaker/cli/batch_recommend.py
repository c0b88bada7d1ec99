"""``tastemaker batch-recommend``: top-N for every listener, written as Parquet, on Spark."""

from __future__ import annotations

import time

import click

from tastemaker.cli._common import Context, cli, pass_ctx


@cli.command("batch-recommend")
@click.option("--engine", type=click.Choice(["spark"]), default="spark", show_default=True,
              help="Where to score (Spark: needs the spark extra).")
@click.option("-n", "n", type=click.IntRange(1), default=30, show_default=True, help="Items per listener.")
@click.option("--blend", type=click.Choice(["hybrid", "cf"]), default="hybrid", show_default=True,
              help="The learned blend of collaborative filtering, cultural vectors and audio, or collaborative "
                   "filtering alone.")
@click.option("--output", "-o", required=True, type=click.Path(),
              help="Parquet directory to write (user_id, rank, item_id, score); replaced if present.")
@click.option("--master", help="Spark master URL [default: local[2], or spark-submit's].")
@click.option("--work-dir", type=click.Path(file_okay=False),
              help="Shared storage to stage the listeners on (clusters); default: a temporary directory.")
@pass_ctx
def batch_recommend_cmd(ctx: Context, engine: str, n: int, blend: str, output: str, master, work_dir) -> None:
    """Recommend n unplayed items to every listener of the model in one Spark job (the same items as
    `tastemaker recommend`, searched exactly)."""
    from tastemaker.spark import batch_recommend, default_master, spark_session

    bundle = ctx.bundle(index=False)
    spark = spark_session(master or default_master())
    started = time.perf_counter()
    rows = batch_recommend(spark, bundle, output, n=n, blend=blend, work_dir=work_dir)
    click.echo(f"wrote {rows:,} recommendations ({blend}) for {len(bundle.users):,} listeners to {output} "
               f"in {time.perf_counter() - started:.1f}s (model {bundle.version})")
