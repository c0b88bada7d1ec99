"""``tastemaker terms`` and ``tastemaker ingest texts``: cultural vectors from tags and free text."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table
from tastemaker.cli.ingest import ingest


@ingest.command("texts")
@click.argument("path", type=click.Path())
@click.option("--new-artists", is_flag=True, help="Create the artists no item matches (fresh artists, no plays).")
@pass_ctx
def ingest_texts_cmd(ctx: Context, path: str, new_artists: bool) -> None:
    """Free text about artists (reviews, biographies): a .csv or .jsonl with columns text and
    item_id or artist (optional title, source), or a folder of <artist name>.txt files."""
    from tastemaker.text import ingest_texts

    with ctx.store() as store:
        result = ingest_texts(store, path, new_artists=new_artists)
    if result.skipped_duplicate:
        click.echo(f"{result.path}: already ingested ({result.rows:,} texts), nothing written")
        return
    new = result.counts.get("items", 0)
    click.echo(f"{result.path}: ingested {result.rows:,} texts" + (f", {new:,} new artists" if new else ""))


def cultural_vectors(ctx: Context):
    """The store's cultural vectors (tags and texts, TF-IDF), computed on the fly."""
    from tastemaker.text import CulturalVectors

    with ctx.store(read_only=True) as store:
        cv = CulturalVectors().fit_store(store)
    if not len(cv.items_):
        raise click.ClickException("the store holds no tags or texts: ingest some first, e.g. "
                                   "`tastemaker ingest hetrec` or `tastemaker ingest texts FILE`")
    return cv


@cli.command("terms")
@click.argument("artist")
@click.option("-n", "--n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@pass_ctx
def terms_cmd(ctx: Context, artist: str, n: int) -> None:
    """The descriptors that set ARTIST (an item id or a name) apart, with their TF-IDF weights."""
    cv = cultural_vectors(ctx)
    row = cv.resolve(artist)
    top = cv.top_terms(row, n)
    click.echo(f"{cv.names_[row]}: {', '.join(t for t, _ in top)}")
    click.echo(table([[str(i + 1), t, f"{w:.3f}"] for i, (t, w) in enumerate(top)], ["#", "descriptor", "weight"]))
