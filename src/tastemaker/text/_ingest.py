"""``tastemaker ingest texts``: free text about items (reviews, biographies, blog posts) into the store.

Three input formats, each naming the item by its id or by its name:

========================  ===========================================================================
``*.csv``                 a header row; a ``text`` column; an ``item_id`` or an ``artist`` (name)
                          column, or both (a row may fill either); optional ``title`` and ``source``.
                          Standard CSV quoting, so a text may hold commas, quotes and line breaks.
``*.jsonl``               one JSON object per line with the same keys (blank lines are skipped).
a folder                  one UTF-8 ``.txt`` file per artist, named by the artist's name or its item
                          id (``ABBA.txt``, ``1464.txt``); the whole file is the text. Other files
                          are ignored.
========================  ===========================================================================

Names are matched to the store's items like the audio features are: Unicode NFC, lower case,
trimmed, runs of blanks as one space; an id takes precedence over a name. The whole input is read
and checked before anything is written, and written in one transaction: an unknown item, an empty
text or a malformed row is one error naming the file, the row and the column, and nothing is
written. The same bytes twice are a no-op.

With ``new_artists=True``, a text about an artist the store does not know
creates that artist (kind ``artist``, id = the given ``item_id``, else the name as written, with no
plays): a fresh artist that ``tastemaker train`` then places from its descriptors.
"""

from __future__ import annotations

import csv
import io
import json
import os
import unicodedata
from pathlib import Path

import duckdb

from tastemaker.data import Store
from tastemaker.data._common import IngestResult, fingerprint, run_ingest
from tastemaker.errors import InputError

__all__ = ["ingest_texts", "normalise_name"]

_ID, _NAME, _TEXT = "item_id", "artist", "text"
_OPTIONAL = ("title", "source")
_TEMP = "_tm_texts"
_FORMAT_HINT = ("give a .csv or .jsonl with a text column and an item_id or artist column, "
                "or a folder of <artist name>.txt files")


def normalise_name(name: str) -> str:
    """The form names are matched in: NFC, lower case, trimmed, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).lower().split())


def ingest_texts(store: Store, path: str | os.PathLike, *, new_artists: bool = False) -> IngestResult:
    """Load texts about items into the store's ``texts`` table (see the module docstring).

    Parameters
    ----------
    store : Store
        Must already hold the items the texts are about (e.g. after ``tastemaker ingest hetrec``).
    path : str or os.PathLike
        A ``.csv`` or ``.jsonl`` file, or a folder of ``.txt`` files.
    new_artists : bool, default False
        Create the artists no item matches, instead of reporting them as errors.

    Returns
    -------
    IngestResult
        ``kind="texts"``, ``rows`` = texts written, ``counts={"texts": rows, "items": new}``.

    Raises
    ------
    InputError
        Naming the file, row and column of the first problem; nothing is written.

    Examples
    --------
    >>> ingest_texts(store, "reviews.csv").rows                 # doctest: +SKIP
    120
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError("not found", path=path, hint=_FORMAT_HINT)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
        if not files:
            raise InputError("the folder holds no .txt files", path=path, hint=_FORMAT_HINT)
        records = [_txt_record(f) for f in files]
    else:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise InputError(f"unknown text format {suffix or '(no suffix)'!r}", path=path, hint=_FORMAT_HINT)
        if path.stat().st_size == 0:
            raise InputError("file is empty", path=path, row=1, hint=_FORMAT_HINT)
        text = _read_utf8(path)
        records = _csv_records(path, text) if suffix == ".csv" else _jsonl_records(path, text)
        if not records:
            raise InputError("holds no texts", path=path, hint=_FORMAT_HINT)
        files = [path]
    source_id = fingerprint(files, names=path.is_dir())
    resolved: list[tuple[str, str | None, str | None, str]] = []
    created: dict[str, str] = {}

    def stage(con: duckdb.DuckDBPyConnection) -> None:
        ids = {r[0] for r in con.execute("SELECT item_id FROM items").fetchall()}
        by_name: dict[str, list[str]] = {}
        for item_id, name in con.execute("SELECT item_id, name FROM items WHERE name IS NOT NULL").fetchall():
            by_name.setdefault(normalise_name(name), []).append(item_id)
        for rec in records:
            item_id = _match(rec, ids, by_name, created if new_artists else None)
            resolved.append((item_id, rec["source"], rec["title"], rec["text"]))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_TEMP} (item_id VARCHAR, source VARCHAR, title VARCHAR, "
                    "body VARCHAR)")
        con.executemany(f"INSERT INTO {_TEMP} VALUES (?, ?, ?, ?)", resolved)

    def write(con: duckdb.DuckDBPyConnection) -> int:
        if created:
            con.executemany("INSERT INTO items (item_id, kind, name, artist_id, artist_name) VALUES (?, 'artist', ?, ?, ?)",
                            [(i, n, i, n) for i, n in created.items()])
        row = con.execute(f"INSERT INTO texts (item_id, source, title, body, ts) "
                          f"SELECT item_id, source, title, body, now()::TIMESTAMP FROM {_TEMP}").fetchone()
        return int(row[0])

    return run_ingest(store, kind="texts", path=path, source_id=source_id, stage=stage, write=write,
                      temp_tables=(_TEMP,))


