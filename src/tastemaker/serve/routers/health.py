"""Is the server up, and which model does it serve."""

from __future__ import annotations

from fastapi import APIRouter

from tastemaker.serve.dependencies import EngineDep, SettingsDep
from tastemaker.serve.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Health and model version")
def health(engine: EngineDep, settings: SettingsDep) -> Health:
    """The served model's version and sizes, and whether writes are possible."""
    snapshot = engine.snapshot
    bundle = snapshot.bundle
    meta = bundle.metadata
    return Health(status="ok", model_version=snapshot.version, trained_at=meta.get("trained_at"),
                  loaded_at=snapshot.loaded_at.isoformat(timespec="seconds"), model_dir=str(engine.model_root),
                  users=len(bundle.users), items=len(bundle.items), live_users=len(snapshot.live),
                  hybrid=bundle.hybrid, index=bundle.index.kind if bundle.index is not None else "exact",
                  swaps=engine.swaps, reload_error=engine.reload_error, writes_enabled=settings.api_token is not None)
