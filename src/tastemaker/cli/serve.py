"""``tastemaker serve``: the recommendation API and web app on one port."""

from __future__ import annotations

import secrets

import click

from tastemaker.cli._common import Context, cli, pass_ctx


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--reload-interval", type=click.FloatRange(0), default=None,
              help="Seconds between checks for a new model file; 0: never [env TASTEMAKER_RELOAD_INTERVAL; 2].")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
@pass_ctx
def serve_cmd(ctx: Context, host: str, port: int, reload_interval: float | None, log_level: str) -> None:
    """Serve recommendations over HTTP (docs at /docs) and the web app (at /).

    Live events (POST /events) are written to the store and folded in at once; when `tastemaker
    train` writes a new model file, it is swapped in without a restart. Writes need
    TASTEMAKER_API_TOKEN; without it, a token is made up for this run and printed.
    """
    try:
        import uvicorn

        from tastemaker.serve import Engine, Settings, create_app
    except ImportError as exc:
        raise click.ClickException(f"serving needs the serve extra ({exc.name} is missing): "
                                   "pip install 'tastemaker[serve]'") from None
    overrides = {} if reload_interval is None else {"reload_interval": reload_interval}
    settings = Settings.from_env(db=ctx.db_path, model=ctx.model_path, **overrides)
    made_up = settings.api_token is None
    if made_up:
        settings = Settings(**{**settings.__dict__, "api_token": secrets.token_urlsafe(18)})
    engine = Engine(settings.db_path, settings.model_path).start()  # one-line errors before uvicorn starts
    snapshot = engine.snapshot
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    click.echo(f"serving model {snapshot.version} ({len(snapshot.rec.users):,} listeners, "
               f"{len(snapshot.rec.items):,} items) from {settings.model_path}")
    click.echo(f"store {settings.db_path}; {len(snapshot.live):,} live listeners folded in")
    if made_up:
        click.echo("TASTEMAKER_API_TOKEN is not set; writes need this run's token:")
        click.echo(f"  token {settings.api_token}")
        click.echo(f"  web app http://{shown}:{port}/#token={settings.api_token}")
    else:
        click.echo(f"web app http://{shown}:{port}/  (paste TASTEMAKER_API_TOKEN into the token field)")
    click.echo(f"API docs http://{shown}:{port}/docs")
    uvicorn.run(create_app(settings, engine), host=host, port=port, log_level=log_level,
                access_log=log_level == "debug")
