"""A small event log written here: ingest events -> train -> recommend, and the same file twice."""

from __future__ import annotations

import re
import shutil

import pytest
from cli_support import store_stats, write_events

HEADER = ["user_id", "item_id", "event", "count", "timestamp", "item_name"]
NAMES = {"a1": "Air", "a2": "Blur", "a3": "Cocteau Twins", "a4": "Depeche Mode", "a5": "Erasure",
         "a6": "Faithless", "a7": "Goldfrapp", "a8": "Hooverphonic"}

# five listeners, eight artists: plays, skips and saves, ISO times with and without offsets
ROWS = [
    ["alice", "a1", "play", 12, "2024-03-01T08:00:00Z"],
    ["alice", "a2", "play", 5, "2024-03-01T09:30:00+02:00"],
    ["alice", "a3", "save", 1, "2024-03-02"],
    ["alice", "a6", "skip", 3, "2024-03-02T21:15:00Z"],
    ["bob", "a1", "play", 7, "2024-03-03T10:00:00Z"],
    ["bob", "a3", "play", 9, "2024-03-03T11:00:00Z"],
    ["bob", "a4", "play", 4, "2024-03-03 12:00:00"],
    ["bob", "a5", "save", 1, "2024-03-04T00:00:00Z"],
    ["carol", "a4", "play", 20, "2024-03-05T07:45:00-05:00"],
    ["carol", "a5", "play", 6, "2024-03-05T08:00:00Z"],
    ["carol", "a7", "play", 2, "2024-03-05T09:00:00Z"],
    ["carol", "a1", "skip", 1, "2024-03-05T09:05:00Z"],
    ["dave", "a6", "play", 8, "2024-03-06T18:00:00Z"],
    ["dave", "a7", "play", 3, "2024-03-06T18:30:00Z"],
    ["dave", "a8", "save", 1, "2024-03-06"],
    ["erin", "a2", "play", 4, "2024-03-07T12:00:00Z"],
    ["erin", "a8", "play", 10, "2024-03-07T13:00:00Z"],
    ["erin", "a3", "play", 1, "2024-03-07T14:00:00Z"],
    ["erin", "a3", "skip", 2, "2024-03-07T14:05:00Z"],
]
USERS = sorted({r[0] for r in ROWS})


def heard(user: str) -> set[str]:
    """The names of every item ``user`` has an event on."""
    return {NAMES[r[1]] for r in ROWS if r[0] == user}


@pytest.fixture
def events_file(tmp_path):
    return write_events(tmp_path / "events.csv", [r + [NAMES[r[1]]] for r in ROWS], header=HEADER)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "store" / "events.duckdb"


def recommendations(out: str) -> list[tuple[str, str]]:
    """(item name, because) of each row of ``recommend``'s table."""
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("-  "))
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[rule + 1:] if line.strip()]
    return [(r[1], r[3] if len(r) > 3 else "") for r in rows]


def test_ingest_train_recommend(cli, events_file, db):
    ingested = cli("--db", db, "ingest", "events", events_file)
    assert ingested.code == 0, ingested.err
    assert ingested.out.strip() == f"{events_file}: ingested 5 users, 8 items, {len(ROWS)} events"
    stats = store_stats(db)
    assert (stats["users"], stats["items"], stats["events"], stats["ingests"]) == (5, 8, len(ROWS), 1)

    trained = cli("--db", db, "train", "--factors", "4", "--iterations", "5")
    assert trained.code == 0, trained.err
    # one interaction per (user, item) pair: erin's plays and skips of a3 are one
    assert trained.out.startswith("trained ImplicitALS on 18 interactions (5 users x 8 items)")
    assert (db.parent / "models" / "CURRENT").is_file()

    for user in USERS:
        result = cli("--db", db, "recommend", user, "-n", "3")
        assert result.code == 0, (user, result.err)
        assert result.out.startswith(f"recommendations for user {user} ")
        recs = recommendations(result.out)
        assert 1 <= len(recs) <= 3
        names = [name for name, _ in recs]
        assert set(names) <= set(NAMES.values()), names  # names from the item_name column
        assert not set(names) & heard(user), (user, names)  # nothing played, saved or skipped
        for _, because in recs:  # explained by the user's own artists
            reasons = re.findall(r"([^,]+?) \(-?\d+%\)", because)
            assert {r.strip() for r in reasons} <= heard(user), (user, because)


