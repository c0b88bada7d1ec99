"""Last.fm-1K style listening logs (``userid-timestamp-artid-artname-traid-traname.tsv``).

No header; six tab-separated fields per line, UTF-8, no quoting::

    user_id  timestamp  artist_id  artist_name  track_id  track_name

``timestamp`` is ISO 8601 (``2009-05-04T23:08:57Z``); ``artist_id`` and ``track_id`` are
MusicBrainz ids and may be empty. Each line is one play (count 1) of a ``track`` item. A track
without an id gets ``track:`` + 16 hex digits of the MD5 of ``artist_name \\x1f track_name``
(stable across files), an artist without an id ``artist:`` + 16 hex of the MD5 of its name.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from tastemaker.data._common import IngestResult, Steps, fingerprint, run_ingest
from tastemaker.data._event_rows import derived_artist_id
from tastemaker.data._validate import (
    Check,
    check_file,
    physical_line,
    raise_first_problem,
    read_delimited,
)
from tastemaker.data.store import Store
from tastemaker.errors import InputError

COLUMNS = ("user_id", "timestamp", "artist_id", "artist_name", "track_id", "track_name")
_TEMP = ("_tm_raw", "_tm_typed")
_TIME_HINT = "write it like 2009-05-04T23:08:57Z"

CHECKS = (
    Check("user_id", "user_id IS NULL", "user_id is empty", "every line needs a user id"),
    Check("timestamp", "ts_text IS NULL", "timestamp is empty", _TIME_HINT, value="ts_text"),
    Check(
        "timestamp", "ts IS NULL", "timestamp is not an ISO 8601 date-time ({value})",
        _TIME_HINT, value="ts_text",
    ),  # fmt: skip
    Check(
        "track_name", "item_id IS NULL", "the track has no id and no name",
        "give a track_id, or the artist and track names",
    ),  # fmt: skip
)


def ingest_lastfm1k(
    store: Store, path: str | os.PathLike, progress: bool = True
) -> IngestResult:
    """Ingest a Last.fm-1K style TSV listening log (see the module docstring).

    :func:`ingest_events` calls this for ``.tsv`` files and headerless six-field logs.

    Returns
    -------
    IngestResult
        ``kind="lastfm1k"``; ``rows`` is the number of plays written.

    Raises
    ------
    InputError
        For bad input, naming the file, the 1-based line and the column. Nothing is written.
    """
    path = check_file(path)
    with Steps(4, f"ingest {path.name}", progress) as steps:
        steps.step("fingerprint")
        source_id = fingerprint([path])

        def stage(con: duckdb.DuckDBPyConnection) -> None:
            steps.step("read")
            _stage(con, path)
            steps.step("validate")
            raise_first_problem(
                con, "_tm_typed", CHECKS, path=path, row_of=lambda r: physical_line(path, r, 0)
            )

        def write(con: duckdb.DuckDBPyConnection) -> int:
            steps.step("write")
            return _write(con, source_id)

        return run_ingest(
            store, kind="lastfm1k", path=path, source_id=source_id,
            stage=stage, write=write, temp_tables=_TEMP,
        )  # fmt: skip


def _stage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    if read_delimited(con, "_tm_raw", path, COLUMNS, delim="\t", header=False, quote="") == 0:
        raise InputError("has no lines", path=path, row=1, hint="give a listening log")
    artist, track = "nullif(trim(artist_name), '')", "nullif(trim(track_name), '')"
    track_key = f"coalesce({artist}, '') || chr(31) || coalesce({track}, '')"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _tm_typed AS SELECT
            rowid + 1 AS _row,
            nullif(trim(user_id), '') AS user_id,
            nullif(trim("timestamp"), '') AS ts_text,
            TRY_CAST(nullif(trim("timestamp"), '') AS TIMESTAMPTZ)::TIMESTAMP AS ts,
            {artist} AS artist_name,
            {track} AS track_name,
            coalesce(nullif(trim(artist_id), ''),
                CASE WHEN {artist} IS NOT NULL THEN {derived_artist_id(artist)} END) AS artist_id,
            coalesce(nullif(trim(track_id), ''),
                CASE WHEN {artist} IS NOT NULL OR {track} IS NOT NULL
                    THEN 'track:' || substr(md5({track_key}), 1, 16) END) AS item_id
        FROM _tm_raw"""
    )


def _write(con: duckdb.DuckDBPyConnection, source: str) -> int:
    con.execute(
        """INSERT INTO users (user_id)
        SELECT DISTINCT user_id FROM _tm_typed t
        WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = t.user_id)"""
    )
    con.execute(
        """INSERT INTO items (item_id, kind, name, artist_id, artist_name)
        SELECT item_id, 'track',
            arg_min(track_name, _row) FILTER (WHERE track_name IS NOT NULL),
            arg_min(artist_id, _row) FILTER (WHERE artist_id IS NOT NULL),
            arg_min(artist_name, _row) FILTER (WHERE artist_name IS NOT NULL)
        FROM _tm_typed t WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = t.item_id)
        GROUP BY item_id"""
    )
    inserted = con.execute(
        """INSERT INTO events (user_id, item_id, event, count, ts, source)
        SELECT user_id, item_id, 'play', 1.0, ts, ? FROM _tm_typed""",
        [source],
    ).fetchone()
    return int(inserted[0])
