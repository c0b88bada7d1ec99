"""Contract tests shared by every recommender (after implicit's RecommenderBaseTestMixin)."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

__all__ = ["RecommenderContractTests", "checkerboard"]


def checkerboard(n_users: int = 50, n_items: int = 50, seed: int = 0) -> tuple[sp.csr_matrix, dict[int, set[int]]]:
    """Two taste groups with a known answer.

    User ``u`` plays every item ``i`` of the same parity except five of them, picked at random
    per user (seeded). Everyone else of that parity plays those five, so the right
    recommendations for ``u`` are exactly its five undiscovered same-parity items.

    Returns
    -------
    user_items : csr_matrix of float32 play counts
    answers : dict user -> set of items that a good model recommends first
    """
    rng = np.random.default_rng(seed)
    counts = np.zeros((n_users, n_items), dtype=np.float32)
    answers: dict[int, set[int]] = {}
    for u in range(n_users):
        group = np.arange(u % 2, n_items, 2)
        hidden = set(rng.choice(group, size=5, replace=False).tolist())
        answers[u] = hidden
        for i in group:
            if i not in hidden:
                counts[u, i] = 1 + (u + i) % 4
    return sp.csr_matrix(counts), answers


def _assert_same_ranking(got, want, want_scores, tol: float = 1e-4) -> None:
    """Equal id lists, except that ids may swap within groups of scores closer than ``tol``."""
    got, want, want_scores = np.asarray(got), np.asarray(want), np.asarray(want_scores)
    assert got.shape == want.shape
    for j in np.flatnonzero(got != want):
        near = np.abs(want_scores - want_scores[j]) <= tol
        assert got[j] in set(want[near]) or (j == len(want) - 1 or near[-1]), \
            f"rankings differ at position {j}: {got.tolist()} vs {want.tolist()}"


class RecommenderContractTests:
    """Mixin of pytest tests that a recommender must pass. Subclasses implement ``make_model``."""

    #: whether the model must recover the checkerboard's hidden items exactly
    solves_checkerboard: bool = True

    def make_model(self):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- helpers -----------------------------------------------------------------------------
    def _fitted(self):
        if not hasattr(self, "_cache"):
            type(self)._cache = {}
        key = type(self).__name__
        if key not in self._cache:
            user_items, answers = checkerboard()
            model = self.make_model()
            returned = model.fit(user_items, show_progress=False)
            self._cache[key] = (model, returned, user_items, answers)
        return self._cache[key]

    # --- construction ------------------------------------------------------------------------
    def test_constructor_only_stores_parameters(self):
        model = self.make_model()
        params = model.get_params()
        assert params == type(model)(**params).get_params()
        assert not any(k.endswith("_") and not k.startswith("_") for k in vars(model)), \
            "constructors must not set learned attributes"

    def test_fit_returns_self(self):
        model, returned, _, _ = self._fitted()
        assert returned is model
        assert model.n_users_ == 50 and model.n_items_ == 50

    def test_unfitted_model_raises(self):
        with pytest.raises(ValueError, match="not fitted"):
            self.make_model().recommend(0, sp.csr_matrix((1, 50), dtype=np.float32))

    # --- recommend -----------------------------------------------------------------------------
    def test_recommend_single_user(self):
        model, _, user_items, _ = self._fitted()
        ids, scores = model.recommend(3, user_items[3], N=7)
        assert ids.ndim == 1 and scores.ndim == 1 and len(ids) == 7 == len(scores)
        assert np.all(np.diff(scores) <= 1e-6), "scores must come sorted, best first"
        assert ids.dtype.kind == "i"

    def test_filters_already_liked_items(self):
        model, _, user_items, _ = self._fitted()
        for u in range(0, 50, 7):
            ids, _ = model.recommend(u, user_items[u], N=20)
            assert not set(ids) & set(user_items[u].indices)

    def test_no_filtering_keeps_liked_items_possible(self):
        model, _, user_items, _ = self._fitted()
        ids, _ = model.recommend(0, user_items[0], N=50, filter_already_liked_items=False)
        assert len(ids) == 50

    def test_batch_equals_single(self):
        model, _, user_items, _ = self._fitted()
        users = np.array([0, 5, 11, 20, 49])
        ids, scores = model.recommend(users, user_items[users], N=6)
        assert ids.shape == (5, 6) and scores.shape == (5, 6)
        for row, u in enumerate(users):
            single_ids, single_scores = model.recommend(int(u), user_items[u], N=6)
            np.testing.assert_allclose(scores[row], single_scores, rtol=1e-4, atol=1e-5)
            _assert_same_ranking(ids[row], single_ids, single_scores)

    def test_filter_items_and_items_subset(self):
        model, _, user_items, _ = self._fitted()
        banned = np.arange(0, 50, 3)
        ids, _ = model.recommend(2, user_items[2], N=10, filter_items=banned)
        assert not set(ids) & set(banned)
        subset = np.array([1, 4, 9, 16, 25, 36, 49])
        ids, _ = model.recommend(2, user_items[2], N=10, items=subset, filter_already_liked_items=False)
        assert set(ids) <= set(subset) and len(ids) == len(subset)

    def test_n_larger_than_candidates(self):
        model, _, user_items, _ = self._fitted()
        ids, scores = model.recommend(1, user_items[1], N=1000)
        assert len(ids) == 50 - user_items[1].nnz
        ids, scores = model.recommend(np.array([1, 2]), user_items[[1, 2]], N=1000)
        assert ids.shape[1] == 50
        assert (ids[0] == -1).sum() == user_items[1].nnz
        assert np.all(np.isneginf(scores[ids == -1]))

    def test_unknown_user_raises_index_error(self):
        model, _, user_items, _ = self._fitted()
        with pytest.raises(IndexError):
            model.recommend(50, user_items[0], N=5)
        with pytest.raises(IndexError):
            model.recommend(-1, user_items[0], N=5)

    def test_unknown_filter_item_raises_index_error(self):
        model, _, user_items, _ = self._fitted()
        with pytest.raises(IndexError):
            model.recommend(0, user_items[0], N=5, filter_items=[50])

    def test_malformed_user_items_raise_value_error(self):
        model, _, user_items, _ = self._fitted()
        with pytest.raises(ValueError):
            model.recommend(0, user_items, N=5)  # whole matrix for one user
        with pytest.raises(ValueError):
            model.recommend(0, sp.csr_matrix((1, 49), dtype=np.float32), N=5)
        with pytest.raises(ValueError):
            model.recommend(0, np.ones(50), N=5)
        with pytest.raises(ValueError):
            model.recommend(0, None, N=5)

    def test_fit_rejects_malformed_input(self):
        with pytest.raises(ValueError):
            self.make_model().fit(np.ones((5, 5)), show_progress=False)
        bad = sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 2.0]], dtype=np.float32))
        with pytest.raises(ValueError):
            self.make_model().fit(bad, show_progress=False)

    def test_checkerboard_known_answer(self):
        if not self.solves_checkerboard:
            return  # the model does not claim to separate taste groups
        model, _, user_items, answers = self._fitted()
        for u in range(50):
            ids, _ = model.recommend(u, user_items[u], N=len(answers[u]))
            assert set(ids) == answers[u], f"user {u}: got {sorted(ids)}, want {sorted(answers[u])}"

    # --- persistence -------------------------------------------------------------------------
    def test_save_load_round_trip(self, tmp_path):
        model, _, user_items, _ = self._fitted()
        users = np.arange(10)
        want = model.recommend(users, user_items[users], N=5)
        path = tmp_path / "model.npz"
        model.save(path)
        with np.load(path, allow_pickle=False) as data:  # no pickle inside
            assert len(data.files) >= 1
        loaded = type(model).load(path)
        got = loaded.recommend(users, user_items[users], N=5)
        np.testing.assert_array_equal(want[0], got[0])
        np.testing.assert_allclose(want[1], got[1], rtol=1e-6)
        buf = io.BytesIO()
        model.save(buf)
        buf.seek(0)
        from_buf = type(model).load(buf)
        np.testing.assert_array_equal(from_buf.recommend(users, user_items[users], N=5)[0], want[0])
        assert loaded.get_params() == model.get_params()

    def test_pickles_for_multiprocessing(self):
        model, _, user_items, _ = self._fitted()
        clone = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(clone.recommend(4, user_items[4])[0], model.recommend(4, user_items[4])[0])

    def test_same_seed_same_model(self):
        user_items, _ = checkerboard()
        a = self.make_model().fit(user_items, show_progress=False)
        b = self.make_model().fit(user_items, show_progress=False)
        users = np.arange(50)
        np.testing.assert_array_equal(
            a.recommend(users, user_items, N=5)[0], b.recommend(users, user_items, N=5)[0]
        )

    # --- optional parts of the contract --------------------------------------------------------
    def test_declared_capabilities(self):
        """What a model declares it can do, it does; what it does not, raises NotImplementedError."""
        model, _, user_items, _ = self._fitted()
        if model.has_factors:
            assert model.user_factors_.shape[0] == model.n_users_
            assert model.item_factors_.shape == (model.n_items_, model.user_factors_.shape[1])
            assert model.recalculate_user(0, user_items[6]).shape == (model.user_factors_.shape[1],)
        else:
            with pytest.raises(NotImplementedError):
                model.recalculate_user(0, user_items[6])
        if model.can_explain:
            score, contributions, _ = model.explain(6, user_items[6], 8, N=3)
            assert np.isfinite(score) and len(contributions) <= 3
        else:
            with pytest.raises(NotImplementedError):
                model.explain(6, user_items[6], 8)
        if not model.can_find_similar:
            with pytest.raises(NotImplementedError):
                model.similar_items(4, N=10)

    def test_similar_items(self):
        model, _, _, _ = self._fitted()
        if not model.can_find_similar:
            return  # declared: test_declared_capabilities checks that it says so
        ids, scores = model.similar_items(4, N=10)
        assert len(ids) == 10 and np.all(np.diff(scores) <= 1e-6)
        if self.solves_checkerboard:
            all_ids, all_scores = model.similar_items(4, N=50)
            own = all_scores[list(all_ids).index(4)]
            assert own >= all_scores[0] - 1e-4, "an item is most similar to itself"
            assert all(i % 2 == 0 for i in ids), "similar items of an even item are even"
        with pytest.raises(IndexError):
            model.similar_items(50)
        batch_ids, batch_scores = model.similar_items(np.array([4, 5]), N=10)
        np.testing.assert_allclose(batch_scores[0], scores, rtol=1e-4, atol=1e-5)
        _assert_same_ranking(batch_ids[0], ids, scores)

    def test_recalculate_user(self):
        model, _, user_items, answers = self._fitted()
        if not getattr(model, "supports_recalculate_user", False):
            pytest.skip("model cannot recalculate users")
        # a brand-new user with the history of user 6 gets user 6's answers
        ids, _ = model.recommend(0, user_items[6], N=len(answers[6]), recalculate_user=True)
        if self.solves_checkerboard:
            assert set(ids) == answers[6]
        batch, _ = model.recommend(np.array([0, 1]), user_items[[6, 7]], N=5, recalculate_user=True)
        single_ids, single_scores = model.recommend(0, user_items[6], N=5, recalculate_user=True)
        _assert_same_ranking(batch[0], single_ids, single_scores)
