"""Bad input: exit code 1 (2 for usage errors), one clear line on stderr, no traceback, nothing changed."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import assert_clean_error, store_stats, write_events

from tastemaker.data import Store

GOOD_ROW = ["u1", "a1", "play", 3, "2024-01-02T10:00:00Z"]


@pytest.fixture
def hetrec(hetrec_store):
    """The shared HetRec store and ALS model, checked unchanged after the test."""
    db, model = hetrec_store
    before = store_stats(db), _digest(model)
    yield db, model
    assert (store_stats(db), _digest(model)) == before


def _digest(root) -> str:
    """A hash of every file of a model directory (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- unknown ids ---------------------------------------------------------------------------------

def test_recommend_unknown_user(cli, hetrec):
    db, model = hetrec
    result = cli("--db", db, "--model", model, "recommend", "nosuchuser")
    assert_clean_error(result, "unknown user 'nosuchuser'")
    assert result.out == ""


def test_similar_unknown_item(cli, hetrec):
    _, model = hetrec
    assert_clean_error(cli("--model", model, "similar", "zzzz no such artist"), "unknown item 'zzzz no such artist'")


def test_similar_ambiguous_name_lists_candidates(cli, hetrec):
    _, model = hetrec
    line = assert_clean_error(cli("--model", model, "similar", "the"), "'the' matches", "exact name or the item id")
    assert line.count("'") >= 4  # some of the candidates, quoted


def test_explain_unknown_user_and_item(cli, hetrec):
    _, model = hetrec
    assert_clean_error(cli("--model", model, "explain", "nosuchuser", "Madonna"), "unknown user 'nosuchuser'")
    assert_clean_error(cli("--model", model, "explain", "2", "zzzz no such artist"), "unknown item")


def test_models_without_similar_items_or_explain(cli, hetrec, tmp_path):
    db, _ = hetrec
    model = tmp_path / "popularity"
    assert cli("--db", db, "--model", model, "train", "--algorithm", "popularity").code == 0
    assert_clean_error(cli("--model", model, "similar", "289"), "Popularity models cannot find similar items")
    assert_clean_error(cli("--model", model, "explain", "2", "289"), "Popularity models cannot explain")
    assert cli("--model", model, "recommend", "2", "-n", "3").code == 0


# --- no store, no model --------------------------------------------------------------------------

def test_recommend_before_any_train(cli, tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli("--db", db, "ingest", "events", write_events(tmp_path / "e.csv", [GOOD_ROW])).code == 0
    before = store_stats(db)
    model = db.parent / "models"
    assert_clean_error(cli("--db", db, "recommend", "u1"), f"no model at {model}", "tastemaker train")
    assert_clean_error(cli("--db", db, "similar", "a1"), "no model at")
    assert_clean_error(cli("--db", db, "explain", "u1", "a1"), "no model at")
    assert store_stats(db) == before and not model.exists()


def test_missing_model_file(cli, hetrec, tmp_path):
    db, _ = hetrec
    missing = tmp_path / "nothere"
    assert_clean_error(cli("--db", db, "--model", missing, "recommend", "2"), f"no model at {missing}")


def test_train_on_a_missing_store_creates_nothing(cli, tmp_path):
    db = tmp_path / "nothere" / "store.duckdb"
    assert_clean_error(cli("--db", db, "train"), f"no store at {db}", "tastemaker ingest")
    assert_clean_error(cli("--db", db, "evaluate"), "no store at")
    assert not db.parent.exists()


def test_train_on_an_empty_store(cli, tmp_path):
    db = tmp_path / "empty.duckdb"
    Store.open(db).close()
    assert_clean_error(cli("--db", db, "train"), str(db), "holds no", "events to train on")
    assert not (tmp_path / "models").exists()
    assert not any(store_stats(db).values())


def test_store_file_that_is_not_duckdb(cli, tmp_path):
    db = tmp_path / "junk.duckdb"
    db.write_bytes(np.random.default_rng(0).bytes(4096))
    assert_clean_error(cli("--db", db, "train"), "cannot open the store", "junk.duckdb")
    assert_clean_error(cli("--db", db, "ingest", "events", write_events(tmp_path / "e.csv", [GOOD_ROW])),
                       "cannot open the store")


# --- bad event files -----------------------------------------------------------------------------

BAD_EVENT_FILES = {
    "negative count": (
        [GOOD_ROW, ["u1", "a2", "play", -2, "2024-01-02T10:00:00Z"]],
        ["row 3", "column count", "count is negative", "-2"]),
    "unknown event type": (
        [GOOD_ROW, GOOD_ROW, ["u2", "a1", "like", 1, "2024-01-02T10:00:00Z"]],
        ["row 4", "column event", "unknown event type 'like'", "play, skip, save, playlist_add"]),
    "unparsable timestamp": (
        [["u1", "a1", "play", 1, "yesterday"]],
        ["row 2", "column timestamp", "not an ISO 8601", "yesterday"]),
    "count not a number": (
        [["u1", "a1", "play", "three", "2024-01-02"]],
        ["row 2", "column count", "not a number"]),
    "no user": (
        [GOOD_ROW, ["", "a1", "play", 1, "2024-01-02"]],
        ["row 3", "column user_id", "user_id is empty"]),
}


@pytest.mark.parametrize("case", BAD_EVENT_FILES)
def test_bad_events_file_changes_nothing(cli, hetrec, tmp_path, case):
    db, _ = hetrec
    rows, fragments = BAD_EVENT_FILES[case]
    path = write_events(tmp_path / "bad.csv", rows)
    assert_clean_error(cli("--db", db, "ingest", "events", path), str(path), *fragments)


def test_events_file_with_unknown_column(cli, hetrec, tmp_path):
    db, _ = hetrec
    path = write_events(tmp_path / "extra.csv", [GOOD_ROW + ["x"]],
                        header=["user_id", "item_id", "event", "count", "timestamp", "mood"])
    assert_clean_error(cli("--db", db, "ingest", "events", path), str(path), "mood")


def test_missing_events_file(cli, hetrec, tmp_path):
    db, _ = hetrec
    missing = tmp_path / "nothere.csv"
    assert_clean_error(cli("--db", db, "ingest", "events", missing), str(missing), "not found")


def test_empty_events_file(cli, hetrec, tmp_path):
    db, _ = hetrec
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_clean_error(cli("--db", db, "ingest", "events", empty), str(empty), "empty")


def test_header_only_events_file(cli, hetrec, tmp_path):
    db, _ = hetrec
    path = write_events(tmp_path / "header.csv", [])
    result = cli("--db", db, "ingest", "events", path)
    if result.code == 0:  # accepted as "nothing to ingest" is fine too, as long as nothing changed
        assert "Traceback" not in result.err
    else:
        assert_clean_error(result, str(path))


def test_truncated_gzip_events_file(cli, hetrec, tmp_path):
    """Regression: click turns an EOFError into Abort, so this was reported as "aborted", exit 130."""
    db, _ = hetrec
    whole = gzip.compress(b"user_id,item_id,event,count,timestamp\nu1,a1,play,3,2024-01-02\n")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[:30])
    assert_clean_error(cli("--db", db, "ingest", "events", cut))


def test_truncated_gzip_events_file_is_named(cli, hetrec, tmp_path):
    db, _ = hetrec
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(b"user_id,item_id,event,count,timestamp\nu1,a1,play,3,2024-01-02\n")[:30])
    assert_clean_error(cli("--db", db, "ingest", "events", cut), str(cut))


