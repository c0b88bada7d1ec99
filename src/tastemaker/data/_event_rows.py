"""Event rows, wherever they come from (a file or a list of dicts): the checks and the writes.

The columns and their rules are documented in ``tastemaker.data._events``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from tastemaker.data._common import drop_temp, setting
from tastemaker.data._sources import SOURCE_TEMP_TABLES, Source, stage_checked
from tastemaker.data._validate import Check, ident, literal, raise_first_problem
from tastemaker.data.store import Store
from tastemaker.errors import InputError

EVENT_TYPES = ("play", "skip", "save", "playlist_add")
REQUIRED_COLUMNS = ("user_id", "item_id", "event", "count", "timestamp")
OPTIONAL_COLUMNS = ("item_name", "artist", "artist_id", "duration_ms", "country", "device")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TEMP_TABLES = ("_tm_raw", *SOURCE_TEMP_TABLES)
_EVENTS = ", ".join(literal(e) for e in EVENT_TYPES)
_EVENT_HINT = "use one of " + ", ".join(EVENT_TYPES)

#: the ISO 8601 rule on a typed view's ``ts_text``/``ts`` (shared by every ingest with times)
TIMESTAMP_CHECK = Check(
    "timestamp", "ts_text IS NOT NULL AND ts IS NULL",
    "timestamp is not an ISO 8601 date-time ({value})",
    "write it like 2009-05-04T23:08:57Z (leave it empty if unknown)", value="ts_text",
)  # fmt: skip


CHECKS = (
    Check("user_id", "user_id IS NULL", "user_id is empty", "every row needs a user id"),
    Check("item_id", "item_id IS NULL", "item_id is empty", "every row needs an item id"),
    Check("event", "event IS NULL", "event is empty", _EVENT_HINT),
    Check("event", f"event NOT IN ({_EVENTS})", "unknown event type {value}", _EVENT_HINT),
    Check(
        "count", "count_text IS NOT NULL AND count_value IS NULL",
        "count is not a number ({value})", "write counts as plain numbers such as 3 or 2.5",
        value="count_text",
    ),  # fmt: skip
    Check(
        "count", "NOT isfinite(count_value)", "count is not finite ({value})",
        "write counts as plain numbers such as 3 or 2.5", value="count_text",
    ),  # fmt: skip
    Check(
        "count", "count_value < 0", "count is negative ({value})",
        "counts must be >= 0; record dislikes as skip events", value="count_text",
    ),  # fmt: skip
    Check(
        "count", "count_text IS NULL AND NOT (event = 'play' AND duration_text IS NOT NULL)",
        "count is empty", "give a count (empty means 1 only on a play row with a duration_ms)",
        value="count_text",
    ),  # fmt: skip
    TIMESTAMP_CHECK,
    Check(
        "duration_ms",
        "duration_text IS NOT NULL AND (duration_value IS NULL OR NOT isfinite(duration_value))",
        "duration_ms is not a number ({value})", "write whole milliseconds such as 215000",
        value="duration_text",
    ),  # fmt: skip
    Check(
        "duration_ms", "duration_value < 0", "duration_ms is negative ({value})",
        "durations must be >= 0", value="duration_text",
    ),  # fmt: skip
)


def derived_artist_id(name_sql: str) -> str:
    """SQL for the id given to an artist known only by name: ``artist:`` + 16 hex of MD5."""
    return f"'artist:' || substr(md5({name_sql}), 1, 16)"


_TIME_TYPES = ("TIMESTAMP", "DATE")  # prefixes: TIMESTAMP WITH TIME ZONE, TIMESTAMP_MS, ...

#: the typed columns an events write needs, the file column each comes from, and its type
KEEP = {
    "user_id": ("user_id", "VARCHAR"), "item_id": ("item_id", "VARCHAR"),
    "event": ("event", "VARCHAR"), "count_value": ("count", "DOUBLE"),
    "duration_value": ("duration_ms", "DOUBLE"), "ts": ("timestamp", "TIMESTAMP"),
    "item_name": ("item_name", "VARCHAR"), "artist": ("artist", "VARCHAR"),
    "artist_id": ("artist_id", "VARCHAR"), "country": ("country", "VARCHAR"),
    "device": ("device", "VARCHAR"),
}  # fmt: skip


def text_sql(name: str, present: Sequence[str], native: str | None = None, *, large: bool = True) -> str:
    """SQL for column ``name`` as text: trimmed, empty as NULL; NULL if the file lacks it.

    A column stored with a non-text type (``native``, e.g. a Parquet BIGINT) is only cast.
    ``large``: use :func:`trimmed_sql`, which pays off over many rows; a few rows are faster with
    the plain ``trim`` (a smaller expression is quicker to plan than to run).
    """
    if name not in present:
        return "NULL::VARCHAR"
    if native is not None:
        return f"CAST({ident(name)} AS VARCHAR)"
    return trimmed_sql(ident(name)) if large else f"nullif(trim({ident(name)}), '')"


def trimmed_sql(text: str) -> str:
    """SQL for ``nullif(trim(text), '')``, skipping the trim where it cannot change anything.

    DuckDB's ``trim`` strips the Unicode space separators (Zs), and the only one in ASCII is the
    space; so an all-ASCII value (as many bytes as characters) that neither starts nor ends with
    a space is kept as it is, and anything else goes through ``trim``. Same result (a test pins
    it), about 40% less time on 17M rows, where almost every value is clean.
    """
    clean = (f"strlen({text}) = length({text}) AND strlen({text}) > 0 "
             f"AND NOT starts_with({text}, ' ') AND NOT ends_with({text}, ' ')")
    return f"CASE WHEN {clean} THEN {text} ELSE nullif(trim({text}), '') END"


def timestamp_sql(name: str, present: Sequence[str], native: str | None = None) -> tuple[str, str]:
    """``(text, value)`` SQL for a timestamp column: ISO 8601 text parsed, no offset meaning UTC.

    A column already stored as a timestamp or date (Parquet) is taken as it is (a zoned one
    converted to UTC); it cannot be malformed, so its text is NULL and the check never fires.
    Text that parses to an infinite time (``infinity``) is not a date-time: the check fires.
    """
    if native is not None and native.upper() == "TIMESTAMP WITH TIME ZONE":
        return "NULL::VARCHAR", utc_sql(ident(name))
    if native is not None and native.upper().startswith(_TIME_TYPES):
        return "NULL::VARCHAR", f"CAST({ident(name)} AS TIMESTAMP)"
    text = text_sql(name, present, native)
    return text, utc_sql(f"TRY_CAST({text} AS TIMESTAMPTZ)")


def utc_sql(zoned: str) -> str:
    """SQL for a TIMESTAMPTZ as the UTC TIMESTAMP the store keeps.

    Rebuilt from its epoch microseconds rather than cast: a cast goes through the session's
    time zone calendar, five times slower on 17M rows. Infinite values become NULL.
    """
    return f"make_timestamp(epoch_us({zoned}))"


def create_typed(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    present: Sequence[str],
    types: Mapping[str, str] | None = None,
    row_sql: str | None = None,
    large: bool = True,
) -> None:
    """The temp view ``_tm_typed`` over ``raw``: trimmed text (empty → NULL), parsed numbers and
    times. ``types`` gives the stored type of columns that are not text (Parquet); ``row_sql``,
    if given, becomes a ``_row`` column (file scans have none: their rows are numbered when
    staged). ``large`` as in :func:`text_sql`."""
    types = types or {}
    row = f"{row_sql} AS _row," if row_sql else ""

    def text(name: str) -> str:
        return text_sql(name, present, types.get(name), large=large)

    def number(name: str) -> str:
        if name in present and types.get(name):
            return f"TRY_CAST({ident(name)} AS DOUBLE)"
        return f"TRY_CAST({text(name)} AS DOUBLE)"

    ts_text, ts = timestamp_sql("timestamp", present, types.get("timestamp"))
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _tm_typed AS SELECT {row}
            {text("user_id")} AS user_id,
            {text("item_id")} AS item_id,
            lower({text("event")}) AS event,
            {text("count")} AS count_text,
            {number("count")} AS count_value,
            {ts_text} AS ts_text,
            {ts} AS ts,
            {text("duration_ms")} AS duration_text,
            {number("duration_ms")} AS duration_value,
            {text("item_name")} AS item_name,
            {text("artist")} AS artist,
            {text("artist_id")} AS artist_id,
            {text("country")} AS country,
            {text("device")} AS device
        FROM {raw}"""
    )


