"""Generic event logs (CSV or Parquet) into the store.

Event file schema
-----------------
One row per event, or per (user, item, event) total. A CSV file has a header line (comma
separated, ``"`` quotes, UTF-8, optional BOM); a Parquet file has columns of these names (any
types that cast to the ones below); a JSON Lines file (``.jsonl`` or ``.ndjson``, optionally
gzipped) has one object per line with these keys (numbers may be JSON numbers). Names are
matched case-insensitively; any other column is an error.

Required columns:

============  ==============================================================================
user_id       who; any non-empty text
item_id       what; any non-empty text (a track or an artist id)
event         ``play``, ``skip``, ``save`` or ``playlist_add`` (case-insensitive)
count         how many times, a number >= 0 (fractions allowed). May be empty on a ``play``
              row that has a ``duration_ms``: one play of that length, count 1
timestamp     when, ISO 8601 (``2009-05-04T23:08:57Z``, ``2009-05-04 23:08:57+02:00``,
              ``2009-05-04``); without an offset it is UTC. Empty means unknown
============  ==============================================================================

Optional columns:

============  ==============================================================================
item_name     the item's display name (track title, or artist name for an artist item)
artist        the track's artist name
artist_id     the track's artist id
duration_ms   how long it was played, whole milliseconds >= 0
country       where the user was (any text, e.g. an ISO 3166 code)
device        what it was played on (any text)
============  ==============================================================================

Items and users not yet in the store are created from the first row that mentions them. An item
is a ``track`` when any of its rows gives an ``artist`` or ``artist_id``, otherwise an
``artist`` (then its own id and name are also its ``artist_id`` and ``artist_name``); a track
with an artist name but no ``artist_id`` gets ``artist:`` + 16 hex digits of the name's MD5.
Items and users already in the store are left as they are.

A file whose extension is ``.tsv``, or whose first line is six tab-separated fields and no
header, is read as a Last.fm-1K listening log instead (see ``tastemaker.data._lastfm1k``).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from tastemaker.data._common import IngestResult, Steps, fingerprint, run_ingest
from tastemaker.data._event_rows import (
    ALL_COLUMNS,
    REQUIRED_COLUMNS,
    TEMP_TABLES,
    stage_events,
    write_events,
)
from tastemaker.data._sources import first_line, format_suffix, open_source, sniff
from tastemaker.data._validate import check_file
from tastemaker.data.store import Store
from tastemaker.errors import InputError


def ingest_events(
    store: Store, path: str | os.PathLike, progress: bool = True
) -> IngestResult:
    """Ingest an event log: CSV, Parquet or JSON Lines in the event file schema, or a Last.fm-1K TSV.

    The schema is in this module's docstring (``help(tastemaker.data._events)``). The whole file
    is validated before anything is written, and written in one transaction. The same bytes
    ingested again are recognised and skipped.

    Parameters
    ----------
    store : Store
        Where to write.
    path : str or os.PathLike
        A ``.csv``, ``.parquet`` (or ``.pq``), ``.jsonl`` (or ``.ndjson``) or ``.tsv`` file; CSV,
        JSON Lines and TSV optionally gzipped (``.csv.gz``); other names are sniffed.
    progress : bool, default True
        Show a progress bar on stderr.

    Returns
    -------
    IngestResult
        ``kind`` is ``"events"`` or ``"lastfm1k"``; ``rows`` the events written.

    Raises
    ------
    InputError
        For bad input, naming the file, the 1-based row (the header is row 1) and the column.
        Nothing is written.
    """
    path = check_file(path)
    fmt, delim = detect_format(path)
    if fmt == "lastfm1k":
        from tastemaker.data._lastfm1k import ingest_lastfm1k

        return ingest_lastfm1k(store, path, progress=progress)
    with Steps(3, f"ingest {path.name}", progress) as steps:
        steps.step("fingerprint")
        source_id = fingerprint([path])

        def stage(con: duckdb.DuckDBPyConnection) -> None:
            steps.step("read and validate")
            _stage(con, path, fmt, delim)

        def write(con: duckdb.DuckDBPyConnection) -> int:
            steps.step("write")
            return write_events(con, source_id)

        return run_ingest(
            store, kind="events", path=path, source_id=source_id,
            stage=stage, write=write, temp_tables=TEMP_TABLES,
        )  # fmt: skip


def detect_format(path: Path) -> tuple[str, str]:
    """``("parquet", "")``, ``("jsonl", "")``, ``("csv", delimiter)`` or ``("lastfm1k", "\\t")``."""
    fmt, delim = sniff(path)
    if fmt in ("parquet", "jsonl"):
        return fmt, ""
    suffix = format_suffix(path)
    if suffix == ".csv":
        return "csv", ","
    fields = [f.strip().lower() for f in first_line(path).decode("utf-8", "replace").split("\t")]
    if "user_id" in fields:
        return "csv", "\t"
    if suffix == ".tsv" or len(fields) == 6:
        return "lastfm1k", "\t"
    return "csv", ","


def _stage(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, delim: str) -> None:
    source = open_source(
        con, path, fmt, delim, allowed=ALL_COLUMNS, required=REQUIRED_COLUMNS,
        example='{"user_id": "u1", "item_id": "a1", "event": "play", "count": 1, "timestamp": null}',
    )  # fmt: skip
    if stage_events(con, source) == 0:
        if fmt == "csv":
            raise InputError("has a header but no data rows", path=path, row=2, hint="add events")
        raise InputError("has no rows", path=path, hint="add events")
