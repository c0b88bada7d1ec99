"""Reading delimited files into DuckDB and finding the first bad value, vectorised.

The pattern every ingest follows: read the file into a temporary table of text columns (DuckDB's
CSV reader, so a 20M-row file takes seconds), express each rule as a SQL condition that is true
for a bad row, find the smallest bad row number of every rule in one scan, and only then turn
the earliest one into an :class:`~tastemaker.errors.InputError` naming file, row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tastemaker.errors import InputError

REENCODE_HINT = "re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT`"


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def open_binary(path: Path):
    """``path`` opened for reading bytes, decompressed if its name ends in ``.gz``."""
    if path.suffix.lower() == ".gz":
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def _name(encoding: str) -> str:
    return {"utf-8": "UTF-8", "latin-1": "Latin-1"}.get(encoding, encoding)


def check_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path, if it is an existing, non-empty file; else an InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, hint="check the path")
    if not path.is_file():
        raise InputError("is not a file", path=path, hint="give the path of a file")
    if path.stat().st_size == 0:
        raise InputError("file is empty", path=path, row=1, hint="give a file with data rows")
    return path


def read_header(path: Path, delim: str, encoding: str = "utf-8") -> list[str]:
    """The fields of the first line (a BOM and surrounding blanks stripped)."""
    with open_binary(path) as f:
        first = f.readline()
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        text = first.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the header is not valid {_name(encoding)} (byte 0x{first[exc.start]:02x})",
            path=path, row=1, hint=REENCODE_HINT,
        ) from None  # fmt: skip
    fields = next(csv.reader(io.StringIO(text), delimiter=delim), [])
    return [name.strip() for name in fields]


@dataclass(frozen=True)
class Check:
    """One validation rule.

    Parameters
    ----------
    column : str or None
        The column the error message names (None: the whole row).
    bad : str
        SQL condition, true for a bad row (write NULL handling explicitly).
    message : str
        What is wrong; ``{value}`` is replaced by the offending value, quoted.
    hint : str
        How to fix it.
    value : str, optional
        SQL expression shown as ``{value}``; defaults to the column.
    """

    column: str | None
    bad: str
    message: str
    hint: str
    value: str | None = None


def raise_first_problem(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    checks: Sequence[Check],
    *,
    path: str | os.PathLike | None,
    row: str = "_row",
    row_of=None,
) -> None:
    """Raise an InputError for the earliest row that fails any check; return if none does.

    ``relation`` must have a ``row`` column numbering the rows. One scan computes every
    check's first bad row; ties go to the check listed first (checks follow column order).
    ``row_of`` maps that number to the row reported (e.g. to count skipped blank lines).
    """
    if not checks:
        return
    firsts = ", ".join(f"min({row}) FILTER (WHERE {c.bad})" for c in checks)
    found = con.execute(f"SELECT {firsts} FROM {relation}").fetchone()
    hits = [(r, i) for i, r in enumerate(found) if r is not None]
    if not hits:
        return
    bad_row, i = min(hits)
    check = checks[i]
    value = con.execute(
        f"SELECT CAST({check.value or ident(check.column)} AS VARCHAR) FROM {relation} "
        f"WHERE {row} = ?",
        [bad_row],
    ).fetchone()[0]
    raise problem(check, value, path=path, row=int(row_of(bad_row) if row_of else bad_row))


def problem_case(checks: Sequence[Check]) -> str:
    """SQL: the index of the first check a row fails (checks in order), NULL if it fails none.

    Materialised next to the rows (a TINYINT), it lets one scan both keep the rows and find
    the first bad one: the smallest row with a non-NULL index, and that index is the check
    :func:`raise_first_problem` would pick for it (ties go to the check listed first).
    """
    if not checks:
        return "NULL::TINYINT"
    whens = " ".join(f"WHEN {c.bad} THEN {i}" for i, c in enumerate(checks))
    return f"CAST(CASE {whens} END AS TINYINT)"


def problem(check: Check, value: str | None, *, path, row: int | None) -> InputError:
    """The InputError for ``check`` failing on ``value`` (the offending text, None if empty)."""
    shown = "empty" if value is None else repr(value)
    return InputError(
        check.message.format(value=shown), path=path, row=row, column=check.column,
        hint=check.hint,
    )  # fmt: skip


def physical_line(path: Path, record: int, header_lines: int, delim: str | None = None) -> int:
    """The 1-based line where data record ``record`` (1-based) starts.

    DuckDB skips blank lines and lets quoted values span lines, so the record number can differ
    from the line a person sees in an editor. ``delim`` given: parse quotes like CSV; None: one
    record per non-blank line. Only called on the error path.
    """
    if delim is None:
        seen = 0
        with open_binary(path) as f:
            for number, line in enumerate(f, start=1):
                if number <= header_lines or not line.strip(b"\r\n"):
                    continue
                seen += 1
                if seen == record:
                    return number
        return record + header_lines
    seen, start = -header_lines, 1
    raw = open_binary(path)
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delim)
        for fields in reader:
            if fields:
                seen += 1
                if seen == record:
                    return start
            start = reader.line_num + 1
    return record + header_lines


_LINE = re.compile(r"Line: (\d+)")


def csv_relation(
    path: Path,
    columns: Sequence[str],
    *,
    delim: str,
    header: bool,
    quote: str = '"',
    encoding: str = "utf-8",
) -> str:
    """SQL for DuckDB's strict CSV reader over ``path``: text columns ``columns``, no sniffing.

    Scanning it in a ``CREATE TABLE ... AS`` keeps file order (DuckDB preserves insertion
    order), so the new table's ``rowid`` is the record's index. Turn read errors into an
    InputError with :func:`read_error`.
    """
    spec = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns) + "}"
    return (
        f"read_csv({literal(str(path))}, header = {str(header).lower()}, delim = {literal(delim)}, "
        f"quote = {literal(quote)}, escape = {literal(quote or '')}, encoding = {literal(encoding)}, "
        f"columns = {spec}, auto_detect = false, strict_mode = true)"
    )


def read_delimited(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    columns: Sequence[str],
    *,
    delim: str,
    header: bool,
    quote: str = '"',
    encoding: str = "utf-8",
) -> int:
    """Load ``path`` into temporary table ``table`` of text columns ``columns``; returns rows.

    The table's ``rowid`` follows file order (DuckDB preserves insertion order), so
    ``rowid + 1 + header`` is the record's row number when there are no blank lines. Read errors
    (bad UTF-8, a wrong number of fields, an unclosed quote) become one InputError naming the row.
    """
    source = csv_relation(path, columns, delim=delim, header=header, quote=quote, encoding=encoding)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {source}")
    except duckdb.Error as exc:
        raise read_error(exc, path, columns, delim, encoding) from None
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def read_error(
    exc: duckdb.Error, path: Path, columns: Sequence[str], delim: str, encoding: str
) -> InputError:
    """The InputError for a DuckDB CSV read error: the row, and what is wrong in words."""
    text = str(exc)
    match = _LINE.search(text)
    row = int(match.group(1)) if match else None
    if "unicode" in text.lower() or "encod" in text.lower():
        column, byte = _bad_bytes(path, row, columns, delim, encoding) if row else (None, None)
        what = f"is not valid {_name(encoding)}" + (f" (byte 0x{byte:02x})" if byte else "")
        return InputError(what, path=path, row=row, column=column, hint=REENCODE_HINT)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if counts:
        return InputError(
            f"has {counts.group(2)} fields where {counts.group(1)} are expected",
            path=path, row=row,
            hint="quote values that contain the delimiter; every row needs the same fields",
        )  # fmt: skip
    if "unterminated quote" in text.lower():
        return InputError(
            "has a quote that is never closed", path=path, row=row,
            hint='close the quote, or double a quote inside a quoted value ("")',
        )  # fmt: skip
    first = next((line for line in text.splitlines() if line.strip()), text)
    first = first.replace("Invalid Input Error: ", "")
    return InputError(f"cannot be read ({first})", path=path, row=row, hint="check the format")


def _bad_bytes(
    path: Path, row: int, columns: Sequence[str], delim: str, encoding: str
) -> tuple[str | None, int | None]:
    """Which column of physical line ``row`` holds undecodable bytes, and the first such byte."""
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            if number == row:
                break
        else:
            return None, None
    for i, field in enumerate(line.rstrip(b"\r\n").split(delim.encode())):
        try:
            field.decode(encoding)
        except UnicodeDecodeError as exc:
            name = columns[i] if i < len(columns) else None
            return name, field[exc.start]
    return None, None
