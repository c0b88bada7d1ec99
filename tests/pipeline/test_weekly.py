"""The weekly job: one run does every step, a finished week does nothing, a killed run resumes at
its step, new files in the inbox are ingested once, exports are written, a server is told."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from tastemaker.bundle import ModelBundle
from tastemaker.cli import main
from tastemaker.data import Store
from tastemaker.pipeline import TrainSettings, WeeklyJob, WeeklySettings

SMALL = TrainSettings(params=dict(factors=8, iterations=10, regularization=0.1, num_threads=1))
WEEK = "2026-W49"


def job(db, root, **settings) -> WeeklyJob:
    said = []
    j = WeeklyJob(db, root, WeeklySettings(week=WEEK, train=SMALL, playlist_size=3, **settings),
                  say=lambda step, message: said.append((step, message)))
    j.said = said
    return j


def playlists(db, week=WEEK) -> int:
    with Store(db, read_only=True) as store:
        return store.con.execute("SELECT count(DISTINCT user_id) FROM discover_weekly WHERE week = ?", [week]).fetchone()[0]


def test_one_run_does_every_step_and_a_finished_week_does_nothing(week_store):
    db, root = week_store
    first = job(db, root)
    records = first.run()
    assert [r.step for r in records] == ["ingest", "train", "discover-weekly", "bandit", "swap"]
    assert all(r.status in ("done", "skipped") for r in records)
    version = records[1].model_version
    assert version == ModelBundle.load(root).version and playlists(db) == 36
    assert {r.step: r.status for r in records}["bandit"] == "skipped"  # no home screens logged yet
    again = job(db, root)
    again.run()
    assert again.said == [("pipeline", f"week {WEEK} is done (model {version}); nothing to do")]
    assert ModelBundle.load(root).version == version, "no new model"
    plan = job(db, root).plan()
    assert plan[1].startswith("ingest: done") and f"(model {version})" in plan[2]


def test_a_killed_run_resumes_at_the_step_it_was_in(week_store, monkeypatch):
    db, root = week_store

    def killed(self, done):
        raise KeyboardInterrupt  # the run dies in the middle of Discover Weekly

    monkeypatch.setattr(WeeklyJob, "_discover_weekly", killed)
    with pytest.raises(KeyboardInterrupt):
        job(db, root).run()
    version = ModelBundle.load(root).version
    statuses = {r.step: r.status for r in job(db, root).status()}
    assert statuses == {"ingest": "done", "train": "done", "discover-weekly": "pending", "bandit": "pending",
                        "swap": "pending"}
    monkeypatch.undo()
    resumed = job(db, root)
    resumed.run()
    assert ("train", "done earlier") in [(s, m.split(" (")[0]) for s, m in resumed.said]
    assert ModelBundle.load(root).version == version, "the model trained before the kill is the one used"
    assert playlists(db) == 36


def test_the_inbox_is_ingested_once(week_store, tmp_path):
    db, root = week_store
    inbox = db.parent / "inbox"
    inbox.mkdir()
    with open(inbox / "monday.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "item_id", "event", "count", "timestamp"])
        w.writerow(["newbie", "10", "play", 7, "2026-11-30T10:00:00Z"])
    first = job(db, root)
    first.run()
    assert ("ingest", "monday.csv: 1 rows") in first.said
    assert "newbie" in ModelBundle.load(root).users
    again = job(db, root, force=True)
    again.run()
    assert ("ingest", "monday.csv: already ingested") in again.said


def test_exports(week_store, tmp_path):
    import pyarrow.parquet as pq

    db, root = week_store
    records = job(db, root, export=tmp_path / "exports").run()
    assert [r.step for r in records][-2:] == ["export", "swap"]
    recs = pq.read_table(tmp_path / "exports" / WEEK / "recommendations.parquet")
    lists = pq.read_table(tmp_path / "exports" / WEEK / "discover-weekly.parquet")
    assert recs.column_names == ["user_id", "rank", "item_id", "score"] and recs.num_rows > 36
    assert set(lists.column("user_id").to_pylist()) == set(recs.column("user_id").to_pylist())


def test_the_command_line(week_store, capsys):
    db, root = week_store
    assert main(["--db", str(db), "pipeline", "--week", WEEK, "--dry-run", "--factors", "8"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"week {WEEK}: store {db}, models {root}"
    assert "train: read:" in out and not root.exists(), "a dry run writes nothing"
    assert main(["--db", str(db), "pipeline", "--week", "2026-W99"]) == 2
    assert "2026-W99" in capsys.readouterr().err
    assert main(["--db", str(db), "pipeline", "--algorithm", "ease", "--index", "voyager"]) == 2
    assert "(see --index)" in capsys.readouterr().err
    assert main(["--db", str(db), "pipeline", "--inbox", str(db.parent / "nope")]) == 1
    assert "no inbox folder" in capsys.readouterr().err


def test_one_run_at_a_time(week_store):
    import fcntl

    db, root = week_store
    root.mkdir(parents=True)
    with open(root / "pipeline.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        from tastemaker.errors import InputError

        with pytest.raises(InputError, match="another weekly pipeline run"):
            job(db, root).run()


@pytest.mark.slow
def test_a_running_server_is_told_to_swap(week_store):
    spec = importlib.util.spec_from_file_location("tm_serve_support",
                                                  Path(__file__).parents[1] / "serve" / "serve_support.py")
    serve_support = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve_support)
    db, root = week_store
    assert main(["--db", str(db), "train", "--factors", "8", "--regularization", "0.1"]) == 0
    proc, url = serve_support.start_server(db, root, "--reload-interval", "0")  # only told, never watching
    try:
        records = job(db, root, server=url, api_token=serve_support.TOKEN).run()
        swap = records[-1]
        assert swap.status == "done" and swap.detail["served"] == records[1].model_version
        bad = job(db, root, server=url, api_token="wrong", force=True)
        from tastemaker.errors import TastemakerError

        with pytest.raises(TastemakerError, match="refused the reload \\(401"):
            bad.run()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_the_weekly_job_on_spark(week_store, tmp_path):
    """--engine spark: training, Discover Weekly and the exports on Spark (local[2]), the same
    bundle and weekly tables as the local engine writes."""
    pytest.importorskip("pyspark")
    import pyarrow.parquet as pq

    db, root = week_store
    spark_settings = TrainSettings(engine="spark", params=dict(factors=8, iterations=5, regularization=0.1))
    j = WeeklyJob(db, root, WeeklySettings(week=WEEK, train=spark_settings, playlist_size=3,
                                           export=tmp_path / "exports"))
    records = j.run()
    assert all(r.status in ("done", "skipped") for r in records)
    bundle = ModelBundle.load(root)
    assert bundle.metadata.get("engine") == "spark" and bundle.version == records[1].model_version
    assert playlists(db) == 36
    assert pq.read_table(tmp_path / "exports" / WEEK / "recommendations.parquet").num_rows > 36
