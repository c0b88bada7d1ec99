"""A listener's Discover Weekly: the stored playlist of a week, with one-line explanations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from tastemaker.errors import InputError
from tastemaker.serve.dependencies import EngineDep, require_token
from tastemaker.serve.schemas import Id, error_responses

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
    with engine.store(read_only=True) as store:
        weeks = stored_weeks(store, user_id)
        lists = load_playlists(store, wanted or (weeks[0] if weeks else None), [user_id]) if weeks else []
    if not lists:
        if not weeks:
            engine.snapshot.query(user_id)  # unknown to the model and the live store: 404 unknown user
        when = f"week {wanted}" if wanted else "any week"
        raise HTTPException(404, f"no Discover Weekly for user {user_id!r} in {when}; make one with "
                                 f"`tastemaker discover-weekly{' --week ' + wanted if wanted else ''}`"
                                 + (f" (stored: {', '.join(weeks[:5])})" if weeks else ""))
    playlist = lists[0]
    return DiscoverWeeklyOut(user_id=user_id, week=playlist["week"], generated_at=playlist["generated_at"],
                             model_version=playlist["model_version"], weeks=weeks,
                             items=[PlaylistItem(**{k: v for k, v in item.items() if k != "url"})
                                    for item in playlist["items"]])


class Feedback(BaseModel):
    """What the listener did with an item of their Discover Weekly."""

    model_config = ConfigDict(extra="forbid")

    item_id: Id
    event: Literal["play", "skip", "save"]
    duration_ms: int | None = Field(None, ge=0, le=86_400_000,
                                    description="How long it played; under 30,000 a play or skip is a skip.")


class FeedbackAccepted(BaseModel):
    user_id: str
    item_id: str
    counts_as: Literal["play", "skip", "save"] = Field(description="What the next `tastemaker train` sees.")


@router.post("/{user_id}/discover-weekly/feedback", response_model=FeedbackAccepted,
             status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_token)],
             responses=error_responses(401, 403, 404, 503), summary="Feedback from a Discover Weekly")
def feedback(user_id: UserId, body: Feedback, engine: EngineDep) -> FeedbackAccepted:
    """Record a play, skip or save from the listener's Discover Weekly (``source =
    'discover-weekly'``). A play or skip shorter than 30 s counts as a skip, one of 30 s or more as
    a play, a save as a save, when the model is next trained (see ``load_interactions``)."""
    from tastemaker.data.interactions import SHORT_PLAY_MS
    from tastemaker.playlists import record_feedback

    snapshot = engine.snapshot
    snapshot.col(body.item_id)  # 404 for an item or a listener nobody knows
    snapshot.query(user_id)
    with engine.store() as store:
        record_feedback(store, user_id, body.item_id, body.event, duration_ms=body.duration_ms)
    counts_as = body.event
    if body.event in ("play", "skip") and body.duration_ms is not None:
        counts_as = "skip" if body.duration_ms < SHORT_PLAY_MS else "play"
    return FeedbackAccepted(user_id=user_id, item_id=body.item_id, counts_as=counts_as)
