"""Top-k metrics: hand-computed values, a naive reference, and properties."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.evaluation import (
    average_precision_at_k,
    catalogue_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    precision_at_k,
    recall_at_k,
    reciprocal_rank_at_k,
)

METRICS = {
    "precision": precision_at_k, "recall": recall_at_k, "ndcg": ndcg_at_k,
    "map": average_precision_at_k, "mrr": reciprocal_rank_at_k, "hit_rate": hit_rate_at_k,
}

# row 0: relevant {1, 2, 5}, hits at ranks 2 and 4; row 1: relevant {0}, hit at rank 1 of a short
# list; row 2: no relevant item (undefined -> NaN); test entries <= 0 are not relevant
IDS = np.array([[3, 1, 7, 2, -1], [0, -1, -1, -1, -1], [4, 5, 6, -1, -1]])
TEST = sp.csr_matrix(np.array([
    [0, 1, 3, 0, 0, 2, 0, 0],
    [5, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, -1, 0, 0, 0],
], dtype=np.float32))


def test_hand_computed_at_4():
    d = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    want = {
        "precision": [2 / 4, 1 / 4], "recall": [2 / 3, 1.0], "ndcg": [d / ideal, 1.0],
        "map": [(1 / 2 + 2 / 4) / 3, 1.0], "mrr": [1 / 2, 1.0], "hit_rate": [1.0, 1.0],
    }
    for name, fn in METRICS.items():
        got = fn(IDS, TEST, k=4)
        np.testing.assert_allclose(got[:2], want[name], rtol=1e-12, err_msg=name)
        assert np.isnan(got[2]), f"{name} must be undefined without relevant items"


def test_precision_divides_by_k_even_for_short_lists():
    np.testing.assert_allclose(precision_at_k(IDS, TEST, k=10)[:2], [2 / 10, 1 / 10])


def test_recall_denominator_is_all_relevant_items():
    # 3 relevant, k = 1, a hit at rank 1: recall 1/3 (not 1/min(k, 3))
    assert recall_at_k(np.array([[2, 1]]), TEST[0], k=1)[0] == pytest.approx(1 / 3)


def test_ideal_dcg_uses_min_k_relevant():
    # a perfect top 2 of 3 relevant items is nDCG@2 = 1 and AP@2 = 1
    ids = np.array([[5, 1, 2]])
    assert ndcg_at_k(ids, TEST[0], k=2)[0] == pytest.approx(1.0)
    assert average_precision_at_k(ids, TEST[0], k=2)[0] == pytest.approx(1.0)


def test_mismatched_rows_are_an_error():
    with pytest.raises(ValueError, match="rows"):
        ndcg_at_k(IDS, TEST[:2], k=3)
    with pytest.raises(ValueError, match="2-D"):
        ndcg_at_k(IDS[0], TEST[0], k=3)


def _naive(ids_row, relevant: set, k: int) -> dict:
    top = [i for i in ids_row[:k]]
    hits = [1.0 if i >= 0 and i in relevant else 0.0 for i in top] + [0.0] * (k - len(top))
    n = len(relevant)
    dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
    idcg = sum(1 / math.log2(r + 2) for r in range(min(k, n)))
    ap = sum(h * sum(hits[:r + 1]) / (r + 1) for r, h in enumerate(hits)) / min(k, n)
    first = next((r + 1 for r, h in enumerate(hits) if h), None)
    return {"precision": sum(hits) / k, "recall": sum(hits) / n, "ndcg": dcg / idcg, "map": ap,
            "mrr": 1 / first if first else 0.0, "hit_rate": float(any(hits))}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 12))
def test_agrees_with_a_naive_reference(seed, k):
    rng = np.random.default_rng(seed)
    n_rows, n_items, length = 6, 15, 10
    dense = (rng.random((n_rows, n_items)) < 0.25).astype(np.float32)
    dense[0, 0] = 1.0  # at least one row is defined
    test = sp.csr_matrix(dense)
    ids = np.stack([rng.permutation(n_items)[:length] for _ in range(n_rows)])
    ids[rng.random(ids.shape) < 0.1] = -1
    ids = np.where(np.cumsum(ids < 0, axis=1) > 0, -1, ids)  # padding only at the end
    for name, fn in METRICS.items():
        got = fn(ids, test, k=k)
        for r in range(n_rows):
            relevant = set(test[r].indices)
            if not relevant:
                assert np.isnan(got[r])
                continue
            assert got[r] == pytest.approx(_naive(ids[r], relevant, k)[name]), name
            assert 0.0 <= got[r] <= 1.0 + 1e-12


def test_catalogue_coverage():
    assert catalogue_coverage(IDS, n_items=8, k=2) == pytest.approx(5 / 8)  # 3, 1, 0, 4, 5 (-1 ignored)
    assert catalogue_coverage(IDS, n_items=10, k=5) == pytest.approx(8 / 10)


def test_novelty_by_hand():
    # 4 train users; item 0 played by all, 1 by one, 2 by two, 3 by nobody (counts as one)
    train = sp.csr_matrix(np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 0, 0, -1], [2, 0, 0, 0]], dtype=np.float32))
    got = novelty(np.array([[0, 2], [1, 3], [2, -1]]), train, k=2)
    np.testing.assert_allclose(got, [(0 + 1) / 2, (2 + 2) / 2, 1.0])


def test_intra_list_diversity_by_hand():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    ids = np.array([[0, 1, 2], [0, 2, -1], [0, 3, -1], [1, -1, -1]])
    want = [1 - (0 + 2 / math.sqrt(2)) / 3, 1 - 1 / math.sqrt(2), 1.0, np.nan]
    np.testing.assert_allclose(intra_list_diversity(ids, vectors, k=3), want)
    np.testing.assert_allclose(intra_list_diversity(ids, sp.csr_matrix(vectors), k=3), want)
    np.testing.assert_allclose(intra_list_diversity(ids, vectors, k=2)[0], 1.0)  # items 0, 1 orthogonal


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_diversity_agrees_with_pairwise_loop(seed):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(12, 4))
    ids = np.stack([rng.permutation(12)[:5] for _ in range(3)])
    got = intra_list_diversity(ids, vectors, k=5)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for r, row in enumerate(ids):
        cos = [unit[a] @ unit[b] for i, a in enumerate(row) for b in row[i + 1:]]
        assert got[r] == pytest.approx(1 - np.mean(cos))
