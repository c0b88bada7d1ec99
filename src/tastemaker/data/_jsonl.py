"""JSON Lines files read by DuckDB: one object per line, its keys as columns, errors by line.

DuckDB's reader skips blank lines, and its error messages give line numbers that are off, so
the error path reads the file itself: the line reported is the line in the file (blank ones
counted), and the first undecodable or malformed line is found with Python's decoder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import duckdb

from tastemaker.data._validate import REENCODE_HINT, Check, ident, literal, open_binary, raise_first_problem
from tastemaker.errors import InputError

#: the temporary table of the file's objects, one row per non-blank line, in file order
JSON_TABLE = "_tm_json"
_HINT = "write one JSON object per line"


def json_line(path: Path, record: int) -> int:
    """The 1-based line of JSON record ``record`` (1-based, blank lines not counted)."""
    seen = 0
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                seen += 1
                if seen == record:
                    return number
    return record


def jsonl_read_error(path: Path, exc: duckdb.Error) -> InputError:
    """The InputError for a file DuckDB could not read: its first undecodable or malformed line."""
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as bad:
                return InputError(f"is not valid UTF-8 (byte 0x{line[bad.start]:02x})", path=path,
                                  row=number, hint=REENCODE_HINT)
            try:
                json.loads(text)
            except json.JSONDecodeError as bad:
                return InputError(f"is not valid JSON ({bad.msg}, character {bad.colno})",
                                  path=path, row=number, hint=_HINT)
    first = str(exc).splitlines()[0].replace("Invalid Input Error: ", "")
    return InputError(f"cannot be read as JSON Lines ({first})", path=path, hint=_HINT)


def objects_relation() -> str:
    """SQL for :data:`JSON_TABLE` with ``_row``, the 1-based record number."""
    return f"(SELECT rowid + 1 AS _row, json FROM {JSON_TABLE})"


def load_objects(con: duckdb.DuckDBPyConnection, path: Path, example: str) -> dict[str, int]:
    """Load ``path`` into :data:`JSON_TABLE`; returns every key with the 0-based index of the
    first record that has it, in order of first appearance.

    Raises an InputError for a file that cannot be read, holds no records, or has a line that is
    not an object (``example`` is a good line, for the hint).
    """
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {JSON_TABLE} AS "
            f"SELECT json FROM read_ndjson_objects({literal(str(path))})"
        )
    except duckdb.Error as exc:
        raise jsonl_read_error(path, exc) from None
    if con.execute(f"SELECT count(*) FROM {JSON_TABLE}").fetchone()[0] == 0:
        raise InputError("has no rows", path=path, hint=f"{_HINT}, e.g. {example}")
    not_object = Check(None, "json_type(json) <> 'OBJECT'", "is a JSON {value}, not an object",
                       f"write each line as one object, e.g. {example}", value="lower(json_type(json))")
    raise_first_problem(con, objects_relation(), [not_object], path=path, row_of=lambda r: json_line(path, r))
    keys = con.execute(
        f"""SELECT key, min(rowid) FROM (SELECT rowid, unnest(json_keys(json)) AS key FROM {JSON_TABLE})
        GROUP BY key ORDER BY 2, 1"""
    ).fetchall()
    return {key: int(index) for key, index in keys}


def _path(key: str) -> str:
    return literal("$." + json.dumps(key))


def nested_checks(keys: Sequence[str], columns: Sequence[str]) -> list[Check]:
    """Checks on :func:`objects_relation`: a value under ``keys`` that is an array or an object."""
    return [
        Check(column, f"json_type(json, {_path(key)}) IN ('ARRAY', 'OBJECT')",
              f"{column} is a JSON array or object ({{value}})", "give one plain text or number per key",
              value=f"json_extract(json, {_path(key)})")
        for key, column in zip(keys, columns)
    ]  # fmt: skip


def values_relation(keys: Sequence[str], columns: Sequence[str]) -> str:
    """SQL for the records as text columns ``columns`` (the values under ``keys``), in file order."""
    select = ", ".join(f"json_extract_string(json, {_path(key)}) AS {ident(column)}"
                       for key, column in zip(keys, columns))  # fmt: skip
    return f"(SELECT {select} FROM {JSON_TABLE})"
