"""``tastemaker train``: run the training pipeline on the store and save a new model version."""

from __future__ import annotations

import click

from tastemaker.cf import ALGORITHMS
from tastemaker.cli._common import Context, cli, flag_hint, pass_ctx

ENGINES = ("local", "spark")
INDEX_CHOICES = ("auto", "voyager", "exact", "none")


def settings_from_flags(algorithm: str, *, index: str = "auto", place: bool = True, blend: bool = True,
                        engine: str = "local", master=None, events=None, num_threads=None, iterations=None,
                        **params):
    """:class:`~tastemaker.pipeline.TrainSettings` from the training flags (None: the default)."""
    from tastemaker.pipeline import TrainSettings

    given = {k: v for k, v in {**params, "iterations": iterations, "num_threads": num_threads}.items()
             if v is not None}
    return TrainSettings(algorithm=algorithm, params=given, place=place, blend=blend, index=index, engine=engine,
                         spark_master=master, events=events)


def training_options(fn):
    """The flags every command that trains takes (train, demo, pipeline)."""
    options = [
        click.option("--algorithm", type=click.Choice(ALGORITHMS), default="als", show_default=True),
        click.option("--factors", type=click.IntRange(1), help="Latent factors (ALS, SGD)."),
        click.option("--regularization", type=click.FloatRange(0), help="L2 strength (ALS, SGD)."),
        click.option("--alpha", type=click.FloatRange(0), help="Confidence scale (ALS, SGD)."),
        click.option("--epsilon", type=click.FloatRange(0, min_open=True), help="Confidence count scale (ALS, SGD)."),
        click.option("--iterations", type=click.IntRange(1), help="ALS sweeps."),
        click.option("--threads", "num_threads", type=click.IntRange(0), help="Threads (0: every core)."),
        click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
                     help="Train here, or implicit ALS on Spark MLlib (needs the spark extra)."),
        click.option("--master", help="Spark master URL (spark only) [default: local[2], or spark-submit's]."),
        click.option("--events", type=click.Path(file_okay=False),
                     help="Spark only: an events export on shared storage to train on instead of the store."),
        click.option("--index", "index", type=click.Choice(INDEX_CHOICES), default="auto", show_default=True,
                     help="Retrieval index saved with the model; auto: Voyager (HNSW) for catalogues of 50,000 "
                          "items or more, exact below."),
        click.option("--place/--no-place", "place", default=True, show_default=True,
                     help="Place items without plays from their tags and texts, audio CNN or audio features, so "
                          "that they are recommended and found similar like any other item."),
        click.option("--blend/--no-blend", "blend", default=True, show_default=True,
                     help="Learn the hybrid's weights (collaborative filtering, cultural vectors, audio) on a "
                          "validation split; --no-blend serves collaborative filtering alone."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def run_training(ctx: Context, settings, *, show_progress: bool = True):
    """Run the pipeline on the context's store and model directory, saying what each step did."""
    from tastemaker.errors import InputError
    from tastemaker.pipeline import TrainingPipeline

    try:  # flags that do not fit together: a usage error, before any work
        settings.check()
    except InputError as exc:
        raise click.UsageError(f"{exc}{flag_hint(exc.setting)}") from None
    if settings.engine == "spark":
        click.echo(f"training on Spark ({settings.spark_master or 'local[2]'})", err=True)

    def on_step(name: str, seconds: float, detail: dict) -> None:
        if name == "train":
            click.echo(f"trained {detail['model']} on {detail['interactions']:,} interactions "
                       f"({detail['users']:,} users x {detail['items']:,} items) in {seconds:.1f}s")
        elif name == "place" and detail:
            click.echo("placed items without plays: " + ", ".join(f"{n:,} by {s}" for s, n in detail.items() if n))
        elif name == "weigh" and detail.get("weights"):
            w = {k: v for k, v in detail["weights"].items() if k != "cf" and v}
            best = detail.get("best", {}).get("warm")
            click.echo("blend weights (chosen on a validation split): "
                       + (", ".join(f"{k} {v:g}" for k, v in w.items()) or "collaborative filtering alone")
                       + (f"; validation nDCG@10 {best['value']:.4f}" if best else "") + f" ({seconds:.1f}s)")
            for note in detail.get("notes", []):
                click.echo(f"note: {note}", err=True)
        elif name == "index":
            from tastemaker.retrieval import VOYAGER_MIN_ITEMS

            kind = detail.get("kind")
            if kind and kind != "none":
                why = (f" (under {VOYAGER_MIN_ITEMS:,} items: exact search is fast enough)"
                       if kind == "exact" and detail["items"] < VOYAGER_MIN_ITEMS else "")
                click.echo(f"built {kind} index over {detail['items']:,} items in {seconds:.1f}s{why}")

    result = TrainingPipeline(settings, on_step=on_step, show_progress=show_progress).run(
        ctx.db_path, ctx.model_root)
    bundle, meta = result.bundle, result.bundle.metadata
    click.echo(f"saved model {bundle.version} to {ctx.model_root} ({sum(result.seconds.values()):.1f}s in all)")
    for warning in meta.get("warnings", []):
        click.echo(f"warning: {warning['message']}{flag_hint(warning.get('setting'))}", err=True)
    return result


@cli.command("train")
@training_options
@pass_ctx
def train_cmd(ctx: Context, algorithm: str, **flags) -> None:
    """Train on every event in the store and save a new model version (atomically) to --model.

    The steps: read the store, train the collaborative model, compute the content signals, place
    items nobody has played, weigh the hybrid blend, build the retrieval index, save."""
    run_training(ctx, settings_from_flags(algorithm, **flags))
