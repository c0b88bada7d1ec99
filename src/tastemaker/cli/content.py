"""``tastemaker ingest audio-features``, ``tastemaker ingest audio`` and ``tastemaker train-audio``.

Items with audio features but no plays are placed by ``tastemaker train`` itself; spectrograms
need a CNN fitted on the model's factors, which takes longer, so that is its own step,
``tastemaker train-audio`` (:func:`tastemaker.pipeline.train_audio_model`). Once fitted, every
``tastemaker train`` applies the CNN again, so its placements survive retraining.
"""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx
from tastemaker.cli.ingest import ingest
from tastemaker.cli.train import INDEX_CHOICES


@ingest.command("audio-features")
@click.argument("file", type=click.Path())
@click.option("--new-artists", is_flag=True,
              help="Create the artists no item matches (fresh artists without plays, placed by `train`).")
@pass_ctx
def ingest_audio_features_cmd(ctx: Context, file: str, new_artists: bool) -> None:
    """Tabular audio features per artist (a CSV like Kaggle's Spotify data_by_artist.csv), joined
    to the store's items by normalised name."""
    from tastemaker.content import ingest_audio_features

    with ctx.store() as store:
        result = ingest_audio_features(store, file, new_artists=new_artists)
    if result.skipped_duplicate:
        click.echo(f"{result.path}: already ingested (features for {result.rows:,} items), nothing written")
        return
    counts = result.counts
    new = f" ({counts['new_items']:,} new artists)" if counts["new_items"] else ""
    click.echo(f"{result.path}: audio features for {counts['audio_features']:,} items{new}; "
               f"{counts['unmatched']:,} rows match no item by name")


@ingest.command("audio")
@click.argument("path", type=click.Path())
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="CSV with columns path,item_id[,name] (default: manifest.csv in the folder, if any; "
                   "otherwise files are matched by name: an item id, else an item name).")
@click.option("--kind", type=click.Choice(["track", "artist"]), default="track", show_default=True,
              help="Kind of the items created for files that match no item.")
@click.option("--skip-bad", is_flag=True, help="Report damaged or too-short files and go on without them.")
@pass_ctx
def ingest_audio_cmd(ctx: Context, path: str, manifest: str | None, kind: str, skip_bad: bool) -> None:
    """Audio files (wav, mp3, flac, ogg) in PATH into log-mel spectrograms (128 mel bands, the
    middle 30 s), stored next to the store and indexed in it."""
    from tastemaker.content import ingest_audio

    with ctx.store() as store:
        result = ingest_audio(store, path, manifest=manifest, kind=kind, skip_bad=skip_bad)
    click.echo(f"{result.path}: {result.files:,} audio files: {result.added:,} new spectrograms, "
               f"{result.replaced:,} replaced, {result.unchanged:,} unchanged; {result.new_items:,} new items "
               f"(no listeners yet)")
    for bad, reason in result.bad:
        click.echo(f"  skipped {bad}: {reason}")
    click.echo(f"spectrograms in {result.directory}")


@cli.command("train-audio")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True, help="CNN training epochs.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the CNN.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, help="PyTorch CPU threads.")
@click.option("--index", "index", type=click.Choice(INDEX_CHOICES), default="auto", show_default=True,
              help="Retrieval index of the new model version (as `tastemaker train`).")
@pass_ctx
def train_audio_cmd(ctx: Context, epochs: int, seed: int, threads: int, index: str) -> None:
    """Learn the current model's item factors from spectrograms (`ingest audio`) with a CNN, add the
    songs that have audio but no listeners to a new model version, so they are recommended like any
    other song, and keep the CNN (models/audio.npz): every `tastemaker train` places them again."""
    from tastemaker.content import AudioRegressor
    from tastemaker.pipeline import train_audio_model

    result = train_audio_model(ctx.db_path, ctx.model_root,
                               AudioRegressor(epochs=epochs, random_state=seed, num_threads=threads),
                               index=index, show_progress=True)
    bundle, loss = result.bundle, result.cnn.validation_loss_
    click.echo(f"learned from {result.trained_on:,} songs with listeners (CNN"
               + (f", validation loss {loss:.3f}" if loss is not None else "") + f") in {result.seconds['fit']:.1f}s")
    shown = ", ".join(bundle.name(bundle.items.index(i)) for i in result.placed[:5])
    shown += ", ..." if len(result.placed) > 5 else ""
    click.echo(f"placed {len(result.placed):,} songs without listeners by their sound"
               + (f" ({shown})" if result.placed else "") + f" in {result.seconds['place']:.1f}s")
    if result.index_kind != "none":
        click.echo(f"built {result.index_kind} index over {len(bundle.items):,} items "
                   f"in {result.seconds['index']:.1f}s")
    click.echo(f"saved model {bundle.version} to {ctx.model_root}, the audio CNN to {result.audio_path} "
               "(`tastemaker train` applies it again)")
