"""Discover Weekly: a weekly playlist of fresh but familiar items for every listener.

>>> from tastemaker.bundle import ModelBundle
>>> from tastemaker.data import Store
>>> from tastemaker.playlists import discover_weekly, load_playlists
>>> bundle = ModelBundle.load("models")                                 # doctest: +SKIP
>>> with Store("lastfm.duckdb") as store:                               # doctest: +SKIP
...     discover_weekly(store, bundle, "2026-W48")   # every listener; stored, the week replaced
...     load_playlists(store, "2026-W48", ["2"])[0]["items"][0]["explanation"]
'Because you listened to Duran Duran'

See :mod:`tastemaker.playlists._generate` for the pipeline.
"""

from tastemaker.playlists._export import FORMATS, export_playlists, render_playlists
from tastemaker.playlists._feedback import record_feedback
from tastemaker.playlists._generate import TEMPLATES, DiscoverWeekly, Playlists
from tastemaker.playlists._kernels import REASONS
from tastemaker.playlists._run import discover_weekly
from tastemaker.playlists._side import SideData, load_side_data
from tastemaker.playlists._store import load_playlists, previous_items, save_playlists, stored_weeks
from tastemaker.playlists._week import IsoWeek, current_week, parse_week

__all__ = [
    "discover_weekly", "DiscoverWeekly", "Playlists", "SideData", "load_side_data",
    "save_playlists", "load_playlists", "previous_items", "stored_weeks",
    "export_playlists", "render_playlists", "FORMATS", "record_feedback",
    "IsoWeek", "parse_week", "current_week", "REASONS", "TEMPLATES",
]
