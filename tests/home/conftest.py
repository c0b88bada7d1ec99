"""Fixtures for the home-screen tests: HetRec with a small ALS, built once, copied per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tastemaker.cf import ImplicitALS
from tastemaker.data import Store, ingest_hetrec
from tastemaker.recommender import train

HETREC = Path(os.environ.get(
    "TASTEMAKER_HETREC", Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))
ENV_VARS = ("TASTEMAKER_HOME", "TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_API_TOKEN")


@pytest.fixture(scope="session")
def home_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model)``: HetRec ingested and a small ALS trained, once per session (read-only)."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC}")
    folder = tmp_path_factory.mktemp("home-store")
    db, model = folder / "tastemaker.duckdb", folder / "models" / "als.npz"
    with Store(db) as store:
        ingest_hetrec(store, HETREC, progress=False)
        rec = train(store, ImplicitALS(factors=32, iterations=6, regularization=1.0, random_state=0,
                                       num_threads=1), show_progress=False)
    rec.save(model)
    return db, model


@pytest.fixture
def paths(home_built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the store and model (tests log pages and write BaRT models)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TASTEMAKER_HOME", str(tmp_path / "home"))
    db, model = tmp_path / "tastemaker.duckdb", tmp_path / "models" / "als.npz"
    model.parent.mkdir()
    shutil.copy(home_built[0], db)
    shutil.copy(home_built[1], model)
    return db, model
