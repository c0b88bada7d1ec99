"""One scorer for played and unplayed items: collaborative, cultural and audio signals blended."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from tastemaker.hybrid._coldstart import default_factorize, profiles, zscore_rows

__all__ = ["HybridScorer"]

_GRID = {"culture": (0.0, 0.1, 0.2, 0.3, 0.5), "audio": (0.0, 0.1, 0.2, 0.3)}


class HybridScorer:
    """``z(collaborative) + w_culture * z(cultural) + w_audio * z(audio)`` over every item.

    * collaborative: the factor model's score ``x_u . y_i``;
    * cultural: cosine between the user's cultural profile (:func:`profiles`) and the item's
      TF-IDF descriptors;
    * audio: cosine between the play-weighted mean of the user's items' standardised audio
      features and the item's.

    Each signal is standardised per user over all items. The weights are chosen on a validation
    holdout of the training plays (a per-user random 20%, users with at least 5 items) by nDCG@10.

    Parameters
    ----------
    weights : dict, optional
        Fixed ``{"culture": w, "audio": w}``; None chooses them on validation.
    random_state : int
        Seed of the validation holdout.
    """

    def __init__(self, weights: dict | None = None, random_state=0):
        self.weights = weights
        self.random_state = random_state

    def fit(self, user_items, X, audio=None, user_factors=None, item_factors=None, factorize=None) -> HybridScorer:
        """Choose the weights (unless given) and keep what scoring needs; returns ``self``.

        ``X`` holds TF-IDF rows for every item column; ``audio`` is ``(cols, features)`` as from
        :func:`tastemaker.content.load_audio_features`.
        """
        factorize = factorize or default_factorize
        R = sp.csr_matrix(user_items, dtype=np.float32)
        X = sp.csr_matrix(X, dtype=np.float64)
        A = self._audio_matrix(audio, R.shape[1])
        if self.weights is None:
            self.weights_ = self._choose(R, X, A, factorize)
        else:
            self.weights_ = {k: float(self.weights.get(k, 0.0)) for k in _GRID}
        if user_factors is None or item_factors is None:
            user_factors, item_factors = factorize(R)
        self.U_, self.V_, self.X_, self.A_, self.R_ = user_factors, item_factors, X, A, R
        return self

    @staticmethod
    def _audio_matrix(audio, n_items: int) -> np.ndarray | None:
        if audio is None or len(audio[0]) == 0:
            return None
        A = np.zeros((n_items, np.asarray(audio[1]).shape[1]), dtype=np.float64)
        A[np.asarray(audio[0], dtype=np.int64)] = audio[1]
        return A

    @staticmethod
    def _signals(R, X, A, U, V, users) -> dict[str, np.ndarray]:
        out = {"cf": U[users] @ V.T, "culture": (profiles(R[users], X) @ X.T).toarray()}
        if A is not None:
            W = sp.csr_matrix(R[users], dtype=np.float64, copy=True)
            W.data = np.log1p(np.maximum(W.data, 0))
            prof = np.asarray(W @ A)
            prof /= np.maximum(np.linalg.norm(prof, axis=1, keepdims=True), 1e-12)
            An = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
            out["audio"] = prof @ An.T
        return out

    @staticmethod
    def _blend(z: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
        S = z["cf"].copy()
        for k, w in weights.items():
            if w and k in z:
                S += w * z[k]
        return S

    def score(self, users) -> np.ndarray:
        """Blended scores of every item for ``users`` (rows of the training matrix)."""
        users = np.asarray(users, dtype=np.int64)
        z = {k: zscore_rows(v) for k, v in self._signals(self.R_, self.X_, self.A_, self.U_, self.V_, users).items()}
        return self._blend(z, self.weights_)

    def recommend(self, users, n: int = 10) -> np.ndarray:
        """Top-``n`` item columns per user, items in their training row left out."""
        users = np.asarray(users, dtype=np.int64)
        S = self.score(users)
        R = self.R_[users]
        S[np.repeat(np.arange(len(users)), np.diff(R.indptr)), R.indices] = -np.inf
        return top_n(S, n)

    def _choose(self, R, X, A, factorize) -> dict[str, float]:
        from tastemaker.evaluation import ndcg_at_k, random_holdout

        train, valid = random_holdout(R, test_fraction=0.2, min_items=5, random_state=self.random_state)
        U, V = factorize(train)
        users = np.flatnonzero(np.diff(valid.indptr) > 0)
        z = {k: zscore_rows(v) for k, v in self._signals(train, X, A, U, V, users).items()}
        T = train[users]
        mask = (np.repeat(np.arange(len(users)), np.diff(T.indptr)), T.indices)
        grid = {k: (v if (k != "audio" or A is not None) else (0.0,)) for k, v in _GRID.items()}
        best, self.validation_ = None, []
        for combo in itertools.product(*grid.values()):
            weights = dict(zip(grid, combo))
            S = self._blend(z, weights)
            S[mask] = -np.inf
            value = float(np.nanmean(ndcg_at_k(top_n(S, 10), valid[users], 10)))
            self.validation_.append((weights, value))
            if best is None or value > best[1]:
                best = (weights, value)
        return best[0]


def top_n(S: np.ndarray, n: int) -> np.ndarray:
    """Column indices of the ``n`` largest entries of each row, best first."""
    n = min(n, S.shape[1])
    part = np.argpartition(-S, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(S, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
