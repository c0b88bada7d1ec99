"""Approximate search with Spotify's Voyager (HNSW graphs), exact scores for what it finds."""

from __future__ import annotations

import numpy as np

from tastemaker.cf._threads import resolve_threads, thread_limits
from tastemaker.errors import InputError
from tastemaker.retrieval._base import Exclusions, ItemIndex
from tastemaker.retrieval._exact import brute_force
from tastemaker.retrieval._kernels import rescore_topk, rescore_topk_serial

__all__ = ["VoyagerIndex", "SPACES", "ORDERS", "DEFAULTS", "SIMILAR_DEFAULTS"]

#: how inner-product search runs on the graph: Voyager's inner-product space on the factors, or
#: the MIPS -> nearest-neighbour reduction (Bachrach et al. 2014: items get a last coordinate
#: sqrt(M^2 - |y|^2), queries 0) searched by Euclidean distance or by cosine
SPACES = ("ip", "euclidean", "cosine")
#: chosen on the 360K-scale model by benchmarks/bench_retrieval.py (recall@10 >= 0.95 there)
DEFAULTS = dict(space="ip", M=16, ef_construction=100, ef=32, order="norm-desc", random_seed=1)
#: the cosine index (item -> similar items) needs a denser graph and a deeper search: the long
#: tail's normalised factors point every which way, and at M=16, ef=32 recall@10 on the 360K-scale
#: model is 0.62; M=32, ef_construction=200 gives 0.95 at ef=100 and 0.98 at ef=200
SIMILAR_DEFAULTS = dict(M=32, ef_construction=200, ef=200)
#: insertion orders: by decreasing or increasing factor norm, or by item id. On ALS factors the
#: order decides whether an inner-product graph works at all: inserted by id (an order unrelated
#: to the norms), items end up unreachable and recall@10 stays far below 0.95 at any ef; inserted
#: by norm, the same graph reaches it with a small ef (see benchmarks/bench_retrieval.py)
ORDERS = ("norm-desc", "norm-asc", "id")
#: queries per Voyager call: bounds the candidate arrays of a batch of every user
_CHUNK = 16384
#: rows still short of k after fetching this many candidates are searched exactly
_EXACT_ABOVE = 2048


def _voyager():
    try:
        import voyager
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("approximate indexes need Spotify's Voyager",
                         hint="install the serve extra: pip install 'tastemaker[serve]', or use an exact index",
                         setting="index") from exc
    return voyager


