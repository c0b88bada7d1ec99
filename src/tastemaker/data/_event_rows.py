"""Event rows, wherever they come from (a file or a list of dicts): the checks and the writes.

The columns and their rules are documented in ``tastemaker.data._events``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from tastemaker.data._common import drop_temp
from tastemaker.data._validate import Check, ident, literal, raise_first_problem
from tastemaker.data.store import Store
from tastemaker.errors import InputError

EVENT_TYPES = ("play", "skip", "save", "playlist_add")
REQUIRED_COLUMNS = ("user_id", "item_id", "event", "count", "timestamp")
OPTIONAL_COLUMNS = ("item_name", "artist", "artist_id", "duration_ms", "country", "device")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TEMP_TABLES = ("_tm_raw", "_tm_typed")
_EVENTS = ", ".join(literal(e) for e in EVENT_TYPES)
_EVENT_HINT = "use one of " + ", ".join(EVENT_TYPES)

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
    Check(
        "timestamp", "ts_text IS NOT NULL AND ts IS NULL",
        "timestamp is not an ISO 8601 date-time ({value})",
        "write it like 2009-05-04T23:08:57Z (leave it empty if unknown)", value="ts_text",
    ),  # fmt: skip
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


def create_typed(
    con: duckdb.DuckDBPyConnection, raw: str, present: Sequence[str], row_sql: str
) -> None:
    """The temp view ``_tm_typed``: trimmed text (empty → NULL), parsed numbers and times."""

    def text(name: str) -> str:
        return f"nullif(trim({ident(name)}), '')" if name in present else "NULL::VARCHAR"

    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _tm_typed AS SELECT
            {row_sql} AS _row,
            {text("user_id")} AS user_id,
            {text("item_id")} AS item_id,
            lower({text("event")}) AS event,
            {text("count")} AS count_text,
            TRY_CAST({text("count")} AS DOUBLE) AS count_value,
            {text("timestamp")} AS ts_text,
            TRY_CAST({text("timestamp")} AS TIMESTAMPTZ)::TIMESTAMP AS ts,
            {text("duration_ms")} AS duration_text,
            TRY_CAST({text("duration_ms")} AS DOUBLE) AS duration_value,
            {text("item_name")} AS item_name,
            {text("artist")} AS artist,
            {text("artist_id")} AS artist_id,
            {text("country")} AS country,
            {text("device")} AS device
        FROM {raw}"""
    )


def write_events(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Insert the validated ``_tm_typed`` rows, new users and new items; returns events written."""
    con.execute(
        """INSERT INTO users (user_id, country)
        SELECT user_id, arg_min(country, _row) FILTER (WHERE country IS NOT NULL)
        FROM _tm_typed t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = t.user_id)
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
            FROM _tm_typed t
            WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = t.item_id)
            GROUP BY item_id
        )"""
    )
    inserted = con.execute(
        """INSERT INTO events
            (user_id, item_id, event, count, duration_ms, ts, country, device, source)
        SELECT user_id, item_id, event, coalesce(count_value, 1.0),
            CAST(round(duration_value) AS BIGINT), ts, country, device, ?
        FROM _tm_typed""",  # no ORDER BY: the scan keeps file order, a sort costs seconds
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
        create_typed(con, "_tm_raw", ALL_COLUMNS, row_sql="rowid + 1")
        raise_first_problem(con, "_tm_typed", CHECKS, path=None)
        with store.transaction():
            return write_events(con, source)
    finally:
        drop_temp(con, TEMP_TABLES)
