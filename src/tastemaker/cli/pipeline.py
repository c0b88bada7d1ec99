"""``tastemaker pipeline``: the weekly job (ingest, train, Discover Weekly, BaRT, export, swap)."""

from __future__ import annotations

import os

import click

from tastemaker.cli._common import Context, cli, pass_ctx
from tastemaker.cli.discover_weekly import _week
from tastemaker.cli.train import settings_from_flags, training_options


@cli.command("pipeline")
@click.option("--week", callback=_week, metavar="YYYY-Www", help="ISO week, e.g. 2026-W49 [default: this week].")
@click.option("--inbox", type=click.Path(file_okay=False),
              help="Where new data arrives: event logs at the top level or in events/, and texts/, tags/, "
                   "audio-features/ [default: inbox/ next to the store, if it exists].")
@click.option("--export", "export", type=click.Path(file_okay=False),
              help="Also write the week's recommendations and playlists as Parquet under DIR/<week>/.")
@click.option("--server", envvar="TASTEMAKER_SERVER_URL",
              help="A running `tastemaker serve` to tell about the new model (POST /admin/reload with "
                   "TASTEMAKER_API_TOKEN) [env TASTEMAKER_SERVER_URL].")
@click.option("--size", type=click.IntRange(1, 500), default=30, show_default=True, help="Items per playlist.")
@click.option("--force", is_flag=True, help="Run every step again, even for a finished week.")
@click.option("--dry-run", is_flag=True, help="Print the plan (what is done, what each step would do); run nothing.")
@training_options
@pass_ctx
def pipeline_cmd(ctx: Context, week, inbox, export, server, size: int, force: bool, dry_run: bool, algorithm: str,
                 **flags) -> None:
    """Run this week's job: ingest what is new, train (place, weigh, index), make Discover Weekly,
    retrain BaRT from its logs, export, and tell a running server to swap models.

    Idempotent and resumable: the steps finished for the week are recorded in the store, so
    rerunning a finished week does nothing and a run that was killed resumes at the step it was
    in. Schedule it weekly (cron or a systemd timer; see docs/weekly-job.md)."""
    from tastemaker.errors import InputError
    from tastemaker.pipeline import WeeklyJob, WeeklySettings

    from tastemaker.cli._common import flag_hint

    train = settings_from_flags(algorithm, **flags)
    try:
        train.check()
    except InputError as exc:
        raise click.UsageError(f"{exc}{flag_hint(exc.setting)}") from None
    settings = WeeklySettings(week=str(week), inbox=inbox, train=train, playlist_size=size, export=export,
                              server=server, api_token=os.environ.get("TASTEMAKER_API_TOKEN"), force=force)
    job = WeeklyJob(ctx.db_path, ctx.model_root, settings, say=lambda step, message: click.echo(f"{step}: {message}"))
    if dry_run:
        for line in job.plan():
            click.echo(line)
        return
    records = job.run()
    done = sum(r.status in ("done", "skipped") for r in records)
    click.echo(f"week {job.week}: {done}/{len(records)} steps finished"
               + next((f" (model {r.model_version})" for r in records if r.step == "train" and r.model_version), ""))
