"""``tastemaker home``: a listener's home screen, shelves of cards chosen by BaRT."""

from __future__ import annotations

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table


@cli.command("home")
@click.argument("user")
@click.option("--device", type=click.Choice(["mobile", "desktop", "web", "other"]), default="desktop",
              show_default=True, help="The context the screen is opened in.")
@click.option("--country", default=None, help="Two-letter country code of the context.")
@click.option("--log/--no-log", default=True, show_default=True,
              help="Log the page (impressions with propensities) so BaRT can learn from it.")
@click.option("--epsilon", type=click.FloatRange(0, 1), default=None,
              help="Exploration rate [default: the BaRT model's, else 0.1].")
@click.option("--seed", type=int, default=None, help="Seed the exploration (default: fresh randomness).")
@pass_ctx
def home_cmd(ctx: Context, user: str, device: str, country: str | None, log: bool, epsilon: float | None,
             seed: int | None) -> None:
    """The home screen of USER: shelves with their cards and explanations."""
    from tastemaker.bandit import Context as Ctx
    from tastemaker.home import HomeScreen, default_bart_path

    bundle = ctx.bundle(index=False)  # one screen: exact search is faster than loading a graph
    with ctx.store(read_only=not log) as store:
        screen = HomeScreen.from_store(store, bundle, default_bart_path(ctx.model_root), epsilon=epsilon)
        home = screen.build(store, user, Ctx.now(device, country), log=log, random_state=seed)
    click.echo(f"home for user {user} ({home.policy}, reward model {home.policy_version}; page {home.page_id}"
               f"{', logged' if home.logged else ''}):")
    for shelf in home.shelves:
        click.echo(f"\n{shelf.title}")
        rows = [[str(c.col + 1), c.name, f"{c.score:.3f}", f"{c.propensity:.2f}"] for c in shelf.cards]
        click.echo("  " + table(rows, ["#", "item", "score", "propensity"]).replace("\n", "\n  "))
    if not home.shelves:
        click.echo("(no candidates: the listener has no plays, friends or tags to start from)")
