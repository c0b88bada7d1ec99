"""Tag files (who tagged what with which word) into the store's ``tags`` and ``item_tags``.

Tag file schema
---------------
One row per tag given: CSV (a header line, comma or tab separated, ``"`` quotes, UTF-8,
optionally gzipped), Parquet, or JSON Lines (one object per line, optionally gzipped). Column
names are matched case-insensitively; any other column is an error.

============  ========  ====================================================================
item_id       required  what was tagged; any non-empty text (an artist or a track id)
tag           required  the tag, any non-empty text (``dream pop``); one tag per row
user_id       optional  who gave it; empty means not known (an anonymous or aggregated tag)
timestamp     optional  when, ISO 8601 like the events file; empty means unknown
============  ========  ====================================================================

Tags are one tag when their *key* is equal: Unicode NFC, lower case, trimmed, runs of blanks as
one space (``Dream  Pop`` and ``dream pop``). A key the store already has (from HetRec or an
earlier file) keeps that tag's id; a new one gets the id ``tag:`` + key and the name as first
written in the file. :func:`tastemaker.text.descriptor_counts` folds names further (hyphens,
apostrophes), so ``hip-hop`` and ``hip hop`` still end up one descriptor.

Each row counts once per person: a ``(user_id, item_id, tag)`` already in the store, or earlier
in the file, is not written again (an export ingested twice under another name does not double
anyone's tags). Rows without a ``user_id`` are all written: they are counts.

Items not in the store are created, as ``artist`` items with no name (their id is also their
``artist_id``): a catalogue is often tagged before anyone plays it, and the cultural vectors
(``tastemaker.text``) describe exactly those cold items. Items already there are left as they
are, so a later events file naming the item does not change it either (the first source wins).
Users not in the store are created too, as the events and HetRec ingests do.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from tastemaker.data._common import IngestResult, Steps, fingerprint, run_ingest
from tastemaker.data._event_rows import TIMESTAMP_CHECK, text_sql, timestamp_sql
from tastemaker.data._sources import SOURCE_TEMP_TABLES, open_source, sniff, stage_checked
from tastemaker.data._validate import Check, check_file
from tastemaker.data.store import Store
from tastemaker.errors import InputError

__all__ = ["ingest_tags", "TAG_COLUMNS", "TAG_REQUIRED_COLUMNS", "tag_key_sql"]

TAG_REQUIRED_COLUMNS = ("item_id", "tag")
TAG_COLUMNS = TAG_REQUIRED_COLUMNS + ("user_id", "timestamp")
_TEMP = (*SOURCE_TEMP_TABLES, "_tm_tag_ids")
_EXAMPLE = '{"item_id": "a1", "tag": "dream pop", "user_id": "u1"}'

CHECKS = (
    Check("item_id", "item_id IS NULL", "item_id is empty", "every row needs the id of the item tagged"),
    Check("tag", "tag IS NULL", "tag is empty", "every row needs a tag (one tag per row)"),
    TIMESTAMP_CHECK,
)


def tag_key_sql(name: str) -> str:
    """SQL for the key tags are matched by: NFC, lower case, trimmed, single spaces."""
    return f"lower(nfc_normalize(regexp_replace(trim({name}), '\\s+', ' ', 'g')))"


def ingest_tags(store: Store, path: str | os.PathLike, progress: bool = True) -> IngestResult:
    """Ingest a tag file into ``tags`` and ``item_tags`` (the schema is in this module's docstring).

    The whole file is validated before anything is written, and written in one transaction; the
    same bytes ingested again are recognised and skipped.

    Parameters
    ----------
    store : Store
        Where to write.
    path : str or os.PathLike
        A ``.csv`` (or ``.tsv``), ``.parquet`` (``.pq``) or ``.jsonl`` (``.ndjson``) file; CSV
        and JSON Lines optionally gzipped (``.csv.gz``, ``.jsonl.gz``).
    progress : bool, default True
        Show a progress bar on stderr.

    Returns
    -------
    IngestResult
        ``kind="tags"``; ``rows`` the ``item_tags`` rows written (repeats of a person's tag
        left out); ``counts`` also shows new tags, items and users.

    Raises
    ------
    InputError
        For bad input, naming the file, the 1-based row (a CSV header is row 1) and the column.
        Nothing is written.

    Examples
    --------
    >>> with Store("lastfm.duckdb") as store:  # doctest: +SKIP
    ...     ingest_tags(store, "tags.csv").counts
    {'users': 2, 'items': 1, 'tags': 3, 'item_tags': 4}
    """
    path = check_file(path)
    fmt, delim = sniff(path)
    with Steps(3, f"ingest {path.name}", progress) as steps:
        steps.step("fingerprint")
        source_id = fingerprint([path])

        def stage(con: duckdb.DuckDBPyConnection) -> None:
            steps.step("read and validate")
            _stage(con, path, fmt, delim)

        def write(con: duckdb.DuckDBPyConnection) -> int:
            steps.step("write")
            return _write(con)

        return run_ingest(
            store, kind="tags", path=path, source_id=source_id,
            stage=stage, write=write, temp_tables=_TEMP,
        )  # fmt: skip


def _stage(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, delim: str) -> None:
    source = open_source(con, path, fmt, delim, allowed=TAG_COLUMNS, required=TAG_REQUIRED_COLUMNS,
                         example=_EXAMPLE)
    present = source.columns

    def text(name: str) -> str:
        return text_sql(name, present, source.native(name))

    ts_text, ts = timestamp_sql("timestamp", present, source.native("timestamp"))
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _tm_typed AS SELECT
            {text("user_id")} AS user_id,
            {text("item_id")} AS item_id,
            regexp_replace({text("tag")}, '\\s+', ' ', 'g') AS tag,
            {ts_text} AS ts_text,
            {ts} AS ts
        FROM {source.relation}"""
    )
    keep = {"user_id": "VARCHAR", "item_id": "VARCHAR", "tag": "VARCHAR", "ts": "TIMESTAMP"}
    if stage_checked(con, source, CHECKS, keep) == 0:
        if fmt == "csv":
            raise InputError("has a header but no data rows", path=path, row=2, hint="add tags")
        raise InputError("has no rows", path=path, hint="add tags")