def test_failed_first_ingest_leaves_no_store_behind(cli, tmp_path):
    db = tmp_path / "new" / "store.duckdb"
    path = write_events(tmp_path / "bad.csv", [["u1", "a1", "play", -1, ""]])
    assert_clean_error(cli("--db", db, "ingest", "events", path), "count is negative")
    assert not db.exists()


def test_ingest_hetrec_missing_folder(cli, tmp_path):
    assert_clean_error(cli("--db", tmp_path / "s.duckdb", "ingest", "hetrec", tmp_path / "nothere"),
                       "PATH", "does not exist", code=2)
    assert not (tmp_path / "s.duckdb").exists()


# --- bad options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, fragments", [
    (["evaluate", "--models", "nosuch"], ["--models", "unknown model(s) nosuch", "als"]),
    (["evaluate", "--models", ","], ["--models", "(none)"]),
    (["evaluate", "--k", "abc"], ["--k", "'abc' is not a comma-separated list of integers"]),
    (["evaluate", "--k", "0,10"], ["--k", "positive"]),
    (["train", "--algorithm", "nosuch"], ["--algorithm", "nosuch"]),
    (["train", "--algorithm", "ease", "--factors", "4"], ["ease takes none of the factor-model settings (factors)",
                                                          "--factors"]),
    (["train", "--algorithm", "sgd", "--iterations", "3"], ["iterations are for ALS", "--iterations"]),
    (["train", "--algorithm", "ease", "--index", "voyager"], ["needs a factor model", "--index"]),
    (["train", "--factors", "0"], ["--factors", "0"]),
    (["recommend"], ["Missing argument 'USER'"]),
    (["recommend", "2", "-n", "0"], ["--n", "0"]),
    (["nosuchcommand"], ["No such command 'nosuchcommand'"]),
])
def test_usage_errors_exit_2(cli, hetrec, args, fragments):
    db, model = hetrec
    assert_clean_error(cli("--db", db, "--model", model, *args), *fragments, code=2)


# --- bad model files -----------------------------------------------------------------------------

def _copy_model(hetrec, tmp_path):
    """A private copy of the shared model directory, and its current version's folder."""
    import shutil

    _, model = hetrec
    root = tmp_path / "models"
    shutil.copytree(model, root)
    return root, root / (root / "CURRENT").read_text().strip()


def test_a_file_given_as_the_model_directory(cli, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(np.random.default_rng(0).bytes(1000))
    for args in (["recommend", "2"], ["similar", "289"], ["explain", "2", "289"]):
        line = assert_clean_error(cli("--model", bad, *args), str(bad), "models are directories now")
        assert "pickle" not in line


def test_a_damaged_manifest(cli, hetrec, tmp_path):
    root, version = _copy_model(hetrec, tmp_path)
    (version / "manifest.json").write_bytes(b"hello, not a manifest\n")
    line = assert_clean_error(cli("--model", root, "recommend", "2"), str(version), "damaged")
    assert "pickle" not in line


def test_a_directory_that_is_not_a_tastemaker_model(cli, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "weights.npy").write_bytes(b"")
    assert_clean_error(cli("--model", other, "recommend", "2"), f"no model at {other}", "tastemaker train")


def test_a_truncated_array(cli, hetrec, tmp_path):
    root, version = _copy_model(hetrec, tmp_path)
    users = version / "users.npy"
    users.write_bytes(users.read_bytes()[: users.stat().st_size // 2])
    assert_clean_error(cli("--model", root, "recommend", "2"), "users.npy", "train again")
