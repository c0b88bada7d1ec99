"""Compiled top-k kernels: a bounded heap per row, ties broken by the lower item id.

Both give exactly what :func:`tastemaker.cf._topk.topk_rows` gives (best first, -inf and NaN
entries treated as excluded, -1/-inf padding) without sorting or partitioning whole rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["topk_dense", "rescore_topk", "rescore_topk_serial", "score_topk_serial"]

#: reassociation lets LLVM vectorise the dot products; not the NaN/inf flags (-inf marks exclusions)
_FAST = {"reassoc", "contract", "nsz"}


@njit(inline="always")
def _worse(s1, i1, s2, i2):
    return s1 < s2 or (s1 == s2 and i1 > i2)


@njit(inline="always")
def _sift_down(hs, hi, pos, size, s, j):
    while True:
        c = 2 * pos + 1
        if c >= size:
            break
        if c + 1 < size and _worse(hs[c + 1], hi[c + 1], hs[c], hi[c]):
            c += 1
        if _worse(hs[c], hi[c], s, j):
            hs[pos] = hs[c]
            hi[pos] = hi[c]
            pos = c
        else:
            break
    hs[pos] = s
    hi[pos] = j


@njit(inline="always")
def _push(hs, hi, cnt, k, s, j):
    """Offer (score s, id j) to the min-heap (worst at the root) of ``cnt`` <= ``k`` entries."""
    if cnt < k:
        pos = cnt
        while pos > 0:
            parent = (pos - 1) >> 1
            if _worse(s, j, hs[parent], hi[parent]):
                hs[pos] = hs[parent]
                hi[pos] = hi[parent]
                pos = parent
            else:
                break
        hs[pos] = s
        hi[pos] = j
        return cnt + 1
    if _worse(hs[0], hi[0], s, j):
        _sift_down(hs, hi, 0, k, s, j)
    return cnt


@njit(inline="always")
def _finish(hs, hi, cnt, k):
    """Heap to best-first order in place; pad the tail with -1 / -inf."""
    for end in range(cnt - 1, 0, -1):
        s, j = hs[end], hi[end]
        hs[end], hi[end] = hs[0], hi[0]
        _sift_down(hs, hi, 0, end, s, j)
    for p in range(cnt, k):
        hs[p] = -np.inf
        hi[p] = -1


@njit(nogil=True, cache=True)
def topk_dense(scores, k, out_ids, out_vals):
    """Best ``k`` columns of each row of ``scores`` (m x n) into ``out_ids``/``out_vals`` (m x k).

    Serial and GIL-free: callers run blocks on their own threads.
    """
    m, n = scores.shape
    for r in range(m):
        hs = out_vals[r]
        hi = out_ids[r]
        cnt = 0
        # columns come in increasing id order, so a score equal to the heap's worst loses the
        # tie: one comparison with a running threshold rejects almost every entry
        threshold = -np.inf  # -inf (excluded) and NaN never pass
        for j in range(n):
            s = scores[r, j]
            if s > threshold or (cnt < k and s > -np.inf):
                cnt = _push(hs, hi, cnt, k, s, j)
                if cnt == k:
                    threshold = hs[0]
        _finish(hs, hi, cnt, k)


@njit(inline="always")
def _rescore_row(r, queries, factors, rows, cand, drop_indptr, drop_indices, k, out_ids, out_vals):
    q = queries[rows[r]]
    lo = drop_indptr[rows[r]]
    hi_ = drop_indptr[rows[r] + 1]
    hs = out_vals[r]
    hi = out_ids[r]
    f = factors.shape[1]
    cnt = 0
    for c in range(cand.shape[1]):
        j = cand[r, c]
        if j < 0:
            continue
        if hi_ > lo:
            pos = lo + np.searchsorted(drop_indices[lo:hi_], j)
            if pos < hi_ and drop_indices[pos] == j:
                continue
        s = np.float32(0.0)
        for d in range(f):
            s += q[d] * factors[j, d]
        cnt = _push(hs, hi, cnt, k, s, j)
    _finish(hs, hi, cnt, k)
    return cnt


@njit(parallel=True, nogil=True, cache=True, fastmath=_FAST)
def rescore_topk(queries, factors, rows, cand, drop_indptr, drop_indices, k, out_ids, out_vals):
    """Exact scores of candidate items, exclusions dropped, best ``k`` kept; returns counts.

    ``cand[r]`` are the candidates of query ``rows[r]`` (-1 = none); items listed in the CSR
    row ``drop_indices[drop_indptr[rows[r]]:drop_indptr[rows[r] + 1]]`` (sorted) are skipped.
    Parallel over queries (numba's threads); :func:`rescore_topk_serial` for a few queries.
    """
    counts = np.zeros(cand.shape[0], dtype=np.int64)
    for r in prange(cand.shape[0]):
        counts[r] = _rescore_row(r, queries, factors, rows, cand, drop_indptr, drop_indices, k, out_ids, out_vals)
    return counts


@njit(nogil=True, cache=True, fastmath=_FAST)
def rescore_topk_serial(queries, factors, rows, cand, drop_indptr, drop_indices, k, out_ids, out_vals):
    """:func:`rescore_topk` on the calling thread: no thread-pool wake-up for one request."""
    counts = np.zeros(cand.shape[0], dtype=np.int64)
    for r in range(cand.shape[0]):
        counts[r] = _rescore_row(r, queries, factors, rows, cand, drop_indptr, drop_indices, k, out_ids, out_vals)
    return counts


@njit(nogil=True, cache=True, fastmath=_FAST)
def score_topk_serial(queries, factors, drop_indptr, drop_indices, k, out_ids, out_vals):
    """Exact top ``k`` of every item for a few queries, scored and selected in one pass.

    For requests: no score matrix, no BLAS thread pool to wake (on a busy machine a
    multi-threaded matrix-vector product is slower than this loop). Excluded items (sorted per
    query in the CSR ``drop_*``) are skipped while scanning the items in id order.
    """
    m = queries.shape[0]
    n, f = factors.shape
    for r in range(m):
        q = queries[r]
        hs = out_vals[r]
        hi = out_ids[r]
        p = drop_indptr[r]
        end = drop_indptr[r + 1]
        cnt = 0
        threshold = -np.inf
        for j in range(n):
            if p < end and drop_indices[p] == j:
                p += 1
                continue
            s = np.float32(0.0)
            for d in range(f):
                s += q[d] * factors[j, d]
            if s > threshold or (cnt < k and s > -np.inf):
                cnt = _push(hs, hi, cnt, k, s, j)
                if cnt == k:
                    threshold = hs[0]
        _finish(hs, hi, cnt, k)
