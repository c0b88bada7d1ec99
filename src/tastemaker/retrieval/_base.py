"""What every item index shares: checked queries, exclusions as one CSR, exact rescoring."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from tastemaker.errors import InputError

__all__ = ["ItemIndex", "METRICS", "Exclusions", "check_queries", "exclusion_matrix", "normalise"]

#: "ip": inner product (ALS scores, user -> items); "cosine": cosine of the factors (item -> items)
METRICS = ("ip", "cosine")


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero (cosine 0 with everything), as in
    :meth:`tastemaker.cf._base.MatrixFactorizationBase.similar_items`."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


def check_queries(queries, dim: int) -> tuple[np.ndarray, bool]:
    """Queries as a C-contiguous float32 (m x dim) array, and whether one 1-D vector was given."""
    q = np.asarray(queries, dtype=np.float32)
    single = q.ndim == 1
    q = np.atleast_2d(q)
    if q.ndim != 2 or q.shape[1] != dim:
        raise InputError(f"query vectors must have {dim} values each (the model's factors), "
                         f"got shape {np.shape(queries)}")
    if not np.all(np.isfinite(q)):
        raise InputError("query vectors hold NaN or infinite values")
    return np.ascontiguousarray(q), single


class Exclusions(NamedTuple):
    """Items to leave out per query, CSR-style: row ``r``'s items are the sorted, unique
    ``indices[indptr[r]:indptr[r + 1]]`` (plain arrays: no scipy overhead on a single request)."""

    indptr: np.ndarray
    indices: np.ndarray

    def rows(self, rows: np.ndarray) -> Exclusions:
        """The exclusions of some queries, in that order."""
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if len(rows) and np.all(np.diff(rows) == 1):  # a contiguous block: one slice
            return Exclusions(indptr, self.indices[self.indptr[rows[0]]:self.indptr[rows[-1] + 1]])
        parts = [self.indices[self.indptr[r]:self.indptr[r + 1]] for r in rows]
        return Exclusions(indptr, np.concatenate(parts) if parts else np.empty(0, np.int64))


def exclusion_matrix(exclude, filter_items, n_queries: int, n_items: int) -> Exclusions | None:
    """Items to leave out per query as :class:`Exclusions`, or None.

    ``exclude`` is per query: a CSR matrix with one row per query (e.g. the users' histories;
    every stored entry counts, skips included), a sequence of id arrays, or for a single query
    one id array. ``filter_items`` are ids left out of every query.
    """
    indptr = indices = None
    if exclude is not None:
        if sp.issparse(exclude):
            m = exclude if sp.isspmatrix_csr(exclude) or isinstance(exclude, sp.csr_array) else sp.csr_matrix(exclude)
            if m.shape != (n_queries, n_items):
                raise InputError(f"exclude must have one row per query and {n_items} columns, got shape {m.shape}")
            if not m.has_canonical_format:
                m = m.copy()
                m.sum_duplicates()
            indptr, indices = m.indptr.astype(np.int64), m.indices.astype(np.int64)
        else:
            rows = list(exclude) if n_queries != 1 or _is_sequence_of_arrays(exclude) else [exclude]
            if len(rows) != n_queries:
                raise InputError(f"exclude must hold one list of item ids per query: got {len(rows)} "
                                 f"for {n_queries} queries")
            ids = [np.unique(_check_ids(r, n_items, "exclude")) for r in rows]
            indptr = np.concatenate([[0], np.cumsum([len(r) for r in ids])]).astype(np.int64)
            indices = np.concatenate(ids) if ids else np.empty(0, np.int64)
    if filter_items is not None:
        cols = np.unique(_check_ids(filter_items, n_items, "filter_items"))
        if len(cols):
            if indptr is None:
                return Exclusions(np.arange(n_queries + 1, dtype=np.int64) * len(cols), np.tile(cols, n_queries))
            starts = np.arange(n_queries, dtype=np.int64) * n_items
            row_of = np.repeat(starts, np.diff(indptr))
            keys = np.unique(np.concatenate([row_of + indices, (starts[:, None] + cols).ravel()]))
            counts = np.bincount(keys // n_items, minlength=n_queries)
            return Exclusions(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), keys % n_items)
    return None if indptr is None else Exclusions(indptr, indices)


def _is_sequence_of_arrays(obj) -> bool:
    if isinstance(obj, np.ndarray):
        return obj.ndim == 2 or obj.dtype == object
    return len(obj) > 0 and all(np.ndim(x) == 1 for x in obj)


def _check_ids(ids, n_items: int, what: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{what} must hold integer item columns, got {arr.dtype}")
    arr = arr.astype(np.int64).ravel()
    if arr.size and (arr.min() < 0 or arr.max() >= n_items):
        bad = arr[(arr < 0) | (arr >= n_items)][0]
        raise InputError(f"{what} holds item {int(bad)}, outside 0..{n_items - 1}")
    return arr


class ItemIndex(ABC):
    """Top-k items for query vectors, best first, with per-query exclusions.

    Scores are always recomputed exactly from the stored factors (inner products, or cosines
    for ``metric="cosine"``), so an approximate index only decides *which* items come back,
    never their scores; ties are broken by the lower item id.

    Parameters
    ----------
    item_factors : ndarray (n_items x f)
        The model's item factors.
    metric : {"ip", "cosine"}
        Inner product (user -> items) or cosine of the factors (item -> similar items).
    """

    kind: str = ""

    def __init__(self, item_factors: np.ndarray, metric: str = "ip"):
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        if factors.ndim != 2 or factors.shape[0] == 0:
            raise InputError(f"item factors must be a non-empty 2-D array, got shape {factors.shape}")
        if not np.all(np.isfinite(factors)):
            raise InputError("item factors hold NaN or infinite values")
        self.metric = metric
        self.item_factors = factors if metric == "ip" else normalise(factors)

    @property
    def n_items(self) -> int:
        return self.item_factors.shape[0]

    @property
    def dim(self) -> int:
        return self.item_factors.shape[1]

    def params(self) -> dict:
        """The JSON-serialisable settings that rebuild this index (saved with it)."""
        return {"metric": self.metric}

    def search(self, queries, k: int = 10, *, exclude=None, filter_items=None, num_threads: int = 0):
        """The best ``k`` items for each query, leaving out excluded ones.

        Parameters
        ----------
        queries : array (f,) or (m x f)
            User vectors (``metric="ip"``) or item vectors (``"cosine"``, normalised here).
        k : int
            How many items per query.
        exclude : csr_matrix (m x n_items) or sequence of id arrays, optional
            Items to leave out, per query (e.g. the users' histories).
        filter_items : array of int, optional
            Items to leave out of every query.
        num_threads : int
            Threads (0: every core the process may use).

        Returns
        -------
        ids : ndarray of int64
            (k,) for one 1-D query (shorter if fewer items are left), else (m x k) padded with -1.
        scores : ndarray of float32
            Matching exact scores, best first (padding -inf).
        """
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
            raise InputError(f"k must be a non-negative integer, got {k!r}")
        q, single = check_queries(queries, self.dim)
        if self.metric == "cosine":
            q = normalise(q)
        drop = exclusion_matrix(exclude, filter_items, q.shape[0], self.n_items)
        k = int(min(k, self.n_items))
        if q.shape[0] == 0 or k == 0:
            ids = np.empty((q.shape[0], k), np.int64)
            vals = np.empty((q.shape[0], k), np.float32)
        else:
            ids, vals = self._search(q, k, drop, num_threads)
        if single:
            keep = ids[0] >= 0
            return ids[0][keep], vals[0][keep]
        return ids, vals

    @abstractmethod
    def _search(self, q: np.ndarray, k: int, drop: Exclusions | None, num_threads: int):
        """(m x k) ids and exact scores for checked, normalised queries; -1/-inf padding."""