def test_same_file_twice_is_a_no_op(cli, events_file, db, tmp_path):
    assert cli("--db", db, "ingest", "events", events_file).code == 0
    before = store_stats(db)

    again = cli("--db", db, "ingest", "events", events_file)
    assert again.code == 0, again.err
    assert again.out.strip() == f"{events_file}: already ingested ({len(ROWS)} events), nothing written"
    assert store_stats(db) == before

    # the same bytes under another name are the same source
    copy = shutil.copy(events_file, tmp_path / "renamed.csv")
    assert "already ingested" in cli("--db", db, "ingest", "events", copy).out
    assert store_stats(db) == before


def test_a_second_file_adds_to_the_store(cli, events_file, db, tmp_path):
    assert cli("--db", db, "ingest", "events", events_file).code == 0
    more = write_events(tmp_path / "more.csv", [["frank", "a1", "play", 3, "2024-04-01T00:00:00Z"],
                                                ["frank", "a9", "play", 2, "2024-04-01T00:05:00Z"]])
    added = cli("--db", db, "ingest", "events", more)
    assert added.code == 0, added.err
    assert added.out.strip() == f"{more}: ingested 1 users, 1 items, 2 events"
    stats = store_stats(db)
    assert (stats["users"], stats["items"], stats["events"], stats["ingests"]) == (6, 9, len(ROWS) + 2, 2)

    assert cli("--db", db, "train", "--factors", "4", "--iterations", "5").code == 0
    result = cli("--db", db, "recommend", "frank", "-n", "2", "--no-explain")
    assert result.code == 0, result.err
    names = [name for name, _ in recommendations(result.out)]
    assert len(names) == 2 and not {"Air", "a9"} & set(names)


def test_similar_by_name_from_the_events_file(cli, events_file, db):
    assert cli("--db", db, "ingest", "events", events_file).code == 0
    assert cli("--db", db, "train", "--factors", "4", "--iterations", "5").code == 0
    result = cli("--db", db, "similar", "depeche mode", "-n", "3")
    assert result.code == 0, result.err
    assert result.out.startswith("similar to Depeche Mode (hybrid):")
    by_id = cli("--db", db, "similar", "a4", "-n", "3")
    assert by_id.out == result.out


def scores(out: str) -> list[float]:
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("-  "))
    return [float(re.split(r"\s{2,}", line.strip())[2]) for line in lines[rule + 1:] if line.strip()]


def test_lighter_regularization_gives_real_scores(cli, events_file, db):
    assert cli("--db", db, "ingest", "events", events_file).code == 0
    trained = cli("--db", db, "train", "--factors", "4", "--iterations", "5", "--regularization", "1")
    assert trained.code == 0, trained.err
    for user in USERS:
        found = scores(cli("--db", db, "recommend", user, "-n", "3", "--no-explain").out)
        assert found == sorted(found, reverse=True) and found[0] > 0.01, (user, found)


@pytest.mark.xfail(strict=True, reason="limitation: ALS's defaults (regularization=10, tuned on HetRec) "
                   "shrink every factor to ~1e-6 on a small store: scores ~1e-13 print as 0.000, the "
                   "ranking is noise")
def test_default_regularization_on_a_small_store(cli, events_file, db):
    assert cli("--db", db, "ingest", "events", events_file).code == 0
    assert cli("--db", db, "train", "--factors", "4", "--iterations", "5").code == 0
    found = scores(cli("--db", db, "recommend", "alice", "-n", "3", "--no-explain").out)
    assert found[0] > 0.01, found


def test_train_warns_when_the_defaults_collapse_on_a_small_store(cli, events_file, db):
    # regression for the limitation above: at least the user is told, with the fix
    assert cli("--db", db, "ingest", "events", events_file).code == 0
    trained = cli("--db", db, "train", "--factors", "4", "--iterations", "5")
    assert trained.code == 0
    assert "warning: every score is below" in trained.err and "--regularization" in trained.err
    quiet = cli("--db", db, "train", "--factors", "4", "--iterations", "5", "--regularization", "1")
    assert "warning" not in quiet.err
