"""``tastemaker ingest``: load listening data into the store."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx


@cli.group()
def ingest() -> None:
    """Load data into the event store (one transaction per file; the same file twice is a no-op)."""


def _report(result) -> None:
    if result.skipped_duplicate:
        what = "tags given" if result.kind == "tags" else "events"
        click.echo(f"{result.path}: already ingested ({result.rows:,} {what}), nothing written")
        return
    counts = ", ".join(f"{v:,} {k}" for k, v in result.counts.items() if v)
    click.echo(f"{result.path}: ingested {counts or 'nothing'}")


@ingest.command("hetrec")
@click.argument("path", required=False, type=click.Path(exists=True))
@pass_ctx
def ingest_hetrec_cmd(ctx: Context, path: str | None) -> None:
    """Last.fm HetRec 2011 (plays, artists, tags, friends) from PATH, a known copy, or a download."""
    from tastemaker.data import ingest_hetrec

    with ctx.store() as store:
        _report(ingest_hetrec(store, path))


@ingest.command("events")
@click.argument("file", type=click.Path())
@pass_ctx
def ingest_events_cmd(ctx: Context, file: str) -> None:
    """An event log: CSV, Parquet or JSON Lines (columns user_id, item_id, event, count,
    timestamp, ...) or a Last.fm-1K TSV listening log."""
    from tastemaker.data import ingest_events

    with ctx.store() as store:
        _report(ingest_events(store, file))


@ingest.command("tags")
@click.argument("file", type=click.Path())
@pass_ctx
def ingest_tags_cmd(ctx: Context, file: str) -> None:
    """Tags people gave items: CSV, Parquet or JSON Lines with columns item_id, tag and optionally
    user_id, timestamp. Items not in the store are created as artists."""
    from tastemaker.data import ingest_tags

    with ctx.store() as store:
        _report(ingest_tags(store, file))
