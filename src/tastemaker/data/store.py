"""The event store: one DuckDB file holding users, items, events, tags, texts, friendships and
audio content (tabular features, spectrogram index).

Every ingest writes here and every model reads from here. The schema is fixed (other parts of
tastemaker query these tables by name) and versioned in ``meta.schema_version``. All times are
stored as UTC ``TIMESTAMP`` values; the connection's time zone is set to UTC.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from tastemaker._config import lock_timeout, resolve_db_path
from tastemaker.errors import TastemakerError

#: DuckDB memory for the store's largest writes (a week of playlists for every listener): beyond
#: it, the sort spills to disk instead of growing the process by gigabytes (2.3 GiB for 10.7M
#: playlist rows without a limit, 0.7 GiB within this one, 14% slower)
WRITE_MEMORY = "512MB"

__all__ = ["Store", "StoreLockedError", "SCHEMA_VERSION", "TABLES"]

SCHEMA_VERSION = "1"

_SCHEMA = {
    "meta": """
        key VARCHAR PRIMARY KEY,
        value VARCHAR""",
    "users": """
        user_id VARCHAR PRIMARY KEY,
        name VARCHAR,
        country VARCHAR""",
    "items": """
        item_id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,          -- 'artist' or 'track'
        name VARCHAR,
        artist_id VARCHAR,
        artist_name VARCHAR,
        url VARCHAR,
        duration_ms BIGINT""",
    "events": """
        user_id VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL,
        event VARCHAR NOT NULL,         -- play | skip | save | playlist_add
        count DOUBLE NOT NULL DEFAULT 1,
        duration_ms BIGINT,
        ts TIMESTAMP,                   -- NULL when unknown (HetRec counts have no time)
        country VARCHAR,
        device VARCHAR,
        source VARCHAR                  -- ingests.source_id of the file, or 'live'""",
    "tags": """
        tag_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL""",
    "item_tags": """
        user_id VARCHAR,
        item_id VARCHAR NOT NULL,
        tag_id VARCHAR NOT NULL,
        ts TIMESTAMP""",
    "texts": """
        item_id VARCHAR NOT NULL,
        source VARCHAR,
        title VARCHAR,
        body VARCHAR NOT NULL,
        ts TIMESTAMP""",
    "friendships": """
        user_id VARCHAR NOT NULL,
        friend_id VARCHAR NOT NULL""",
    "audio_features": """
        item_id VARCHAR PRIMARY KEY,    -- tabular audio features (Spotify API style), per item
        name VARCHAR,                   -- the name it was matched by, as in the source file
        acousticness DOUBLE, danceability DOUBLE, duration_ms DOUBLE, energy DOUBLE,
        instrumentalness DOUBLE, liveness DOUBLE, loudness DOUBLE, speechiness DOUBLE,
        tempo DOUBLE, valence DOUBLE, popularity DOUBLE, "key" DOUBLE, mode DOUBLE,
        n_tracks DOUBLE,
        source VARCHAR                  -- ingests.source_id of the file""",
    "audio_clips": """
        item_id VARCHAR PRIMARY KEY,    -- one log-mel excerpt per item (tastemaker.content)
        path VARCHAR NOT NULL,          -- the audio file it came from
        sha256 VARCHAR NOT NULL,        -- of the audio file's bytes
        file VARCHAR NOT NULL,          -- the spectrogram .npy, relative to the store's folder
        frames INTEGER NOT NULL,
        offset_s DOUBLE,                -- where the excerpt starts in the track
        duration_s DOUBLE,              -- the whole track
        ingested_at TIMESTAMP""",
    "discover_weekly": """
        user_id VARCHAR NOT NULL,       -- one row per playlist item (tastemaker.playlists)
        week VARCHAR NOT NULL,          -- ISO week, e.g. 2026-W48; all weeks are kept
        position SMALLINT NOT NULL,     -- 1-based
        item_id VARCHAR NOT NULL,
        explanation VARCHAR NOT NULL,   -- one line, e.g. 'Because you listened to Air'
        reason VARCHAR NOT NULL,        -- because | fans | tagged | explore
        anchor VARCHAR,                 -- the item id or tag name the explanation names
        score REAL,
        generated_at TIMESTAMP NOT NULL,
        model_version VARCHAR NOT NULL""",
    "discover_weekly_runs": """
        week VARCHAR NOT NULL,          -- one row per generation run (a week, all or some users)
        generated_at TIMESTAMP NOT NULL,
        model_version VARCHAR NOT NULL,
        users BIGINT NOT NULL,
        seconds DOUBLE""",
    "bandit_pages": """
        page_id VARCHAR PRIMARY KEY,    -- one home screen shown (tastemaker.home / tastemaker.bandit)
        user_id VARCHAR NOT NULL,
        shown_at TIMESTAMP NOT NULL,
        hour SMALLINT, dow SMALLINT,    -- context: UTC hour, weekday (Monday = 0)
        device VARCHAR, country VARCHAR,
        policy VARCHAR NOT NULL,        -- e.g. 'BaRT eps=0.1'
        policy_version VARCHAR,
        epsilon DOUBLE,
        layout_rows SMALLINT, layout_cols SMALLINT""",
    "bandit_candidates": """
        page_id VARCHAR NOT NULL,       -- every card the policy could have shown, with its features
        cand INTEGER NOT NULL,
        item_id VARCHAR NOT NULL,
        shelf INTEGER NOT NULL,         -- index into the page's shelves
        shelf_key VARCHAR NOT NULL,     -- because:<item> | tag:<name> | friends | new
        shelf_type VARCHAR NOT NULL,
        shelf_title VARCHAR NOT NULL,
        cf DOUBLE, popularity DOUBLE, shown_before DOUBLE, streamed_before DOUBLE""",
    "bandit_decisions": """
        page_id VARCHAR NOT NULL,       -- the decisions that built the page, in order
        step INTEGER NOT NULL,
        kind VARCHAR NOT NULL,          -- shelf | card
        choice INTEGER NOT NULL,        -- shelf index, or candidate index (cand)
        row SMALLINT NOT NULL, col SMALLINT,
        propensity DOUBLE NOT NULL      -- probability the policy gave this choice""",
    "bandit_streams": """
        page_id VARCHAR NOT NULL,       -- a card of the page was streamed (the reward)
        item_id VARCHAR NOT NULL,
        ts TIMESTAMP""",
    "pipeline_runs": """
        week VARCHAR NOT NULL,          -- one row per finished step of the weekly job (tastemaker pipeline)
        step VARCHAR NOT NULL,          -- ingest | train | discover-weekly | bandit | export | swap
        status VARCHAR NOT NULL,        -- done | skipped
        detail VARCHAR,                 -- JSON: what the step did
        model_version VARCHAR,          -- the model the step made or used
        finished_at TIMESTAMP NOT NULL""",
    "ingests": """
        source_id VARCHAR PRIMARY KEY,  -- sha256 of the file bytes (a folder: of its files)
        kind VARCHAR,
        path VARCHAR,
        rows BIGINT,
        ingested_at TIMESTAMP""",
}

#: The data tables, in the order :meth:`Store.stats` reports them.
TABLES = (
    "users", "items", "events", "tags", "item_tags", "texts", "friendships", "ingests",
)  # fmt: skip

_MEMORY = ":memory:"


class StoreLockedError(TastemakerError):
    """Another process held the store's file for longer than ``TASTEMAKER_LOCK_TIMEOUT``."""


