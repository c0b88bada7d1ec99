"""The Store: schema, lifecycle, transactions, live appends."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tastemaker.data import SCHEMA_VERSION, TABLES, Store, ingest_events
from tastemaker.errors import InputError, TastemakerError

EXPECTED_COLUMNS = {
    "users": ["user_id", "name", "country"],
    "items": ["item_id", "kind", "name", "artist_id", "artist_name", "url", "duration_ms"],
    "events": ["user_id", "item_id", "event", "count", "duration_ms", "ts", "country", "device",
               "source"],
    "tags": ["tag_id", "name"],
    "item_tags": ["user_id", "item_id", "tag_id", "ts"],
    "texts": ["item_id", "source", "title", "body", "ts"],
    "friendships": ["user_id", "friend_id"],
    "ingests": ["source_id", "kind", "path", "rows", "ingested_at"],
    "meta": ["key", "value"],
}  # fmt: skip


def test_constructor_does_no_work(db_path):
    store = Store(db_path)
    assert store.path == db_path and not db_path.exists() and not db_path.parent.exists()


def test_open_creates_parent_dirs_and_schema(db_path):
    with Store.open(db_path) as store:
        assert db_path.is_file()
        for table, columns in EXPECTED_COLUMNS.items():
            found = [r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall()]
            assert found == columns, table
        version = store.con.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchone()[0] == SCHEMA_VERSION
        assert store.stats() == {t: 0 for t in TABLES}


def test_reopen_keeps_data_and_close_is_repeatable(db_path):
    with Store.open(db_path) as store:
        store.append_events([{"user_id": "u", "item_id": "i", "event": "play"}])
    store.close()
    with Store(db_path, read_only=True) as store:
        assert store.stats()["events"] == 1


def test_read_only_store_must_exist_and_refuses_writes(db_path, tmp_path):
    with pytest.raises(TastemakerError, match="no store at"):
        Store.open(db_path, read_only=True)
    Store.open(db_path).close()
    events = tmp_path / "e.csv"
    events.write_text("user_id,item_id,event,count,timestamp\nu,i,play,1,\n")
    with Store(db_path, read_only=True) as store:
        with pytest.raises(TastemakerError, match="read-only"):
            store.append_events([{"user_id": "u", "item_id": "i", "event": "play"}])
        with pytest.raises(TastemakerError, match="read-only"):
            ingest_events(store, events, progress=False)


def test_wrong_schema_version_is_refused(db_path):
    Store.open(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(TastemakerError, match="schema version"):
        Store.open(db_path)


def test_not_a_duckdb_file_is_refused(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("hello, I am a text file\n" * 100)
    with pytest.raises(TastemakerError, match="cannot open the store"):
        Store.open(path)


def test_transaction_rolls_back_on_error():
    with Store(":memory:") as store:
        with pytest.raises(RuntimeError):
            with store.transaction() as con:
                con.execute("INSERT INTO users VALUES ('u1', NULL, NULL)")
                raise RuntimeError("boom")
        assert store.stats()["users"] == 0
        with store.transaction() as con:
            con.execute("INSERT INTO users VALUES ('u1', NULL, NULL)")
            with store.transaction():  # nested: joins the outer one
                con.execute("INSERT INTO users VALUES ('u2', NULL, NULL)")
        assert store.stats()["users"] == 2


def test_append_events_creates_users_and_items():
    with Store(":memory:") as store:
        when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        n = store.append_events([
            {"user_id": "u1", "item_id": "t1", "event": "play", "timestamp": when,
             "item_name": "Song", "artist": "Band", "duration_ms": 180000, "device": "phone"},
            {"user_id": "u1", "item_id": "t1", "event": "skip"},
            {"user_id": "u2", "item_id": "a1", "event": "SAVE", "count": 2},
        ])  # fmt: skip
        assert n == 3
        assert store.stats()["users"] == 2 and store.stats()["items"] == 2
        rows = store.con.execute(
            "SELECT item_id, event, count, duration_ms, ts, device, source FROM events ORDER BY ALL"
        ).fetchall()
        assert rows[0][:4] == ("a1", "save", 2.0, None)
        when_utc = dt.datetime(2024, 5, 1, 10, 0)
        assert rows[1] == ("t1", "play", 1.0, 180000, when_utc, "phone", "live")
        assert rows[2][1] == "skip" and rows[2][4] is not None  # no timestamp: now
        items = store.con.execute("SELECT item_id, kind, name, artist_name FROM items ORDER BY 1")
        assert items.fetchall() == [("a1", "artist", None, None), ("t1", "track", "Song", "Band")]


@pytest.mark.parametrize(
    ("rows", "column", "row"),
    [
        ([{"user_id": "u", "item_id": "i", "event": "play", "colour": "red"}], "colour", 1),
        ([{"user_id": "u", "event": "play"}], "item_id", 1),
        ([{"user_id": "u", "item_id": "i", "event": "play"},
          {"user_id": "u", "item_id": "i", "event": "listen"}], "event", 2),
        ([{"user_id": "u", "item_id": "i", "event": "play", "count": -1}], "count", 1),
        ([{"user_id": "", "item_id": "i", "event": "play"}], "user_id", 1),
        ([{"user_id": "u", "item_id": "i", "event": "play", "timestamp": "yesterday"}],
         "timestamp", 1),
    ],
)  # fmt: skip
def test_append_events_rejects_bad_rows_and_writes_nothing(rows, column, row):
    with Store(":memory:") as store:
        store.append_events([{"user_id": "u0", "item_id": "i0", "event": "play"}])
        before = store.stats()
        with pytest.raises(InputError) as info:
            store.append_events(rows)
        assert (info.value.row, info.value.column) == (row, column)
        assert f"row {row}, column {column}" in str(info.value)
        assert store.stats() == before
        assert not store.con.execute(
            "SELECT * FROM information_schema.tables WHERE table_catalog = 'temp'"
        ).fetchall()


def test_append_no_events_is_a_no_op(db_path):
    assert Store(db_path).append_events([]) == 0
    assert not db_path.exists()


def test_a_large_query_can_run_within_a_memory_limit(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        default = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        with store.memory_limit("64MB") as con:
            assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "61.0 MiB"
            # a sort far larger than the limit spills instead of failing
            assert con.execute("SELECT count(*) FROM (SELECT range AS x FROM range(5000000) ORDER BY "
                               "hash(x))").fetchone()[0] == 5_000_000
        assert store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default
