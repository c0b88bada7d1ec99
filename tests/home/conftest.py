"""Fixtures for the home-screen tests: HetRec and a bundle trained on it through the shipped
pipeline, built once, copied per test.

Three artists nobody has played are added, each tagged like one of listener 2's favourites, so
that training places them (by their tags) and the "New for you" shelf has placed items to show.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from home_support import SMALL_ALS, add_unplayed

from tastemaker.data import Store, ingest_hetrec
from tastemaker.pipeline import TrainingPipeline, TrainSettings

HETREC = Path(os.environ.get(
    "TASTEMAKER_HETREC", Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))
ENV_VARS = ("TASTEMAKER_HOME", "TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_API_TOKEN")


@pytest.fixture(scope="session")
def home_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model dir)``: HetRec (and ``home_support.UNPLAYED``) ingested and trained, once per session."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC}")
    folder = tmp_path_factory.mktemp("home-store")
    db, root = folder / "tastemaker.duckdb", folder / "models"
    with Store(db) as store:
        ingest_hetrec(store, HETREC, progress=False)
        add_unplayed(store)
    TrainingPipeline(TrainSettings(params=SMALL_ALS, validation_users=400)).run(db, root)
    return db, root


@pytest.fixture
def paths(home_built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the store and model directory (tests log pages and write BaRT models)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TASTEMAKER_HOME", str(tmp_path / "home"))
    db, root = tmp_path / "tastemaker.duckdb", tmp_path / "models"
    shutil.copy(home_built[0], db)
    shutil.copytree(home_built[1], root)
    return db, root
