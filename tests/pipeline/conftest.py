"""A tiny store (tests/text/tiny_store.py) per test, for the weekly job."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tastemaker.data import Store

_spec = importlib.util.spec_from_file_location("tm_tiny_store", Path(__file__).parents[1] / "text" / "tiny_store.py")
tiny_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny_store)


@pytest.fixture
def week_store(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """``(db, model root)``: the tiny store, nothing trained yet."""
    for name in ("TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_HOME", "TASTEMAKER_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "store" / "tastemaker.duckdb"
    db.parent.mkdir()
    with Store(db) as store:
        tiny_store.fill(store)
    return db, tmp_path / "store" / "models"
