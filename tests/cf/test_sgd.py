"""SGDMatrixFactorization: the shared contract plus its own maths."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.cf.sgd import SGDMatrixFactorization, _as_kernel_csr, gravity_term
from tastemaker.testing import RecommenderContractTests, checkerboard


class TestSGDContract(RecommenderContractTests):
    def make_model(self):
        # the checkerboard is 40% dense: gravity ~ 1/density gives unobserved entries ALS's weight
        return SGDMatrixFactorization(factors=8, gravity=3.0, regularization=0.1, epochs=30, random_state=0)


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


@pytest.fixture(scope="module")
def low_rank_counts():
    """200 users x 150 items drawn from a rank-4 taste model, ~11% dense."""
    rng = np.random.default_rng(7)
    taste = rng.random((200, 4)) @ rng.random((4, 150))
    taste /= taste.max()
    played = rng.random(taste.shape) < 0.3 * taste
    counts = np.where(played, rng.integers(1, 20, taste.shape), 0).astype(np.float32)
    return sp.csr_matrix(counts)


def _fit(user_items, callback=None, **params):
    defaults = dict(factors=8, gravity=5.0, regularization=0.1, epochs=30, random_state=0)
    return SGDMatrixFactorization(**{**defaults, **params}).fit(user_items, show_progress=False,
                                                                 callback=callback)


def test_loss_decreases_over_epochs(low_rank_counts):
    calls = []
    _fit(low_rank_counts, callback=lambda epoch, seconds, loss: calls.append((epoch, seconds, loss)))
    assert [c[0] for c in calls] == list(range(30))
    assert np.all(np.diff([c[1] for c in calls]) >= 0) and calls[0][1] >= 0
    losses = np.array([c[2] for c in calls])
    assert np.all(np.diff(losses) <= 1e-6 * losses[:-1]), losses
    assert losses[-1] < 0.6 * losses[0]


@settings(max_examples=30, deadline=None)
@given(n_users=st.integers(1, 8), n_items=st.integers(1, 8), k=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_gravity_cheap_equals_dense(n_users, n_items, k, seed):
    gen = np.random.default_rng(seed)
    U = gen.standard_normal((n_users, k)).astype(np.float32)
    V = gen.standard_normal((n_items, k)).astype(np.float32)
    dense = np.sum((U.astype(np.float64) @ V.T.astype(np.float64)) ** 2) / (n_users * n_items)
    assert gravity_term(U, V) == pytest.approx(dense, rel=1e-9, abs=1e-12)


def test_objective_matches_dense_formula(rng):
    counts = np.array([[3, 0, -2, 0], [0, 1, 0, 5], [7, 0, 0, -1]], dtype=np.float32)
    model = SGDMatrixFactorization(factors=2, regularization=0.3, gravity=2.0, alpha=1.5, epsilon=2.0)
    U = rng.standard_normal((3, 2)).astype(np.float32)
    V = rng.standard_normal((4, 2)).astype(np.float32)
    kernel_csr = _as_kernel_csr(model._signed_weights(sp.csr_matrix(counts)))
    got = model._objective(kernel_csr, U, V, n_observed=6)

    pred = U.astype(np.float64) @ V.T.astype(np.float64)
    observed = counts != 0
    target = (counts > 0).astype(np.float64)
    weight = 1 + 1.5 * np.log(1 + np.abs(counts) / 2.0)
    want = (np.sum((weight * (target - pred) ** 2)[observed]) / 6
            + 0.3 * (np.sum(U.astype(np.float64) ** 2) / 3 + np.sum(V.astype(np.float64) ** 2) / 4)
            + 2.0 * np.sum(pred ** 2) / 12)
    assert got == pytest.approx(want, rel=1e-5)


def test_same_seed_identical_factors_any_thread_count(low_rank_counts):
    a = _fit(low_rank_counts, random_state=3, num_threads=1)
    b = _fit(low_rank_counts, random_state=3, num_threads=2)
    c = _fit(low_rank_counts, random_state=np.random.default_rng(3))
    for other in (b, c):
        np.testing.assert_array_equal(a.user_factors_, other.user_factors_)
        np.testing.assert_array_equal(a.item_factors_, other.item_factors_)
    assert a.user_factors_.dtype == np.float32 and a.item_factors_.dtype == np.float32
    assert not np.array_equal(a.user_factors_, _fit(low_rank_counts, random_state=4).user_factors_)


def test_fold_in_of_trained_user_matches_trained_recommendations(low_rank_counts):
    # trained to convergence, a user's stored vector is the minimiser that fold-in computes
    model = _fit(low_rank_counts, epochs=60, learning_rate=0.05)
    users = np.arange(low_rank_counts.shape[0])
    folded = model.recalculate_user(users, low_rank_counts)
    cosine = np.sum(folded * model.user_factors_, axis=1) / (
        np.linalg.norm(folded, axis=1) * np.linalg.norm(model.user_factors_, axis=1))
    assert np.median(cosine) > 0.99
    trained_ids, _ = model.recommend(users, low_rank_counts, N=10)
    folded_ids, _ = model.recommend(users, low_rank_counts, N=10, recalculate_user=True)
    overlap = [len(set(t) & set(f)) / 10 for t, f in zip(trained_ids, folded_ids)]
    assert np.mean(overlap) > 0.9


def test_skips_push_an_item_down(low_rank_counts):
    model = _fit(low_rank_counts)
    row = low_rank_counts[0].toarray()
    candidate = int(np.flatnonzero(row[0] == 0)[0])
    skipped = row.copy()
    skipped[0, candidate] = -5
    plain = model.recalculate_user(0, sp.csr_matrix(row)) @ model.item_factors_[candidate]
    with_skip = model.recalculate_user(0, sp.csr_matrix(skipped)) @ model.item_factors_[candidate]
    assert with_skip < plain


def test_empty_row_folds_in_to_zero(low_rank_counts):
    model = _fit(low_rank_counts, epochs=2)
    np.testing.assert_array_equal(model.recalculate_user(0, sp.csr_matrix((1, 150), dtype=np.float32)), 0)


def test_rejects_bad_hyper_parameters_in_fit_not_init():
    user_items, _ = checkerboard()
    model = SGDMatrixFactorization(factors=0)  # constructing never fails
    with pytest.raises(ValueError, match="factors"):
        model.fit(user_items, show_progress=False)
    with pytest.raises(ValueError, match="epsilon"):
        SGDMatrixFactorization(epsilon=0).fit(user_items, show_progress=False)


def test_fold_in_without_regularisation_handles_short_rows(low_rank_counts):
    model = _fit(low_rank_counts, regularization=0.0, gravity=0.0, epochs=2)
    one_item = sp.csr_matrix(([3.0], ([0], [5])), shape=(1, 150), dtype=np.float32)
    assert np.all(np.isfinite(model.recalculate_user(0, one_item)))
