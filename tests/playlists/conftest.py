"""Fixtures for Discover Weekly: HetRec (artists) and a generated store of tracks, each trained once
through the shipped pipeline (a small ALS; the blend weighed as ``tastemaker train`` does).

Tests get their own copy of the store file, so a test that writes playlists or feedback never
changes what another test sees; the bundle is loaded afresh for each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playlists_support import HETREC, make_tracks, train_small

from tastemaker.bundle import ModelBundle
from tastemaker.data import Store, ingest_hetrec


def _trained(folder: Path, fill) -> tuple[Path, Path]:
    db, root = folder / "tastemaker.duckdb", folder / "models"
    with Store(db) as store:
        fill(store)
    train_small(db, root)
    return db, root


@pytest.fixture(scope="session")
def hetrec_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model dir)``: HetRec ingested and a bundle trained on it."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC} (read-only shared data)")
    return _trained(tmp_path_factory.mktemp("dw-hetrec"), lambda store: ingest_hetrec(store, HETREC, progress=False))


@pytest.fixture(scope="session")
def track_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model dir)``: generated track listening (artists with many tracks) and a bundle on it."""
    return _trained(tmp_path_factory.mktemp("dw-tracks"), make_tracks)


def _copy(files: tuple[Path, Path], tmp_path: Path) -> tuple[Path, ModelBundle]:
    db = tmp_path / "store.duckdb"
    shutil.copy(files[0], db)
    return db, ModelBundle.load(files[1])


@pytest.fixture
def hetrec(hetrec_files, tmp_path):
    """``(store, bundle)``: a private copy of the HetRec store, open, and its model."""
    db, bundle = _copy(hetrec_files, tmp_path)
    with Store(db) as store:
        yield store, bundle


@pytest.fixture
def tracks(track_files, tmp_path):
    """``(store, bundle)``: a private copy of the generated track store, open, and its model."""
    db, bundle = _copy(track_files, tmp_path)
    with Store(db) as store:
        yield store, bundle
