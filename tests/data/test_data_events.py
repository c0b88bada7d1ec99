"""Event logs: CSV, Parquet and Last.fm-1K round trips, idempotency and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from tastemaker.data import Store, ingest_events, ingest_lastfm1k
from tastemaker.errors import InputError

GOOD = [
    ["u1", "t1", "play", 3, "2024-01-02T10:00:00Z", "Song A", "Band", "ar1", None, "SE", "phone"],
    ["u1", "t1", "skip", 1, "2024-01-02T10:05:00+01:00", "Song A", "Band", "ar1", None, "SE", None],
    ["u2", "t2", "play", None, "2024-01-03", "Song B", "Solo", None, 215000, None, "web"],
    ["u2", "a9", "save", 2.5, None, "Some Artist", None, None, None, None, None],
    ["u3", "t1", "playlist_add", 1, "2024-01-04 08:00:00", None, None, None, None, "NO", None],
]  # fmt: skip
FULL_HEADER = ["user_id", "item_id", "event", "count", "timestamp", "item_name", "artist",
               "artist_id", "duration_ms", "country", "device"]  # fmt: skip
EXPECTED_EVENTS = [
    ("u1", "t1", "play", 3.0, None, dt.datetime(2024, 1, 2, 10, 0), "SE", "phone"),
    ("u1", "t1", "skip", 1.0, None, dt.datetime(2024, 1, 2, 9, 5), "SE", None),
    ("u2", "t2", "play", 1.0, 215000, dt.datetime(2024, 1, 3), None, "web"),
    ("u2", "a9", "save", 2.5, None, None, None, None),
    ("u3", "t1", "playlist_add", 1.0, None, dt.datetime(2024, 1, 4, 8, 0), "NO", None),
]  # fmt: skip
EXPECTED_ITEMS = [  # t2 (a track with an artist name but no artist_id) is checked apart
    ("a9", "artist", "Some Artist", "a9", "Some Artist"),
    ("t1", "track", "Song A", "ar1", "Band"),
]


def _events(store):
    return store.con.execute(
        """SELECT user_id, item_id, event, count, duration_ms, ts, country, device
        FROM events ORDER BY ts NULLS LAST, event"""
    ).fetchall()


def _check_good(store, result, kind="events"):
    assert result.kind == kind and result.rows == 5 and not result.skipped_duplicate
    assert result.counts == {"events": 5, "users": 3, "items": 3}
    assert sorted(_events(store), key=str) == sorted(EXPECTED_EVENTS, key=str)
    items = store.con.execute(
        "SELECT item_id, kind, name, artist_id, artist_name FROM items ORDER BY item_id"
    ).fetchall()
    assert items[:2] == EXPECTED_ITEMS
    assert items[2][:3] == ("t2", "track", "Song B") and items[2][4] == "Solo"
    assert items[2][3].startswith("artist:") and len(items[2][3]) == 7 + 16  # derived, stable
    assert store.con.execute("SELECT country FROM users WHERE user_id = 'u1'").fetchone() == ("SE",)
    assert set(store.con.execute("SELECT DISTINCT source FROM events").fetchall()) == {
        (result.source_id,)
    }


def test_csv_round_trip(store, csv_file):
    _check_good(store, ingest_events(store, csv_file(GOOD, FULL_HEADER), progress=False))


def test_csv_with_bom_crlf_quotes_and_any_case_header(store, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffUser_ID,Item_ID,EVENT,Count,Timestamp,item_name\r\n"
        'u1,t1,play,2,2024-01-01T00:00:00Z,"Hello, ""World"""\r\n'.encode()
    )
    assert ingest_events(store, path, progress=False).rows == 1
    assert store.con.execute("SELECT name FROM items").fetchone() == ('Hello, "World"',)


def test_gzipped_csv_and_tsv(store, csv_file, tmp_path):
    plain = csv_file(GOOD, FULL_HEADER)
    packed = tmp_path / "events.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    _check_good(store, ingest_events(store, packed, progress=False))
    log = tmp_path / "plays.tsv.gz"
    log.write_bytes(gzip.compress(LASTFM1K.encode() + b"user_1\tyesterday\t\tA\t\tT\n"))
    with pytest.raises(InputError) as info:
        ingest_events(store, log, progress=False)
    assert (info.value.row, info.value.column) == (5, "timestamp")


def test_parquet_round_trip(store, parquet_file):
    columns = {name: [row[i] for row in GOOD] for i, name in enumerate(FULL_HEADER)}
    columns["count"] = [None if v is None else float(v) for v in columns["count"]]
    _check_good(store, ingest_events(store, parquet_file(columns), progress=False))


