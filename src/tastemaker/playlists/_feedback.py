"""Listening feedback from a Discover Weekly playlist, written as events the next model learns from."""

from __future__ import annotations

import datetime as dt

from tastemaker.data import Store
from tastemaker.data.interactions import PLAYLIST_SOURCES, SHORT_PLAY_MS
from tastemaker.errors import InputError

__all__ = ["record_feedback", "SOURCE"]

#: ``events.source`` of Discover Weekly feedback (see :func:`tastemaker.data.load_interactions`)
SOURCE = PLAYLIST_SOURCES[0]
_EVENTS = ("play", "skip", "save")


def record_feedback(store: Store, user_id: str, item_id: str, event: str, *, duration_ms: int | None = None,
                    timestamp: dt.datetime | str | None = None) -> None:
    """Record that ``user_id`` played, skipped or saved ``item_id`` from their Discover Weekly.

    A ``play`` or ``skip`` shorter than 30 s counts as a skip when the model is next trained, one
    of 30 s or more as a play; a ``save`` is positive evidence (see ``load_interactions``).

    Raises
    ------
    InputError
        On an unknown event type or a negative duration.
    """
    if event not in _EVENTS:
        raise InputError(f"unknown feedback event {event!r}", hint="use play, skip or save")
    if duration_ms is not None and duration_ms < 0:
        raise InputError(f"duration_ms is negative ({duration_ms})", hint=f"give milliseconds played, e.g. {SHORT_PLAY_MS}")
    row = {"user_id": str(user_id), "item_id": str(item_id), "event": event, "count": 1}
    if duration_ms is not None:
        row["duration_ms"] = int(duration_ms)
    if timestamp is not None:
        row["timestamp"] = timestamp
    store.append_events([row], source=SOURCE)
