"""Second-order factorization machines (Rendle 2010) for click/stream probabilities.

A row is a short list of (feature index, value) pairs, stored as two ``(n, m)`` arrays ``idx``
and ``val`` (padding: value 0, which contributes nothing). The model is::

    logit(x) = w0 + sum_i w_i x_i + sum_{i<j} <v_i, v_j> x_i x_j
             = w0 + sum_i w_i x_i + 1/2 sum_f [(sum_i v_if x_i)^2 - sum_i v_if^2 x_i^2]

trained on the weighted logistic loss ``weight * log(1 + exp(-(2y-1) logit))`` with per-row
Adagrad steps. Logistic regression is the same machine with no factors, so the two share every
kernel and a check of one is a check of the other.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["FactorizationMachine", "LogisticRegression", "row_gradient", "row_loss"]


@njit(cache=True)
def _logit(idx, val, w0, w, V, s):
    """The logit of one row; ``s`` receives sum_i v_i x_i (needed by the gradient)."""
    k = V.shape[1]
    out = w0
    for f in range(k):
        s[f] = 0.0
    sq = 0.0
    for j in range(idx.shape[0]):
        x = val[j]
        if x == 0.0:
            continue
        i = idx[j]
        out += w[i] * x
        for f in range(k):
            vx = V[i, f] * x
            s[f] += vx
            sq += vx * vx
    pair = 0.0
    for f in range(k):
        pair += s[f] * s[f]
    return out + 0.5 * (pair - sq)


@njit(cache=True)
def _softplus(z):
    return z + np.log1p(np.exp(-z)) if z > 0 else np.log1p(np.exp(z))


@njit(cache=True)
def row_loss(idx, val, y, weight, w0, w, V):
    """Weighted logistic loss of one row (``y`` in {0, 1})."""
    s = np.empty(V.shape[1])
    z = _logit(idx, val, w0, w, V, s)
    return weight * (_softplus(z) - y * z)


@njit(cache=True)
def row_gradient(idx, val, y, weight, w0, w, V, gw, gV):
    """Gradient of :func:`row_loss`: returns d/dw0 and writes d/dw_i, d/dV_i into ``gw``/``gV``
    at the row's features (other entries are left alone; repeated features accumulate)."""
    k = V.shape[1]
    s = np.empty(k)
    z = _logit(idx, val, w0, w, V, s)
    g = weight * (1.0 / (1.0 + np.exp(-z)) - y)
    for j in range(idx.shape[0]):
        x = val[j]
        if x == 0.0:
            continue
        i = idx[j]
        gw[i] += g * x
        for f in range(k):
            gV[i, f] += g * x * (s[f] - V[i, f] * x)
    return g


@njit(cache=True)
def _epoch(idx, val, y, weight, order, w0, w, V, acc0, accw, accV, lr, reg_w, reg_v):
    """One pass of per-row Adagrad in ``order``; returns (w0, acc0, mean weighted loss)."""
    k = V.shape[1]
    m = idx.shape[1]
    s = np.empty(k)
    total = 0.0
    for r in order:
        z = _logit(idx[r], val[r], w0, w, V, s)
        total += weight[r] * (_softplus(z) - y[r] * z)
        g = weight[r] * (1.0 / (1.0 + np.exp(-z)) - y[r])
        acc0 += g * g
        w0 -= lr * g / np.sqrt(acc0 + 1e-8)
        for j in range(m):
            x = val[r, j]
            if x == 0.0:
                continue
            i = idx[r, j]
            gi = g * x + reg_w * w[i]
            accw[i] += gi * gi
            w[i] -= lr * gi / np.sqrt(accw[i] + 1e-8)
            for f in range(k):
                gf = g * x * (s[f] - V[i, f] * x) + reg_v * V[i, f]
                accV[i, f] += gf * gf
                V[i, f] -= lr * gf / np.sqrt(accV[i, f] + 1e-8)
    return w0, acc0, total / max(1, order.shape[0])


@njit(cache=True)
def _predict(idx, val, w0, w, V):
    out = np.empty(idx.shape[0])
    s = np.empty(V.shape[1])
    for r in range(idx.shape[0]):
        out[r] = _logit(idx[r], val[r], w0, w, V, s)
    return out


