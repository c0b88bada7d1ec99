"""The Recommender served through an index: the same answers as the model, recommend_for,
recommend_batch, the index file next to the model, and the CLI."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf import ImplicitALS, Popularity
from tastemaker.data import Vocabulary
from tastemaker.errors import InputError
from tastemaker.recommender import Recommender

pytest.importorskip("voyager")


def make_rec(model=None) -> Recommender:
    rng = np.random.default_rng(0)
    n_users, n_items = 300, 500
    taste = rng.integers(0, 5, n_users)  # five taste groups over five blocks of items
    rows, cols = [], []
    for u in range(n_users):
        picks = rng.choice(100, rng.integers(5, 60), replace=False) + 100 * taste[u]
        rows += [u] * len(picks)
        cols += picks.tolist()
    plays = sp.csr_matrix((rng.integers(1, 50, len(rows)).astype(np.float32), (rows, cols)), shape=(n_users, n_items))
    model = model or ImplicitALS(factors=16, iterations=8, regularization=0.1, random_state=0)
    model.fit(plays, show_progress=False)
    users = Vocabulary([f"u{i}" for i in range(n_users)], name="user")
    items = Vocabulary([f"a{i}" for i in range(n_items)], name="item")
    return Recommender(model, users, items, [f"Artist {i}" for i in range(n_items)], plays,
                       {"version": "20260101T000000Z-test"})


@pytest.fixture(scope="module")
def rec():
    r = make_rec()
    r.build_index("voyager", M=12, ef_construction=64, ef=64, num_threads=2)
    return r


def ids(recs):
    return [r.item_id for r in recs]


def test_recommend_and_similar_through_the_index_match_exact(rec):
    same = sum(ids(rec.recommend(f"u{u}", n=10)) == ids(rec.recommend(f"u{u}", n=10, exact=True))
               for u in range(0, 300, 10))
    assert same >= 28  # of 30 users
    assert [i for i, _, _ in rec.similar("a7", n=5)] == [i for i, _, _ in rec.similar("a7", n=5, exact=True)]
    assert "a7" not in [i for i, _, _ in rec.similar("a7", n=5)]


def test_recommend_for_a_vector_not_in_the_model(rec):
    history = sp.csr_matrix(rec.history[5])  # a "new" listener with user 5's plays
    vector = rec.model.recalculate_user(0, history)
    out = rec.recommend_for(vector, exclude_cols=[3], n=8, explain=True,
                            history_row=history)
    played = {f"a{c}" for c in history.indices} | {"a3"}
    assert len(out) == 8 and not played & set(ids(out))
    assert all(r.because and {i for i, _, _ in r.because} <= played for r in out)
    assert [r.score for r in out] == sorted((r.score for r in out), reverse=True)
    exact = rec.recommend_for(vector, [3], 8, history_row=history, exact=True)
    assert len(set(ids(out)) & set(ids(exact))) >= 7


def test_recommend_for_without_history_uses_exclusions_only(rec):
    vector = rec.model.user_factors_[0]
    out = rec.recommend_for(vector, exclude_cols=set(), n=5)
    assert len(out) == 5
    with pytest.raises(InputError, match="history_row"):
        rec.recommend_for(vector, [], 5, explain=True)


@pytest.mark.parametrize("kwargs, message", [
    (dict(vector=np.zeros(3)), "16 values"),
    (dict(exclude_cols=[10_000]), "outside 0..499"),
    (dict(history_row=sp.csr_matrix((1, 7))), "one row of 500"),
    (dict(n=-2), "non-negative"),
])
def test_recommend_for_bad_input(rec, kwargs, message):
    args = dict(vector=rec.model.user_factors_[0], exclude_cols=[], n=5) | kwargs
    with pytest.raises(InputError, match=message):
        rec.recommend_for(**args)


def test_recommend_batch_for_everyone_filters_history(rec):
    cols, scores = rec.recommend_batch(10, num_threads=2)
    assert cols.shape == scores.shape == (300, 10) and (cols >= 0).all()
    hist = rec.history.tolil().rows
    assert all(not set(row) & set(h) for row, h in zip(cols, hist))
    exact_cols, _ = rec.recommend_batch(10, exact=True)
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(cols, exact_cols)]) >= 0.95
    sub, _ = rec.recommend_batch(10, user_rows=[4, 2], exclude=cols[4, :3])
    assert not set(sub[0]) & set(cols[4, :3]) and (sub[1] == cols[2]).sum() >= 9


def test_recommend_batch_bad_rows(rec):
    with pytest.raises(InputError, match="outside 0..299"):
        rec.recommend_batch(5, user_rows=[300])


def test_models_without_factors():
    rec = make_rec(Popularity())
    with pytest.raises(InputError, match="no item factors"):
        rec.build_index("voyager")
    with pytest.raises(InputError, match="no item factors"):
        rec.recommend_for(np.zeros(4), [], 5)
    cols, _ = rec.recommend_batch(3, user_rows=[0, 1])
    assert cols.shape == (2, 3)


def test_saved_index_is_loaded_when_it_matches_and_refused_when_stale(rec, tmp_path):
    path = tmp_path / "models" / "als.npz"
    rec.save(path)
    assert rec.save_index(path) == tmp_path / "models" / "als.index.npz"
    loaded = Recommender.load(path)
    assert loaded.index is not None and loaded.index.kind == "voyager"
    assert ids(loaded.recommend("u1")) == ids(rec.recommend("u1"))
    assert Recommender.load(path, index=False).index is None
    retrained = make_rec()
    retrained.metadata["version"] = "20260102T000000Z-test"
    retrained.save(path)  # a new model, the old index left behind
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stale = Recommender.load(path)
    assert stale.index is None
    assert "stale index" in str(caught[0].message) and "tastemaker index" in str(caught[0].message)
    assert ids(stale.recommend("u1")) == ids(stale.recommend("u1", exact=True))
    retrained.save_index(path)  # no index: the stale file goes
    assert not (tmp_path / "models" / "als.index.npz").exists()
