"""From tabular audio features to collaborative-filtering factors (the cold start's regression)."""

from __future__ import annotations

import numpy as np

__all__ = ["FeatureRegressor", "normalize_rows"]

_METHODS = ("knn", "ridge")


def normalize_rows(factors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero), as float32."""
    factors = np.asarray(factors, dtype=np.float32)
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return factors / np.where(norms > 0, norms, 1.0)


class FeatureRegressor:
    """Predict the L2-normalised item factors of a matrix factorisation from content features.

    ``method="knn"`` (the default) averages the normalised factors of the ``n_neighbors`` items
    nearest in feature space (Euclidean distance on standardised features). The average is not
    normalised again: where the neighbours disagree it is shorter, so the item scores lower for
    everyone, which is what an uncertain placement should do. On HetRec's audio-restricted
    cold-start protocol it raises recall@50 from ridge regression's 0.356 to 0.533 (see the
    README's benchmarks): the audio features pick out regions of taste (classical, hip hop,
    metal …) that no linear map reaches. ``method="ridge"`` is that linear reference: ridge regression with an
    intercept and penalty ``alpha``.

    Parameters
    ----------
    method : {"knn", "ridge"}
    n_neighbors : int, default 50
        Neighbours averaged by ``knn``.
    alpha : float, default 1.0
        Ridge penalty of ``ridge``.

    Both methods are deterministic (ties between equally distant neighbours go to the lower row).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5)).astype(np.float32)
    >>> factors = np.c_[X[:, :2], np.ones(200)]
    >>> reg = FeatureRegressor(n_neighbors=5).fit(X, factors)
    >>> reg.predict(X[:3]).shape
    (3, 3)
    """

    def __init__(self, method: str = "knn", n_neighbors: int = 50, alpha: float = 1.0):
        self.method = method
        self.n_neighbors = n_neighbors
        self.alpha = alpha

    def __repr__(self) -> str:
        return f"FeatureRegressor(method={self.method!r}, n_neighbors={self.n_neighbors}, alpha={self.alpha})"

    def fit(self, X, item_factors) -> FeatureRegressor:
        """Learn the map from features ``X`` (n x d) to the rows of ``item_factors`` (n x f).

        The factors are normalised to unit length first; returns ``self``.
        """
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {self.method!r}")
        if self.method == "knn" and (not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1):
            raise ValueError(f"n_neighbors must be a positive integer, not {self.n_neighbors!r}")
        if self.method == "ridge" and not self.alpha >= 0:
            raise ValueError(f"alpha must be >= 0, not {self.alpha!r}")
        X = _check_2d(X, "X")
        Y = _check_2d(item_factors, "item_factors")
        if len(X) != len(Y):
            raise ValueError(f"X has {len(X)} rows but item_factors has {len(Y)}; give one row per item")
        if len(X) == 0:
            raise ValueError("no items to fit on (X is empty)")
        Y = normalize_rows(Y)
        self.n_features_in_ = X.shape[1]
        if self.method == "knn":
            self.X_, self.Y_ = X, Y
        else:
            A = np.c_[X.astype(np.float64), np.ones(len(X))]
            penalty = self.alpha * np.eye(A.shape[1])
            penalty[-1, -1] = 0.0  # the intercept is not shrunk
            self.coef_ = np.linalg.solve(A.T @ A + penalty, A.T @ Y.astype(np.float64)).astype(np.float32)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted factors (n x f, float32) for the rows of ``X``."""
        if getattr(self, "n_features_in_", None) is None:
            raise ValueError("FeatureRegressor is not fitted yet: call fit(X, item_factors) first")
        X = _check_2d(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features but the regressor was fitted on {self.n_features_in_}")
        if self.method == "ridge":
            return (np.c_[X, np.ones(len(X), dtype=np.float32)] @ self.coef_).astype(np.float32)
        k = min(int(self.n_neighbors), len(self.X_))
        out = np.empty((len(X), self.Y_.shape[1]), dtype=np.float32)
        train_sq = np.einsum("ij,ij->i", self.X_, self.X_)
        chunk = max(1, 2**24 // max(1, len(self.X_)))
        for start in range(0, len(X), chunk):
            part = X[start:start + chunk]
            dist = train_sq[None, :] - 2.0 * (part @ self.X_.T)  # + |x|^2, the same for a whole row
            nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
            out[start:start + chunk] = self.Y_[nearest].mean(axis=1)
        return out


def _check_2d(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (items x columns), got {arr.ndim}-D")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return arr