def test_parquet_with_native_timestamps(store, parquet_file):
    path = parquet_file({
        "user_id": ["u1"], "item_id": ["i1"], "event": ["play"], "count": [4],
        "timestamp": [dt.datetime(2024, 1, 2, 3, 4, 5)],
    })  # fmt: skip
    ingest_events(store, path, progress=False)
    assert store.con.execute("SELECT count, ts FROM events").fetchall() == [
        (4.0, dt.datetime(2024, 1, 2, 3, 4, 5))
    ]


def _jsonl(rows, header=FULL_HEADER) -> bytes:
    import json

    lines = [json.dumps({k: v for k, v in zip(header, row) if v is not None}) for row in rows]
    return ("\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n").encode()  # a blank line too


@pytest.mark.parametrize("name", ["events.jsonl", "events.ndjson.gz"])
def test_jsonl_round_trip(store, tmp_path, name):
    path = tmp_path / name
    data = _jsonl(GOOD)
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    _check_good(store, ingest_events(store, path, progress=False))


def test_bad_jsonl_value_names_the_line(seeded, tmp_path):
    rows = [list(GOOD[0]), list(GOOD[1]), list(GOOD[2])]
    rows[2][3] = -2  # the third record: line 4, after the blank line
    path = tmp_path / "events.jsonl"
    path.write_bytes(_jsonl(rows))
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_events(seeded, path, progress=False)
    assert (info.value.row, info.value.column, info.value.message) == (4, "count", "count is negative ('-2')")
    _assert_unchanged(seeded, before)


LASTFM1K = (
    "user_000001\t2009-05-04T23:08:57Z\tf1b1cf71-bd35-4e99-8624-24a6e15f133a\tDeep Dish\t\t"
    "Fuck Me Im Famous (Pacha Ibiza)-09-28-2007\n"
    "user_000001\t2009-05-04T13:54:10Z\ta7f7df4a-77d8-4f12-8acd-5c60c93f4de8\t坂本龍一\t\t"
    'Composition 0919 (Live_2009_4_15) "x"\n'
    "user_000002\t2009-05-04T13:52:04Z\t\tRoyce da 5'9\"\tdb16d0b3-b8ce-4aa8-a11a-e4d53cc7f8a6\t"
    "Boost\n"
    "user_000001\t2009-05-05T00:00:00Z\tf1b1cf71-bd35-4e99-8624-24a6e15f133a\tDeep Dish\t\t"
    "Fuck Me Im Famous (Pacha Ibiza)-09-28-2007\n"
)


@pytest.mark.parametrize("name", ["userid-timestamp-artid-artname-traid-traname.tsv", "plays.log"])
def test_lastfm1k_tsv(store, tmp_path, name):
    path = tmp_path / name
    path.write_text(LASTFM1K, encoding="utf-8")
    result = ingest_events(store, path, progress=False)
    assert result.kind == "lastfm1k" and result.rows == 4
    assert result.counts == {"events": 4, "users": 2, "items": 3}
    items = store.con.execute(
        "SELECT item_id, kind, name, artist_id, artist_name FROM items ORDER BY name"
    ).fetchall()
    assert items[0] == ("db16d0b3-b8ce-4aa8-a11a-e4d53cc7f8a6", "track", "Boost",
                        items[0][3], "Royce da 5'9\"")  # fmt: skip
    assert items[0][3].startswith("artist:")
    assert items[1][1:] == ("track", 'Composition 0919 (Live_2009_4_15) "x"',
                            "a7f7df4a-77d8-4f12-8acd-5c60c93f4de8", "坂本龍一")  # fmt: skip
    assert items[2][0].startswith("track:") and items[2][4] == "Deep Dish"
    plays = store.con.execute(
        "SELECT count(*), sum(count), min(ts) FROM events WHERE item_id = ?", [items[2][0]]
    ).fetchone()
    assert plays == (2, 2.0, dt.datetime(2009, 5, 4, 23, 8, 57))
    # ids derived from names are stable: a second file with the same track maps to the same id
    other = tmp_path / "more.tsv"
    other.write_text(LASTFM1K.splitlines(keepends=True)[0].replace("user_000001", "user_000009"))
    ingest_lastfm1k(store, other, progress=False)
    assert store.stats()["items"] == 3


def test_same_file_twice_is_skipped(store, csv_file, tmp_path):
    path = csv_file(GOOD, FULL_HEADER)
    first = ingest_events(store, path, progress=False)
    before = store.stats()
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())  # same bytes under another name: still a duplicate
    again = ingest_events(store, copy, progress=False)
    assert again.skipped_duplicate and again.rows == first.rows == 5 and again.counts == {}
    assert store.stats() == before


