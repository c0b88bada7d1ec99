"""Generic event logs (CSV or Parquet) into the store.

Event file schema
-----------------
One row per event, or per (user, item, event) total. A CSV file has a header line (comma
separated, ``"`` quotes, UTF-8, optional BOM); a Parquet file has columns of these names (any
types that cast to the ones below). Names are matched case-insensitively; any other column is an
error.

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
import zlib
from collections.abc import Sequence
from pathlib import Path

import duckdb

from tastemaker.data._common import IngestResult, Steps, fingerprint, run_ingest
from tastemaker.data._event_rows import (
    ALL_COLUMNS,
    CHECKS,
    REQUIRED_COLUMNS,
    TEMP_TABLES,
    create_typed,
    write_events,
)
from tastemaker.data._validate import (
    check_file,
    ident,
    open_binary,
    literal,
    physical_line,
    raise_first_problem,
    read_delimited,
    read_header,
)
from tastemaker.data.store import Store
from tastemaker.errors import InputError


def ingest_events(
    store: Store, path: str | os.PathLike, progress: bool = True
) -> IngestResult:
    """Ingest an event log: CSV or Parquet in the event file schema, or a Last.fm-1K TSV.

    The schema is in this module's docstring (``help(tastemaker.data._events)``). The whole file
    is validated before anything is written, and written in one transaction. The same bytes
    ingested again are recognised and skipped.

    Parameters
    ----------
    store : Store
        Where to write.
    path : str or os.PathLike
        A ``.csv``, ``.parquet`` (or ``.pq``) or ``.tsv`` file, CSV and TSV optionally gzipped
        (``.csv.gz``); other names are sniffed.
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
    with Steps(4, f"ingest {path.name}", progress) as steps:
        steps.step("fingerprint")
        source_id = fingerprint([path])

        def stage(con: duckdb.DuckDBPyConnection) -> None:
            steps.step("read")
            if fmt == "parquet":
                _stage_parquet(con, path)
            else:
                _stage_csv(con, path, delim)
            steps.step("validate")

        def write(con: duckdb.DuckDBPyConnection) -> int:
            steps.step("write")
            return write_events(con, source_id)

        return run_ingest(
            store, kind="events", path=path, source_id=source_id,
            stage=stage, write=write, temp_tables=TEMP_TABLES,
        )  # fmt: skip


def detect_format(path: Path) -> tuple[str, str]:
    """``("parquet", "")``, ``("csv", delimiter)`` or ``("lastfm1k", "\\t")`` for ``path``."""
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) > 1 else path.suffix.lower()
    try:
        with open_binary(path) as f:
            first = f.readline(1 << 16)
    except (EOFError, OSError, zlib.error) as exc:  # a truncated or corrupt .gz
        raise InputError(f"cannot be decompressed ({exc})", path=path,
                         hint="the gzip file is damaged or cut short; compress the file again") from None
    with open(path, "rb") as f:
        magic = f.read(4)
    if suffix in (".parquet", ".pq"):
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 4))
            tail = f.read(4)
        if magic != b"PAR1" or tail != b"PAR1":
            raise InputError(
                "is not a Parquet file (no PAR1 magic bytes)", path=path,
                hint="write it with a Parquet library, or name a CSV file .csv",
            )  # fmt: skip
        return "parquet", ""
    if magic == b"PAR1":
        return "parquet", ""
    if suffix == ".csv":
        return "csv", ","
    fields = [f.strip().lower() for f in first.decode("utf-8", "replace").split("\t")]
    if "user_id" in fields:
        return "csv", "\t"
    if suffix == ".tsv" or len(fields) == 6:
        return "lastfm1k", "\t"
    return "csv", ","


def check_columns(names: Sequence[str], path: Path, row: int | None) -> list[str]:
    """Lower-cased ``names``, if they are the event columns: all required, none unknown."""
    lowered = [name.lower() for name in names]
    for i, name in enumerate(lowered):
        if name in lowered[:i]:
            raise InputError(
                f"column {names[i]!r} appears twice", path=path, row=row, column=names[i],
                hint="give each column once",
            )  # fmt: skip
    allowed = ", ".join(ALL_COLUMNS)
    unknown = [n for n, low in zip(names, lowered) if low not in ALL_COLUMNS]
    if unknown:
        raise InputError(
            "unknown column(s) " + ", ".join(repr(n) for n in unknown), path=path, row=row,
            column=unknown[0], hint=f"rename or drop them; the columns are {allowed}",
        )  # fmt: skip
    missing = [n for n in REQUIRED_COLUMNS if n not in lowered]
    if missing:
        raise InputError(
            "missing required column(s) " + ", ".join(missing), path=path, row=row,
            column=missing[0], hint="the required columns are " + ", ".join(REQUIRED_COLUMNS),
        )  # fmt: skip
    return lowered


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, delim: str) -> None:
    columns = check_columns(read_header(path, delim), path, row=1)
    if read_delimited(con, "_tm_raw", path, columns, delim=delim, header=True) == 0:
        raise InputError("has a header but no data rows", path=path, row=2, hint="add events")
    create_typed(con, "_tm_raw", columns, row_sql="rowid + 2")
    raise_first_problem(
        con, "_tm_typed", CHECKS, path=path, row_of=lambda r: physical_line(path, r - 1, 1, delim)
    )


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    source = f"read_parquet({literal(str(path))}, file_row_number = true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"cannot be read as Parquet ({first})", path=path) from None
    names = [row[0] for row in described if row[0] != "file_row_number"]
    columns = check_columns(names, path, row=None)
    casts = ", ".join(
        f"CAST({ident(name)} AS VARCHAR) AS {ident(low)}" for name, low in zip(names, columns)
    )
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _tm_raw AS "
            f"SELECT file_row_number + 1 AS _file_row, {casts} FROM {source}"
        )
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"cannot be read as Parquet ({first})", path=path) from None
    if con.execute("SELECT count(*) FROM _tm_raw").fetchone()[0] == 0:
        raise InputError("has no rows", path=path, hint="add events")
    create_typed(con, "_tm_raw", columns, row_sql="_file_row")
    raise_first_problem(con, "_tm_typed", CHECKS, path=path)
