"""`tastemaker ingest tags`: a tag file after an event log, the same file twice, bad input as one line."""

from __future__ import annotations

import gzip
import json

from cli_support import assert_clean_error, store_stats, write_events

EVENTS = [["alice", "a1", "play", 12, "2024-03-01T08:00:00Z"], ["bob", "a2", "play", 3, ""]]
TAGS = [  # a2 and a3 are tagged; a3 nobody has played yet
    ["alice", "a1", "dream pop", "2024-03-02"],
    ["bob", "a1", "Dream Pop", ""],
    ["bob", "a3", "shoegaze", "2024-03-03T10:00:00Z"],
    ["", "a3", "shoegaze", ""],
]


def _tags_csv(path, rows=TAGS):
    return write_events(path, rows, header=["user_id", "item_id", "tag", "timestamp"])


def test_ingest_tags_after_events_and_twice(cli, tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli("--db", db, "ingest", "events", write_events(tmp_path / "e.csv", EVENTS)).code == 0
    path = _tags_csv(tmp_path / "tags.csv")
    result = cli("--db", db, "ingest", "tags", path)
    assert result.code == 0, result.err
    assert result.out.strip() == f"{path}: ingested 1 items, 2 tags, 4 item_tags"
    again = cli("--db", db, "ingest", "tags", path)
    assert again.code == 0
    assert again.out.strip() == f"{path}: already ingested (4 tags given), nothing written"
    assert store_stats(db)["item_tags"] == 4


def test_ingest_tags_jsonl_gz_and_parquet(cli, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    db = tmp_path / "store.duckdb"
    lines = "\n".join(json.dumps({"item_id": r[1], "tag": r[2]}) for r in TAGS) + "\n"
    packed = tmp_path / "tags.jsonl.gz"
    packed.write_bytes(gzip.compress(lines.encode()))
    assert cli("--db", db, "ingest", "tags", packed).out.strip().endswith("2 tags, 4 item_tags")
    table = tmp_path / "more.parquet"
    pq.write_table(pa.table({"item_id": ["a9"], "tag": ["post rock"]}), table)
    assert cli("--db", db, "ingest", "tags", table).out.strip() == f"{table}: ingested 1 items, 1 tags, 1 item_tags"


def test_bad_tag_file_is_one_line_and_writes_nothing(cli, tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli("--db", db, "ingest", "events", write_events(tmp_path / "e.csv", EVENTS)).code == 0
    before = store_stats(db)
    path = _tags_csv(tmp_path / "bad.csv", TAGS[:2] + [["bob", "a3", "", ""]])
    assert_clean_error(cli("--db", db, "ingest", "tags", path),
                       f"{path}, row 4, column tag: tag is empty; every row needs a tag")  # fmt: skip
    wrong = write_events(tmp_path / "wrong.csv", [["a1", "rock"]], header=["item_id", "genre"])
    assert_clean_error(cli("--db", db, "ingest", "tags", wrong),
                       "row 1, column genre: unknown column(s) 'genre'", "the columns are item_id, tag")  # fmt: skip
    assert_clean_error(cli("--db", db, "ingest", "tags", tmp_path / "nope.csv"), "file not found")
    assert store_stats(db) == before


def test_ingest_tags_help(cli):
    result = cli("ingest", "tags", "--help")
    assert result.code == 0 and "item_id, tag" in result.out
