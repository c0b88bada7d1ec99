"""Helpers the Discover Weekly tests share (a module of its own: conftest modules collide across folders)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tastemaker.data import Store
from tastemaker.pipeline import TrainingPipeline, TrainSettings

HETREC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hetrec2011-lastfm-2k"
#: a small, quick ALS (the tests check the playlists, not the model's quality)
SMALL_ALS = {"factors": 32, "iterations": 8, "regularization": 1.0, "num_threads": 1}


def train_small(db, root=None, *, store: Store | None = None, **settings):
    """The shipped training pipeline with a small ALS (the blend weighed on a few hundred
    listeners); ``store``: train on that open store instead of the file ``db``."""
    pipeline = TrainingPipeline(TrainSettings(params=SMALL_ALS, validation_users=400, **settings))
    return pipeline.run(db, root, store=store)


def make_tracks(store: Store, seed: int = 0, n_users: int = 120, n_artists: int = 30, per_artist: int = 12,
                new_every: int = 3) -> None:
    """Listeners of tracks: each user favours a few artists (a "scene"), so CF likes piling up
    tracks of one artist; every artist carries tags of its scene. Every ``new_every``-th artist
    also has a new track, tagged like its others, that nobody has played yet (``a{artist}-new``:
    training places it by its tags)."""
    rng = np.random.default_rng(seed)
    n_scenes = 5
    scene = np.arange(n_artists) % n_scenes
    rows = []
    for u in range(n_users):
        s = u % n_scenes
        liked = rng.choice(np.flatnonzero(scene == s), size=3, replace=False)
        for a in liked:
            for t in rng.choice(per_artist, size=4, replace=False):
                rows.append({"user_id": f"u{u}", "item_id": f"a{a}-t{t}", "event": "play",
                             "count": int(rng.integers(1, 40)), "artist": f"Artist {a}", "artist_id": f"a{a}",
                             "item_name": f"Track {t}"})
    store.append_events(rows)
    tags = [(f"t{k}", f"scene{k}") for k in range(n_scenes)] + [(f"x{k}", f"mood{k}") for k in range(8)]
    store.con.executemany("INSERT INTO tags VALUES (?, ?)", tags)
    new = range(0, n_artists, new_every)
    store.con.executemany("INSERT INTO items (item_id, name, kind, artist_name, artist_id) VALUES (?, ?, 'track', ?, ?)",
                          [(f"a{a}-new", "New track", f"Artist {a}", f"a{a}") for a in new])
    item_tags = []
    for a in range(n_artists):
        tracks = [(f"a{a}-t{t}", (a + t) % 8) for t in range(per_artist)] + ([(f"a{a}-new", a % 8)] if a in new else [])
        for item, mood in tracks:
            item_tags.append((None, item, f"t{scene[a]}", None))
            item_tags.append((None, item, f"x{mood}", None))
    store.con.executemany("INSERT INTO item_tags VALUES (?, ?, ?, ?)", item_tags)
