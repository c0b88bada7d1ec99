"""``tastemaker discover-weekly``: every listener's weekly playlist, stored and exported."""

from __future__ import annotations

import time

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table

FORMATS = ("json", "csv", "m3u")


def _week(ctx: click.Context, param: click.Parameter, value: str | None):
    from tastemaker.errors import InputError
    from tastemaker.playlists import parse_week

    try:
        return parse_week(value)
    except InputError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@cli.command("discover-weekly")
@click.option("--week", callback=_week, metavar="YYYY-Www",
              help="ISO week, e.g. 2026-W48 [default: the current week].")
@click.option("--user", "users", multiple=True, metavar="ID",
              help="Only this listener (repeatable) [default: every listener of the model].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Export format [default: from --output's suffix].")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Export the week's playlists to this file.")
@click.option("--stored", is_flag=True, help="Export the stored playlists of the week; generate nothing.")
@click.option("--size", type=click.IntRange(1, 500), default=30, show_default=True, help="Items per playlist.")
@click.option("--blend", type=click.Choice(["hybrid", "cf"]), default="hybrid", show_default=True,
              help="Candidates by the learned blend of collaborative filtering, cultural vectors and audio "
                   "(items nobody has played yet included), or by collaborative filtering alone.")
@click.option("--threads", "num_threads", type=click.IntRange(0), default=0, help="Threads (0: every core).")
@pass_ctx
def discover_weekly_cmd(ctx: Context, week, users: tuple[str, ...], fmt, output, stored: bool, size: int,
                        blend: str, num_threads: int) -> None:
    """Make this week's Discover Weekly for every listener (or --user), store it, optionally export it.

    30 items each listener has never played and was not given in an earlier week, at most 2 per
    artist, spread across tags, with a few exploration slots and a one-line explanation each.
    Rerunning a week replaces that week's playlists; earlier weeks are kept.
    """
    from tqdm.auto import tqdm

    from tastemaker.playlists import DiscoverWeekly, discover_weekly, export_playlists, load_playlists

    if output and not fmt:
        fmt = click.format_filename(output).rsplit(".", 1)[-1].lower() if "." in output else None
        if fmt not in FORMATS:
            raise click.UsageError("give --format json, csv or m3u (the --output suffix does not say which)")
    if fmt and not output:
        raise click.UsageError("--format needs --output FILE")
    if fmt == "m3u" and len(users) != 1:
        raise click.UsageError("an M3U file holds one playlist: give exactly one --user with --format m3u")
    if stored and not output:
        raise click.UsageError("--stored exports stored playlists: give --output FILE")
    if stored:
        with ctx.store(read_only=True) as store:
            lists = load_playlists(store, week, list(users) or None)
        if not lists:
            raise click.ClickException(f"no stored Discover Weekly for {week}"
                                       + (f" and user {', '.join(users)}" if users else "")
                                       + "; run `tastemaker discover-weekly` first")
    else:
        bundle = ctx.bundle(index=not users)  # a few listeners: exact search is faster than loading a graph
        if users:  # unknown ids: one clear error before any work
            bundle.users.indices(users)
        n = len(users) or len(bundle.users)
        generator = DiscoverWeekly(size=size, candidates=max(200, 4 * size), blend=blend, num_threads=num_threads)
        started = time.perf_counter()
        with ctx.store() as store, tqdm(total=n, unit="user", desc=f"discover weekly {week}", leave=False) as bar:
            playlists = discover_weekly(store, bundle, week, list(users) or None, generator, progress=bar.update)
            lists = load_playlists(store, week, list(users) or None) if (output or len(users) == 1) else []
        items = int((playlists.items >= 0).sum())
        click.echo(f"discover weekly {week}: {len(playlists):,} playlist{'' if len(playlists) == 1 else 's'}, {items:,} items in "
                   f"{time.perf_counter() - started:.1f}s (model {bundle.version}, {blend}); stored in {ctx.db_path}")
        if len(users) == 1 and lists:
            rows = [[str(i["position"]), i["name"], i["explanation"]] for i in lists[0]["items"]]
            click.echo(table(rows, ["#", "item", "why"]))
    if output:
        path = export_playlists(lists, fmt, output)
        click.echo(f"wrote {len(lists):,} playlist{'' if len(lists) == 1 else 's'} as {fmt} to {path}")
