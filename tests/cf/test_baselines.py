"""Popularity, ItemKNN and EASE: the shared contract plus hand-checked scores."""

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf import itemknn as itemknn_module
from tastemaker.cf.ease import EASE
from tastemaker.cf.itemknn import ItemKNN
from tastemaker.cf.popularity import Popularity
from tastemaker.testing import RecommenderContractTests, checkerboard


class TestPopularityContract(RecommenderContractTests):
    solves_checkerboard = False

    def make_model(self):
        return Popularity()


class TestItemKNNContract(RecommenderContractTests):
    def make_model(self):
        return ItemKNN()


class TestEASEContract(RecommenderContractTests):
    def make_model(self):
        return EASE()


class TestEASEGramContract(RecommenderContractTests):
    """More users than items: the items x items (Gram) form of the solve."""

    def make_model(self):
        return EASE(regularization=10.0)

    def _fitted(self):
        model, returned, user_items, answers = super()._fitted()
        assert model.form_ == "gram"
        return model, returned, user_items, answers


# --- Popularity ------------------------------------------------------------------------------
def test_popularity_counts_users_not_plays_and_ignores_skips():
    plays = sp.csr_matrix(np.array([[50.0, 1.0, -1.0], [0.0, 2.0, -3.0], [0.0, 7.0, 0.0]], dtype=np.float32))
    model = Popularity().fit(plays, show_progress=False)
    np.testing.assert_array_equal(model.item_popularity_, [1.0, 3.0, 0.0])
    ids, scores = model.recommend(np.array([1, 2]), plays[[1, 2]], N=3, filter_already_liked_items=False)
    np.testing.assert_array_equal(ids, [[1, 0, 2], [1, 0, 2]])
    np.testing.assert_array_equal(scores[0], [3.0, 1.0, 0.0])


def test_popularity_serves_new_users():
    plays, _ = checkerboard()
    model = Popularity().fit(plays, show_progress=False)
    ids, _ = model.recommend(500, sp.csr_matrix((1, 50), dtype=np.float32), N=3, recalculate_user=True)
    assert len(ids) == 3


# --- ItemKNN ---------------------------------------------------------------------------------
# users x items; item 3 is only skipped (a negative entry), so it has no neighbours
HAND = sp.csr_matrix(np.array([
    [1, 1, 0, -1],
    [1, 1, 1, 0],
    [0, 4, 1, 0],
], dtype=np.float32))


def test_itemknn_cosine_with_shrinkage_by_hand():
    model = ItemKNN(k=10, shrinkage=1.0).fit(HAND, show_progress=False)
    sim = model.similarity_matrix().toarray()
    # users of items: 0 -> {0, 1}, 1 -> {0, 1, 2}, 2 -> {1, 2}; counts are binarised
    want = np.zeros((4, 4))
    want[0, 1] = want[1, 0] = 2 / (np.sqrt(2 * 3) + 1)
    want[0, 2] = want[2, 0] = 1 / (np.sqrt(2 * 2) + 1)
    want[1, 2] = want[2, 1] = 2 / (np.sqrt(3 * 2) + 1)
    np.testing.assert_allclose(sim, want, rtol=1e-6)
    # user 0 played items 0 and 1 (and skipped 3, which is filtered too):
    # item 2 scores sim(0, 2) + sim(1, 2)
    ids, scores = model.recommend(0, HAND[0], N=5)
    assert ids.tolist() == [2]
    np.testing.assert_allclose(scores, [want[0, 2] + want[1, 2]], rtol=1e-6)


def test_itemknn_keeps_k_neighbours_per_item():
    rng = np.random.default_rng(0)
    plays = sp.random(60, 40, density=0.3, format="csr", random_state=rng, dtype=np.float32)
    full = ItemKNN(k=40, shrinkage=0.0).fit(plays, show_progress=False).similarity_matrix().toarray()
    pruned = ItemKNN(k=3, shrinkage=0.0).fit(plays, show_progress=False).similarity_matrix()
    assert np.diff(pruned.indptr).max() == 3
    for i in range(40):
        kept = np.sort(pruned[i].data)[::-1]
        best = np.sort(full[i][full[i] > 0])[::-1][:3]
        np.testing.assert_allclose(kept, best, rtol=1e-6)


