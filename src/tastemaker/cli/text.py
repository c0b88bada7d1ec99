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


@cli.command("terms")
@click.argument("artist", required=False)
@click.option("-n", "--n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--user", help="Instead of an artist: USER's cultural profile (the play-weighted descriptors of the "
                             "artists they play) and the artists nobody has played yet that fit it best.")
@pass_ctx
def terms_cmd(ctx: Context, artist: str | None, n: int, user: str | None) -> None:
    """The descriptors that set ARTIST (an item id or a name) apart, with their TF-IDF weights.

    They come from the cultural vectors saved with the model (`tastemaker train` computes them
    from the store's tags and texts)."""
    if (artist is None) == (user is None):
        raise click.UsageError("give an ARTIST or --user USER")
    bundle = ctx.bundle(index=False)
    cv = bundle.require_culture()
    if user is not None:
        _user_profile(bundle, cv, user, n)
        return
    row = cv.resolve(artist)
    top = cv.top_terms(row, n)
    click.echo(f"{cv.names_[row]}: {', '.join(t for t, _ in top)}")
    click.echo(table([[str(i + 1), t, f"{w:.3f}"] for i, (t, w) in enumerate(top)], ["#", "descriptor", "weight"]))


def _user_profile(bundle, cv, user: str, n: int) -> None:
    import numpy as np

    history = bundle.history[bundle.users.index(user)]
    positive = history.data > 0
    if not positive.any():
        raise click.ClickException(f"user {user!r} has no plays in the model")
    ids = bundle.items.ids[history.indices[positive]].tolist()
    table_ = cv.items_._table()
    mine = [(table_[i], float(c)) for i, c in zip(ids, history.data[positive].tolist()) if i in table_]
    if not mine:
        raise click.ClickException(f"none of the artists user {user!r} plays has tags or texts")
    profile = cv.profile([r for r, _ in mine], [c for _, c in mine])
    order = np.argsort(-profile.data, kind="stable")[:n]
    top = [(str(cv.terms_[profile.indices[j]]), float(profile.data[j])) for j in order]
    click.echo(f"user {user} ({len(mine)} described artists, play-weighted): {', '.join(t for t, _ in top)}")
    played = bundle.listeners > 0
    cols = bundle.items._table()
    fresh = np.flatnonzero([i not in cols or not played[cols[i]] for i in cv.items_.ids.tolist()])
    if len(fresh):
        hits = cv.rank(profile, n, candidates=fresh)
        click.echo("artists nobody has played yet, nearest to this profile:")
        click.echo(table([[str(k + 1), str(cv.names_[r]), f"{s:.3f}"] for k, (r, s) in enumerate(hits)],
                         ["#", "item", "cosine"]))