def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path=path, row=line,
                         hint="save the file as UTF-8") from None


def _txt_record(file: Path) -> dict:
    body = _read_utf8(file).strip()
    if not body:
        raise InputError("the text is empty", path=file, hint="write something about the artist, or remove the file")
    key = file.stem.strip()
    return {"where": {"path": file}, _ID: key, _NAME: key, "text": body, "title": None,
            "source": file.name, "by_file_name": True}


def _csv_records(path: Path, text: str) -> list[dict]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    _check_columns(path, header)
    records = []
    row_number = 1
    for fields in reader:
        row_number = reader.line_num  # a quoted text may span lines: report the line it ends on
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise InputError(f"{len(fields)} fields where the header has {len(header)}", path=path,
                             row=row_number, hint="quote texts that hold commas or line breaks")
        records.append(_record(dict(zip(header, fields)), path, row_number, path.name))
    return records


def _jsonl_records(path: Path, text: str) -> list[dict]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", path=path, row=number,
                             hint="one JSON object per line") from None
        if not isinstance(obj, dict):
            raise InputError("not a JSON object", path=path, row=number,
                             hint='each line is an object such as {"artist": "ABBA", "text": "..."}')
        _check_columns(path, list(obj), row=number)
        values = {k: (v if v is None or isinstance(v, str) else str(v)) for k, v in obj.items()}
        records.append(_record(values, path, number, path.name))
    return records


def _check_columns(path: Path, columns: list[str], row: int = 1) -> None:
    if _TEXT not in columns:
        raise InputError("no text column", path=path, row=row, hint=_FORMAT_HINT)
    if _ID not in columns and _NAME not in columns:
        raise InputError("no item_id or artist column to say what the text is about", path=path, row=row,
                         hint=_FORMAT_HINT)


def _record(values: dict, path: Path, row: int, source: str) -> dict:
    body = (values.get(_TEXT) or "").strip()
    if not body:
        raise InputError("the text is empty", path=path, row=row, column=_TEXT, hint="every row needs a text")
    item_id = (values.get(_ID) or "").strip()
    name = (values.get(_NAME) or "").strip()
    if not item_id and not name:
        raise InputError("neither item_id nor artist is given", path=path, row=row, column=_ID,
                         hint="say which item the text is about")
    return {"where": {"path": path, "row": row}, _ID: item_id, _NAME: name, "text": body,
            "title": (values.get("title") or "").strip() or None,
            "source": (values.get("source") or "").strip() or source, "by_file_name": False}


def _match(rec: dict, ids: set[str], by_name: dict[str, list[str]], created: dict[str, str] | None) -> str:
    where = rec["where"]
    if created is not None and not rec["by_file_name"] and rec[_ID] and rec[_ID] not in ids:
        created.setdefault(rec[_ID], rec[_NAME] or rec[_ID])
        return rec[_ID]
    if rec[_ID] and (rec[_ID] in ids or not rec["by_file_name"]):
        if rec[_ID] not in ids:
            raise InputError(f"unknown item_id {rec[_ID]!r}", **where, column=_ID,
                             hint="use an id of the store's items (ingest the items first)")
        return rec[_ID]
    matches = by_name.get(normalise_name(rec[_NAME]), [])
    column = None if rec["by_file_name"] else _NAME
    if not matches and created is not None:
        fresh = [i for i, n in created.items() if normalise_name(n) == normalise_name(rec[_NAME])]
        item_id = fresh[0] if fresh else rec[_NAME]
        if item_id in ids:
            raise InputError(f"cannot create the artist {rec[_NAME]!r}: an item with that id exists", **where,
                             column=column, hint="give an item_id")
        created.setdefault(item_id, rec[_NAME])
        return item_id
    if not matches:
        raise InputError(f"no item is named {rec[_NAME]!r}", **where, column=column,
                         hint="check the spelling, give the item_id, or let new artists be created",
                         setting="new_artists")
    if len(matches) > 1:
        raise InputError(f"{len(matches)} items are named {rec[_NAME]!r} (ids {', '.join(sorted(matches))})",
                         **where, column=column, hint="give the item_id instead")
    return matches[0]
