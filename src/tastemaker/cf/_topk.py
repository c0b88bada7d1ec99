"""Top-k selection over dense score rows, with filtering."""

from __future__ import annotations

import numpy as np

__all__ = ["topk_rows", "rank"]


def topk_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns of each row of ``scores``, best first.

    Entries equal to ``-inf`` are treated as excluded: when a row has fewer than ``k`` finite
    entries the tail is padded with id ``-1`` and score ``-inf``. Ties are broken by the lower id
    so results are deterministic.

    Parameters
    ----------
    scores : ndarray of shape (n_rows, n_cols)
    k : int

    Returns
    -------
    ids : ndarray of int64, shape (n_rows, min(k, n_cols))
    values : ndarray of float32, shape (n_rows, min(k, n_cols))
    """
    scores = np.asarray(scores)
    n_rows, n_cols = scores.shape
    k = int(min(k, n_cols))
    if k <= 0:
        return np.empty((n_rows, 0), dtype=np.int64), np.empty((n_rows, 0), dtype=np.float32)
    if k < n_cols:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        # argpartition picks an arbitrary subset of the entries tied at the k-th score; keep the
        # lowest ids among them so the top k is a prefix of the top k+1
        kth = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
        above = scores > kth
        equal = scores == kth
        n_above = above.sum(axis=1, keepdims=True)
        if np.any(equal.sum(axis=1, keepdims=True) > k - n_above):
            tied = equal & (np.cumsum(equal, axis=1) <= k - n_above)
            part = np.nonzero(above | tied)[1].reshape(n_rows, k)
    else:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    part_scores = np.take_along_axis(scores, part, axis=1)
    # sort by score desc, then id asc: lexsort sorts by the last key first
    order = np.lexsort((part, -part_scores), axis=1)
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)
    values = np.take_along_axis(part_scores, order, axis=1).astype(np.float32)
    excluded = ~np.isfinite(values) & (values < 0)
    ids[excluded] = -1
    return ids, values


def rank(scores: np.ndarray, N: int, *, exclude=None, candidates=None, single: bool = False):
    """The contract's answer from dense scores: exclusions, a candidate subset, top-``N``.

    ``scores`` (n_rows x n_items, float32) is modified in place. ``exclude`` and ``candidates``
    are already-checked item ids. One row with ``single`` gives 1-D arrays without padding;
    otherwise 2-D arrays padded with id -1 (see :func:`topk_rows`).
    """
    if exclude is not None:
        scores[:, exclude] = -np.inf
    if candidates is not None:
        ids, vals = topk_rows(scores[:, candidates], N)
        ids = np.where(ids >= 0, candidates[np.maximum(ids, 0)], -1)
    else:
        ids, vals = topk_rows(scores, N)
    if single:
        keep = ids[0] >= 0
        return ids[0][keep], vals[0][keep]
    return ids, vals
