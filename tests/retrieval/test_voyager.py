"""Voyager HNSW search: recall against exact, filtering with refill, spaces, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from retrieval_support import brute, clustered, recall

pytest.importorskip("voyager")

from tastemaker.retrieval import ExactIndex, VoyagerIndex  # noqa: E402
from tastemaker.retrieval import _voyager  # noqa: E402

SMALL = dict(M=12, ef_construction=64, num_threads=2)


@pytest.fixture(scope="module")
def data():
    return clustered(3000, 16, 300)


@pytest.fixture(scope="module")
def index(data):
    return VoyagerIndex(data[0], ef=32, **SMALL)


@pytest.mark.parametrize("space", ["ip", "euclidean", "cosine"])
def test_recall_at_10_against_exact(data, space):
    items, queries = data
    index = VoyagerIndex(items, space=space, ef=64, **SMALL)
    ids, scores = index.search(queries, k=10, num_threads=2)
    truth, _ = brute(items, queries, 10)
    assert recall(ids, truth) >= 0.95
    # scores are the exact inner products of what was found, best first
    np.testing.assert_allclose(scores, np.einsum("qkf,qf->qk", items[ids], queries), rtol=1e-4, atol=1e-4)
    assert (np.diff(scores, axis=1) <= 0).all()


def test_a_small_ef_is_enough_with_items_inserted_by_norm(data):
    items, queries = data
    truth, _ = brute(items, queries, 10)
    by_norm = VoyagerIndex(items, ef=10, **SMALL).search(queries, k=10)[0]
    assert recall(by_norm, truth) >= 0.9


def test_filtering_never_returns_excluded_items_and_refills(data, index, monkeypatch):
    items, queries = data
    rng = np.random.default_rng(1)
    truth, _ = brute(items, queries, 300)
    # the adversarial history: each query's own exact top 20..300 (all of what a first fetch sees)
    history = [truth[q, : rng.integers(20, 300)] for q in range(len(queries))]
    calls = []
    original = VoyagerIndex._candidates
    monkeypatch.setattr(VoyagerIndex, "_candidates",
                        lambda self, q, b, n: calls.append(b) or original(self, q, b, n))
    ids, _ = index.search(queries, k=10, exclude=history, filter_items=[0, 1, 2], num_threads=2)
    assert (ids >= 0).all(), "every query gets its 10 items"
    for row, h in zip(ids, history):
        assert not set(row) & (set(h) | {0, 1, 2})
    assert max(calls) > min(calls), "short queries asked again for more candidates"
    want, _ = brute(items, queries, 10, [np.r_[h, 0, 1, 2] for h in history])
    assert recall(ids, want) >= 0.9


def test_a_user_with_a_huge_history_still_gets_n(data, index):
    items, queries = data
    played = np.random.default_rng(2).permutation(3000)[:2950]
    ids, _ = index.search(queries[0], k=10, exclude=played)
    assert len(ids) == 10 and not set(ids) & set(played)
    exact, _ = ExactIndex(items).search(queries[0], k=10, exclude=played)
    np.testing.assert_array_equal(ids, exact)  # past 2,048 candidates it searches exactly
    few, _ = index.search(queries[0], k=60, exclude=played)
    assert sorted(few) == sorted(set(range(3000)) - set(played))


def test_single_query_equals_the_batch_row(data, index):
    items, queries = data
    truth, _ = brute(items, queries[:70], 40)
    history = [truth[i, : 5 * (i % 8)] for i in range(70)]  # none up to 35 of each query's own top
    batch, _ = index.search(queries[:70], k=10, exclude=history)  # the batch path (>= 64 queries)
    for q, h, row in zip(queries[:70], history, batch):
        np.testing.assert_array_equal(index.search(q, k=10, exclude=h)[0], row)


def test_cosine_index_finds_the_item_itself_first(data):
    items, _ = data
    index = VoyagerIndex(items, "cosine", ef=64, **SMALL)
    ids, scores = index.search(items[:50], k=5)
    assert (ids[:, 0] == np.arange(50)).all()
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    want, _ = ExactIndex(items, "cosine").search(items[:50], k=5)
    assert recall(ids, want) >= 0.95


def test_same_seed_single_thread_builds_the_same_graph(data):
    items, _ = data
    a = VoyagerIndex(items[:500], M=8, ef_construction=32, random_seed=7, num_threads=1)
    b = VoyagerIndex(items[:500], M=8, ef_construction=32, random_seed=7, num_threads=1)
    assert a.graph.as_bytes() == b.graph.as_bytes()


def test_graph_failures_fall_back_to_exact(data, index, monkeypatch):
    items, queries = data
    monkeypatch.setattr(VoyagerIndex, "_candidates", lambda self, q, b, n: None)
    ids, _ = index.search(queries[:3], k=10, exclude=[[0]] * 3)
    want, _ = ExactIndex(items).search(queries[:3], k=10, exclude=[[0]] * 3)
    np.testing.assert_array_equal(ids, want)


def test_bucket_sizes():
    np.testing.assert_array_equal(_voyager._bucket(np.array([1, 10, 16, 17, 5000]), 3000), [1, 16, 16, 32, 3000])


@pytest.mark.parametrize("params, message", [
    (dict(space="dot"), "space"), (dict(M=0), "M must"), (dict(ef="many"), "ef must"), (dict(order="random"), "order"),
])
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        VoyagerIndex(np.ones((5, 3), np.float32), **params)
