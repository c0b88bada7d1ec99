"""Model swaps (atomic, with live listeners refolded) and sharing the store with other processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import shutil

import numpy as np
import pytest
from serve_support import ROOT, train_small

from tastemaker._atomic import atomic_write
from tastemaker.bundle import ModelBundle, Query
from tastemaker.data import Store, StoreLockedError


def point_to(root, version: str) -> None:
    """Make ``version`` (a directory in ``root``) the current model, as a save does."""
    with atomic_write(root / "CURRENT", mode="w") as fh:
        fh.write(version + "\n")


@contextmanager
def held_store(db, seconds: float, read_only: bool):
    """Another process holding the store (read-only: like `tastemaker train` reading it)."""
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == 'ro'); "
            "print('held', flush=True); time.sleep(float(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds), "ro" if read_only else "rw"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_new_model_is_swapped_in_with_live_listeners_refolded(client, paths, auth):
    db, root = paths
    old = client.get("/health").json()["model_version"]
    new = train_small(db, None, seed=1).bundle  # its data was read before the events below
    batch = {"events": [{"user_id": "newcomer", "item_id": "154", "event": "play", "count": 30}]}
    assert client.post("/events", json=batch, headers=auth).status_code == 201
    new.save(root)
    engine = client.app.state.engine
    assert engine.check_reload() is True
    assert engine.check_reload() is False  # nothing changed since
    health = client.get("/health").json()
    assert (health["model_version"], health["swaps"], health["live_users"]) == (new.version, 1, 1)
    assert old != new.version
    recs = client.get("/users/newcomer/recommendations", params={"n": 5}).json()
    assert recs["model_version"] == new.version and recs["live"] is True and len(recs["items"]) == 5
    expected = new.recommend(Query(history=engine.snapshot.live["newcomer"].row), n=5)
    assert [i["item_id"] for i in recs["items"]] == [r.item_id for r in expected]


@pytest.mark.slow
def test_no_answer_mixes_two_models(client, paths):
    """Readers hammer the API while the model file flips between two models: every answer is
    exactly one model's answer for its version."""
    db, root = paths
    a = ModelBundle.load(root)
    b = ModelBundle.load(root)  # another model: the same, with its item factors shuffled
    n = len(b.items)
    b.cf.set_item_factors(np.arange(n), np.random.default_rng(0).permutation(np.asarray(b.cf.item_factors_)))
    b._refresh()
    b.save(root)
    expected = {m.version: [r.item_id for r in m.recommend("2", n=10)] for m in (a, b)}
    assert expected[a.version] != expected[b.version]
    point_to(root, a.version)
    client.app.state.engine.check_reload()
    engine = client.app.state.engine
    seen, errors, stop = [], [], threading.Event()

    def read():
        while not stop.is_set():
            r = client.get("/users/2/recommendations", params={"n": 10})
            if r.status_code != 200:
                errors.append(r.status_code)
                continue
            body = r.json()
            seen.append(body["model_version"])
            if [i["item_id"] for i in body["items"]] != expected[body["model_version"]]:
                errors.append(body["model_version"])

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(4):
            point_to(root, (b if i % 2 == 0 else a).version)
            assert engine.check_reload() is True
            time.sleep(0.05)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert not errors
    assert {a.version, b.version} <= set(seen)
    assert engine.swaps == 5


def test_a_damaged_model_keeps_the_old_model(client, paths):
    root = paths[1]
    version = client.get("/health").json()["model_version"]
    shutil.copytree(root / version, root / "damaged")
    (root / "damaged" / "users.npy").write_bytes(b"\x93NUMPY not really")
    point_to(root, "damaged")
    assert client.app.state.engine.check_reload() is False
    health = client.get("/health").json()
    assert health["model_version"] == version and "users.npy" in health["reload_error"]
    assert client.get("/users/2/recommendations").status_code == 200


def test_the_watcher_swaps_without_being_asked(make_client, paths):
    client = make_client(reload_interval=0.05)
    new = train_small(paths[0], paths[1], seed=1).bundle
    deadline = time.monotonic() + 20
    while client.get("/health").json()["model_version"] != new.version:
        assert time.monotonic() < deadline, "the new model was not swapped in"
        time.sleep(0.05)


def test_readers_wait_for_a_locked_store_then_say_who_holds_it(paths, monkeypatch):
    monkeypatch.setenv("TASTEMAKER_LOCK_TIMEOUT", "0.3")
    with held_store(paths[0], 30, read_only=False) as holder:
        started = time.monotonic()
        with pytest.raises(StoreLockedError, match=rf"in use by process {holder.pid}.*TASTEMAKER_LOCK_TIMEOUT"):
            Store(paths[0], read_only=True).connect()
        assert time.monotonic() - started >= 0.3


def test_events_wait_for_a_reader_and_503_after_the_timeout(client, paths, auth, monkeypatch):
    event = {"user_id": "2", "item_id": "289", "event": "play"}
    monkeypatch.setenv("TASTEMAKER_LOCK_TIMEOUT", "0.2")
    with held_store(paths[0], 30, read_only=True):
        response = client.post("/events", json=event, headers=auth)
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert "in use by process" in response.json()["detail"]
        assert client.get("/users/2/recommendations").status_code == 200  # reads never touch the store
    assert client.get("/users/2/recommendations").json()["live"] is False
    monkeypatch.setenv("TASTEMAKER_LOCK_TIMEOUT", "20")
    with held_store(paths[0], 1.0, read_only=True):  # a short read: the write waits for it
        response = client.post("/events", json=event, headers=auth)
    assert response.status_code == 201


@pytest.mark.slow
def test_tastemaker_train_runs_beside_the_server(client, paths, auth):
    """The server holds no lock between writes: `tastemaker train` (another process) reads the
    store, and its model, which now knows the live listener, is swapped in."""
    db, root = paths
    batch = {"events": [{"user_id": "newcomer", "item_id": "154", "event": "play", "count": 30}]}
    assert client.post("/events", json=batch, headers=auth).status_code == 201
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "tastemaker", "--db", str(db), "--model", str(root), "train",
         "--factors", "16", "--iterations", "3", "--regularization", "1"],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1,893 users" in result.stdout
    assert client.app.state.engine.check_reload() is True
    assert "newcomer" in client.app.state.engine.snapshot.bundle.users
    assert client.post("/events", json=batch, headers=auth).status_code == 201
    assert client.get("/users/newcomer/recommendations").status_code == 200