class VoyagerIndex(ItemIndex):
    """HNSW search over the item factors (Voyager), for catalogues too large to score in full.

    The graph only proposes candidates: their scores are recomputed exactly from the factors and
    excluded items dropped; a query left with fewer than ``k`` items asks again for four times as
    many candidates (over-fetch and refill) and, past ``2048``, is searched exactly.

    Parameters
    ----------
    item_factors : ndarray (n_items x f)
    metric : {"ip", "cosine"}
        Inner product (user -> items) or cosine (item -> similar items; the graph is built over
        the normalised factors with inner product, which is the cosine).
    space : {"ip", "euclidean", "cosine"}
        For ``metric="ip"``: how the graph searches (see :data:`SPACES`).
    M, ef_construction : int
        Graph degree and build-time search depth (larger: better recall, slower build).
    ef : int
        Query-time search depth; a query for ``k`` candidates searches ``max(ef, k)``.
    order : {"norm-desc", "norm-asc", "id"}
        Insertion order (see :data:`ORDERS`; it matters a lot for inner-product graphs).
    random_seed : int
        Seed of the graph's level assignment. With ``num_threads=1`` the build is
        byte-for-byte reproducible; parallel insertion order is not.
    num_threads : int
        Threads for building (0: every core).
    """

    kind = "voyager"

    def __init__(self, item_factors, metric: str = "ip", *, space: str = DEFAULTS["space"],
                 M: int = DEFAULTS["M"], ef_construction: int = DEFAULTS["ef_construction"],
                 ef: int = DEFAULTS["ef"], order: str = DEFAULTS["order"], random_seed: int = DEFAULTS["random_seed"],
                 num_threads: int = 0, _graph=None):
        super().__init__(item_factors, metric)
        if space not in SPACES:
            raise ValueError(f"space must be one of {SPACES}, got {space!r}")
        for name, value in (("M", M), ("ef_construction", ef_construction), ("ef", ef)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        self.space = space if metric == "ip" else "ip"
        self.order = order
        self.M, self.ef_construction, self.ef = int(M), int(ef_construction), int(ef)
        self.random_seed = int(random_seed)
        norms = np.linalg.norm(self.item_factors, axis=1)
        self.max_norm = float(norms.max())
        # columns that are 0 for every item (a blend's block no item has, e.g. the blocks of items
        # nobody has played in a catalogue without any) add nothing to a score: the graph leaves
        # them out, so building and searching cost what the live columns cost
        live = np.flatnonzero(np.any(self.item_factors != 0, axis=0))
        self.columns = None if len(live) == self.dim else live
        if _graph is not None:
            self.graph = _graph
        else:
            self.graph = self._build(norms, resolve_threads(num_threads))
        if self.graph.num_elements != self.n_items or self.graph.num_dimensions != self._graph_dim:
            raise InputError(f"the Voyager graph holds {self.graph.num_elements:,} vectors of "
                             f"{self.graph.num_dimensions} values, the model {self.n_items:,} of {self._graph_dim}")
        self.graph.ef = self.ef

    @property
    def _graph_dim(self) -> int:
        return (self.dim if self.columns is None else len(self.columns)) + (self.space != "ip")

    def params(self) -> dict:
        return {"metric": self.metric, "space": self.space, "M": self.M, "ef_construction": self.ef_construction,
                "ef": self.ef, "order": self.order, "random_seed": self.random_seed}

    def _build(self, norms: np.ndarray, n_threads: int):
        voyager = _voyager()
        space = {"ip": voyager.Space.InnerProduct, "euclidean": voyager.Space.Euclidean,
                 "cosine": voyager.Space.Cosine}[self.space]
        vectors = self.item_factors if self.columns is None else np.ascontiguousarray(self.item_factors[:, self.columns])
        if self.space != "ip":
            extra = np.sqrt(np.maximum(self.max_norm ** 2 - norms.astype(np.float64) ** 2, 0.0))
            vectors = np.ascontiguousarray(np.column_stack([vectors, extra]), dtype=np.float32)
        graph = voyager.Index(space, num_dimensions=vectors.shape[1], M=self.M, ef_construction=self.ef_construction,
                              random_seed=self.random_seed, max_elements=len(vectors))
        if self.order == "id":
            order = np.arange(len(vectors))
        else:  # stable, so equal norms (e.g. the cosine index's unit vectors) keep id order
            order = np.argsort(-norms if self.order == "norm-desc" else norms, kind="stable")
        graph.add_items(np.ascontiguousarray(vectors[order]), order, num_threads=n_threads)
        return graph

    def _query_vectors(self, q: np.ndarray) -> np.ndarray:
        if self.columns is not None:
            q = np.ascontiguousarray(q[:, self.columns])
        if self.space == "ip":
            return q
        return np.ascontiguousarray(np.column_stack([q, np.zeros(len(q), np.float32)]))

    def _search(self, q, k, drop, num_threads):
        m = q.shape[0]
        n_threads = resolve_threads(num_threads)
        if drop is None:
            indptr, indices = np.zeros(m + 1, np.int64), np.empty(0, np.int64)
        else:
            indptr, indices = drop
        ids = np.empty((m, k), dtype=np.int64)
        vals = np.empty((m, k), dtype=np.float32)
        if m == 1:  # a request: plain Python numbers on the hot path
            self._search_one(q, k, indptr, indices, ids, vals)
            return ids, vals
        if m < 64:  # a few requests: no thread-pool bookkeeping
            self._search_rows(q, np.arange(m), k, indptr, indices, ids, vals, n_threads)
            return ids, vals
        with thread_limits(n_threads, limit_blas=False):  # no BLAS here, only the rescoring kernel
            for start in range(0, m, _CHUNK):
                rows = np.arange(start, min(m, start + _CHUNK))
                self._search_rows(q, rows, k, indptr, indices, ids, vals, n_threads)
        return ids, vals

    def _search_one(self, q, k, indptr, indices, ids, vals) -> None:
        """:meth:`_search_rows` for one query (same fetch sizes, same answer)."""
        n = self.n_items
        n_drop = int(indptr[1] - indptr[0])
        wanted = min(k, n - n_drop)
        b = min(1 << max(0, (k + min(n_drop, k) - 1).bit_length()), n)
        row = np.zeros(1, np.int64)
        while True:
            cand = None if b > _EXACT_ABOVE or b >= n else self._candidates(q, b, 1)
            if cand is None:
                ids[:], vals[:] = brute_force(self.item_factors, q, k, Exclusions(indptr, indices), 1)
                return
            if rescore_topk_serial(q, self.item_factors, row, cand, indptr, indices, k, ids, vals)[0] >= wanted:
                return
            b = min(b * 4, n)

    def _search_rows(self, q, rows, k, indptr, indices, ids, vals, n_threads) -> None:
        n = self.n_items
        n_drop = indptr[rows + 1] - indptr[rows]
        wanted = np.minimum(k, n - n_drop)  # what each row can possibly get
        # first ask for k more than needed (2k in all): a history rarely covers that much of the
        # top; rows left short ask again for four times as many (refill, below)
        fetch = np.minimum(k + np.minimum(n_drop, k), n)
        pending = rows
        while pending.size:
            size = _bucket(fetch[pending - rows[0]], n)
            next_rows = []
            for b in np.unique(size):
                group = pending[size == b]
                if b > _EXACT_ABOVE or b >= n:  # most of the catalogue: scoring it all is cheaper
                    sub = Exclusions(indptr, indices).rows(group)
                    ids[group], vals[group] = brute_force(self.item_factors, q[group], k, sub, n_threads)
                    continue
                cand = self._candidates(q[group], int(b), n_threads)
                if cand is None:  # the graph could not return b items: search these exactly
                    sub = Exclusions(indptr, indices).rows(group)
                    ids[group], vals[group] = brute_force(self.item_factors, q[group], k, sub, n_threads)
                    continue
                out_ids = np.empty((len(group), k), np.int64)
                out_vals = np.empty((len(group), k), np.float32)
                kernel = rescore_topk if len(group) >= 64 else rescore_topk_serial
                got = kernel(q, self.item_factors, group, cand, indptr, indices, k, out_ids, out_vals)
                ids[group], vals[group] = out_ids, out_vals
                short = got < wanted[group - rows[0]]
                if short.any():
                    fetch[group[short] - rows[0]] = b * 4
                    next_rows.append(group[short])
            pending = np.concatenate(next_rows) if next_rows else np.empty(0, np.int64)

    def _candidates(self, q: np.ndarray, b: int, n_threads: int) -> np.ndarray | None:
        try:
            found, _ = self.graph.query(self._query_vectors(q), k=b, num_threads=n_threads, query_ef=max(self.ef, b))
        except RuntimeError:  # Voyager raises when it finds fewer than b items
            return None
        return np.asarray(found, dtype=np.int64).reshape(len(q), b)


def _bucket(fetch: np.ndarray, n: int) -> np.ndarray:
    """Fetch sizes rounded up to a power of two (few Voyager calls per batch), at most ``n``."""
    size = 1 << np.ceil(np.log2(np.maximum(fetch, 1))).astype(np.int64)
    return np.minimum(size, n)
