"""``tastemaker demo``: the whole loop on Last.fm HetRec 2011, from raw files to explanations."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table
from tastemaker.cli.discover_weekly import discover_weekly_cmd
from tastemaker.cli.home import home_cmd
from tastemaker.cli.recommend import format_signals, why
from tastemaker.cli.text import terms_cmd
from tastemaker.cli.train import run_training, settings_from_flags

DEMO_USER = "2"


@cli.command("demo")
@click.option("--hetrec", "hetrec_path", type=click.Path(exists=True),
              help="The hetrec2011-lastfm-2k folder or zip (default: a known local copy, else download).")
@click.option("--user", default=DEMO_USER, show_default=True, help="The listener to show.")
@click.option("--out", type=click.Path(file_okay=False), default="reports/demo", show_default=True,
              help="Folder for the evaluation report.")
@pass_ctx
def demo_cmd(ctx: Context, hetrec_path: str | None, user: str, out: str) -> None:
    """Ingest HetRec, train with the shipped pipeline, evaluate against baselines, recommend for a
    listener, and show their cultural terms, Discover Weekly and home screen."""
    from tastemaker.data import ingest_hetrec, load_interactions
    from tastemaker.evaluation import holdout_comparison

    click.secho("1. ingest Last.fm HetRec 2011 into the store", bold=True)
    with ctx.store() as store:
        result = ingest_hetrec(store, hetrec_path)
        click.echo(f"   {ctx.db_path}: " + ("already ingested" if result.skipped_duplicate else
                                            f"{result.rows:,} play events written"))
        data = load_interactions(store)
    click.echo(f"   {data.shape[0]:,} listeners x {data.shape[1]:,} artists, {data.user_items.nnz:,} play counts")

    click.secho("\n2. train: the same pipeline as `tastemaker train` (ALS, cultural vectors, blend, index)", bold=True)
    trained = run_training(ctx, settings_from_flags("als"), show_progress=False)
    bundle = trained.bundle

    click.secho("\n3. evaluate against baselines (20% of each listener's artists held out)", bold=True)
    tbl, report, notes = holdout_comparison(data.user_items, ["als", "sgd", "ease", "itemknn", "popularity"],
                                            ks=(5, 10, 20), out=Path(out), title="tastemaker demo: Last.fm HetRec 2011")
    for note in notes:
        click.echo(f"   {note}")
    click.echo(tbl.to_markdown(k=10, metrics=("ndcg", "precision", "recall", "map", "coverage", "novelty")))
    click.echo(f"   report and plots: {report}")

    if user not in bundle.users:
        user = str(bundle.users.ids[0])
    click.secho(f"\n4. listener {user}", bold=True)
    top = bundle.top_items(user, n=5)
    click.echo("   plays most: " + ", ".join(f"{name} ({count:,.0f})" for _, name, count in top))
    recs = bundle.recommend(user, n=10, explain=True)
    rows = [[str(i + 1), r.name, f"{r.score:.3f}", format_signals(r.signals), why(r)] for i, r in enumerate(recs)]
    click.echo(table(rows, ["#", "recommended artist", "score", "signals", "why (because you listened to)"]))
    similar = bundle.similar(top[0][0], n=5)
    click.echo(f"\n   artists like {top[0][1]}: " + ", ".join(s.name for s in similar))

    # the products on top of the model: the same commands a person would run next
    from tastemaker.playlists import parse_week

    invoke = click.get_current_context().invoke
    click.secho(f"\n5. what people say about {top[0][1]} (cultural vectors from tags)", bold=True)
    invoke(terms_cmd, artist=top[0][0], n=8)
    click.secho(f"\n6. this week's Discover Weekly for listener {user}", bold=True)
    invoke(discover_weekly_cmd, users=(user,), week=parse_week(None))  # invoke skips option callbacks
    click.secho(f"\n7. listener {user}'s home screen (shelves chosen by BaRT, impressions logged)", bold=True)
    invoke(home_cmd, user=user, seed=0)
    click.echo("\nnext: `tastemaker recommend USER`, `tastemaker similar ARTIST [--by culture]`, "
               "`tastemaker explain USER ARTIST`, `tastemaker serve` (the API and the web app)")