def test_existing_items_and_users_are_kept(store, csv_file):
    store.append_events([{"user_id": "u1", "item_id": "t1", "event": "play", "item_name": "Old"}])
    ingest_events(store, csv_file(GOOD, FULL_HEADER), progress=False)
    assert store.con.execute("SELECT name FROM items WHERE item_id = 't1'").fetchone() == ("Old",)
    assert store.stats()["users"] == 3 and store.stats()["events"] == 6


# -- bad input ---------------------------------------------------------------------------------

OK_ROW = ["u1", "i1", "play", "1", "2024-01-01T00:00:00Z"]


def _rows_with(row_number: int, bad: list[str], total: int = 6) -> list[list[str]]:
    """``total`` good data rows with ``bad`` as file row ``row_number`` (the header is row 1)."""
    rows = [list(OK_ROW) for _ in range(total)]
    rows[row_number - 2] = bad
    return rows


BAD_CSV = [
    # (what, rows, header, row, column, message)
    ("missing column", [OK_ROW[:4]], ["user_id", "item_id", "event", "count"], 1, "timestamp",
     "missing required column"),
    ("unknown columns", [OK_ROW + ["x", "y"]], [*OK_ROW[:0], "user_id", "item_id", "event",
     "count", "timestamp", "colour", "mood"], 1, "colour", "unknown column(s) 'colour', 'mood'"),
    ("duplicate column", [OK_ROW + ["u"]], ["user_id", "item_id", "event", "count", "timestamp",
     "USER_ID"], 1, "USER_ID", "appears twice"),
    ("non-numeric count", _rows_with(4, ["u1", "i1", "play", "three", "2024-01-01"]), None, 4,
     "count", "count is not a number ('three')"),
    ("negative count", _rows_with(7, ["u1", "i1", "play", "-2", "2024-01-01"]), None, 7,
     "count", "count is negative ('-2')"),
    ("infinite count", _rows_with(3, ["u1", "i1", "play", "inf", "2024-01-01"]), None, 3,
     "count", "not finite"),
    ("empty count on a skip", _rows_with(3, ["u1", "i1", "skip", "", "2024-01-01"]), None, 3,
     "count", "count is empty"),
    ("bad timestamp", _rows_with(5, ["u1", "i1", "play", "1", "last tuesday"]), None, 5,
     "timestamp", "not an ISO 8601 date-time ('last tuesday')"),
    ("impossible date", _rows_with(2, ["u1", "i1", "play", "1", "2024-02-30"]), None, 2,
     "timestamp", "ISO 8601"),
    ("unknown event", _rows_with(6, ["u1", "i1", "listen", "1", "2024-01-01"]), None, 6,
     "event", "unknown event type 'listen'"),
    ("empty user", _rows_with(3, [" ", "i1", "play", "1", "2024-01-01"]), None, 3,
     "user_id", "user_id is empty"),
    ("empty item", _rows_with(2, ["u1", "", "play", "1", "2024-01-01"]), None, 2,
     "item_id", "item_id is empty"),
    ("header only", [], None, 2, None, "no data rows"),
]  # fmt: skip


@pytest.fixture
def seeded(store):
    """A store that already holds data, to check a failed ingest leaves it exactly as it was."""
    store.append_events([{"user_id": "u0", "item_id": "i0", "event": "play", "count": 2}])
    return store


def _assert_unchanged(store, before):
    assert store.stats() == before
    temp = "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'temp'"
    assert store.con.execute(temp).fetchall() == []


@pytest.mark.parametrize(("what", "rows", "header", "row", "column", "message"), BAD_CSV,
                         ids=[case[0] for case in BAD_CSV])  # fmt: skip
def test_bad_csv(seeded, csv_file, what, rows, header, row, column, message):
    path = csv_file(rows, header) if header else csv_file(rows)
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_events(seeded, path, progress=False)
    err = info.value
    assert message in err.message
    assert (err.path, err.row, err.column) == (str(path), row, column)
    where = f"{path}, row {row}" + (f", column {column}" if column else "") + ": "
    assert str(err).startswith(where) and err.hint and str(err).endswith(err.hint)
    _assert_unchanged(seeded, before)


