"""Top-k metrics over a batch of recommendation lists.

Every function takes ``ids``: a 2-D int array with one ranked list per row, best first, padded
with ``-1`` (what a batched ``recommend`` returns). Accuracy metrics use binary relevance: an item
is relevant to a row when that row of ``test`` holds a positive entry for it. They return one value
per row (a float64 array); the mean over rows is the usual figure. Rows without any relevant item
get NaN, as the metrics are undefined there (``evaluate`` never asks for them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "precision_at_k", "recall_at_k", "ndcg_at_k", "average_precision_at_k", "reciprocal_rank_at_k",
    "hit_rate_at_k", "catalogue_coverage", "novelty", "intra_list_diversity", "ACCURACY_METRICS",
    "relevance", "accuracy_metrics", "self_information", "mean_self_information", "unit_vectors",
    "mean_pairwise_dissimilarity",
]

#: names of the accuracy metrics, as keys of :func:`accuracy_metrics`
ACCURACY_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate")


def _check_ids(ids, k: int) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 2-D integer array (one ranked list per row), got {ids.ndim}-D {ids.dtype}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return ids[:, :k].astype(np.int64, copy=False)


def relevance(ids, test, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Which of the top ``k`` of each list are relevant, and how many relevant items each row has.

    Parameters
    ----------
    ids : ndarray of int, shape (n_rows, >= 1)
        Ranked lists, ``-1`` padded.
    test : csr_matrix, shape (n_rows, n_items)
        Held-out interactions, one row per list; positive entries are relevant.
    k : int
        List length considered.

    Returns
    -------
    hits : ndarray of bool, shape (n_rows, k)
        ``hits[r, j]``: the item at rank ``j`` of list ``r`` is relevant (False beyond the list).
    n_relevant : ndarray of int, shape (n_rows,)
    """
    ids = _check_ids(ids, k)
    test = sp.csr_matrix(test, copy=True)
    test.sum_duplicates()
    if test.shape[0] != ids.shape[0]:
        raise ValueError(f"test has {test.shape[0]} rows but there are {ids.shape[0]} lists: pass test[users]")
    n_items = np.int64(test.shape[1])
    if ids.size and ids.max() >= n_items:
        raise ValueError(f"ids hold item {int(ids.max())} but test has only {n_items} items")
    pos = sp.coo_matrix(test)
    pos_mask = pos.data > 0
    keys = np.sort(pos.row[pos_mask].astype(np.int64) * n_items + pos.col[pos_mask])
    n_relevant = np.bincount(pos.row[pos_mask], minlength=test.shape[0])
    query = np.arange(ids.shape[0], dtype=np.int64)[:, None] * n_items + ids
    at = np.minimum(np.searchsorted(keys, query), max(keys.size - 1, 0))
    hits = (ids >= 0) & (keys[at] == query) if keys.size else np.zeros(ids.shape, dtype=bool)
    if hits.shape[1] < k:  # short lists: the missing ranks are misses
        hits = np.pad(hits, ((0, 0), (0, k - hits.shape[1])))
    return hits, n_relevant


def accuracy_metrics(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """All accuracy metrics at ``k`` from :func:`relevance`'s output, one value per row."""
    hits = hits[:, :k].astype(np.float64)
    n_rel = n_relevant.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        undefined = n_rel == 0
        n_hits = hits.sum(axis=1)
        ranks = np.arange(1, k + 1, dtype=np.float64)
        discount = 1.0 / np.log2(ranks + 1.0)
        ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_relevant, k)]
        precision_at_rank = np.cumsum(hits, axis=1) / ranks
        first = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1.0, np.inf)
        out = {
            "precision": n_hits / k,
            "recall": n_hits / n_rel,
            "ndcg": (hits @ discount) / ideal,
            "map": (hits * precision_at_rank).sum(axis=1) / np.minimum(n_rel, k),
            "mrr": 1.0 / first,
            "hit_rate": (n_hits > 0).astype(np.float64),
        }
    for values in out.values():
        values[undefined] = np.nan
    return out


def _one(name: str, doc: str):
    def metric(ids, test, k: int = 10) -> np.ndarray:
        hits, n_rel = relevance(ids, test, k)
        return accuracy_metrics(hits, n_rel, k)[name]

    metric.__name__ = metric.__qualname__ = f"{'average_precision' if name == 'map' else name}_at_k"
    metric.__doc__ = doc + """

    Parameters
    ----------
    ids : ndarray of int, shape (n_rows, n)
        Ranked lists, best first, ``-1`` padded.
    test : csr_matrix, shape (n_rows, n_items)
        Held-out interactions, one row per list; positive entries are relevant.
    k : int
        Cut-off.

    Returns
    -------
    ndarray of float64, shape (n_rows,)
        One value per row; NaN for rows without relevant items.
    """
    return metric


