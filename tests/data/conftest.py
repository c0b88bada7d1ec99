"""Fixtures for the data layer tests: the real HetRec copy, a fresh store, event-file writers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tastemaker.data import Store

HETREC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hetrec2011-lastfm-2k"

EVENT_HEADER = ["user_id", "item_id", "event", "count", "timestamp"]


@pytest.fixture(scope="session")
def hetrec_path() -> Path:
    """The read-only HetRec 2011 Last.fm copy next to the repository (skips if absent)."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC} (read-only shared data)")
    return HETREC


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "tastemaker.duckdb"


@pytest.fixture
def store(db_path: Path):
    with Store(db_path) as store:
        yield store


@pytest.fixture
def csv_file(tmp_path: Path):
    """Factory: ``csv_file(rows, header=EVENT_HEADER, name="events.csv")`` writes a UTF-8 CSV."""

    def write(rows: list[list[object]], header: list[str] = EVENT_HEADER, name: str = "events.csv"):
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows([["" if v is None else v for v in row] for row in rows])
        return path

    return write


@pytest.fixture
def parquet_file(tmp_path: Path):
    """Factory: ``parquet_file(columns, name="events.parquet")`` writes Parquet with pyarrow."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")

    def write(columns: dict[str, list], name: str = "events.parquet"):
        path = tmp_path / name
        pq.write_table(pa.table(columns), path)
        return path

    return write
