"""The tiny store of tests/text/tiny_store.py, fresh for every test, and a seeded generator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from tastemaker.data import Store

_spec = importlib.util.spec_from_file_location("tm_tiny_store", Path(__file__).parents[1] / "text" / "tiny_store.py")
tiny_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny_store)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "tiny.duckdb") as s:
        yield tiny_store.fill(s)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
