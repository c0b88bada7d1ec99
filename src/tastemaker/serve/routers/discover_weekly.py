"""A listener's Discover Weekly: the stored playlist of a week, with one-line explanations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from tastemaker.data import Store
from tastemaker.errors import InputError, TastemakerError
from tastemaker.serve._engine import StoreUnavailable
from tastemaker.serve.dependencies import EngineDep
from tastemaker.serve.schemas import error_responses

router = APIRouter(prefix="/users", tags=["discover weekly"])

UserId = Annotated[str, Path(description="The listener's external id, e.g. HetRec user '2'.", max_length=200)]
Week = Annotated[str | None, Query(description="ISO week, e.g. 2026-W48 (default: the newest stored).",
                                   max_length=20, examples=["2026-W48"])]


class PlaylistItem(BaseModel):
    """One item of a Discover Weekly playlist."""

    position: int = Field(description="1-based.")
    item_id: str
    name: str
    explanation: str = Field(examples=["Because you listened to Duran Duran"])
    reason: str = Field(description="because, fans, tagged or explore.")
    score: float | None = None


class DiscoverWeeklyOut(BaseModel):
    """A listener's playlist for one ISO week, and the weeks stored for them."""

    user_id: str
    week: str
    generated_at: str = Field(description="When it was generated (UTC, ISO 8601).")
    model_version: str
    weeks: list[str] = Field(description="Every week with a stored playlist for this listener, newest first.")
    items: list[PlaylistItem]


@router.get("/{user_id}/discover-weekly", response_model=DiscoverWeeklyOut, responses=error_responses(404, 503),
            summary="A listener's Discover Weekly")
def discover_weekly(user_id: UserId, engine: EngineDep, week: Week = None) -> DiscoverWeeklyOut:
    """The week's 30 fresh items for the listener, as ``tastemaker discover-weekly`` stored them."""
    from tastemaker.playlists import load_playlists, parse_week, stored_weeks

    try:
        wanted = str(parse_week(week)) if week is not None else None
    except InputError as exc:  # a malformed request, like any other bad parameter
        raise HTTPException(422, str(exc)) from None
    try:
        with Store(engine.db_path, read_only=True) as store:
            weeks = stored_weeks(store, user_id)
            lists = load_playlists(store, wanted or (weeks[0] if weeks else None), [user_id]) if weeks else []
    except InputError:
        raise
    except TastemakerError as exc:
        raise StoreUnavailable(str(exc)) from exc
    if not lists:
        if not weeks and not engine.snapshot.has_user(user_id):
            raise engine.snapshot.rec.users._unknown(user_id)
        when = f"week {wanted}" if wanted else "any week"
        raise HTTPException(404, f"no Discover Weekly for user {user_id!r} in {when}; make one with "
                                 f"`tastemaker discover-weekly{' --week ' + wanted if wanted else ''}`"
                                 + (f" (stored: {', '.join(weeks[:5])})" if weeks else ""))
    playlist = lists[0]
    return DiscoverWeeklyOut(user_id=user_id, week=playlist["week"], generated_at=playlist["generated_at"],
                             model_version=playlist["model_version"], weeks=weeks,
                             items=[PlaylistItem(**{k: v for k, v in item.items() if k != "url"})
                                    for item in playlist["items"]])
