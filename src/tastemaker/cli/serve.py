"""``tastemaker serve``: the recommendation API and web app on one port."""

from __future__ import annotations

import logging
import os
import secrets

import click

from tastemaker.cli._common import Context, cli, pass_ctx


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--reload-interval", type=click.FloatRange(0), default=None,
              help="Seconds between checks for a new model file; 0: never [env TASTEMAKER_RELOAD_INTERVAL; 2].")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="Threads each request's compiled kernels and BLAS may use; requests run side by side.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
@pass_ctx
def serve_cmd(ctx: Context, host: str, port: int, reload_interval: float | None, threads: int,
              log_level: str) -> None:
    """Serve recommendations over HTTP (docs at /docs) and the web app (at /).

    Live events (POST /events) are written to the store and folded in at once; when `tastemaker
    train` writes a new model file, it is swapped in without a restart. Writes need
    TASTEMAKER_API_TOKEN; without it, a token is made up for this run and printed.
    """
    # before numba and numpy load: a request is a few milliseconds of work, and a parallel kernel's
    # thread hand-offs cost more than that on a busy machine (20x slower on 2 shared cores)
    for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    try:
        import uvicorn

        from tastemaker.serve import Engine, Settings, create_app
    except ImportError as exc:
        raise click.ClickException(f"serving needs the serve extra ({exc.name} is missing): "
                                   "pip install 'tastemaker[serve]'") from None
    overrides = {} if reload_interval is None else {"reload_interval": reload_interval}
    settings = Settings.from_env(db=ctx.db_path, model=ctx.model_root, **overrides)
    made_up = settings.api_token is None
    if made_up:
        settings = Settings(**{**settings.__dict__, "api_token": secrets.token_urlsafe(18)})
    engine = Engine(settings.db_path, settings.model_root).start()  # one-line errors before uvicorn starts
    snapshot = engine.snapshot
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    click.echo(f"serving model {snapshot.version} ({len(snapshot.bundle.users):,} listeners, "
               f"{len(snapshot.bundle.items):,} items) from {settings.model_root}")
    click.echo(f"store {settings.db_path}; {len(snapshot.live):,} live listeners folded in")
    if made_up:
        click.echo("TASTEMAKER_API_TOKEN is not set; writes need this run's token:")
        click.echo(f"  token {settings.api_token}")
        click.echo(f"  web app http://{shown}:{port}/#token={settings.api_token}")
    else:
        click.echo(f"web app http://{shown}:{port}/  (paste TASTEMAKER_API_TOKEN into the token field)")
    click.echo(f"API docs http://{shown}:{port}/docs")
    handler = logging.StreamHandler()  # model swaps and reload errors, beside uvicorn's lines
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    server_log = logging.getLogger("tastemaker.serve")
    server_log.addHandler(handler)
    server_log.setLevel(log_level.upper())
    uvicorn.run(create_app(settings, engine), host=host, port=port, log_level=log_level,
                access_log=log_level == "debug")
