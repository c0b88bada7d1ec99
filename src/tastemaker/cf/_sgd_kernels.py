"""Numba kernels of :class:`tastemaker.cf.sgd.SGDMatrixFactorization`.

Observed entries are stored once, as a *signed* confidence: ``s > 0`` means preference 1 with
weight ``s``, ``s < 0`` a skip (preference 0) with weight ``-s``. One array then serves both the
user x item CSR and its transpose, so the two can never drift apart.

Every kernel works one row at a time with the other side's factors fixed, so rows are
independent: ``prange`` over them gives the same floats for any number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["adam_row_pass", "observed_loss_rows"]


@njit(parallel=True, cache=True, fastmath=True)
def adam_row_pass(indptr, indices, signed_weights, X, Y, gram_Y, m, v, order, batch_size,
                  lr, beta1, beta2, bias1, bias2, eps, data_scale, reg_scale, grav_scale):
    """Adam steps on every row of ``X`` (in place), ``Y`` fixed.

    Each row's observed entries, visited in ``order`` (a permutation of entry positions that
    keeps every row's entries in the row's own span, drawn by the caller from the seeded
    generator), are cut into mini-batches of
    ``batch_size``; each mini-batch makes one step along an unbiased estimate of the row's
    gradient of the objective::

        data_scale * sum_j w_j (x . y_j - p_j) y_j   (scaled up from the batch to the row)
        + reg_scale * x + grav_scale * gram_Y @ x

    ``m`` and ``v`` hold Adam's moments per factor; ``bias1``/``bias2`` are ``1 - beta**t``.
    """
    n, k = X.shape
    for u in prange(n):
        start, end = indptr[u], indptr[u + 1]
        nnz = end - start
        x = X[u]
        grad = np.empty(k, dtype=np.float32)
        # rows without observations still feel the regulariser and gravity: one step
        n_batches = max(1, (nnz + batch_size - 1) // batch_size)
        for b in range(n_batches):
            b_start = start + b * batch_size
            b_end = min(end, b_start + batch_size)
            for a in range(k):
                grad[a] = 0.0
            for pos in range(b_start, b_end):
                idx = order[pos]
                y = Y[indices[idx]]
                s = signed_weights[idx]
                pred = np.float32(0.0)
                for a in range(k):
                    pred += x[a] * y[a]
                if s > 0:
                    err = s * (pred - np.float32(1.0))
                else:
                    err = -s * pred
                for a in range(k):
                    grad[a] += err * y[a]
            scale = data_scale * np.float32(nnz) / np.float32(max(1, b_end - b_start))
            for a in range(k):
                g_a = np.float32(0.0)
                for c in range(k):
                    g_a += gram_Y[a, c] * x[c]
                grad[a] = scale * grad[a] + reg_scale * x[a] + grav_scale * g_a
            for a in range(k):
                m[u, a] = beta1 * m[u, a] + (1 - beta1) * grad[a]
                v[u, a] = beta2 * v[u, a] + (1 - beta2) * grad[a] * grad[a]
                x[a] -= lr * (m[u, a] / bias1) / (np.sqrt(v[u, a] / bias2) + eps)


@njit(parallel=True, cache=True, fastmath=True)
def observed_loss_rows(indptr, indices, signed_weights, X, Y):
    """Per row of ``X``: ``sum_j w_j (p_j - x . y_j)**2`` over its observed entries."""
    n, k = X.shape
    out = np.zeros(n, dtype=np.float64)
    for u in prange(n):
        total = 0.0
        for idx in range(indptr[u], indptr[u + 1]):
            y = Y[indices[idx]]
            s = signed_weights[idx]
            pred = np.float32(0.0)
            for a in range(k):
                pred += X[u, a] * y[a]
            if s > 0:
                total += s * (1.0 - pred) ** 2
            else:
                total += -s * pred * pred
        out[u] = total
    return out
