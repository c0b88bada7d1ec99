"""``tastemaker train``: fit a model on the store and save it next to it."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx

ALGORITHMS = ("als", "sgd", "ease", "itemknn", "popularity")
ENGINES = ("local", "spark")


def make_model(algorithm: str, **params):
    """A model by its command-line name, with the given (non-None) hyper-parameters."""
    from tastemaker import cf

    params = {k: v for k, v in params.items() if v is not None}
    if algorithm == "als":
        return cf.ImplicitALS(random_state=0, **params)
    if algorithm == "sgd":
        return cf.SGDMatrixFactorization(random_state=0, **params)
    if params:
        raise click.UsageError(f"{algorithm} takes none of the ALS options ({', '.join(params)})")
    return {"ease": cf.EASE, "itemknn": cf.ItemKNN, "popularity": cf.Popularity}[algorithm]()


@cli.command("train")
@click.option("--algorithm", type=click.Choice(ALGORITHMS), default="als", show_default=True)
@click.option("--factors", type=click.IntRange(1), help="Latent factors (ALS, SGD).")
@click.option("--regularization", type=click.FloatRange(0), help="L2 strength (ALS, SGD).")
@click.option("--alpha", type=click.FloatRange(0), help="Confidence scale (ALS, SGD).")
@click.option("--epsilon", type=click.FloatRange(0, min_open=True), help="Confidence count scale (ALS, SGD).")
@click.option("--iterations", type=click.IntRange(1), help="ALS sweeps.")
@click.option("--threads", "num_threads", type=click.IntRange(0), help="Threads (0: every core).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Train here, or implicit ALS on Spark MLlib (needs the spark extra).")
@click.option("--master", help="Spark master URL (spark only) [default: local[2], or spark-submit's].")
@click.option("--events", type=click.Path(file_okay=False),
              help="Spark only: an events export on shared storage to train on instead of the store.")
@click.option("--index", "index", type=click.Choice(["auto", "voyager", "exact", "none"]), default="auto",
              show_default=True, help="Retrieval index saved next to the model; auto: Voyager (HNSW) for "
              "catalogues of 50,000 items or more, exact below.")
@click.option("--place/--no-place", "place", default=True, show_default=True,
              help="Place items without plays from their tags and texts (or audio features), so that they "
                   "are recommended and found similar like any other item.")
@pass_ctx
def train_cmd(ctx: Context, algorithm: str, num_threads, iterations, engine: str, master, events, index: str,
              place: bool, **params) -> None:
    """Train on every event in the store and save the model (atomically) to --model."""
    from tastemaker.recommender import train

    if index in ("voyager", "exact") and algorithm not in ("als", "sgd"):
        raise click.UsageError(f"--index {index} needs a factor model (als or sgd), not {algorithm}; use --index none")
    if engine == "spark":
        if algorithm != "als":
            raise click.UsageError("--engine spark trains ALS only")
        if num_threads is not None:
            raise click.UsageError("--threads is for the local engine; Spark's parallelism comes from --master")
        rec = _train_spark(ctx, master, events, iterations=iterations, **params)
        _report(ctx, rec, index)
        return
    if master is not None or events is not None:
        raise click.UsageError("--master and --events need --engine spark")
    if iterations is not None:
        if algorithm != "als":
            raise click.UsageError("--iterations is for ALS; SGD has epochs")
        params["iterations"] = iterations
    if num_threads is not None:
        params["num_threads"] = num_threads
    model = make_model(algorithm, **params)
    from tastemaker.data import load_interactions

    # hold the store (a shared lock) only while reading it: a running `tastemaker serve` can
    # write live events while the model trains
    with ctx.store(read_only=True) as store:
        data = load_interactions(store)
    rec = train(store, model, interactions=data)
    if place and hasattr(rec.model, "item_factors_"):
        from tastemaker.hybrid import place_cold_items

        with ctx.store(read_only=True) as store:
            placed = place_cold_items(store, rec)
        if any(placed.values()):
            click.echo("placed items without plays: " + ", ".join(f"{n:,} by {s}" for s, n in placed.items() if n))
    _report(ctx, rec, index)


def _train_spark(ctx: Context, master, events, **params):
    from tastemaker.spark import SparkALS, default_master, spark_session, train_spark

    trainer = SparkALS(**{k: v for k, v in params.items() if v is not None})
    spark = spark_session(master or default_master())
    click.echo(f"training on Spark ({spark.sparkContext.master})", err=True)
    if events is not None:
        return train_spark(events, trainer, spark)
    with ctx.store(read_only=True) as store:
        return train_spark(store, trainer, spark)


def _report(ctx: Context, rec, index: str = "auto") -> None:
    from tastemaker.cli.index import build_and_save

    rec.save(ctx.model_path)
    meta = rec.metadata
    click.echo(f"trained {type(rec.model).__name__} on {meta['interactions']:,} interactions "
               f"({meta['users']:,} users x {meta['items']:,} items) in {meta['train_seconds']:.1f}s")
    click.echo(f"saved model {rec.version} to {ctx.model_path}")
    build_and_save(ctx, rec, index)
    for warning in meta.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
