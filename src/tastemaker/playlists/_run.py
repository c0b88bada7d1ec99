"""One call for a week: side data from the store, generate from the bundle, store."""

from __future__ import annotations

from tastemaker.data import Store
from tastemaker.playlists._generate import DiscoverWeekly, Playlists
from tastemaker.playlists._side import load_side_data
from tastemaker.playlists._store import previous_items, save_playlists
from tastemaker.playlists._week import IsoWeek, parse_week

__all__ = ["discover_weekly"]


def discover_weekly(store: Store, bundle, week: str | IsoWeek | None = None, user_ids=None,
                    generator: DiscoverWeekly | None = None, *, save: bool = True, progress=None) -> Playlists:
    """Generate ``week``'s playlists for ``user_ids`` (default: every listener) and store them.

    Candidates are ``bundle``'s hybrid ranking (its persisted content signals and learned blend);
    artists and tags come from ``store``. Items given in earlier stored weeks are left out;
    rerunning a week replaces it (see :func:`save_playlists`).
    """
    week = parse_week(week)
    generator = generator or DiscoverWeekly()
    side = load_side_data(store, bundle)
    previous = previous_items(store, bundle, week)
    playlists = generator.generate(bundle, side, week, user_ids, previous, progress=progress)
    if save:
        save_playlists(store, playlists)
    return playlists
