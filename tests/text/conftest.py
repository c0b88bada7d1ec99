"""The tiny store of tiny_store.py, fresh for every test."""

from __future__ import annotations

import pytest
from tiny_store import fill

from tastemaker.data import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "tiny.duckdb") as s:
        fill(s)
        yield s
