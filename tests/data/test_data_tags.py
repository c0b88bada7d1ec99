"""Tag files: CSV, gzipped CSV, TSV, Parquet and JSON Lines round trips, tag keys, repeats,
idempotency and every kind of bad input (one error naming file, row and column; nothing written)."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from tastemaker.data import Store, ingest_events, ingest_tags
from tastemaker.errors import InputError

HEADER = ["user_id", "item_id", "tag", "timestamp"]
GOOD = [
    ["u1", "a1", "Dream Pop", "2024-01-02T10:00:00Z"],
    ["u2", "a1", "dream  pop", "2024-01-03T10:00:00+01:00"],
    ["u1", "a1", "shoegaze", None],
    ["u1", "a1", "DREAM POP", "2024-02-01"],  # u1 gave a1 that tag already: not counted again
    [None, "a2", "post rock", None],
    [None, "a2", "post rock", None],  # anonymous rows are counts: both kept
]
EXPECTED = [  # (user_id, item_id, tag_id, ts), in file order
    ("u1", "a1", "tag:dream pop", dt.datetime(2024, 1, 2, 10, 0)),
    ("u2", "a1", "tag:dream pop", dt.datetime(2024, 1, 3, 9, 0)),
    ("u1", "a1", "tag:shoegaze", None),
    (None, "a2", "tag:post rock", None),
    (None, "a2", "tag:post rock", None),
]
EXPECTED_TAGS = [("tag:dream pop", "Dream Pop"), ("tag:post rock", "post rock"), ("tag:shoegaze", "shoegaze")]


def _item_tags(store):
    return store.con.execute("SELECT user_id, item_id, tag_id, ts FROM item_tags ORDER BY rowid").fetchall()


def _check_good(store, result):
    assert result.kind == "tags" and result.rows == 5 and not result.skipped_duplicate
    assert result.counts == {"users": 2, "items": 2, "tags": 3, "item_tags": 5}
    assert _item_tags(store) == EXPECTED
    assert store.con.execute("SELECT tag_id, name FROM tags ORDER BY tag_id").fetchall() == EXPECTED_TAGS
    assert store.con.execute(
        "SELECT item_id, kind, name, artist_id FROM items ORDER BY item_id"
    ).fetchall() == [("a1", "artist", None, "a1"), ("a2", "artist", None, "a2")]


def _write_csv(path, rows, header=HEADER, delim=","):
    lines = [delim.join(header)] + [delim.join("" if v is None else str(v) for v in row) for row in rows]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def _write_jsonl(path, rows, header=HEADER):
    lines = [json.dumps({k: v for k, v in zip(header, row) if v is not None}) for row in rows]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("name", ["tags.csv", "tags.csv.gz", "tags.tsv", "tags.jsonl", "tags.ndjson.gz"])
def test_text_formats(store, tmp_path, name):
    path = tmp_path / name
    if ".csv" in name or ".tsv" in name:
        _write_csv(path, GOOD, delim="\t" if ".tsv" in name else ",")
    else:
        _write_jsonl(path, GOOD)
    _check_good(store, ingest_tags(store, path, progress=False))


def test_parquet_with_native_timestamps(store, parquet_file):
    utc = dt.timezone.utc
    columns = {name: [row[i] for row in GOOD] for i, name in enumerate(HEADER)}
    columns["timestamp"] = [dt.datetime(2024, 1, 2, 10, tzinfo=utc), dt.datetime(2024, 1, 3, 9, tzinfo=utc),
                            None, dt.datetime(2024, 2, 1, tzinfo=utc), None, None]
    _check_good(store, ingest_tags(store, parquet_file(columns, name="tags.parquet"), progress=False))


def test_only_the_required_columns_any_case(store, tmp_path):
    path = _write_csv(tmp_path / "t.csv", [["a1", " Rock "], ["a1", "rock"]], header=["Item_ID", "TAG"])
    result = ingest_tags(store, path, progress=False)
    assert result.counts == {"items": 1, "tags": 1, "item_tags": 2}
    assert _item_tags(store) == [(None, "a1", "tag:rock", None)] * 2
    assert store.con.execute("SELECT name FROM tags").fetchall() == [("Rock",)]


def test_known_tags_and_items_are_reused(store, tmp_path, csv_file):
    # a HetRec-style tag with a numeric id, and an item the events already named
    store.con.execute("INSERT INTO tags VALUES ('393', 'dream pop')")
    ingest_events(store, csv_file([["u9", "a1", "play", 3, ""]], ["user_id", "item_id", "event", "count",
                                  "timestamp"]), progress=False)  # fmt: skip
    store.con.execute("UPDATE items SET name = 'Slowdive' WHERE item_id = 'a1'")
    result = ingest_tags(store, _write_csv(tmp_path / "t.csv", GOOD), progress=False)
    assert result.counts == {"users": 2, "items": 1, "tags": 2, "item_tags": 5}
    assert [r[2] for r in _item_tags(store)][:2] == ["393", "393"]
    assert store.con.execute("SELECT kind, name FROM items WHERE item_id = 'a1'").fetchone() == ("artist", "Slowdive")


def test_a_person_tags_an_item_once_across_files(store, tmp_path):
    ingest_tags(store, _write_csv(tmp_path / "one.csv", GOOD), progress=False)
    more = [["u1", "a1", "dream pop", "2025-01-01"], ["u3", "a1", "dream pop", None], [None, "a2", "post rock", None]]
    result = ingest_tags(store, _write_csv(tmp_path / "two.csv", more), progress=False)
    assert result.rows == 2 and result.counts == {"users": 1, "item_tags": 2}  # u1's repeat left out


def test_same_bytes_twice_is_skipped(store, tmp_path):
    path = _write_csv(tmp_path / "tags.csv", GOOD)
    first = ingest_tags(store, path, progress=False)
    before = store.stats()
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    again = ingest_tags(store, copy, progress=False)
    assert again.skipped_duplicate and again.rows == first.rows == 5 and again.counts == {}
    assert store.stats() == before


def test_cultural_descriptors_read_the_tags(store, tmp_path):
    from tastemaker.text import descriptor_counts

    ingest_tags(store, _write_csv(tmp_path / "tags.csv", GOOD), progress=False)
    items, _, terms, counts = descriptor_counts(store, texts=False)
    got = {(items.ids[i], terms[j]): counts[i, j] for i, j in zip(*counts.nonzero())}
    assert got == {("a1", "dream pop"): 2.0, ("a1", "shoegaze"): 1.0, ("a2", "post rock"): 2.0}


# -- bad input ---------------------------------------------------------------------------------

OK = ["u1", "a1", "rock", "2024-01-01"]


def _with(row_number: int, bad: list, total: int = 5) -> list[list]:
    """``total`` good rows with ``bad`` as data row ``row_number - 1`` (CSV row ``row_number``)."""
    rows = [list(OK) for _ in range(total)]
    rows[row_number - 2] = bad
    return rows


BAD_CSV = [
    # (what, header, rows, row, column, message)
    ("missing tag column", ["user_id", "item_id"], [["u1", "a1"]], 1, "tag", "missing required column(s) tag"),
    ("unknown column", HEADER + ["mood"], [OK + ["x"]], 1, "mood", "unknown column(s) 'mood'"),
    ("duplicate column", HEADER + ["TAG"], [OK + ["x"]], 1, "TAG", "column 'TAG' appears twice"),
    ("empty item", HEADER, _with(4, ["u1", " ", "rock", ""]), 4, "item_id", "item_id is empty"),
    ("empty tag", HEADER, _with(3, ["u1", "a1", "", ""]), 3, "tag", "tag is empty"),
    ("bad timestamp", HEADER, _with(6, ["u1", "a1", "rock", "last week"]), 6, "timestamp",
     "timestamp is not an ISO 8601 date-time ('last week')"),
    ("header only", HEADER, [], 2, None, "has a header but no data rows"),
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


def _assert_error(info, path, row, column, message):
    err = info.value
    where = f"{path}" + (f", row {row}" if row else "") + (f", column {column}" if column else "") + ": "
    assert (err.path, err.row, err.column) == (str(path), row, column)
    assert message in err.message and err.hint
    assert str(err) == where + err.message + "; " + err.hint and "\n" not in str(err)


@pytest.mark.parametrize(("what", "header", "rows", "row", "column", "message"), BAD_CSV,
                         ids=[case[0] for case in BAD_CSV])  # fmt: skip
def test_bad_csv(seeded, tmp_path, what, header, rows, row, column, message):
    path = _write_csv(tmp_path / "bad.csv", rows, header)
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_tags(seeded, path, progress=False)
    _assert_error(info, path, row, column, message)
    _assert_unchanged(seeded, before)


BAD_BYTES = [
    # (what, file name, bytes, row, column, message)
    ("latin-1 value", "t.csv", b"item_id,tag\na1,rock\na2,caf\xe9\n", 3, "tag", "is not valid UTF-8 (byte 0xe9)"),
    ("wrong field count", "t.csv", b"item_id,tag\na1,rock\na2,pop,extra\n", 3, None,
     "has 3 fields where 2 are expected"),
    ("blank lines before the bad row", "t.csv", b"item_id,tag\n\na1,rock\n\n\na2,\n", 6, "tag", "tag is empty"),
    ("empty file", "t.csv", b"", 1, None, "file is empty"),
    ("not parquet", "t.parquet", b"item_id,tag\na1,rock\n", None, None, "is not a Parquet file"),
    ("invalid JSON", "t.jsonl", b'{"item_id": "a1", "tag": "rock"}\n\n{"item_id": "a2", "tag": }\n', 3, None,
     "is not valid JSON"),
    ("JSON not an object", "t.jsonl", b'{"item_id": "a1", "tag": "rock"}\n["a2", "pop"]\n', 2, None,
     "is a JSON 'array', not an object"),
    ("JSON nested value", "t.jsonl", b'{"item_id": "a1", "tag": "rock"}\n\n{"item_id": "a2", "tag": ["x"]}\n', 3,
     "tag", "tag is a JSON array or object ('[\"x\"]')"),
    ("JSON unknown key", "t.jsonl", b'{"item_id": "a1", "tag": "rock"}\n{"item_id": "a2", "mood": "x"}\n', 2,
     "mood", "unknown column(s) 'mood'"),
    ("JSON missing tag", "t.jsonl", b'{"item_id": "a1", "tag": "rock"}\n{"item_id": "a2"}\n', 2, "tag",
     "tag is empty"),
    ("JSON latin-1", "t.jsonl", b'{"item_id": "a1", "tag": "rock"}\n{"item_id": "caf\xe9", "tag": "x"}\n', 2,
     None, "is not valid UTF-8 (byte 0xe9)"),
    ("JSON only blank lines", "t.jsonl", b"\n  \n", None, None, "has no rows"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "name", "content", "row", "column", "message"), BAD_BYTES,
                         ids=[case[0] for case in BAD_BYTES])  # fmt: skip
def test_bad_bytes(seeded, tmp_path, what, name, content, row, column, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_tags(seeded, path, progress=False)
    _assert_error(info, path, row, column, message)
    _assert_unchanged(seeded, before)


def test_bad_parquet_value_names_the_data_row(seeded, parquet_file):
    path = parquet_file({"item_id": ["a1", "a2", "a3"], "tag": ["rock", "pop", "  "]}, name="t.parquet")
    before = seeded.stats()
    with pytest.raises(InputError) as info:
        ingest_tags(seeded, path, progress=False)
    _assert_error(info, path, 3, "tag", "tag is empty")
    _assert_unchanged(seeded, before)


def test_failed_first_ingest_leaves_no_store(db_path, tmp_path):
    path = _write_csv(tmp_path / "bad.csv", _with(3, ["u1", "", "rock", ""]))
    store = Store(db_path)
    with pytest.raises(InputError):
        ingest_tags(store, path, progress=False)
    store.close()
    assert not db_path.exists() and not db_path.with_name(db_path.name + ".wal").exists()
