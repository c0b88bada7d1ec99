"""Exact search against brute-force numpy: ids, scores, exclusions, ties, padding, cosine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from retrieval_support import brute, clustered

from tastemaker.cf._topk import topk_rows
from tastemaker.errors import InputError
from tastemaker.retrieval import ExactIndex
from tastemaker.retrieval._kernels import topk_dense


def test_matches_brute_force_numpy():
    items, queries = clustered(2000, 16, 300)
    ids, scores = ExactIndex(items).search(queries, k=10, num_threads=2)
    want_ids, want_scores = brute(items, queries, 10)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-4)
    assert ids.dtype == np.int64 and scores.dtype == np.float32


def test_blocks_and_threads_do_not_change_the_answer(monkeypatch):
    import tastemaker.retrieval._exact as exact

    items, queries = clustered(500, 8, 100)
    whole = ExactIndex(items).search(queries, k=7, num_threads=1)
    monkeypatch.setattr(exact, "_BLOCK_ENTRIES", 500 * 3)  # blocks of three queries
    blocked = ExactIndex(items).search(queries, k=7, num_threads=2)
    np.testing.assert_array_equal(whole[0], blocked[0])


def test_heap_top_k_equals_topk_rows_with_ties_and_exclusions(rng):
    scores = rng.integers(0, 5, (50, 300)).astype(np.float32)  # many ties
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    scores[3, :] = -np.inf
    scores[4, :295] = -np.inf  # fewer finite entries than k
    ids = np.empty((50, 8), np.int64)
    vals = np.empty((50, 8), np.float32)
    topk_dense(scores, 8, ids, vals)
    want_ids, want_vals = topk_rows(scores, 8)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_array_equal(vals, want_vals)
    assert (ids[3] == -1).all() and np.isneginf(vals[3]).all()


@pytest.mark.parametrize("jit", [True, False])
def test_a_few_queries_with_or_without_the_compiler(jit):
    items, queries = clustered(600, 8, 3)
    history = [np.arange(5), np.array([], np.int64), np.arange(0, 600, 2)]
    ids, scores = ExactIndex(items, jit=jit).search(queries, k=6, exclude=history)
    want_ids, want_scores = brute(items, queries, 6, history)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-4)
    one_ids, _ = ExactIndex(items, jit=jit).search(queries[0], k=6, exclude=[history[0]])
    np.testing.assert_array_equal(one_ids, want_ids[0])


def test_exclusions_per_query_and_for_everyone():
    items, queries = clustered(400, 8, 20)
    history = [np.arange(i * 10) for i in range(20)]  # the lowest ids, more per query
    ids, _ = ExactIndex(items).search(queries, k=5, exclude=history, filter_items=[399, 398])
    want, _ = brute(items, queries, 5, [np.r_[h, 398, 399] for h in history])
    np.testing.assert_array_equal(ids, want)
    as_csr = sp.csr_matrix((np.ones(sum(map(len, history))), np.concatenate(history),
                            np.r_[0, np.cumsum([len(h) for h in history])]), shape=(20, 400))
    ids_csr, _ = ExactIndex(items).search(queries, k=5, exclude=as_csr, filter_items=[399, 398])
    np.testing.assert_array_equal(ids_csr, ids)


def test_single_query_is_1d_and_short_when_few_items_are_left():
    items, queries = clustered(30, 4, 1)
    ids, scores = ExactIndex(items).search(queries[0], k=10, exclude=np.arange(25))
    assert ids.shape == scores.shape == (5,)
    assert set(ids) == set(range(25, 30))
    batch, _ = ExactIndex(items).search(queries, k=10, exclude=[np.arange(25)])
    assert batch.shape == (1, 10) and (batch[0, 5:] == -1).all()


def test_cosine_matches_similar_items_of_the_model():
    from tastemaker.cf import ImplicitALS

    plays = sp.random(80, 60, density=0.15, format="csr", random_state=1) * 10
    model = ImplicitALS(factors=6, iterations=5, regularization=0.1, random_state=0).fit(plays, show_progress=False)
    want_ids, want_scores = model.similar_items(np.arange(60), N=6)
    ids, scores = ExactIndex(model.item_factors_, "cosine").search(model.item_factors_, k=6)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda ix: ix.search(np.zeros(5), k=3), "4 values"),
    (lambda ix: ix.search(np.full(4, np.nan), k=3), "NaN"),
    (lambda ix: ix.search(np.zeros(4), k=-1), "non-negative"),
    (lambda ix: ix.search(np.zeros(4), k=3, exclude=[20]), "outside 0..9"),
    (lambda ix: ix.search(np.zeros((2, 4)), k=3, exclude=[[1]]), "one list of item ids per query"),
    (lambda ix: ix.search(np.zeros(4), k=3, filter_items=[0.5]), "integer"),
    (lambda ix: ix.search(np.zeros((2, 4)), k=3, exclude=sp.csr_matrix((3, 10))), "one row per query"),
])
def test_bad_input_is_one_clear_error(call, message):
    index = ExactIndex(np.ones((10, 4), np.float32))
    with pytest.raises(InputError, match=message):
        call(index)


def test_bad_factors_and_metric():
    with pytest.raises(InputError, match="non-empty"):
        ExactIndex(np.zeros((0, 4)))
    with pytest.raises(InputError, match="NaN"):
        ExactIndex(np.full((3, 2), np.inf))
    with pytest.raises(ValueError, match="metric"):
        ExactIndex(np.ones((3, 2)), "dot")
