"""What every ingest shares: the result type, source fingerprints, progress and the write step."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tastemaker.data.store import Store

_CHUNK = 1 << 20
#: DuckDB's memory limit while an ingest stages and writes (a lower limit already set is kept):
#: a 17M-row file needs about 1.2 GB of staged rows; beyond this they spill to ``<store>.tmp/``
INGEST_MEMORY_LIMIT = 2 << 30
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


@dataclass(frozen=True)
class IngestResult:
    """What an ingest did.

    Attributes
    ----------
    kind : str
        ``"hetrec"``, ``"events"`` (CSV or Parquet), ``"lastfm1k"`` or ``"tags"``.
    path : str
        The file or folder read.
    rows : int
        Events written, or for ``"tags"`` the ``item_tags`` rows written (for a skipped
        duplicate: what was written the first time).
    skipped_duplicate : bool
        True when these exact bytes were ingested before, so nothing was written.
    counts : dict of str to int
        Rows added per table (``{"events": 92834, "items": 17632, ...}``); empty when skipped.
    source_id : str
        sha256 of the bytes read; the ``ingests`` key and the ``events.source`` value.
    """

    kind: str
    path: str
    rows: int
    skipped_duplicate: bool
    counts: dict[str, int] = field(default_factory=dict)
    source_id: str = ""


def fingerprint(files: Sequence[Path], *, names: bool = False) -> str:
    """sha256 of the files' bytes, in the order given (with ``names``: each name and size too)."""
    digest = hashlib.sha256()
    for path in files:
        if names:
            digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


class Steps:
    """A progress bar over named steps (tqdm, on stderr), or nothing when disabled."""

    def __init__(self, total: int, desc: str, enabled: bool):
        self.total = total
        self.desc = desc
        self.enabled = enabled
        self._bar: Any = None

    def __enter__(self) -> Steps:
        if self.enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit="step", leave=False)
        return self

    def step(self, label: str) -> None:
        """Mark the start of ``label``; the previous step is counted done."""
        if self._bar is not None:
            if self._bar.postfix:
                self._bar.update(1)
            self._bar.set_postfix_str(label)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.update(self.total - self._bar.n)
            self._bar.close()


def run_ingest(
    store: Store,
    *,
    kind: str,
    path: str | os.PathLike,
    source_id: str,
    stage: Callable[[duckdb.DuckDBPyConnection], None],
    write: Callable[[duckdb.DuckDBPyConnection], int],
    temp_tables: Iterable[str],
) -> IngestResult:
    """Run one ingest: skip a known source, else stage + validate, then write in one transaction.

    ``stage`` reads the input into temporary tables and raises InputError on bad input, before
    anything is written; ``write`` inserts and returns the number of events written. On any
    failure nothing is written, and a store file this ingest created is removed again.
    """
    path = os.fspath(path)
    store._require_writable()
    known = store.ingest_record(source_id)
    if known is not None:
        return IngestResult(kind, path, int(known["rows"] or 0), True, {}, source_id)
    con = store.con
    try:
        try:
            with ingest_memory(con):
                stage(con)
                before = store.stats()
                with store.transaction():
                    rows = write(con)
                    con.execute(
                        "INSERT INTO ingests VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                        [source_id, kind, path, rows],
                    )
            after = store.stats()
        finally:
            if store._con is not None:
                drop_temp(store._con, temp_tables)
    except BaseException:
        store._discard_if_new_and_empty()
        raise
    counts = {t: after[t] - before[t] for t in after if after[t] != before[t] and t != "ingests"}
    return IngestResult(kind, path, rows, False, counts, source_id)


def ingest_memory(con: duckdb.DuckDBPyConnection) -> contextlib.AbstractContextManager:
    """DuckDB's memory limit lowered to :data:`INGEST_MEMORY_LIMIT` inside the block, unless the
    connection's own limit is already that low (then nothing changes)."""
    (text,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    match = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if unit not in _UNITS or float(match.group(1)) * _UNITS[unit] <= INGEST_MEMORY_LIMIT:
        return contextlib.nullcontext()
    return setting(con, "memory_limit", f"{INGEST_MEMORY_LIMIT}B")


@contextlib.contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: object) -> Iterator[None]:
    """DuckDB setting ``name`` = ``value`` inside the block, its previous value restored after."""
    (old,) = con.execute("SELECT current_setting(?)", [name]).fetchone()
    con.execute(f"SET {name} = ?", [value])
    try:
        yield
    finally:
        con.execute(f"SET {name} = ?", [old])


def drop_temp(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Drop the temporary tables and views named (those that exist)."""
    kinds = dict(
        con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = 'temp'"
        ).fetchall()
    )
    for name in reversed(list(names)):  # views first: they depend on the tables
        if name in kinds:
            what = "VIEW" if kinds[name] == "VIEW" else "TABLE"
            con.execute(f"DROP {what} temp.{name}")
