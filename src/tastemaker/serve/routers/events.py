"""Live listening events: written to the store and folded into the listener at once."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status

from tastemaker.serve.dependencies import EngineDep, SettingsDep, require_token
from tastemaker.serve.schemas import Event, EventBatch, EventsAccepted, ListenerState, error_responses

router = APIRouter(prefix="/events", tags=["events"])


@router.post("", response_model=EventsAccepted, status_code=status.HTTP_201_CREATED,
             dependencies=[Depends(require_token)], responses=error_responses(401, 403, 404, 413, 503),
             summary="Record plays, skips and saves")
def post_events(body: Event | EventBatch, engine: EngineDep, settings: SettingsDep) -> EventsAccepted:
    """Write one event or a batch to the store (one transaction) and refold each listener's vector
    from their whole history, so their next recommendations reflect it. A listener's first events
    create them. Items must be in the served model's catalogue."""
    events = body.events if isinstance(body, EventBatch) else [body]
    if len(events) > settings.max_batch:
        raise HTTPException(413,
                            f"{len(events)} events in one batch; at most {settings.max_batch} "
                            f"(TASTEMAKER_MAX_BATCH): split it")
    before = engine.snapshot
    existed = {e.user_id: before.has_user(e.user_id) for e in events}
    snapshot, folded = engine.record([e.model_dump() for e in events])
    return EventsAccepted(accepted=len(events), model_version=snapshot.version,
                          users=[ListenerState(user_id=u, new=not existed.get(u, False), items=live.row.nnz)
                                 for u, live in folded.items()])