def _write(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        """INSERT INTO users (user_id)
        SELECT DISTINCT user_id FROM _tm_ready t
        WHERE user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = t.user_id)
        ORDER BY user_id"""
    )
    con.execute(
        """INSERT INTO items (item_id, kind, artist_id)
        SELECT DISTINCT item_id, 'artist', item_id FROM _tm_ready t
        WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = t.item_id)
        ORDER BY item_id"""
    )
    # every spelling in the file -> its key -> the tag id the store has for that key, or a new one
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _tm_tag_ids AS
        WITH spellings AS (
            SELECT tag, {tag_key_sql("tag")} AS key, min(_row) AS first FROM _tm_ready GROUP BY tag
        ), known AS (
            SELECT {tag_key_sql("name")} AS key, min(tag_id) AS tag_id FROM tags GROUP BY 1
        )
        SELECT s.tag, s.key, coalesce(k.tag_id, 'tag:' || s.key) AS tag_id,
            k.tag_id IS NULL AS new, s.first
        FROM spellings s LEFT JOIN known k USING (key)"""
    )
    con.execute(
        """INSERT INTO tags (tag_id, name)
        SELECT tag_id, arg_min(tag, first) FROM _tm_tag_ids
        WHERE new AND NOT EXISTS (SELECT 1 FROM tags g WHERE g.tag_id = _tm_tag_ids.tag_id)
        GROUP BY tag_id ORDER BY min(first)"""
    )
    inserted = con.execute(
        """INSERT INTO item_tags (user_id, item_id, tag_id, ts)
        SELECT user_id, item_id, tag_id, ts FROM (
            SELECT t.user_id, t.item_id, m.tag_id, t.ts, t._row
            FROM _tm_ready t JOIN _tm_tag_ids m USING (tag)
        ) r
        WHERE NOT EXISTS (
            SELECT 1 FROM item_tags e
            WHERE e.user_id = r.user_id AND e.item_id = r.item_id AND e.tag_id = r.tag_id
        )
        QUALIFY r.user_id IS NULL
            OR row_number() OVER (PARTITION BY r.user_id, r.item_id, r.tag_id ORDER BY r._row) = 1
        ORDER BY r._row"""
    ).fetchone()
    return int(inserted[0])
