"""HetRec 2011 Last.fm ingest on the real data, its failures, and finding/downloading it."""

from __future__ import annotations

import datetime as dt
import shutil
import time
import zipfile

import pytest

from tastemaker.data import (
    Store,
    download_hetrec,
    find_hetrec,
    ingest_hetrec,
    item_tags,
    load_interactions,
    user_friends,
)
from tastemaker.errors import InputError, TastemakerError

EXPECTED = {
    "users": 1892,
    "items": 17632,
    "events": 92834,
    "tags": 11946,
    "item_tags": 186478,
    "texts": 0,
    "friendships": 25434,
    "ingests": 1,
}


@pytest.fixture(scope="module")
def hetrec_store(hetrec_path, tmp_path_factory):
    """One HetRec ingest shared by the read-only tests of this module."""
    path = tmp_path_factory.mktemp("hetrec") / "lastfm.duckdb"
    with Store(path) as store:
        started = time.perf_counter()
        result = ingest_hetrec(store, hetrec_path, progress=False)
        seconds = time.perf_counter() - started
        yield store, result, seconds


def test_counts(hetrec_store):
    store, result, seconds = hetrec_store
    assert store.stats() == EXPECTED
    assert result.kind == "hetrec" and result.rows == 92834 and not result.skipped_duplicate
    assert result.counts == {t: n for t, n in EXPECTED.items() if n and t != "ingests"}
    assert seconds < 20  # a few seconds on a laptop; generous for a shared CI box


def test_events_are_plays_with_weights_and_no_time(hetrec_store):
    store, result, _ = hetrec_store
    row = store.con.execute(
        "SELECT event, count, ts, source FROM events WHERE user_id = '2' AND item_id = '51'"
    ).fetchall()
    assert row == [("play", 13883.0, None, result.source_id)]
    assert store.con.execute("SELECT DISTINCT event FROM events").fetchall() == [("play",)]


def test_names_and_encodings(hetrec_store):
    store, _, _ = hetrec_store
    tags = dict(store.con.execute("SELECT tag_id, name FROM tags").fetchall())
    assert tags["2863"] == "tropicália" and tags["7982"] == "fußball"  # Latin-1 decoded
    assert tags["4571"] == "rock français"
    artists = dict(store.con.execute("SELECT item_id, name FROM items").fetchall())
    assert artists["1686"] == '"Weird Al" Yankovic'  # quotes are data, not CSV quoting
    assert artists["289"] == "Britney Spears"
    kinds = store.con.execute("SELECT DISTINCT kind, count(*) = count(url) FROM items GROUP BY 1")
    assert kinds.fetchall() == [("artist", True)]


def test_tag_dates(hetrec_store):
    store, _, _ = hetrec_store
    got = store.con.execute(
        "SELECT ts FROM item_tags WHERE user_id = '2' AND item_id = '52' AND tag_id = '13'"
    ).fetchall()
    assert got == [(dt.datetime(2009, 4, 1),)]
    old = store.con.execute("SELECT count(*) FROM item_tags WHERE year(ts) < 2005").fetchone()[0]
    assert old == 5  # bogus but valid dates are kept as given


def test_friendships_are_symmetric(hetrec_store):
    store, _, _ = hetrec_store
    one_way = store.con.execute(
        """SELECT count(*) FROM friendships f WHERE NOT EXISTS (SELECT 1 FROM friendships g
            WHERE g.user_id = f.friend_id AND g.friend_id = f.user_id)"""
    ).fetchone()[0]
    assert one_way == 0
    assert "275" in user_friends(store, "2") and "2" in user_friends(store, "275")


def test_queries(hetrec_store):
    store, _, _ = hetrec_store
    assert item_tags(store, "289", limit=2) == [("pop", 108), ("dance", 64)]


def test_interactions(hetrec_store):
    store, _, _ = hetrec_store
    started = time.perf_counter()
    data = load_interactions(store, detail=True)
    assert time.perf_counter() - started < 10
    assert data.shape == (1892, 17632) and data.user_items.nnz == 92834
    assert data.user_items[data.users.index("2"), data.items.index("51")] == 13883
    assert data.user_items.sum(dtype=float) == pytest.approx(
        store.con.execute("SELECT sum(count) FROM events").fetchone()[0]
    )
    assert data.item_names[data.items.index("289")] == "Britney Spears"
    assert data.last_ts.sum() == 0  # HetRec counts have no time
    assert load_interactions(store, item_kind="track").shape == (0, 0)


def test_ingesting_twice_changes_nothing(hetrec_path, db_path):
    with Store(db_path) as store:
        first = ingest_hetrec(store, hetrec_path, progress=False)
        before = store.stats()
        again = ingest_hetrec(store, hetrec_path, progress=False)
        assert again.skipped_duplicate and again.rows == first.rows
        assert again.source_id == first.source_id and again.counts == {}
        assert store.stats() == before


@pytest.fixture
def hetrec_copy(hetrec_path, tmp_path):
    """A writable copy of the HetRec folder, to break."""
    return shutil.copytree(hetrec_path, tmp_path / "hetrec-copy")


