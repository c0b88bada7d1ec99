"""The application factory: routers, error answers, the model's lifespan and the model watcher."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from tastemaker import __version__
from tastemaker.data import UnknownIdError
from tastemaker.errors import InputError
from tastemaker.serve._engine import Engine, StoreUnavailable
from tastemaker.serve._settings import Settings, env_settings
from tastemaker.serve.routers import ROUTERS
from tastemaker.serve.routers.web import STATIC

__all__ = ["create_app"]

log = logging.getLogger("tastemaker.serve")

DESCRIPTION = """\
Recommendations from tastemaker's trained model, by the store's external ids (HetRec user `2`,
artist `289`), updated the moment a listener plays, skips or saves something.

Reads are open. Writes (`POST /events`) need `Authorization: Bearer <TASTEMAKER_API_TOKEN>`.
Errors carry `{"detail": "..."}`: 404 for an unknown user or item, 422 for a malformed request
(FastAPI's list of errors), 413 for an oversized batch, 409 for a request the served model cannot
answer (e.g. explanations from a model without them), 503 while another process holds the store.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The tastemaker API and web app.

    Parameters
    ----------
    settings : Settings, optional
        What to serve; default :func:`env_settings` (the environment, read once).
    engine : Engine, optional
        An already started engine (``tastemaker serve`` starts it first, to report a missing
        store or model in one line); default: the lifespan starts one from the settings.
    """
    app = FastAPI(title="tastemaker", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.engine = engine
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    app.add_middleware(_BodyLimit, max_bytes=lambda: _settings(app).max_body_bytes)
    return app


def _settings(app: FastAPI) -> Settings:
    return app.state.settings or env_settings()


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = _settings(app)
    if app.state.engine is None:
        app.state.engine = await asyncio.to_thread(Engine(settings.db_path, settings.model_root).start)
    engine: Engine = app.state.engine
    watcher = None
    if settings.reload_interval > 0:
        watcher = asyncio.create_task(_watch(engine, settings.reload_interval))
    try:
        yield
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _watch(engine: Engine, interval: float) -> None:
    """Swap in a new model version when ``tastemaker train`` saves one (loaded off the event loop)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(engine.check_reload)
        except Exception:  # the watcher must outlive any one failure
            log.exception("model reload failed")


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers or None)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UnknownIdError)
    async def unknown_id(request: Request, exc: UnknownIdError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(InputError)
    async def conflict(request: Request, exc: InputError) -> JSONResponse:
        # a well-formed request the served state cannot answer (e.g. a model that cannot explain);
        # 422 stays FastAPI's, for malformed requests, with its documented list of errors
        return _error(409, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and str(exc.detail).startswith("There was an error parsing the body"):
            # a body that is not JSON (or not UTF-8) is malformed like any other: 422, in FastAPI's shape
            return JSONResponse({"detail": [{"type": "json_invalid", "loc": ["body"], "msg": str(exc.detail),
                                             "input": None}]}, status_code=422)
        return await http_exception_handler(request, exc)

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return _error(503, str(exc), **{"Retry-After": "1"})


class _BodyLimit:
    """413 for a request body over the limit, before anything parses it."""

    def __init__(self, app, max_bytes):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.max_bytes()
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) <= limit:
            return await self.app(scope, receive, send)
        if length is None or length.isdigit():  # chunked: read it (up to the limit), then replay it
            body, more = b"", True
            while more and len(body) <= limit:
                message = await receive()
                if message["type"] != "http.request":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
            if len(body) <= limit:
                replayed = False

                async def replay():
                    nonlocal replayed
                    if replayed:
                        return await receive()
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}

                return await self.app(scope, replay, send)
        payload = json.dumps({"detail": f"the request body is over {limit:,} bytes "
                                        f"(TASTEMAKER_MAX_BODY_BYTES); send fewer events per request"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
