"""``tastemaker ingest audio-features``, ``tastemaker ingest audio`` and ``tastemaker train-audio``."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx
from tastemaker.cli.ingest import ingest


@ingest.command("audio-features")
@click.argument("file", type=click.Path())
@pass_ctx
def ingest_audio_features_cmd(ctx: Context, file: str) -> None:
    """Tabular audio features per artist (a CSV like Kaggle's Spotify data_by_artist.csv), joined
    to the store's items by normalised name."""
    from tastemaker.content import ingest_audio_features

    with ctx.store() as store:
        result = ingest_audio_features(store, file)
    if result.skipped_duplicate:
        click.echo(f"{result.path}: already ingested (features for {result.rows:,} items), nothing written")
        return
    counts = result.counts
    click.echo(f"{result.path}: audio features for {counts['matched']:,} items; "
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
@click.option("--from", "source", type=click.Choice(["spectrograms", "features"]), default="spectrograms",
              show_default=True, help="Learn from spectrograms (`ingest audio`, a CNN) or from tabular audio "
                                      "features (`ingest audio-features`, nearest neighbours).")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True, help="CNN training epochs.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the CNN.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, help="PyTorch CPU threads.")
@click.option("--neighbors", type=click.IntRange(min=1), default=50, show_default=True,
              help="Neighbours averaged from audio features.")
@pass_ctx
def train_audio_cmd(ctx: Context, source: str, epochs: int, seed: int, threads: int, neighbors: int) -> None:
    """Learn the trained model's item factors from audio, then add the items that have audio but no
    listeners to the model (it is saved in place), so they get recommended like any other item."""
    from tastemaker.content import FeatureRegressor, place_from_audio, place_from_features

    rec = ctx.recommender()
    with ctx.store(read_only=True) as store:
        if source == "features":
            placement = place_from_features(store, rec, FeatureRegressor(n_neighbors=neighbors))
            detail = f"{placement.model!r}"
        else:
            from tastemaker.content import AudioRegressor

            placement = place_from_audio(store, rec, AudioRegressor(epochs=epochs, random_state=seed,
                                                                    num_threads=threads), show_progress=True)
            loss = placement.model.validation_loss_
            detail = "CNN" + (f", validation loss {loss:.3f}" if loss is not None else "")
    click.echo(f"learned from {placement.trained_on:,} items with listeners ({detail}) in {placement.seconds:.1f}s")
    rec.save(ctx.model_path)
    if source == "spectrograms":
        audio_path = ctx.model_path.with_name(ctx.model_path.stem + ".audio.npz")
        placement.model.save(audio_path, model_version=rec.version)
        click.echo(f"saved the audio model to {audio_path}")
    shown = ", ".join(rec.name(rec.items.index(i)) for i in placement.placed[:5])
    click.echo(f"placed {len(placement.placed):,} items without listeners ({placement.signal})"
               + (f": {shown}{', ...' if len(placement.placed) > 5 else ''}" if shown else "")
               + f"; saved model {rec.version} to {ctx.model_path}")