def test_itemknn_blocks_give_the_same_similarity(monkeypatch):
    rng = np.random.default_rng(1)
    plays = sp.random(80, 120, density=0.1, format="csr", random_state=rng, dtype=np.float32)
    one_block = ItemKNN(k=20).fit(plays, show_progress=False).similarity_matrix()
    monkeypatch.setattr(itemknn_module, "_BLOCK_ENTRIES", 50)
    done = []
    blocked = ItemKNN(k=20).fit(plays, show_progress=False, callback=lambda d, n: done.append(d))
    assert len(done) > 10 and done[-1] == 120
    assert (blocked.similarity_matrix() != one_block).nnz == 0


def test_itemknn_similar_items_lead_with_the_item():
    model = ItemKNN(k=10, shrinkage=1.0).fit(HAND, show_progress=False)
    ids, scores = model.similar_items(0, N=5)
    assert ids.tolist() == [0, 1, 2] and scores[0] == 1.0
    ids, _ = model.similar_items(3, N=5)  # only skipped: no neighbours but itself
    assert ids.tolist() == [3]


def test_itemknn_rejects_bad_parameters():
    with pytest.raises(ValueError, match="k must be"):
        ItemKNN(k=0).fit(HAND, show_progress=False)
    with pytest.raises(ValueError, match="shrinkage"):
        ItemKNN(shrinkage=-1.0).fit(HAND, show_progress=False)


@pytest.mark.parametrize("make", [ItemKNN, EASE, Popularity])
def test_fit_leaves_the_input_alone(make):
    # regression: binarising shared the input's index arrays and eliminate_zeros() then
    # rewrote them in place, scrambling the caller's matrix
    before = HAND.copy()
    make().fit(HAND, show_progress=False)
    assert (HAND != before).nnz == 0
    np.testing.assert_array_equal(HAND.indices, before.indices)


# --- EASE ------------------------------------------------------------------------------------
def test_ease_two_items_by_hand():
    # |U_0| = 3, |U_1| = 3, |U_0 & U_1| = 2; with lambda = 1, B[0, 1] = 2 / (3 + 1)
    plays = sp.csr_matrix(np.array([[1, 1], [1, 0], [0, 1], [5, 1]], dtype=np.float32))
    model = EASE(regularization=1.0).fit(plays, show_progress=False)
    assert model.form_ == "gram"
    np.testing.assert_allclose(model.weights_, [[0.0, 0.5], [0.5, 0.0]], rtol=1e-6)
    ids, scores = model.recommend(1, plays[1], N=1)
    assert ids.tolist() == [1] and scores[0] == pytest.approx(0.5)


def _brute_force_ease(plays: np.ndarray, lam: float) -> np.ndarray:
    x = (plays > 0).astype(np.float64)
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return x @ b


@pytest.mark.parametrize("shape, form", [((120, 40), "gram"), ((40, 120), "dual")])
def test_ease_matches_the_closed_form(shape, form):
    rng = np.random.default_rng(3)
    dense = rng.poisson(0.15, size=shape).astype(np.float32) * rng.integers(1, 9, size=shape)
    dense[:, 7] = 0  # an item nobody played: zero weights, left out of the solve
    dense[3, 5] = -2.0  # a skip: ignored
    model = EASE(regularization=5.0).fit(sp.csr_matrix(dense), show_progress=False)
    assert model.form_ == form and 7 not in model.active_items_
    users = np.arange(shape[0])
    got = model._score_users(users, None, False)
    np.testing.assert_allclose(got, _brute_force_ease(dense, 5.0), atol=2e-5)
    # a new user folded in from their row scores like a known one
    folded = model._score_users(np.array([0]), sp.csr_matrix(dense[[2]]), True)
    np.testing.assert_allclose(folded[0], got[2], atol=2e-5)


def test_ease_refuses_too_many_items():
    rng = np.random.default_rng(0)
    plays = sp.random(60, 80, density=0.2, format="csr", random_state=rng, dtype=np.float32)
    with pytest.raises(ValueError, match="max_items=50.*ItemKNN"):
        EASE(max_items=50).fit(plays, show_progress=False)
    EASE(max_items=60).fit(plays, show_progress=False)  # the dual form needs only 60 x 60


def test_ease_rejects_bad_regularization():
    with pytest.raises(ValueError, match="regularization"):
        EASE(regularization=0.0).fit(HAND, show_progress=False)