def stage_events(con: duckdb.DuckDBPyConnection, source: Source) -> int:
    """Typed view, one checked scan into ``_tm_rows``, and ``_tm_ready`` for
    :func:`write_events`; raises the first bad row. Returns the number of rows."""
    create_typed(con, source.relation, source.columns, {c: source.native(c) for c in source.columns})
    keep = {name: kind for name, (column, kind) in KEEP.items() if column in source.columns}
    rows = stage_checked(con, source, CHECKS, keep)
    missing = [f"NULL::{kind} AS {name}" for name, (_, kind) in KEEP.items() if name not in keep]
    if missing:  # columns the file lacks: NULL in the view, not stored 17M times
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _tm_ready AS SELECT rowid AS _row, "
            f"{', '.join(keep)}, {', '.join(missing)} FROM _tm_rows"
        )
    return rows


def write_events(
    con: duckdb.DuckDBPyConnection, source: str, rows: str = "_tm_ready", *, large: bool = True
) -> int:
    """Insert the validated ``rows`` (a relation with ``_row`` and the :data:`KEEP` columns), new
    users and new items; returns events written. ``large``: insert without keeping row order."""
    con.execute(
        f"""INSERT INTO users (user_id, country)
        SELECT user_id, arg_min(country, _row) FILTER (WHERE country IS NOT NULL)
        FROM {rows} t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = t.user_id)
        GROUP BY user_id"""
    )
    con.execute(
        f"""INSERT INTO items (item_id, kind, name, artist_id, artist_name)
        SELECT item_id, kind, name,
            CASE WHEN kind = 'track'
                THEN coalesce(artist_id, {derived_artist_id("artist")}) ELSE item_id END,
            CASE WHEN kind = 'track' THEN artist ELSE name END
        FROM (
            SELECT item_id,
                CASE WHEN bool_or(artist IS NOT NULL OR artist_id IS NOT NULL)
                    THEN 'track' ELSE 'artist' END AS kind,
                arg_min(item_name, _row) FILTER (WHERE item_name IS NOT NULL) AS name,
                arg_min(artist_id, _row) FILTER (WHERE artist_id IS NOT NULL) AS artist_id,
                arg_min(artist, _row) FILTER (WHERE artist IS NOT NULL) AS artist
            FROM {rows} t
            WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = t.item_id)
            GROUP BY item_id
        )"""
    )
    # Order-free, so each thread fills whole row groups: the order-keeping insert writes
    # partial ones and merges them at commit, leaving a quarter of the file as free blocks.
    with setting(con, "preserve_insertion_order", False) if large else contextlib.nullcontext():
        inserted = con.execute(
            f"""INSERT INTO events
                (user_id, item_id, event, count, duration_ms, ts, country, device, source)
            SELECT user_id, item_id, event, coalesce(count_value, 1.0),
                CAST(round(duration_value) AS BIGINT), ts, country, device, ?
            FROM {rows}""",
            [source],
        ).fetchone()
    return int(inserted[0])


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    return str(value)


