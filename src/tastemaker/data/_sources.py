"""Tabular input files (CSV, Parquet, JSON Lines) as SQL relations, and the checked staging step.

Every file ingest with named columns goes the same way: :func:`sniff` the format,
:func:`open_source` (check the column names, get a relation of the file's columns), define a
typed view over it, then :func:`stage_checked`: one scan that parses every row into a compact
temporary table **and** marks the first check each row fails, so validation costs no extra pass
over the file and the earliest bad row is still the one reported, by its row number in the file.

Row numbers: CSV counts the header as row 1 and reports the line a record starts on (blank
lines and quoted line breaks counted); Parquet counts data rows from 1; JSON Lines counts lines
from 1, blank ones included.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tastemaker.data._jsonl import (
    JSON_TABLE,
    json_line,
    jsonl_read_error,
    load_objects,
    nested_checks,
    objects_relation,
    values_relation,
)
from tastemaker.data._validate import (
    Check,
    csv_relation,
    ident,
    literal,
    open_binary,
    physical_line,
    problem,
    problem_case,
    raise_first_problem,
    read_error,
    read_header,
)
from tastemaker.errors import InputError

#: temporary tables :func:`open_source` and :func:`stage_checked` may create (drop in reverse)
SOURCE_TEMP_TABLES = (JSON_TABLE, "_tm_typed", "_tm_rows", "_tm_ready")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


def format_suffix(path: Path) -> str:
    """The format suffix, looking through a final ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    return suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) > 1 else path.suffix.lower()


def first_line(path: Path) -> bytes:
    """The first line (at most 64 KiB) of ``path``, decompressed; an InputError for a bad .gz."""
    try:
        with open_binary(path) as f:
            return f.readline(1 << 16)
    except (EOFError, OSError, zlib.error) as exc:  # a truncated or corrupt .gz
        raise InputError(f"cannot be decompressed ({exc})", path=path,
                         hint="the gzip file is damaged or cut short; compress the file again") from None


def sniff(path: Path) -> tuple[str, str]:
    """``("parquet", "")``, ``("jsonl", "")`` or ``("csv", delimiter)`` for ``path``.

    A ``.parquet``/``.pq`` name must hold Parquet; Parquet magic bytes win over any other name;
    ``.jsonl``/``.ndjson`` (optionally ``.gz``) is JSON Lines; anything else is CSV, tab-separated
    when the name ends in ``.tsv`` or the header line has tabs and no commas.
    """
    suffix = format_suffix(path)
    first = first_line(path)
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
    if suffix in _JSONL_SUFFIXES:
        return "jsonl", ""
    if suffix == ".tsv" or (b"\t" in first and b"," not in first):
        return "csv", "\t"
    return "csv", ","


def check_columns(
    names: Sequence[str],
    path: Path,
    *,
    allowed: Sequence[str],
    required: Sequence[str],
    row: int | None,
    row_of_name: Callable[[str], int] | None = None,
) -> list[str]:
    """Lower-cased ``names``, if all ``required`` are there and none is outside ``allowed``.

    ``row`` is the row the errors name (the header's, or None for Parquet); ``row_of_name`` the
    row a name first appears on, where that differs per name (JSON Lines; only called on error).
    """

    def where(name: str) -> int | None:
        return row_of_name(name) if row_of_name else row

    lowered = [name.lower() for name in names]
    for i, name in enumerate(lowered):
        if name in lowered[:i]:
            raise InputError(
                f"column {names[i]!r} appears twice", path=path, row=where(names[i]),
                column=names[i], hint="give each column once",
            )  # fmt: skip
    unknown = [n for n, low in zip(names, lowered) if low not in allowed]
    if unknown:
        raise InputError(
            "unknown column(s) " + ", ".join(repr(n) for n in unknown), path=path,
            row=where(unknown[0]), column=unknown[0],
            hint="rename or drop them; the columns are " + ", ".join(allowed),
        )  # fmt: skip
    missing = [n for n in required if n not in lowered]
    if missing:
        raise InputError(
            "missing required column(s) " + ", ".join(missing), path=path, row=row,
            column=missing[0], hint="the required columns are " + ", ".join(required),
        )  # fmt: skip
    return lowered


@dataclass(frozen=True)
class Source:
    """An input file opened for staging.

    Attributes
    ----------
    path : Path
    format : str
        ``"csv"``, ``"parquet"`` or ``"jsonl"``.
    columns : tuple of str
        Its column names, lower-cased, in file order.
    relation : str
        SQL for a relation with exactly those columns, in file order: text for CSV and JSON
        Lines, the stored types for Parquet.
    types : dict of str to str
        Each column's DuckDB type (``VARCHAR`` for text formats).
    row_of : callable
        0-based record index -> the row number an error reports.
    read_error : callable
        A DuckDB error raised while scanning ``relation`` -> the InputError to raise.
    """

    path: Path
    format: str
    columns: tuple[str, ...]
    relation: str
    types: dict[str, str] = field(default_factory=dict)
    row_of: Callable[[int], int] = lambda index: index + 1
    read_error: Callable[[duckdb.Error], InputError] | None = None

    def native(self, column: str) -> str | None:
        """The stored type of ``column`` if it is not text (Parquet), else None."""
        kind = self.types.get(column, "VARCHAR")
        return None if kind == "VARCHAR" else kind


