"""``tastemaker batch-recommend``: top-N for every user, written as Parquet, on Spark."""

from __future__ import annotations

import time

import click

from tastemaker.cli._common import Context, cli, pass_ctx


@cli.command("batch-recommend")
@click.option("--engine", type=click.Choice(["spark"]), default="spark", show_default=True,
              help="Where to score (Spark: needs the spark extra).")
@click.option("-n", "n", type=click.IntRange(1), default=30, show_default=True, help="Items per user.")
@click.option("--output", "-o", required=True, type=click.Path(),
              help="Parquet directory to write (user_id, rank, item_id, score); replaced if present.")
@click.option("--master", help="Spark master URL [default: local[2], or spark-submit's].")
@click.option("--work-dir", type=click.Path(file_okay=False),
              help="Shared storage to stage user factors on (clusters); default: a temporary directory.")
@pass_ctx
def batch_recommend_cmd(ctx: Context, engine: str, n: int, output: str, master, work_dir) -> None:
    """Recommend n unplayed items to every user of the model in one Spark job."""
    from tastemaker.spark import batch_recommend, default_master, spark_session

    rec = ctx.recommender()
    if not hasattr(rec.model, "item_factors_"):
        raise click.ClickException(f"batch-recommend needs a factor model; {ctx.model_path} holds a "
                                   f"{type(rec.model).__name__}")
    spark = spark_session(master or default_master())
    started = time.perf_counter()
    rows = batch_recommend(spark, rec, output, n=n, work_dir=work_dir)
    click.echo(f"wrote {rows:,} recommendations for {len(rec.users):,} users to {output} "
               f"in {time.perf_counter() - started:.1f}s")