def _replace_line(path, number, text):
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = text.encode() + (b"\r" if lines[number - 1].endswith(b"\r") else b"")
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("file", "line", "text", "column", "message"),
    [
        ("user_artists.dat", 5000, "2\t51\tlots", "weight", "not a number"),
        ("user_artists.dat", 7, "2\t51\t-4", "weight", "negative"),
        ("user_artists.dat", 1, "user\tartist\tweight", "user", "unexpected header"),
        ("user_friends.dat", 3, "\t428", "userID", "empty"),
        ("artists.dat", 4, "1\tDuplicate\turl\tpic", "id", "more than once"),
    ],
)
def test_bad_hetrec_files_write_nothing(hetrec_copy, db_path, file, line, text, column, message):
    _replace_line(hetrec_copy / file, line, text)
    with pytest.raises(InputError, match=message) as info:
        with Store(db_path) as store:
            ingest_hetrec(store, hetrec_copy, progress=False)
    err = info.value
    assert (err.path, err.row, err.column) == (str(hetrec_copy / file), line, column)
    assert f"{file}, row {line}, column {column}: " in str(err)
    assert not db_path.exists()  # the failed first ingest left no store behind


def test_missing_hetrec_file_and_folder(hetrec_copy, db_path, tmp_path):
    (hetrec_copy / "tags.dat").unlink()
    with Store(db_path) as store:
        with pytest.raises(InputError, match="tags.dat: file not found"):
            ingest_hetrec(store, hetrec_copy, progress=False)
        with pytest.raises(InputError, match="folder not found"):
            ingest_hetrec(store, tmp_path / "nowhere", progress=False)
    assert not db_path.exists()


def test_find_hetrec(monkeypatch, hetrec_path, tmp_path):
    monkeypatch.setenv("TASTEMAKER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TASTEMAKER_HETREC", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert find_hetrec() is None
    monkeypatch.setenv("TASTEMAKER_HETREC", str(hetrec_path))
    assert find_hetrec() == hetrec_path.resolve()
    monkeypatch.delenv("TASTEMAKER_HETREC")
    shared = tmp_path / "shared" / "data" / "hetrec2011-lastfm-2k"  # ../shared/data from work/
    shared.parent.mkdir(parents=True)
    shared.symlink_to(hetrec_path, target_is_directory=True)
    assert find_hetrec() == hetrec_path.resolve()


@pytest.fixture
def hetrec_zip(hetrec_path, tmp_path):
    """The data set zipped the way GroupLens ships it (files at the top, plus a readme)."""
    path = tmp_path / "hetrec2011-lastfm-2k.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(hetrec_path.glob("*.dat")):
            archive.write(file, file.name)
        archive.writestr("readme.txt", "HetRec 2011")
    return path


def test_download_uses_a_temp_file_then_the_cache(hetrec_zip, tmp_path):
    cache = tmp_path / "cache"
    folder = download_hetrec(cache, url=hetrec_zip.as_uri(), progress=False)
    assert folder == cache / "hetrec2011-lastfm-2k" and (folder / "user_artists.dat").is_file()
    assert sorted(p.name for p in cache.iterdir()) == ["hetrec2011-lastfm-2k"]  # no leftovers
    hetrec_zip.unlink()  # the second call must not need the network
    assert download_hetrec(cache, url=hetrec_zip.as_uri(), progress=False) == folder


def test_download_offline_says_what_to_do(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(TastemakerError) as info:
        download_hetrec(cache, url=(tmp_path / "missing.zip").as_uri(), progress=False)
    message = str(info.value)
    assert message.startswith("could not download file://")
    assert "pass the folder with `tastemaker ingest hetrec PATH`" in message
    assert list(cache.iterdir()) == []  # no partial file


def test_download_of_something_else_is_refused(tmp_path):
    not_zip = tmp_path / "page.zip"
    not_zip.write_text("<html>maintenance</html>")
    with pytest.raises(TastemakerError, match="not a zip file"):
        download_hetrec(tmp_path / "cache", url=not_zip.as_uri(), progress=False)
    assert not (tmp_path / "cache" / "hetrec2011-lastfm-2k").exists()


def test_ingest_hetrec_from_its_zip(monkeypatch, hetrec_zip, tmp_path, db_path):
    monkeypatch.setenv("TASTEMAKER_CACHE", str(tmp_path / "cache"))
    with Store(db_path) as store:
        result = ingest_hetrec(store, hetrec_zip, progress=False)
    assert result.rows == 92834
    assert (tmp_path / "cache" / "hetrec2011-lastfm-2k" / "tags.dat").is_file()


def test_ingest_hetrec_without_path_uses_a_known_copy(monkeypatch, hetrec_path, db_path):
    monkeypatch.setenv("TASTEMAKER_HETREC", str(hetrec_path))
    with Store(db_path) as store:
        assert ingest_hetrec(store, progress=False).rows == 92834
