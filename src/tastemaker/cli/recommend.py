"""``tastemaker recommend``, ``similar`` and ``explain``: names, not row numbers."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table


def format_because(because) -> str:
    return ", ".join(f"{name} ({share:.0%})" for _, name, share in because)


@cli.command("recommend")
@click.argument("user")
@click.option("-n", "--n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--explain/--no-explain", default=True, show_default=True,
              help="Show which of the user's artists each recommendation comes from.")
@pass_ctx
def recommend_cmd(ctx: Context, user: str, n: int, explain: bool) -> None:
    """Top-N items USER has never played (USER is the store's user id)."""
    rec = ctx.recommender()
    recs = rec.recommend(user, n=n, explain=explain)
    why = _placed_reasons(ctx, rec, user, recs) if explain else {}
    rows = [[str(i + 1), r.name, f"{r.score:.3f}"]
            + ([why.get(r.item_id) or format_because(r.because)] if explain else [])
            for i, r in enumerate(recs)]
    headers = ["#", "item", "score"] + (["because you listened to"] if explain else [])
    click.echo(f"recommendations for user {user} (model {rec.version}):")
    click.echo(table(rows, headers))


def _placed_reasons(ctx: Context, rec, user: str, recs) -> dict[str, str]:
    """For items placed without plays: "tagged like Y" or "sounds like X", naming the signal."""
    from tastemaker.content import cold_items

    placed = {i for ids in cold_items(rec).values() for i in ids}
    wanted = [r.item_id for r in recs if r.item_id in placed]
    if not wanted or not ctx.db_path.exists():
        return {}
    from tastemaker.content import load_audio_features
    from tastemaker.hybrid import explain_signal
    from tastemaker.text import CulturalVectors

    with ctx.store(read_only=True) as store:
        cv = CulturalVectors().fit_store(store)
        cols, X = load_audio_features(store, rec.items)
    out = {}
    for item_id in wanted:
        signal, text = explain_signal(rec, user, item_id, cultural=cv, audio=(rec.items, cols, X))
        out[item_id] = f"{text} ({signal}: nobody has played it yet)"
    return out


@cli.command("similar")
@click.argument("item")
@click.option("-n", "--n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--by", type=click.Choice(["collaborative", "culture"]), default="collaborative", show_default=True,
              help="Who listens to both (the model), or what people say about them (tags and texts).")
@pass_ctx
def similar_cmd(ctx: Context, item: str, n: int, by: str) -> None:
    """Items most similar to ITEM (an item id or a name)."""
    if by == "culture":
        from tastemaker.cli.text import cultural_vectors

        cv = cultural_vectors(ctx)
        row = cv.resolve(item)
        hits = cv.similar(row, n)
        click.echo(f"culturally similar to {cv.names_[row]} (tags and texts):")
        rows = [[str(i + 1), str(cv.names_[r]), f"{s:.3f}", ", ".join(t for t, _ in _shared_terms(cv, row, r))]
                for i, (r, s) in enumerate(hits)]
        click.echo(table(rows, ["#", "item", "cosine", "shared descriptors"]))
        return
    rec = ctx.recommender()
    col = rec.resolve_item(item)
    rows = [[str(i + 1), name, f"{score:.3f}"] for i, (_, name, score) in enumerate(rec.similar(item, n))]
    click.echo(f"similar to {rec.name(col)}:")
    click.echo(table(rows, ["#", "item", "cosine"]))


@cli.command("explain")
@click.argument("user")
@click.argument("item")
@click.option("-n", "--n", "n", type=click.IntRange(1, 100), default=10, show_default=True)
@pass_ctx
def explain_cmd(ctx: Context, user: str, item: str, n: int) -> None:
    """Which of USER's items make ITEM score as it does (Hu et al., section 5)."""
    rec = ctx.recommender()
    exp = rec.explain(user, item, n)
    click.echo(f"{exp.name} scores {exp.score:.3f} for user {user}; the items it comes from:")
    rows = [[name, f"{share:.1%}"] for _, name, share in exp.contributions]
    click.echo(table(rows, ["listened item", "share of score"]))


def _shared_terms(cv, a: int, b: int, n: int = 3):
    """The descriptors contributing most to the cosine of rows ``a`` and ``b``."""
    both = cv.weights_[a].multiply(cv.weights_[b]).tocoo()
    order = sorted(range(both.nnz), key=lambda j: (-both.data[j], cv.terms_[both.col[j]]))[:n]
    return [(str(cv.terms_[both.col[j]]), float(both.data[j])) for j in order]
