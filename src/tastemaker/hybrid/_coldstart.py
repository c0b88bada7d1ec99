"""Ranking items nobody has played: placed factors, cultural profiles, descriptor neighbours and a
tag-popularity prior."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from tastemaker.cf._base import check_random_state
from tastemaker.hybrid._map import CultureMap

__all__ = ["ColdStartRanker", "zscore_rows", "profiles", "default_factorize", "SIGNALS"]

#: the blended signals, in the order of :attr:`ColdStartRanker.weights_`
# (a wider grid, listeners up to 2 and prior up to 3, did no better on the benchmark's seeds:
# tags 0.745 against 0.746 recall@50, and tags + audio no longer beat tags alone)
SIGNALS = ("placed", "listeners", "profile", "prior", "audio", "neighbours")
_GRID = {"placed": (1.0,), "listeners": (0.0, 0.5, 1.0), "profile": (0.0, 0.25, 0.5),
         "prior": (0.0, 0.3, 0.6, 1.0, 1.5), "audio": (0.0, 0.1, 0.2, 0.3, 0.5),
         "neighbours": (0.0, 0.25, 0.5, 0.75, 1.0)}
# the full product runs over these; audio is then tuned with the others one at a time (coordinate
# descent), which keeps validation with audio as fast as before the neighbours signal
_PRODUCT = ("placed", "listeners", "profile", "prior", "neighbours")


def default_factorize(user_items: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """User and item factors of tastemaker's ALS with its shipped defaults (seed 0)."""
    from tastemaker.cf import ImplicitALS

    model = ImplicitALS(random_state=0).fit(user_items, show_progress=False)
    return model.user_factors_, model.item_factors_


def zscore_rows(S: np.ndarray) -> np.ndarray:
    """Each row shifted to mean 0 and scaled to standard deviation 1 (constant rows become 0)."""
    S = np.asarray(S, dtype=np.float64)
    sd = S.std(axis=1, keepdims=True)
    return (S - S.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)


