"""Compiled kernels of the ALS engine (numba, float32, multi-threaded over rows).

Each half-step solves, for every row ``u`` of the CSR matrix ``C`` (signed confidences, see
``_confidence``), the weighted ridge problem of Hu et al.:

    (YtY + reg_u I + sum_i (c_ui - 1) y_i y_i^T) x_u = sum_{i: p_ui = 1} c_ui y_i

``YtY`` is shared by all rows, so a row costs O(nnz_u * f) plus O(f^2) per CG step (or O(f^3)
for Cholesky). Rows are processed in interleaved chunks so heavy and light rows spread evenly
over the threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["cg_solve", "cg_half_step", "cholesky_half_step", "weighted_loss", "SHORT_ROW"]


#: rows with at most this many non-zeros are solved exactly (Woodbury) instead of by CG
SHORT_ROW = 3


def cg_solve(C, X, Y, YtY, reg, cg_steps, n_chunks):
    """One CG half-step over every row of ``C``, with the short rows solved exactly.

    A row with ``n <= SHORT_ROW`` non-zeros has the normal matrix ``G + Y_u^T W Y_u`` with
    ``G = YtY + reg I``; with ``G^-1`` computed once per distinct ``reg`` (one f x f inverse),
    the Woodbury identity solves it exactly in ``n`` products with ``G^-1``, fewer than the
    ``cg_steps + 1`` products with ``YtY`` that CG needs. On long-tailed music data most
    artists have one to three listeners, so this is where small catalogues spend their time.
    """
    f = X.shape[1]
    nnz = np.diff(C.indptr)
    ginv = np.zeros((SHORT_ROW + 1, f, f), dtype=np.float32)
    has_inv = np.zeros(SHORT_ROW + 1, dtype=np.bool_)
    G = YtY.astype(np.float64)
    for n in range(1, SHORT_ROW + 1):
        lam = reg[nnz == n]
        # one shared regularisation per row length (always so for ImplicitALS), and > 0 so G is PD
        if lam.size and lam.min() == lam.max() and lam[0] > 0:
            ginv[n] = np.linalg.inv(G + float(lam[0]) * np.eye(f))
            has_inv[n] = True
    cg_half_step(C.indptr, C.indices, C.data, X, Y, YtY, reg, cg_steps, n_chunks, ginv, has_inv)


@njit(fastmath=True, cache=True, nogil=True)
def _woodbury_row(indices, data, lo, hi, Y, Ginv, x, Z, g, K, rhs):  # pragma: no cover - compiled
    """x = (G + U^T W U)^-1 U^T v exactly, for the row's n = hi - lo non-zeros (U = their y's).

    With Z = U G^-1 and g = G^-1 U^T v:  x = g - Z^T (I + W U Z^T)^-1 W U g.
    """
    f = x.shape[0]
    n = hi - lo
    for k in range(n):
        y = Y[indices[lo + k]]
        z = Z[k]
        for a in range(f):
            t = np.float32(0.0)
            row = Ginv[a]
            for b in range(f):
                t += row[b] * y[b]
            z[a] = t
    for a in range(f):
        g[a] = 0.0
    for k in range(n):
        c = data[lo + k]
        if c > 0:
            for a in range(f):
                g[a] += c * Z[k, a]
    for k in range(n):
        y = Y[indices[lo + k]]
        w = abs(data[lo + k]) - np.float32(1.0)
        for m in range(n):
            t = np.float32(0.0)
            for a in range(f):
                t += y[a] * Z[m, a]
            K[k, m] = w * t + (np.float32(1.0) if k == m else np.float32(0.0))
        t = np.float32(0.0)
        for a in range(f):
            t += y[a] * g[a]
        rhs[k] = w * t
    # Gaussian elimination with partial pivoting on the n x n system (n <= SHORT_ROW)
    for col in range(n):
        piv = col
        for r in range(col + 1, n):
            if abs(K[r, col]) > abs(K[piv, col]):
                piv = r
        if piv != col:
            for m in range(n):
                K[col, m], K[piv, m] = K[piv, m], K[col, m]
            rhs[col], rhs[piv] = rhs[piv], rhs[col]
        for r in range(col + 1, n):
            factor = K[r, col] / K[col, col]
            for m in range(col, n):
                K[r, m] -= factor * K[col, m]
            rhs[r] -= factor * rhs[col]
    for r in range(n - 1, -1, -1):
        t = rhs[r]
        for m in range(r + 1, n):
            t -= K[r, m] * rhs[m]
        rhs[r] = t / K[r, r]
    for a in range(f):
        t = g[a]
        for k in range(n):
            t -= rhs[k] * Z[k, a]
        x[a] = t


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def cg_half_step(indptr, indices, data, X, Y, YtY, reg, cg_steps, n_chunks, ginv, has_inv):  # pragma: no cover
    """Update ``X`` in place with ``cg_steps`` conjugate-gradient steps warm-started at ``X``;
    rows of ``n`` non-zeros with ``has_inv[n]`` are solved exactly with ``ginv[n]`` instead."""
    n, f = X.shape
    short = has_inv.shape[0] - 1
    for chunk in prange(n_chunks):
        r = np.empty(f, dtype=np.float32)
        p = np.empty(f, dtype=np.float32)
        ap = np.empty(f, dtype=np.float32)
        Z = np.empty((short, f), dtype=np.float32)
        K = np.empty((short, short), dtype=np.float32)
        rhs = np.empty(short, dtype=np.float32)
        for u in range(chunk, n, n_chunks):
            lo = indptr[u]
            hi = indptr[u + 1]
            x = X[u]
            if lo == hi:
                x[:] = 0.0
                continue
            if hi - lo <= short and has_inv[hi - lo]:
                _woodbury_row(indices, data, lo, hi, Y, ginv[hi - lo], x, Z, r, K, rhs)
                continue
            lam = reg[u]
            # r = b - A x
            for a in range(f):
                s = np.float32(0.0)
                row = YtY[a]
                for b in range(f):
                    s += row[b] * x[b]
                r[a] = -s - lam * x[a]
            for k in range(lo, hi):
                y = Y[indices[k]]
                c = data[k]
                yx = np.float32(0.0)
                for a in range(f):
                    yx += y[a] * x[a]
                if c > 0:
                    coef = c - (c - np.float32(1.0)) * yx
                else:
                    coef = (c + np.float32(1.0)) * yx
                for a in range(f):
                    r[a] += coef * y[a]
            rs_old = np.float32(0.0)
            for a in range(f):
                p[a] = r[a]
                rs_old += r[a] * r[a]
            for _ in range(cg_steps):
                if rs_old < 1e-20:
                    break
                # ap = A p
                for a in range(f):
                    s = np.float32(0.0)
                    row = YtY[a]
                    for b in range(f):
                        s += row[b] * p[b]
                    ap[a] = s + lam * p[a]
                for k in range(lo, hi):
                    y = Y[indices[k]]
                    w = abs(data[k]) - np.float32(1.0)
                    yp = np.float32(0.0)
                    for a in range(f):
                        yp += y[a] * p[a]
                    coef = w * yp
                    for a in range(f):
                        ap[a] += coef * y[a]
                pap = np.float32(0.0)
                for a in range(f):
                    pap += p[a] * ap[a]
                if pap <= 0:
                    break
                step = rs_old / pap
                rs_new = np.float32(0.0)
                for a in range(f):
                    x[a] += step * p[a]
                    r[a] -= step * ap[a]
                    rs_new += r[a] * r[a]
                beta = rs_new / rs_old
                for a in range(f):
                    p[a] = r[a] + beta * p[a]
                rs_old = rs_new


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def cholesky_half_step(indptr, indices, data, X, Y, YtY, reg, n_chunks):  # pragma: no cover - compiled
    """Update ``X`` in place with the exact solution of every row's normal equations."""
    n, f = X.shape
    for chunk in prange(n_chunks):
        A = np.empty((f, f), dtype=np.float64)
        b = np.empty(f, dtype=np.float64)
        for u in range(chunk, n, n_chunks):
            lo = indptr[u]
            hi = indptr[u + 1]
            if lo == hi:
                X[u, :] = 0.0
                continue
            for a in range(f):
                b[a] = 0.0
                for c2 in range(f):
                    A[a, c2] = YtY[a, c2]
                A[a, a] += reg[u]
            for k in range(lo, hi):
                y = Y[indices[k]]
                c = data[k]
                w = abs(c) - 1.0
                for a in range(f):
                    wa = w * y[a]
                    for c2 in range(f):
                        A[a, c2] += wa * y[c2]
                if c > 0:
                    for a in range(f):
                        b[a] += c * y[a]
            # Cholesky factorisation A = L L^T in place (lower triangle)
            ok = True
            for j in range(f):
                s = A[j, j]
                for k2 in range(j):
                    s -= A[j, k2] * A[j, k2]
                if s <= 1e-12:
                    ok = False
                    break
                d = np.sqrt(s)
                A[j, j] = d
                for i in range(j + 1, f):
                    t = A[i, j]
                    for k2 in range(j):
                        t -= A[i, k2] * A[j, k2]
                    A[i, j] = t / d
            if not ok:
                continue  # singular system (no regularisation, degenerate data): keep the old row
            # forward then backward substitution
            for i in range(f):
                t = b[i]
                for k2 in range(i):
                    t -= A[i, k2] * b[k2]
                b[i] = t / A[i, i]
            for i in range(f - 1, -1, -1):
                t = b[i]
                for k2 in range(i + 1, f):
                    t -= A[k2, i] * b[k2]
                b[i] = t / A[i, i]
            for a in range(f):
                X[u, a] = b[a]


