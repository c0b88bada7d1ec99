"""``tastemaker recommend``, ``similar`` and ``explain``: names, not row numbers."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table


def format_because(because) -> str:
    return ", ".join(f"{name} ({share:.0%})" for _, name, share in because)


def format_signals(signals: dict) -> str:
    """The signals that carried a score, largest first, as shares of its positive parts."""
    positive = {k: v for k, v in signals.items() if v > 0}
    total = sum(positive.values())
    if not total:
        return ""
    shares = sorted(((v / total, k) for k, v in positive.items()), reverse=True)
    return " ".join(f"{k} {s:.0%}" for s, k in shares if s >= 0.05)


def why(rec) -> str:
    """The one line a person reads: the listened items behind it, or the signal that placed it."""
    if rec.because and not rec.placed_by:
        return format_because(rec.because)
    return rec.reason


@cli.command("recommend")
@click.argument("user")
@click.option("-n", "--n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--explain/--no-explain", default=True, show_default=True,
              help="Show which of the user's artists each recommendation comes from.")
@click.option("--blend", type=click.Choice(["hybrid", "cf"]), default="hybrid", show_default=True,
              help="The learned blend of collaborative filtering, cultural vectors and audio, or collaborative "
                   "filtering alone.")
@pass_ctx
def recommend_cmd(ctx: Context, user: str, n: int, explain: bool, blend: str) -> None:
    """Top-N items USER has never played (USER is the store's user id)."""
    bundle = ctx.bundle(index=False)  # one listener: exact search is faster than loading a graph
    recs = bundle.recommend(user, n=n, explain=explain, blend=blend)
    rows = [[str(i + 1), r.name, f"{r.score:.3f}"] + ([format_signals(r.signals)] if blend == "hybrid" else [])
            + ([why(r)] if explain else []) for i, r in enumerate(recs)]
    headers = (["#", "item", "score"] + (["signals"] if blend == "hybrid" else [])
               + (["why (because you listened to)"] if explain else []))
    click.echo(f"recommendations for user {user} (model {bundle.version}, {blend}):")
    click.echo(table(rows, headers))


@cli.command("similar")
@click.argument("item")
@click.option("-n", "--n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--by", type=click.Choice(["hybrid", "cf", "culture"]), default="hybrid", show_default=True,
              help="The learned blend of every signal, who listens to both (the factors), or what people say "
                   "about them (tags and texts).")
@pass_ctx
def similar_cmd(ctx: Context, item: str, n: int, by: str) -> None:
    """Items most similar to ITEM (an item id or a name)."""
    bundle = ctx.bundle(index=False)
    if by == "culture":
        cv = bundle.require_culture()
        row = cv.resolve(item)
        hits = cv.similar(row, n)
        click.echo(f"culturally similar to {cv.names_[row]} (tags and texts):")
        rows = [[str(i + 1), str(cv.names_[r]), f"{s:.3f}", ", ".join(t for t, _ in _shared_terms(cv, row, r))]
                for i, (r, s) in enumerate(hits)]
        click.echo(table(rows, ["#", "item", "cosine", "shared descriptors"]))
        return
    col = bundle.resolve_item(item)
    hits = bundle.similar(col, n, by=by)
    if by == "cf":
        rows = [[str(i + 1), s.name, f"{s.score:.3f}"] for i, s in enumerate(hits)]
        headers = ["#", "item", "cosine"]
    else:
        rows = [[str(i + 1), s.name, f"{s.score:.3f}", format_signals(s.signals)] for i, s in enumerate(hits)]
        headers = ["#", "item", "score", "signals"]
    click.echo(f"similar to {bundle.name(col)} ({by}):")
    click.echo(table(rows, headers))


@cli.command("explain")
@click.argument("user")
@click.argument("item")
@click.option("-n", "--n", "n", type=click.IntRange(1, 100), default=10, show_default=True)
@pass_ctx
def explain_cmd(ctx: Context, user: str, item: str, n: int) -> None:
    """Which of USER's items make ITEM score as it does (Hu et al., section 5), and which signals."""
    bundle = ctx.bundle(index=False)
    exp = bundle.explain(user, item, n)
    click.echo(f"{exp.name} scores {exp.score:.3f} for user {user}: {exp.reason}"
               + (f"; signals {format_signals(exp.signals)}" if exp.signals else ""))
    if exp.contributions:
        click.echo("the listened items behind its collaborative part:")
        rows = [[name, f"{share:.1%}"] for _, name, share in exp.contributions]
        click.echo(table(rows, ["listened item", "share of score"]))


def _shared_terms(cv, a: int, b: int, n: int = 3):
    """The descriptors contributing most to the cosine of rows ``a`` and ``b``."""
    both = cv.weights_[a].multiply(cv.weights_[b]).tocoo()
    order = sorted(range(both.nnz), key=lambda j: (-both.data[j], cv.terms_[both.col[j]]))[:n]
    return [(str(cv.terms_[both.col[j]]), float(both.data[j])) for j in order]
