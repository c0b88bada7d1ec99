"""What the executors score with: listeners staged as Parquet, and the bundle's item side.

The listeners (their model rows, ids, user factors, histories and any items to leave out) are
written once by the driver and read back by Spark in partitions; the item side (the blended item
vectors ``Y``, the blend's weights and statistics, the item ids) is broadcast once. Inside a task
a block of listeners becomes the same ``(U, H)`` that :meth:`ModelBundle.recommend_batch` feeds
:meth:`Blend.query_parts`, so their query vectors, and hence their rankings, are computed by the
same code in the executors as on one machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["ItemSide", "Listeners", "stage_listeners", "listener_blocks"]

#: listeners per Parquet row group of the staged file (Spark splits its input on row groups)
_ROW_GROUP = 8192


@dataclass
class ItemSide:
    """The bundle's item side for one ranking mode, small enough to broadcast (no pickled model).

    ``vectors`` is :meth:`ModelBundle.item_matrix` ("recommend"); ``sources`` the item rows the
    blend's queries are made from (:meth:`ModelBundle.blocks`: a listener's taste regression
    needs the cultural rows of every item, which the concatenated vectors hold only standardised,
    masked to their side, or not at all for a block at weight 0); the blend travels as its
    :meth:`Blend.to_state` and is rebuilt in the executor.
    """

    vectors: np.ndarray
    item_ids: np.ndarray
    blend_meta: dict
    blend_arrays: dict
    sources: dict

    @classmethod
    def of(cls, bundle, mode: str) -> ItemSide:
        blend = bundle._blend(mode)
        meta, arrays = blend.to_state()
        sources = {name: np.ascontiguousarray(rows, np.float32) for name, rows in bundle.blocks().items()}
        return cls(np.ascontiguousarray(bundle.item_matrix("recommend"), np.float32),
                   np.asarray(bundle.items.ids, dtype=str), meta, arrays, sources)

    def blend(self):
        from tastemaker.hybrid import Blend

        return Blend.from_state(self.blend_meta, self.blend_arrays)


@dataclass
class Listeners:
    """One block of staged listeners, as the driver's arrays would hold them."""

    rows: np.ndarray  # model rows, int64
    user_ids: np.ndarray  # object array of str
    factors: np.ndarray  # (b x f) float32
    history: sp.csr_matrix  # (b x n_items) float32: every stored entry, as in the bundle
    given: sp.csr_matrix | None  # (b x n_items): more items to leave out (earlier weeks)

    def __len__(self) -> int:
        return len(self.rows)

    def exclusions(self) -> sp.csr_matrix:
        """History and ``given`` together, the way :meth:`ModelBundle.recommend_batch` leaves them out."""
        if self.given is None or not self.given.nnz:
            return self.history
        return (abs(self.history) + abs(sp.csr_matrix(self.given, dtype=self.history.dtype))).tocsr()

    def take(self, idx) -> Listeners:
        """Some of these listeners, in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        return Listeners(self.rows[idx], self.user_ids[idx], self.factors[idx], self.history[idx],
                         None if self.given is None else self.given[idx])


def stage_listeners(bundle, rows: np.ndarray, path, *, given: sp.csr_matrix | None = None) -> Path:
    """Write listeners ``rows`` of ``bundle`` as Parquet at ``path`` for the executors to read.

    ``given`` (one row per listener of ``rows``) holds more items to leave out per listener.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = np.asarray(rows, dtype=np.int64)
    H = sp.csr_matrix(bundle.history[rows], dtype=np.float32)
    X = np.ascontiguousarray(bundle.cf.user_factors_[rows], dtype=np.float32)
    columns = {
        "row": pa.array(rows),
        "user_id": pa.array(np.asarray(bundle.users.ids)[rows].astype(str).tolist(), pa.string()),
        "factors": pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), X.shape[1]).cast(pa.list_(pa.float32())),
        "played": _lists(H.indptr, H.indices.astype(np.int32)),
        "plays": _lists(H.indptr, H.data.astype(np.float32)),
    }
    if given is not None:
        G = sp.csr_matrix(given)
        if G.shape != (len(rows), H.shape[1]):
            raise ValueError(f"given must be {len(rows)} x {H.shape[1]} (one row per listener), got {G.shape}")
        G.sort_indices()
        columns["given"] = _lists(G.indptr, G.indices.astype(np.int32))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path, row_group_size=_ROW_GROUP)
    return path


def _lists(indptr, values):
    import pyarrow as pa

    return pa.ListArray.from_arrays(pa.array(np.asarray(indptr, np.int32)), pa.array(values))


def listener_blocks(batches, n_items: int, block_size: int):
    """Staged Arrow record batches -> :class:`Listeners` blocks of at most ``block_size``."""
    for batch in batches:
        for start in range(0, batch.num_rows, block_size):
            yield _block(batch.slice(start, block_size), n_items)


def _block(batch, n_items: int) -> Listeners:
    b = batch.num_rows
    factors = batch.column("factors")
    f = int(len(factors.flatten()) // b) if b else 0
    U = factors.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(b, f)
    H = _csr(batch.column("played"), batch.column("plays"), n_items)
    names = batch.schema.names
    G = _csr(batch.column("given"), None, n_items) if "given" in names else None
    return Listeners(batch.column("row").to_numpy().astype(np.int64),
                     np.asarray(batch.column("user_id").to_pylist(), dtype=object), U, H, G)


def _csr(indices, values, n_items: int) -> sp.csr_matrix:
    offsets = indices.offsets.to_numpy().astype(np.int64)
    offsets -= offsets[0]
    cols = indices.flatten().to_numpy(zero_copy_only=False).astype(np.int32)
    data = (np.ones(len(cols), np.float32) if values is None
            else values.flatten().to_numpy(zero_copy_only=False).astype(np.float32))
    return sp.csr_matrix((data, cols, offsets), shape=(len(offsets) - 1, n_items))
