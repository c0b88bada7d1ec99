"""``tastemaker ingest audio-features``, ``tastemaker ingest audio`` and ``tastemaker train-audio``."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, pass_ctx
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