@njit(parallel=True, fastmath=True, cache=True)
def weighted_loss(indptr, indices, data, X, Y, reg_x, reg_y):  # pragma: no cover - compiled
    """Hu et al.'s objective: sum_ui c_ui (p_ui - x_u.y_i)^2 + sum_u reg_x[u]|x_u|^2 + sum_i reg_y[i]|y_i|^2.

    The sum over all (u, i) pairs uses <X^T X, Y^T Y> for the unobserved part, so it is linear in
    the data.
    """
    n, f = X.shape
    XtX = X.T.astype(np.float64) @ X.astype(np.float64)
    YtY = Y.T.astype(np.float64) @ Y.astype(np.float64)
    total = 0.0
    for a in range(f):
        for b in range(f):
            total += XtX[a, b] * YtY[a, b]
    partial = np.zeros(n, dtype=np.float64)
    for u in prange(n):
        s = 0.0
        for k in range(indptr[u], indptr[u + 1]):
            y = Y[indices[k]]
            pred = 0.0
            for a in range(f):
                pred += X[u, a] * y[a]
            c = data[k]
            if c > 0:
                s += c * (1.0 - pred) ** 2 - pred * pred
            else:
                s += (-c - 1.0) * pred * pred
        for a in range(f):
            s += reg_x[u] * X[u, a] * X[u, a]
        partial[u] = s
    total += partial.sum()
    for i in range(Y.shape[0]):
        for a in range(f):
            total += reg_y[i] * Y[i, a] * Y[i, a]
    return total
