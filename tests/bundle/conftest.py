"""A tiny store (tests/text/tiny_store.py: pop/disco, metal and jazz listeners, tags, one artist
nobody plays) trained once per module through the shipped pipeline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tastemaker.data import Store
from tastemaker.pipeline import TrainingPipeline, TrainSettings

from bundle_support import SMALL

_spec = importlib.util.spec_from_file_location("tm_tiny_store", Path(__file__).parents[1] / "text" / "tiny_store.py")
tiny_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny_store)



@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    """``(db, model root)`` of the tiny store, trained once."""
    folder = tmp_path_factory.mktemp("tiny")
    db = folder / "tiny.duckdb"
    with Store(db) as store:
        tiny_store.fill(store)
    TrainingPipeline(TrainSettings(params=SMALL)).run(db, folder / "models")
    return db, folder / "models"


@pytest.fixture(scope="module")
def bundle(tiny):
    from tastemaker.bundle import ModelBundle

    return ModelBundle.load(tiny[1])
