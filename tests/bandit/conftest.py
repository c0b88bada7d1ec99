"""Fixtures for the bandit tests: HetRec in a throw-away store, a seeded generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tastemaker.data import Store, ingest_hetrec

HETREC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hetrec2011-lastfm-2k"


@pytest.fixture(scope="session")
def hetrec_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding HetRec 2011 (skips if the read-only shared copy is absent)."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC}")
    db = tmp_path_factory.mktemp("bandit-hetrec") / "tastemaker.duckdb"
    with Store(db) as store:
        ingest_hetrec(store, HETREC, progress=False)
    return db


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
