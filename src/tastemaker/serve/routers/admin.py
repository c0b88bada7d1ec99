"""Operations: load the current model now (what the weekly job calls after training)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tastemaker.serve.dependencies import EngineDep, require_token
from tastemaker.serve.schemas import error_responses

router = APIRouter(prefix="/admin", tags=["admin"])


class Reloaded(BaseModel):
    swapped: bool = Field(description="A new model was loaded and is served now.")
    model_version: str = Field(description="The model served now.")
    reload_error: str | None = Field(description="Why the newest model could not be loaded (the old one is "
                                                 "still served), or null.")


@router.post("/reload", response_model=Reloaded, dependencies=[Depends(require_token)],
             responses=error_responses(401, 403), summary="Load the current model now")
async def reload(engine: EngineDep) -> Reloaded:
    """Check the model directory and swap in its current version if it changed (as the watcher
    does every few seconds), without waiting for the next check. Needs the API token."""
    swapped = await asyncio.to_thread(engine.check_reload)
    return Reloaded(swapped=swapped, model_version=engine.snapshot.version, reload_error=engine.reload_error)