class FactorizationMachine:
    """A second-order factorization machine for binary outcomes (streamed or not).

    Parameters
    ----------
    n_factors : int, default 8
        Size of the pairwise-interaction factors (0 gives logistic regression).
    epochs : int, default 8
        Passes over the data.
    learning_rate : float, default 0.1
        Adagrad step size.
    reg_linear, reg_factors : float, default 1e-5 and 1e-4
        L2 penalties (per row seen) on the linear weights and on the factors.
    init_std : float, default 0.05
        Standard deviation of the initial factors.
    random_state : int, Generator or None
        Seeds the initial factors and the order rows are visited in.

    Examples
    --------
    >>> import numpy as np
    >>> idx = np.array([[0, 2], [0, 3], [1, 2], [1, 3]]); val = np.ones((4, 2))
    >>> y = np.array([1.0, 0.0, 0.0, 1.0])                  # y = XOR of the two features
    >>> fm = FactorizationMachine(n_factors=4, epochs=300, random_state=0).fit(idx, val, y)
    >>> (fm.predict_proba(idx, val) > 0.5).astype(int).tolist()
    [1, 0, 0, 1]
    """

    def __init__(self, n_factors: int = 8, epochs: int = 8, learning_rate: float = 0.1,
                 reg_linear: float = 1e-5, reg_factors: float = 1e-4, init_std: float = 0.05,
                 random_state=None):
        self.n_factors = n_factors
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.reg_linear = reg_linear
        self.reg_factors = reg_factors
        self.init_std = init_std
        self.random_state = random_state

    def fit(self, idx, val, y, sample_weight=None, n_features: int | None = None):
        """Fit on rows ``(idx, val)`` with outcomes ``y`` (0/1) and optional row weights.

        Returns
        -------
        self
        """
        idx, val = _check_rows(idx, val)
        y = np.asarray(y, dtype=np.float64).ravel()
        if y.shape[0] != idx.shape[0]:
            raise ValueError(f"{idx.shape[0]} rows but {y.shape[0]} outcomes")
        if np.any((y != 0) & (y != 1)):
            raise ValueError("outcomes must be 0 or 1")
        weight = (np.ones_like(y) if sample_weight is None
                  else np.asarray(sample_weight, dtype=np.float64).ravel())
        if weight.shape != y.shape or np.any(weight < 0) or not np.all(np.isfinite(weight)):
            raise ValueError("sample_weight must hold one finite weight >= 0 per row")
        needed = int(idx.max(initial=-1)) + 1
        n = needed if n_features is None else int(n_features)
        if n < needed:
            raise ValueError(f"feature index {needed - 1} out of range for n_features={n}")
        rng = np.random.default_rng(self.random_state)
        k = int(self.n_factors)
        self.w0_ = float(np.log((y @ weight + 1) / ((1 - y) @ weight + 1)))  # start at the base rate
        self.w_ = np.zeros(n)
        self.V_ = rng.normal(0.0, self.init_std, size=(n, k))
        acc0, accw, accV = 0.0, np.zeros(n), np.zeros((n, k))
        self.loss_curve_ = []
        for _ in range(int(self.epochs)):
            order = rng.permutation(idx.shape[0])
            self.w0_, acc0, loss = _epoch(idx, val, y, weight, order, self.w0_, self.w_, self.V_, acc0, accw,
                                    accV, float(self.learning_rate), float(self.reg_linear),
                                    float(self.reg_factors))
            self.loss_curve_.append(float(loss))
        return self

    def decision_function(self, idx, val) -> np.ndarray:
        """Logits of rows ``(idx, val)``; feature indices beyond the fitted ones count as 0."""
        idx, val = _check_rows(idx, val)
        known = idx < self.w_.shape[0]
        return _predict(np.where(known, idx, 0), np.where(known, val, 0.0), self.w0_, self.w_, self.V_)

    def predict_proba(self, idx, val) -> np.ndarray:
        """Probabilities of the outcome for rows ``(idx, val)``."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(idx, val)))

    # -- persistence (arrays only: no pickle) -------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"w0": np.array(self.w0_), "w": self.w_, "V": self.V_}

    @classmethod
    def from_arrays(cls, arrays, **params) -> FactorizationMachine:
        model = cls(n_factors=arrays["V"].shape[1], **params)
        model.w0_, model.w_, model.V_ = float(arrays["w0"]), np.asarray(arrays["w"]), np.asarray(arrays["V"])
        return model

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_factors={self.n_factors}, epochs={self.epochs}, "
                f"learning_rate={self.learning_rate}, random_state={self.random_state})")


class LogisticRegression(FactorizationMachine):
    """Logistic regression on the same sparse rows: a factorization machine with no factors."""

    def __init__(self, epochs: int = 8, learning_rate: float = 0.1, reg_linear: float = 1e-5,
                 random_state=None):
        super().__init__(n_factors=0, epochs=epochs, learning_rate=learning_rate,
                         reg_linear=reg_linear, random_state=random_state)

    @classmethod
    def from_arrays(cls, arrays, **params) -> LogisticRegression:
        model = cls(**params)
        model.w0_, model.w_, model.V_ = float(arrays["w0"]), np.asarray(arrays["w"]), np.asarray(arrays["V"])
        return model

    def __repr__(self) -> str:
        return f"LogisticRegression(epochs={self.epochs}, learning_rate={self.learning_rate})"


def _check_rows(idx, val) -> tuple[np.ndarray, np.ndarray]:
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    val = np.ascontiguousarray(val, dtype=np.float64)
    if idx.ndim != 2 or idx.shape != val.shape:
        raise ValueError(f"idx and val must be 2-D arrays of one shape, got {idx.shape} and {val.shape}")
    if idx.size and idx.min() < 0:
        raise ValueError("feature indices must be >= 0")
    return idx, val
