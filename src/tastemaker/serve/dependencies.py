"""The dependencies every router uses: settings, the engine's snapshot, and the write token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tastemaker.serve._engine import Engine, Snapshot
from tastemaker.serve._settings import Settings, get_settings

__all__ = ["get_settings", "get_engine", "get_snapshot", "require_token", "SettingsDep", "EngineDep",
           "SnapshotDep"]

_bearer = HTTPBearer(auto_error=False, description="TASTEMAKER_API_TOKEN (writes only; reads are open).")


async def get_engine(request: Request) -> Engine:
    """The engine the lifespan started (tests may override this dependency).

    The read dependencies and routes are ``async``: their work is a millisecond of compiled code,
    cheaper on the event loop than handed to a worker thread. Writes (which may wait for the
    store's lock) stay in the thread pool.
    """
    return request.app.state.engine


async def get_snapshot(engine: Annotated[Engine, Depends(get_engine)]) -> Snapshot:
    """The current model snapshot: one per request, so a swap never mixes two models."""
    return engine.snapshot


def require_token(settings: Annotated[Settings, Depends(get_settings)],
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Writes need ``Authorization: Bearer $TASTEMAKER_API_TOKEN``."""
    if settings.api_token is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "writes are disabled: start the server with TASTEMAKER_API_TOKEN set")
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "writes need 'Authorization: Bearer <token>' "
                            "with the server's TASTEMAKER_API_TOKEN", headers={"WWW-Authenticate": "Bearer"})
    if not secrets.compare_digest(credentials.credentials.encode(), settings.api_token.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong API token",
                            headers={"WWW-Authenticate": "Bearer"})


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