def append_event_rows(
    store: Store, rows: Sequence[Mapping[str, Any]], *, source: str = "live"
) -> int:
    """Validate and write events given as dicts; see :meth:`Store.append_events`."""
    if not rows:
        return 0
    store._require_writable()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat()
    columns: list[list[str | None]] = [[] for _ in ALL_COLUMNS]
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(ALL_COLUMNS))
        if unknown:
            raise InputError(
                "unknown key(s) " + ", ".join(map(repr, unknown)), row=number,
                column=unknown[0], hint="the keys are " + ", ".join(ALL_COLUMNS),
            )  # fmt: skip
        for key in ("user_id", "item_id", "event"):
            if key not in row:
                raise InputError(f"{key} is missing", row=number, column=key, hint="give it")
        defaults = {"count": "1", "timestamp": now}
        for values, key in zip(columns, ALL_COLUMNS):
            values.append(_as_text(row[key]) if key in row else defaults.get(key))
    con = store.con
    try:
        selects = ", ".join(
            f"unnest(${i + 1}::VARCHAR[]) AS {ident(c)}" for i, c in enumerate(ALL_COLUMNS)
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _tm_raw AS SELECT {selects}", columns)
        # already a table: check and write the typed view over it (no staged copy, which
        # would cost a live append more statements than the rows it holds)
        large = len(rows) >= 100_000
        create_typed(con, "_tm_raw", ALL_COLUMNS, row_sql="rowid", large=large)
        raise_first_problem(con, "_tm_typed", CHECKS, path=None, row_of=lambda r: r + 1)
        with store.transaction():
            return write_events(con, source, rows="_tm_typed", large=large)
    finally:
        drop_temp(con, TEMP_TABLES)