def open_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    delim: str = ",",
    *,
    allowed: Sequence[str],
    required: Sequence[str],
    example: str,
) -> Source:
    """Check ``path``'s column names and return it as a :class:`Source`.

    Nothing is read past the header for CSV and Parquet (the scan happens in
    :func:`stage_checked`); JSON Lines are loaded into a temporary table of objects first, to
    find their keys. ``example`` is one good JSON line, for the hint of a line that is no object.
    """
    names = dict(allowed=allowed, required=required)
    if fmt == "csv":
        columns = check_columns(read_header(path, delim), path, row=1, **names)
        return Source(
            path, "csv", tuple(columns), csv_relation(path, columns, delim=delim, header=True),
            row_of=lambda index: physical_line(path, index + 1, 1, delim),
            read_error=lambda exc: read_error(exc, path, columns, delim, "utf-8"),
        )  # fmt: skip
    if fmt == "parquet":
        return _open_parquet(con, path, names)
    if fmt == "jsonl":
        return _open_jsonl(con, path, names, example)
    raise ValueError(f"unknown format {fmt!r}")


def _parquet_error(path: Path, exc: duckdb.Error) -> InputError:
    first = str(exc).splitlines()[0]
    return InputError(f"cannot be read as Parquet ({first})", path=path)


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path, names: dict) -> Source:
    scan = f"read_parquet({literal(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise _parquet_error(path, exc) from None
    stored = [row[0] for row in described]
    columns = check_columns(stored, path, row=None, **names)
    select = ", ".join(f"{ident(name)} AS {ident(low)}" for name, low in zip(stored, columns))
    return Source(
        path, "parquet", tuple(columns), f"(SELECT {select} FROM {scan})",
        types={low: str(row[1]) for low, row in zip(columns, described)},
        read_error=lambda exc: _parquet_error(path, exc),
    )  # fmt: skip


def _open_jsonl(con: duckdb.DuckDBPyConnection, path: Path, names: dict, example: str) -> Source:
    keys = load_objects(con, path, example)
    stored = list(keys)
    columns = check_columns(stored, path, row=None, row_of_name=lambda key: json_line(path, keys[key] + 1),
                            **names)  # fmt: skip
    raise_first_problem(con, objects_relation(), nested_checks(stored, columns), path=path,
                        row_of=lambda r: json_line(path, r))  # fmt: skip
    return Source(
        path, "jsonl", tuple(columns), values_relation(stored, columns),
        row_of=lambda index: json_line(path, index + 1),
        read_error=lambda exc: jsonl_read_error(path, exc),
    )  # fmt: skip


def stage_checked(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    checks: Sequence[Check],
    keep: Mapping[str, str],
    *,
    typed: str = "_tm_typed",
) -> int:
    """Scan ``typed`` once into the temporary table ``_tm_rows`` and raise its first bad row.

    ``typed`` is a view over ``source.relation`` (one row per record, in file order) holding
    the columns ``checks`` and ``keep`` use. ``keep`` maps each column to store to the SQL type
    it is stored as, so only what the write needs is held in memory. Each row also stores the
    index of the first check it fails (:func:`~tastemaker.data._validate.problem_case`); if any
    row fails, the earliest one is raised as an InputError naming its row and column, with the
    offending value read back from the file. Then the view ``_tm_ready`` is ``_tm_rows`` with
    its record index as ``_row`` (0-based, file order). Returns the number of rows.
    """
    stored = ", ".join(f"CAST({ident(c)} AS {kind}) AS {ident(c)}" for c, kind in keep.items())
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _tm_rows AS "
            f"SELECT {stored}, {problem_case(checks)} AS _problem FROM {typed}"
        )
    except duckdb.Error as exc:
        if source.read_error is None:
            raise
        raise source.read_error(exc) from None
    rows, first, index = con.execute(
        "SELECT count(*), min(rowid) FILTER (WHERE _problem IS NOT NULL), "
        "arg_min(_problem, rowid) FILTER (WHERE _problem IS NOT NULL) FROM _tm_rows"
    ).fetchone()
    if first is not None:
        check = checks[index]
        value = con.execute(
            f"SELECT CAST({check.value or ident(check.column)} AS VARCHAR) FROM {typed} "
            f"LIMIT 1 OFFSET ?",
            [int(first)],
        ).fetchone()[0]
        raise problem(check, value, path=source.path, row=source.row_of(int(first)))
    columns = ", ".join(ident(c) for c in keep)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _tm_ready AS SELECT rowid AS _row, {columns} FROM _tm_rows")
    return int(rows)
