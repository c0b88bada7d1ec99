"""Fixtures for Discover Weekly: HetRec (artists) and a generated store of tracks, each trained once.

Tests get their own copy of the store file, so a test that writes playlists or feedback never
changes what another test sees.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tastemaker.cf import ImplicitALS
from tastemaker.data import Store, ingest_hetrec
from tastemaker.recommender import Recommender, train

HETREC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hetrec2011-lastfm-2k"


def _trained(folder: Path, fill) -> tuple[Path, Path]:
    db, model = folder / "tastemaker.duckdb", folder / "als.npz"
    with Store(db) as store:
        fill(store)
        rec = train(store, ImplicitALS(factors=32, iterations=8, regularization=1.0, random_state=0),
                    show_progress=False)
    rec.save(model)
    return db, model


@pytest.fixture(scope="session")
def hetrec_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model)``: HetRec ingested and a small ALS trained on it."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC} (read-only shared data)")
    return _trained(tmp_path_factory.mktemp("dw-hetrec"), lambda store: ingest_hetrec(store, HETREC, progress=False))


def make_tracks(store: Store, seed: int = 0, n_users: int = 120, n_artists: int = 30, per_artist: int = 12) -> None:
    """Listeners of tracks: each user favours a few artists (a "scene"), so CF likes piling up
    tracks of one artist; every artist carries tags of its scene."""
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
    item_tags = []
    for a in range(n_artists):
        for t in range(per_artist):
            item_tags.append((None, f"a{a}-t{t}", f"t{scene[a]}", None))
            item_tags.append((None, f"a{a}-t{t}", f"x{(a + t) % 8}", None))
    store.con.executemany("INSERT INTO item_tags VALUES (?, ?, ?, ?)", item_tags)


@pytest.fixture(scope="session")
def track_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model)``: generated track listening (artists with many tracks) and ALS on it."""
    return _trained(tmp_path_factory.mktemp("dw-tracks"), make_tracks)


def _copy(files: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Recommender]:
    db = tmp_path / "store.duckdb"
    shutil.copy(files[0], db)
    return db, Recommender.load(files[1])


@pytest.fixture
def hetrec(hetrec_files, tmp_path):
    """``(store, rec)``: a private copy of the HetRec store, open, and its model."""
    db, rec = _copy(hetrec_files, tmp_path)
    with Store(db) as store:
        yield store, rec


@pytest.fixture
def tracks(track_files, tmp_path):
    """``(store, rec)``: a private copy of the generated track store, open, and its model."""
    db, rec = _copy(track_files, tmp_path)
    with Store(db) as store:
        yield store, rec