class Store:
    """A tastemaker event store: one DuckDB file.

    The constructor only stores its arguments; the file is opened (and created, with its schema,
    if missing) on first use, or at once by :meth:`open`. Use it as a context manager to close it.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The DuckDB file; ``":memory:"`` for a throw-away store. ``None`` means the default store
        (``TASTEMAKER_DB`` or ``<data dir>/tastemaker.duckdb``).
    read_only : bool, default False
        Open the file read-only (it must exist). Several read-only processes may share a file.

    Examples
    --------
    >>> with Store(":memory:") as store:
    ...     store.append_events([{"user_id": "u1", "item_id": "a1", "event": "play"}])
    ...     store.stats()["events"]
    1
    1
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False):
        self.path = path
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._created = False
        self._in_transaction = False

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, read_only: bool = False) -> Store:
        """Open (creating it if missing) the store at ``path`` now; see :class:`Store`."""
        store = cls(path, read_only=read_only)
        store.connect()
        return store

    # -- connection ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """The resolved file path, or ``":memory:"``."""
        if self.path is not None and os.fspath(self.path) == _MEMORY:
            return _MEMORY
        return str(resolve_db_path(self.path))

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, opened on first use."""
        if self._con is None:
            self.connect()
        assert self._con is not None
        return self._con

    def connect(self) -> Store:
        """Open the file now, creating parent folders and the schema if needed; returns self."""
        if self._con is not None:
            return self
        location = self.location
        existed = location == _MEMORY or Path(location).exists()
        if location != _MEMORY:
            if self.read_only and not existed:
                raise TastemakerError(
                    f"no store at {location}; ingest data first, e.g. `tastemaker ingest hetrec`"
                )
            if not existed:
                Path(location).parent.mkdir(parents=True, exist_ok=True)
        con = self._connect_waiting(location)
        try:
            con.execute("SET TimeZone = 'UTC'")
            # DuckDB draws its own bar on stdout for queries over 2 s (17M-row loads): it would
            # mix into command output; the commands draw theirs (tqdm, on stderr)
            con.execute("SET enable_progress_bar = false")
            if not self.read_only:
                self._create_schema(con)
            self._check_version(con, location)
        except BaseException:
            con.close()
            raise
        self._con = con
        self._created = location != _MEMORY and not existed
        return self

    def _connect_waiting(self, location: str) -> duckdb.DuckDBPyConnection:
        """Connect, waiting up to ``TASTEMAKER_LOCK_TIMEOUT`` seconds while another process holds
        the file (DuckDB allows one writing process, or several reading ones, per file)."""
        deadline = time.monotonic() + lock_timeout()
        delay = 0.01
        while True:
            try:
                return duckdb.connect(location, read_only=self.read_only)
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                if "lock" not in first.lower():
                    raise TastemakerError(f"cannot open the store {location}: {first}") from exc
                if time.monotonic() >= deadline:
                    holder = re.search(r"\(PID (\d+)\)", first)
                    who = f"process {holder.group(1)}" if holder else "another process"
                    raise StoreLockedError(
                        f"the store {location} is in use by {who} (a `tastemaker serve` writing events, "
                        f"an ingest or a training run); waited {lock_timeout():g}s; try again when it "
                        f"finishes, or raise TASTEMAKER_LOCK_TIMEOUT"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    @staticmethod
    def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
        con.begin()
        try:
            for table, columns in _SCHEMA.items():
                con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns}\n)")
            con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [SCHEMA_VERSION],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise

    @staticmethod
    def _check_version(con: duckdb.DuckDBPyConnection, location: str) -> None:
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.CatalogException:
            row = None
        if row is None or row[0] != SCHEMA_VERSION:
            found = "none" if row is None else row[0]
            raise TastemakerError(
                f"{location} is not a tastemaker store of schema version {SCHEMA_VERSION} "
                f"(found {found}); use another store file or remove it"
            )

    def close(self) -> None:
        """Close the connection (the store can be used again: it reopens on first use)."""
        if self._con is not None:
            self._con.close()
            self._con = None
        self._in_transaction = False

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self._con is not None else "closed"
        return f"Store({self.location!r}, read_only={self.read_only}, {state})"

    @contextlib.contextmanager
    def memory_limit(self, limit: str = WRITE_MEMORY) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a large query within ``limit`` of DuckDB memory (it spills sorts and joins to its
        temporary directory beyond that), then go back to DuckDB's default (most of the RAM).

        Yields
        ------
        duckdb.DuckDBPyConnection
            The store's connection.
        """
        con = self.con
        con.execute(f"SET memory_limit = '{limit}'")
        try:
            yield con
        finally:
            con.execute("RESET memory_limit")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` if the block raises.

        A nested call joins the outer transaction (DuckDB has no nested transactions).

        Yields
        ------
        duckdb.DuckDBPyConnection
            The store's connection.
        """
        con = self.con
        if self._in_transaction:
            yield con
            return
        con.begin()
        self._in_transaction = True
        try:
            yield con
        except BaseException:
            self._in_transaction = False
            con.rollback()
            raise
        self._in_transaction = False
        con.commit()

    # -- contents --------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Row counts per table, e.g. ``{"users": 1892, "items": 17632, "events": 92834, ...}``."""
        sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
        counts = dict(self.con.execute(sql).fetchall())
        return {table: int(counts[table]) for table in TABLES}

    def ingest_record(self, source_id: str) -> dict[str, Any] | None:
        """The ``ingests`` row of ``source_id``, or None if that source was never ingested."""
        if self._con is None and self.location != _MEMORY and not Path(self.location).exists():
            return None  # nothing ingested yet, and no reason to create the file for a lookup
        row = self.con.execute(
            "SELECT source_id, kind, path, rows, ingested_at FROM ingests WHERE source_id = ?",
            [source_id],
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("source_id", "kind", "path", "rows", "ingested_at"), row))

    def append_events(
        self, rows: Sequence[Mapping[str, Any]], *, source: str = "live"
    ) -> int:
        """Append events given as dicts, validated like an events file; returns how many.

        Keys are the columns of the events file schema (see :func:`ingest_events`): ``user_id``,
        ``item_id`` and ``event`` are required; ``count`` defaults to 1 and ``timestamp`` (an ISO
        8601 string or a :class:`datetime.datetime`, naive meaning UTC) to now. Unknown users and
        items are created. All rows are written in one transaction, or none.

        Raises
        ------
        InputError
            Naming the 1-based position in ``rows`` and the key of the first bad value.
        """
        from tastemaker.data._event_rows import append_event_rows

        return append_event_rows(self, rows, source=source)

    def _require_writable(self) -> None:
        if self.read_only:
            raise TastemakerError(
                f"the store {self.location} is open read-only; open it without read_only to write"
            )

    def _discard_if_new_and_empty(self) -> None:
        """Remove the file if this object created it and it holds no data (failed first ingest)."""
        if not self._created or self._con is None or self._in_transaction:
            return
        try:
            empty = not any(self.stats().values())
        except duckdb.Error:
            return
        if not empty:
            return
        self.close()
        location = Path(self.location)
        for leftover in (location, location.with_name(location.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        self._created = False