def profiles(user_items: sp.csr_matrix, X: sp.csr_matrix) -> sp.csr_matrix:
    """Listeners' cultural profiles: the ``log(1 + plays)``-weighted sum of their items' rows of
    ``X``, scaled to unit length (a user without described items gets an empty row)."""
    W = sp.csr_matrix(user_items, dtype=np.float64, copy=True)
    W.data = np.log1p(np.maximum(W.data, 0))
    prof = sp.csr_matrix(W @ X)
    norms = np.sqrt(np.asarray(prof.multiply(prof).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ prof)


class ColdStartRanker:
    """Ranks items without plays for each user from their descriptors (and audio features) alone.

    * ``placed``: the item placed in the collaborative space by :class:`CultureMap` (ridge from
      TF-IDF descriptors to ALS item factors), scored with the user's factors;
    * ``listeners``: ridge regression from the descriptors straight to every user's
      ``log(1 + plays)`` of the item (full rank, penalty ``alpha_listeners``): a user's own
      descriptor weights, learned from what they play, with correlated descriptors shared out;
    * ``profile``: cosine between the user's cultural profile (:func:`profiles`) and the item;
    * ``prior``: ``log(1 + number of people who tagged the item)``, the same for every user;
    * ``audio`` (when audio features are given): the item placed from its audio features by
      :class:`tastemaker.content.FeatureRegressor` (nearest neighbours), scored with the user's
      factors; 0 for items without features;
    * ``neighbours``: item-kNN over descriptors: the user's ``log(1 + plays)`` of the item's
      ``n_neighbours`` most similar played items (cosine of the TF-IDF rows), averaged with the
      similarities as weights: a local, non-linear complement to the two ridge regressions.

    Each signal is standardised per user over the candidates, and the blend's weights are chosen on
    a validation split of the training data that copies the cold-start protocol: a share of the
    played items is held out with all its plays, the factors are learned again without them, and
    the weights with the best recall@50 on them win (a full grid over all signals but audio, then
    coordinate descent over all of them).

    The ``listeners`` signal keeps a dense terms x users matrix: fine for HetRec (4k descriptors x
    1.9k users), too big for millions of users, where ``weights={"listeners": 0, ...}`` leaves it
    out of the blend (it is still computed: a known limitation).

    Parameters
    ----------
    alpha : float
        Ridge penalty of the :class:`CultureMap`.
    alpha_listeners : float
        Ridge penalty of the ``listeners`` signal.
    n_neighbours : int
        Neighbours of the ``neighbours`` signal: 30 was best among 10, 20 and 30 (and 20 or 50 with
        squared similarities) on the benchmark's split seeds 3 and 4, never on its seeds 0-2; so
        were the weighted mean (against the sum) and the signal's weight grid.
    weights : dict, optional
        Fixed weights by signal name (:data:`SIGNALS`); None chooses them on validation.
    validation_fraction : float
        Share of the played items held out for choosing the weights.
    factorize : callable, optional
        ``user_items -> (user_factors, item_factors)``; default :func:`default_factorize`.
    random_state : int, Generator or None
        Seed of the validation split.
    """

    def __init__(self, alpha: float = 3.0, alpha_listeners: float = 10.0, n_neighbours: int = 30,
                 weights: dict | None = None, validation_fraction: float = 0.1,
                 factorize: Callable | None = None, random_state=0):
        self.alpha = alpha
        self.alpha_listeners = alpha_listeners
        self.n_neighbours = n_neighbours
        self.weights = weights
        self.validation_fraction = validation_fraction
        self.factorize = factorize
        self.random_state = random_state

    def fit(self, user_items, X, prior, user_factors=None, item_factors=None, audio=None,
            validation_candidates=None) -> ColdStartRanker:
        """Learn the map and the weights.

        Parameters
        ----------
        user_items : csr_matrix (users x items)
            Training plays; the cold items' columns are empty.
        X : csr_matrix (items x terms)
            TF-IDF descriptor rows of every item (empty rows where none).
        prior : array (items,)
            The popularity prior of every item (e.g. ``log1p`` of its taggers).
        user_factors, item_factors : arrays, optional
            Factors already learned on ``user_items`` (computed with ``factorize`` if missing).
        audio : (cols, features), optional
            Item columns with audio features and their (standardised) features, as returned by
            :func:`tastemaker.content.load_audio_features`.
        validation_candidates : array of int, optional
            Rank only the held-out validation items among these columns (e.g. the items with audio
            features, to choose weights for ranking such items); recall still counts every held-out
            item a user played.
        """
        factorize = self.factorize or default_factorize
        R = sp.csr_matrix(user_items, dtype=np.float32)
        X = sp.csr_matrix(X, dtype=np.float64)
        prior = np.asarray(prior, dtype=np.float64)
        if self.weights is None:
            self.weights_ = self._choose_weights(R, X, prior, factorize, audio, validation_candidates)
        else:
            self.weights_ = {s: float(self.weights.get(s, 0.0)) for s in SIGNALS}
        if user_factors is None or item_factors is None:
            user_factors, item_factors = factorize(R)
        self._set_state(R, X, prior, user_factors, item_factors, audio)
        return self

    def _set_state(self, R, X, prior, U, V, audio=None) -> None:
        played = np.diff(sp.csc_matrix(R).indptr) > 0
        warm = np.flatnonzero(played & (np.diff(X.indptr) > 0))
        self.map_ = CultureMap(self.alpha).fit(X[warm], V[warm])
        self.user_factors_ = np.asarray(U, dtype=np.float32)
        self.placed_ = self.map_.predict(X)
        self.profiles_ = profiles(R, X)
        self.listeners_ = _listener_weights(R, X, warm, self.alpha_listeners)
        self.X_ = X
        self.prior_ = prior
        self.warm_ = warm
        L = sp.csr_matrix(R, dtype=np.float64, copy=True)
        L.data = np.log1p(np.maximum(L.data, 0))
        self.log_plays_ = sp.csr_matrix(L[:, warm])
        self.audio_placed_ = np.zeros_like(self.placed_)
        if audio is not None:
            from tastemaker.content import FeatureRegressor

            cols, feats = np.asarray(audio[0], dtype=np.int64), np.asarray(audio[1], dtype=np.float32)
            fit_rows = played[cols]
            if fit_rows.any():
                reg = FeatureRegressor().fit(feats[fit_rows], V[cols[fit_rows]])
                norms = np.linalg.norm(V[played], axis=1)
                self.audio_placed_[cols] = reg.predict(feats) * float(np.median(norms[norms > 0]))

    def signals(self, users, candidates) -> dict[str, np.ndarray]:
        """The raw signals (users x candidates) by name."""
        users = np.asarray(users, dtype=np.int64)
        candidates = np.asarray(candidates, dtype=np.int64)
        return {
            "placed": self.user_factors_[users] @ self.placed_[candidates].T,
            "listeners": np.asarray(self.X_[candidates] @ self.listeners_[:, users]).T,
            "profile": (self.profiles_[users] @ self.X_[candidates].T).toarray(),
            "prior": np.broadcast_to(self.prior_[candidates], (len(users), len(candidates))),
            "audio": self.user_factors_[users] @ self.audio_placed_[candidates].T,
            "neighbours": np.asarray((self.log_plays_[users] @ self._neighbours(candidates).T).todense()),
        }

    def _neighbours(self, candidates: np.ndarray, block: int = 512) -> sp.csr_matrix:
        """Similarity weights (candidates x warm items) of each candidate's ``n_neighbours`` nearest
        (cosine), summing to 1 per candidate (0 for a candidate like none of them)."""
        Xw = self.X_[self.warm_].T.tocsc()
        k = min(self.n_neighbours, len(self.warm_))
        rows = []
        for start in range(0, len(candidates), block):
            S = np.maximum((self.X_[candidates[start:start + block]] @ Xw).toarray(), 0.0)
            if k < S.shape[1]:
                np.put_along_axis(S, np.argpartition(-S, k - 1, axis=1)[:, k:], 0.0, axis=1)
            total = S.sum(axis=1, keepdims=True)
            rows.append(sp.csr_matrix(S / np.where(total > 0, total, 1.0)))
        return sp.vstack(rows, format="csr") if rows else sp.csr_matrix((0, len(self.warm_)))

    def score(self, users, candidates) -> np.ndarray:
        """Blended scores (users x candidates): higher ranks first."""
        sig = self.signals(users, candidates)
        return sum(self.weights_[s] * zscore_rows(sig[s]) for s in SIGNALS if self.weights_[s])

    def _choose_weights(self, R, X, prior, factorize, audio=None, candidates=None) -> dict[str, float]:
        from tastemaker.evaluation import recall_at_k

        rng = check_random_state(self.random_state)
        played = np.flatnonzero(np.diff(sp.csc_matrix(R).indptr) > 0)
        held = np.sort(rng.choice(played, max(1, int(round(self.validation_fraction * len(played)))),
                                  replace=False))
        keep = np.ones(R.shape[1], dtype=np.float32)
        keep[held] = 0
        inner = sp.csr_matrix(R @ sp.diags(keep))
        inner.eliminate_zeros()
        U, V = factorize(inner)
        probe = ColdStartRanker(self.alpha, self.alpha_listeners, self.n_neighbours,
                                weights={s: 1.0 for s in SIGNALS})
        probe._set_state(inner, X, prior, U, V, audio)
        truth = sp.csr_matrix(R[:, held])
        ranked = np.arange(len(held)) if candidates is None else np.flatnonzero(np.isin(held, candidates))
        users = np.flatnonzero(np.diff(sp.csr_matrix(truth[:, ranked]).indptr) > 0)
        z = {k: zscore_rows(v) for k, v in probe.signals(users, held[ranked]).items()}
        self.validation_ = []
        grid = {**_GRID, "audio": _GRID["audio"] if audio is not None else (0.0,)}

        def recall(w: dict) -> float:
            S = sum(w[s] * z[s] for s in SIGNALS if w[s])
            r = float(np.nanmean(recall_at_k(ranked[_top(S, 50)], truth[users], 50)))
            self.validation_.append((dict(w), r))
            return r

        best = None
        for combo in itertools.product(*(grid[s] for s in _PRODUCT)):
            w = {s: 0.0 for s in SIGNALS} | dict(zip(_PRODUCT, combo))
            r = recall(w)
            if best is None or r > best[1]:
                best = (w, r)
        for _ in range(3):  # coordinate descent from the grid's best, until no weight moves
            moved = False
            for s in SIGNALS:
                for v in grid[s]:
                    if v != best[0][s]:
                        w = best[0] | {s: v}
                        r = recall(w)
                        if r > best[1]:
                            best, moved = (w, r), True
            if not moved:
                break
        return best[0]


def _top(S: np.ndarray, k: int) -> np.ndarray:
    k = min(k, S.shape[1])
    part = np.argpartition(-S, k - 1, axis=1)[:, :k]
    return np.take_along_axis(part, np.argsort(-np.take_along_axis(S, part, axis=1), axis=1, kind="stable"), axis=1)


def _listener_weights(R: sp.csr_matrix, X: sp.csr_matrix, warm: np.ndarray, alpha: float) -> np.ndarray:
    """Descriptor weights of every user (terms x users): ridge from ``X[warm]`` to ``log(1 + plays)``."""
    import scipy.linalg as sl

    L = sp.csr_matrix(R, dtype=np.float64, copy=True)
    L.data = np.log1p(np.maximum(L.data, 0))
    Xw = X[warm]
    used = np.flatnonzero(np.diff(sp.csc_matrix(Xw).indptr) > 0)
    Xu = Xw[:, used]
    gram = (Xu.T @ Xu).toarray()
    gram[np.diag_indices_from(gram)] += alpha
    rhs = np.asarray((Xu.T @ sp.csc_matrix(L[:, warm]).T).todense())
    out = np.zeros((X.shape[1], R.shape[0]))
    out[used] = sl.cho_solve(sl.cho_factor(gram, overwrite_a=True, check_finite=False), rhs, check_finite=False)
    return out
