"""One call for a week: side data and content signals from the store, generate, store."""

from __future__ import annotations

import numpy as np

from tastemaker.data import Store
from tastemaker.playlists._generate import DiscoverWeekly, Playlists
from tastemaker.playlists._side import load_side_data
from tastemaker.playlists._store import previous_items, save_playlists
from tastemaker.playlists._week import IsoWeek, parse_week

__all__ = ["discover_weekly", "load_signals"]


def load_signals(store: Store, rec) -> dict[str, np.ndarray]:
    """Content vectors of ``rec``'s items found in the store, by name (``"audio"``, ``"culture"``).

    Audio: the standardised audio features (``tastemaker ingest audio-features``); items without
    features get a zero row. Signals whose module or data is missing are left out.
    """
    signals: dict[str, np.ndarray] = {}
    try:
        from tastemaker.content import load_audio_features
    except ImportError:  # pragma: no cover - the content module ships with tastemaker
        load_audio_features = None
    if load_audio_features is not None:
        cols, X = load_audio_features(store, rec.items)
        if len(cols):
            dense = np.zeros((len(rec.items), X.shape[1]), dtype=np.float32)
            dense[cols] = X
            signals["audio"] = dense
    return signals


def discover_weekly(store: Store, rec, week: str | IsoWeek | None = None, user_ids=None,
                    generator: DiscoverWeekly | None = None, *, save: bool = True, progress=None) -> Playlists:
    """Generate ``week``'s playlists for ``user_ids`` (default: every listener) and store them.

    Items given in earlier stored weeks are left out; rerunning a week replaces it (see
    :func:`save_playlists`).
    """
    week = parse_week(week)
    generator = generator or DiscoverWeekly()
    side = load_side_data(store, rec, signals=load_signals(store, rec))
    previous = previous_items(store, rec, week)
    playlists = generator.generate(rec, side, week, user_ids, previous, progress=progress)
    if save:
        save_playlists(store, playlists)
    return playlists