def _bad_bytes_case(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


BAD_BYTES = [
    # (what, file name, bytes, row, column, message)
    ("latin-1 bytes", "latin1.csv",
     b"user_id,item_id,event,count,timestamp\nu1,i1,play,1,2024-01-01\nu2,caf\xe9,play,1,\n",
     3, "item_id", "is not valid UTF-8 (byte 0xe9)"),
    ("latin-1 header", "header.csv", b"user_id,item_id,\xe9vent,count,timestamp\n", 1, None,
     "header is not valid UTF-8"),
    ("wrong field count", "fields.csv",
     b"user_id,item_id,event,count,timestamp\nu1,i1,play,1,\nu1,i1,play,1,2024,extra\n", 3, None,
     "has 6 fields where 5 are expected"),
    ("unclosed quote", "quote.csv",
     b'user_id,item_id,event,count,timestamp\nu1,"i1,play,1,\nu1,i1,play,1,\n', 2, None,
     "never closed"),
    ("blank lines before the bad row", "blank.csv",
     b"user_id,item_id,event,count,timestamp\n\nu1,i1,play,1,\n\n\nu1,i1,play,x,\n", 6, "count",
     "not a number"),
    ("multi-line value before the bad row", "multi.csv",
     b'user_id,item_id,event,count,timestamp\nu1,"i\n1",play,1,\nu1,i1,play,x,\n', 4, "count",
     "not a number"),
    ("blank lines before a bad field count", "blankfields.csv",
     b"user_id,item_id,event,count,timestamp\n\nu1,i1,play,1,\n\nu1,i1,play,1\n", 5, None,
     "has 4 fields"),
    ("empty file", "empty.csv", b"", 1, None, "file is empty"),
    ("not parquet", "events.parquet", b"user_id,item_id\nu1,i1\n", None, None,
     "is not a Parquet file"),
    ("truncated parquet", "cut.parquet", b"PAR1" + b"\0" * 64 + b"PAR1", None, None,
     "cannot be read as Parquet"),
    ("bad 1K timestamp", "plays.tsv",
     b"user_1\t2009-05-04T23:08:57Z\t\tA\t\tT\nuser_1\tyesterday\t\tA\t\tT\n", 2, "timestamp",
     "not an ISO 8601"),
    ("1K track without id or name", "plays.tsv",
     b"user_1\t2009-05-04T23:08:57Z\t\tA\t\tT\nuser_1\t2009-05-04T23:08:57Z\t\t\t\t\n", 2,
     "track_name", "no id and no name"),
    ("1K line with 5 fields", "plays.tsv",
     b"user_1\t2009-05-04T23:08:57Z\t\tA\t\tT\nuser_1\t2009-05-04T23:08:57Z\t\tA\tT\n", 2, None,
     "has 5 fields"),
    ("1K latin-1", "plays.tsv",
     b"user_1\t2009-05-04T23:08:57Z\t\tA\t\tT\nuser_1\t2009-05-04T23:08:57Z\t\tBj\xf6rk\t\tT\n",
     2, "artist_name", "not valid UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "name", "content", "row", "column", "message"), BAD_BYTES,
                         ids=[case[0] for case in BAD_BYTES])  # fmt: skip
def test_bad_bytes(seeded, tmp_path, what, name, content, row, column, message):
    path = _bad_bytes_case(tmp_path, name, content)
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_events(seeded, path, progress=False)
    err = info.value
    assert message in err.message
    assert (err.path, err.row, err.column) == (str(path), row, column)
    if "UTF-8" in message:
        assert "re-encode the file as UTF-8" in str(err)
    _assert_unchanged(seeded, before)


def test_bad_parquet_values_name_the_row(seeded, parquet_file):
    path = parquet_file({
        "user_id": ["u1", "u1", "u1"], "item_id": ["i1", "i2", "i3"],
        "event": ["play", "play", "play"], "count": [1.0, 2.0, -3.0],
        "timestamp": ["2024-01-01", "2024-01-01", "2024-01-01"], "mood": ["a", "b", "c"],
    })  # fmt: skip
    with pytest.raises(InputError, match="unknown column.*'mood'"):
        ingest_events(seeded, path, progress=False)
    path = parquet_file({
        "user_id": ["u1", "u1", "u1"], "item_id": ["i1", "i2", "i3"],
        "event": ["play", "play", "play"], "count": [1.0, 2.0, -3.0],
        "timestamp": ["2024-01-01", "2024-01-01", "2024-01-01"],
    }, name="neg.parquet")  # fmt: skip
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_events(seeded, path, progress=False)
    assert (info.value.row, info.value.column) == (3, "count")  # 1-based data row
    _assert_unchanged(seeded, before)


def test_missing_file(store, tmp_path):
    with pytest.raises(InputError, match="file not found; check the path"):
        ingest_events(store, tmp_path / "nope.csv", progress=False)


def test_failed_first_ingest_leaves_no_store(db_path, csv_file):
    path = csv_file(_rows_with(3, ["u1", "i1", "play", "-1", ""]))
    for opener in (Store, Store.open):
        store = opener(db_path)
        with pytest.raises(InputError):
            ingest_events(store, path, progress=False)
        store.close()
        assert not db_path.exists() and not db_path.with_name(db_path.name + ".wal").exists()


def test_progress_bar_goes_to_stderr(store, csv_file, capsys):
    ingest_events(store, csv_file(GOOD, FULL_HEADER), progress=True)
    assert capsys.readouterr().out == ""
