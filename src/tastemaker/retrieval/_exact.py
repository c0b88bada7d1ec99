"""Exact search: blocked matrix products and a compiled top-k (the reference)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tastemaker.cf._threads import resolve_threads
from tastemaker.cf._topk import topk_rows
from tastemaker.retrieval._base import Exclusions, ItemIndex

__all__ = ["ExactIndex", "brute_force"]

#: score entries per block (64 MiB of float32): bounds memory whatever the batch size
_BLOCK_ENTRIES = 1 << 24
#: up to this many queries (requests) are scored in one compiled pass on the calling thread
_FUSED_MAX = 4


class ExactIndex(ItemIndex):
    """Brute-force search over every item: exact, the reference for approximate indexes.

    A batch is scored in blocks of queries (one matrix product each, BLAS on one thread) that
    ``num_threads`` workers take in turn, each keeping every row's best ``k`` with a bounded
    heap; nothing of size queries x items is ever held.

    Parameters
    ----------
    item_factors : array (n_items x f)
    metric : {"ip", "cosine"}
    jit : bool, default True
        Score a few queries (up to four: a request) in one compiled pass, the fastest per
        request once compiled code is loaded; False scores them with a matrix product and NumPy's
        selection, which spares a process that answers one question the compiler's start-up
        (about 0.8 s). Batches always use the compiled selection.

    Examples
    --------
    >>> import numpy as np
    >>> index = ExactIndex(np.eye(3, dtype=np.float32))
    >>> index.search(np.array([0.1, 0.9, 0.5]), k=2, exclude=[1])
    (array([2, 0]), array([0.5, 0.1], dtype=float32))
    """

    kind = "exact"

    def __init__(self, item_factors: np.ndarray, metric: str = "ip", jit: bool = True):
        super().__init__(item_factors, metric)
        self.jit = bool(jit)

    def _search(self, q, k, drop, num_threads):
        return brute_force(self.item_factors, q, k, drop, num_threads, jit=self.jit)


def brute_force(factors: np.ndarray, q: np.ndarray, k: int, drop, num_threads: int = 0, jit: bool = True):
    """Exact top-``k`` of ``q @ factors.T`` per row, the items in ``drop`` (:class:`Exclusions`) left out
    (``jit``: see :class:`ExactIndex`)."""
    m, n_items = q.shape[0], factors.shape[0]
    if m <= _FUSED_MAX and not jit:
        scores = q @ factors.T
        if drop is not None:
            scores[np.repeat(np.arange(m), np.diff(drop.indptr[:m + 1])), drop.indices[:drop.indptr[m]]] = -np.inf
        return topk_rows(scores, k)
    from tastemaker.retrieval._kernels import score_topk_serial, topk_dense  # loads the compiler

    ids = np.empty((m, k), dtype=np.int64)
    vals = np.empty((m, k), dtype=np.float32)
    if m <= _FUSED_MAX:
        if drop is None:
            drop = Exclusions(np.zeros(m + 1, np.int64), np.empty(0, np.int64))
        score_topk_serial(q, factors, drop.indptr, drop.indices, k, ids, vals)
        return ids, vals
    block = max(1, min(m, _BLOCK_ENTRIES // n_items))
    starts = list(range(0, m, block))

    def work(start: int) -> None:
        stop = min(m, start + block)
        scores = q[start:stop] @ factors.T
        if drop is not None:
            lo, hi = drop.indptr[start], drop.indptr[stop]
            scores[np.repeat(np.arange(stop - start), np.diff(drop.indptr[start:stop + 1])),
                   drop.indices[lo:hi]] = -np.inf
        topk_dense(scores, k, ids[start:stop], vals[start:stop])

    n_threads = min(resolve_threads(num_threads), len(starts))
    if n_threads == 1:
        for start in starts:
            work(start)
        return ids, vals
    from threadpoolctl import threadpool_limits

    # one BLAS thread per worker: the workers are the parallelism
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(work, starts))
    return ids, vals