precision_at_k = _one("precision", "Share of the top ``k`` that is relevant: ``hits / k`` (short lists still divide by ``k``).")
recall_at_k = _one("recall", "Share of the relevant items found in the top ``k``: ``hits / |relevant|``.\n\n"
                   "    The denominator is the number of relevant items even when it exceeds ``k``, so "
                   "recall@k can stay below 1 for a perfect list.")
ndcg_at_k = _one("ndcg", "Normalised discounted cumulative gain: ``sum hit_j / log2(j + 1)`` over ranks "
                 "``j = 1..k``,\n    divided by the same sum for a perfect list of ``min(k, |relevant|)`` hits.")
average_precision_at_k = _one("map", "Average precision at ``k``: the precision at each relevant rank, summed and "
                              "divided by ``min(k, |relevant|)``.\n\n    Its mean over rows is MAP@k.")
reciprocal_rank_at_k = _one("mrr", "``1 / rank`` of the first relevant item in the top ``k``, 0 if none; its mean is MRR@k.")
hit_rate_at_k = _one("hit_rate", "1 when the top ``k`` holds at least one relevant item, else 0.")


def catalogue_coverage(ids, n_items: int, k: int = 10) -> float:
    """Share of the catalogue that appears in at least one top-``k`` list.

    Examples
    --------
    >>> catalogue_coverage(np.array([[0, 1], [1, -1]]), n_items=4, k=2)
    0.5
    """
    ids = _check_ids(ids, k)
    shown = np.unique(ids[ids >= 0])
    return float(shown.size / n_items) if n_items else float("nan")


def novelty(ids, train, k: int = 10) -> np.ndarray:
    """Mean self-information of the recommended items, per list.

    The self-information of item ``i`` is ``-log2(p_i)``, where ``p_i`` is the share of train users
    with a positive entry for ``i`` (Zhou et al. 2010). Items nobody played in train count as
    played by one user, so the value stays finite. Higher means less popular, more novel.

    Returns
    -------
    ndarray of float64, shape (n_rows,)
        NaN for empty lists.
    """
    return mean_self_information(ids, self_information(train), k)


def self_information(train) -> np.ndarray:
    """``-log2`` of the share of train users who played each item (at least one user)."""
    train = sp.csr_matrix(train)
    n_users = max(train.shape[0], 1)
    users_per_item = np.bincount(train.indices[train.data > 0], minlength=train.shape[1])
    return -np.log2(np.maximum(users_per_item, 1) / n_users)


def mean_self_information(ids, info: np.ndarray, k: int) -> np.ndarray:
    """:func:`novelty` from :func:`self_information` computed once."""
    ids = _check_ids(ids, k)
    valid = ids >= 0
    total = np.where(valid, info[np.maximum(ids, 0)], 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / valid.sum(axis=1)


def intra_list_diversity(ids, item_vectors, k: int = 10) -> np.ndarray:
    """One minus the mean pairwise cosine similarity of the items of each list.

    Parameters
    ----------
    ids : ndarray of int, shape (n_rows, n)
        Ranked lists, ``-1`` padded.
    item_vectors : ndarray or sparse matrix, shape (n_items, d)
        One vector per item: item factors, or the items x users matrix (``train.T``). Items with
        a zero vector have cosine 0 with every other item.
    k : int
        Cut-off.

    Returns
    -------
    ndarray of float64, shape (n_rows,)
        NaN for lists with fewer than two items.
    """
    return mean_pairwise_dissimilarity(ids, *unit_vectors(item_vectors), k)


def unit_vectors(item_vectors) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
    """Item vectors scaled to unit length (zero vectors stay zero), and which were non-zero."""
    if sp.issparse(item_vectors):
        v = sp.csr_matrix(item_vectors, dtype=np.float64)
        norms = np.sqrt(np.asarray(v.multiply(v).sum(axis=1)).ravel())
        unit = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ v
        return sp.csr_matrix(unit), norms > 0
    v = np.asarray(item_vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1)
    return v / np.where(norms > 0, norms, 1.0)[:, None], norms > 0


def mean_pairwise_dissimilarity(ids, unit, nonzero: np.ndarray, k: int) -> np.ndarray:
    """:func:`intra_list_diversity` from :func:`unit_vectors` computed once."""
    ids = _check_ids(ids, k)
    valid = ids >= 0
    rows = np.repeat(np.arange(ids.shape[0]), valid.sum(axis=1))
    members = sp.csr_matrix((np.ones(rows.size), (rows, ids[valid])), shape=(ids.shape[0], unit.shape[0]))
    # sum over pairs of u_i . u_j = (|sum u_i|^2 - sum |u_i|^2) / 2
    summed = members @ unit
    sq_sum = (np.asarray(summed.multiply(summed).sum(axis=1)).ravel() if sp.issparse(summed)
              else np.einsum("ij,ij->i", summed, summed))
    self_sq = members @ nonzero.astype(np.float64)
    m = valid.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_cos = (sq_sum - self_sq) / (m * (m - 1.0))
        return np.where(m >= 2, 1.0 - mean_cos, np.nan)
