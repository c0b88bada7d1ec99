"""The bundle served through its retrieval index: the same answers as exact search, saved with
the version it belongs to, and ``tastemaker train --index`` / ``tastemaker index``."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.bundle import ModelBundle
from tastemaker.cli import main
from tastemaker.data import Store
from tastemaker.pipeline import TrainingPipeline, TrainSettings

pytest.importorskip("voyager")

ALS = dict(factors=16, iterations=8, regularization=0.1, num_threads=1)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """300 listeners in five taste groups over five blocks of 100 items."""
    db = tmp_path_factory.mktemp("index") / "t.duckdb"
    rng = np.random.default_rng(0)
    rows = []
    for u in range(300):
        for i in rng.choice(100, rng.integers(5, 60), replace=False) + 100 * (u % 5):
            rows.append({"user_id": f"u{u}", "item_id": f"a{i}", "event": "play",
                         "count": float(rng.integers(1, 50)), "item_name": f"Artist {i}"})
    with Store(db) as s:
        s.append_events(rows)
    return db


@pytest.fixture(scope="module")
def voyager_bundle(store, tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    TrainingPipeline(TrainSettings(params=ALS, index="voyager",
                                   index_params=dict(M=12, ef_construction=64, ef=64))).run(store, root)
    return ModelBundle.load(root)


def ids(recs):
    return [r.item_id for r in recs]


def test_answers_through_the_index_match_exact_search(voyager_bundle):
    b = voyager_bundle
    assert b.index is not None and b.index.kind == "voyager"
    same = sum(ids(b.recommend(f"u{u}", n=10)) == ids(b.recommend(f"u{u}", n=10, exact=True)) for u in range(0, 300, 10))
    assert same >= 28  # of 30 listeners
    assert ids(b.similar("a7", n=5)) == ids(b.similar("a7", n=5, exact=True)) and "a7" not in ids(b.similar("a7", n=5))


def test_batches_leave_each_history_out(voyager_bundle):
    b = voyager_bundle
    cols, scores = b.recommend_batch(10, num_threads=2)
    assert cols.shape == scores.shape == (300, 10) and (cols >= 0).all()
    hist = b.history.tolil().rows
    assert all(not set(row) & set(h) for row, h in zip(cols, hist))
    exact, _ = b.recommend_batch(10, exact=True)
    assert np.mean([len(set(a) & set(e)) / 10 for a, e in zip(cols, exact)]) >= 0.95
    sub, _ = b.recommend_batch(10, user_rows=[4, 2], filter_items=cols[4, :3])
    assert not set(sub[0]) & set(cols[4, :3]) and (sub[1] == cols[2]).sum() >= 9


def test_bad_rows(voyager_bundle):
    from tastemaker.errors import InputError

    with pytest.raises(InputError, match="outside 0..299"):
        voyager_bundle.recommend_batch(5, user_rows=[300])


@pytest.fixture
def tm(store, tmp_path, capsys, monkeypatch):
    for name in ("TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_HOME"):
        monkeypatch.delenv(name, raising=False)

    def run(*args):
        capsys.readouterr()
        code = main(["--db", str(store), "--model", str(tmp_path / "models"), *map(str, args)])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_train_builds_the_index_and_index_rebuilds_it(tm):
    code, out, _ = tm("train", "--factors", 8, "--regularization", 0.1, "--index", "voyager", "--no-blend")
    assert code == 0 and "built voyager index over 500 items" in out
    code, out, _ = tm("index", "--check")
    assert code == 0 and "voyager index of model" in out and "loads and matches it" in out
    code, out, err = tm("recommend", "u1", "-n", 3)
    assert code == 0 and out.count("Artist") >= 3 and not err
    code, out, _ = tm("index", "--kind", "exact")
    assert code == 0 and "built exact index over 500 items" in out
    code, out, _ = tm("index", "--check")
    assert "exact index" in out


def test_auto_is_exact_for_small_catalogues_and_none_builds_none(tm):
    code, out, _ = tm("train", "--factors", 8, "--regularization", 0.1, "--no-blend")
    assert code == 0 and "built exact index" in out and "under 50,000 items" in out
    code, out, _ = tm("train", "--factors", 8, "--regularization", 0.1, "--index", "none", "--no-blend")
    assert code == 0 and "index" not in out.split("\n")[0]
    code, out, _ = tm("index", "--check")
    assert code == 0 and "has no index" in out


def test_bad_index_options(tm):
    tm("train", "--factors", 8, "--regularization", 0.1, "--no-blend")
    code, _, err = tm("index", "--kind", "exact", "--M", 8)
    assert code == 2 and "are for Voyager indexes" in err
    code, _, err = tm("train", "--algorithm", "popularity", "--index", "voyager")
    assert code == 2 and "needs a factor model" in err and "(see --index)" in err
