"""Events as Parquet: the aggregated user x item values and the vocabularies, for Spark to read.

Layout of an export directory (plain Parquet, readable from shared storage by any Spark)::

    interactions.parquet   user int32 (row), item int32 (column), value float32
    users.parquet          row int32, user_id string
    items.parquet          row int32, item_id string, name string

``value`` is the store's aggregated count after the skip rule of ``tastemaker.data.interactions``
(negative: skipped, never played), exactly what the local engine trains on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Interactions, Store, Vocabulary, load_interactions
from tastemaker.errors import InputError

__all__ = ["EventTables", "export_events", "export_matrix", "read_events", "join", "to_arrow"]

INTERACTIONS, USERS, ITEMS = "interactions.parquet", "users.parquet", "items.parquet"


@dataclass
class EventTables:
    """An export read back on the driver: the matrix and its vocabularies."""

    user_items: sp.csr_matrix
    users: Vocabulary
    items: Vocabulary
    item_names: np.ndarray


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        from tastemaker.spark._session import INSTALL_HINT

        raise InputError(f"writing Parquet needs pyarrow; {INSTALL_HINT}") from None
    return pa, pq


def join(base, name: str) -> str:
    """``base/name`` for local paths and URLs alike (``pathlib`` would turn ``hdfs://`` into ``hdfs:/``)."""
    return f"{str(base).rstrip('/')}/{name}"


def to_arrow(frame):
    """A Spark DataFrame collected to the driver as one pyarrow Table."""
    if hasattr(frame, "toArrow"):  # pyspark >= 4
        return frame.toArrow()
    import pyarrow as pa

    return pa.Table.from_batches(frame._collect_as_arrow(), schema=None)


def _write(table, path: Path) -> None:
    _, pq = _pyarrow()
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)  # never half a file


def export_matrix(user_items: sp.spmatrix, path, users=None, items=None, item_names=None) -> Path:
    """Write a users x items matrix (and optional ids) in the export layout; returns ``path``."""
    pa, _ = _pyarrow()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    coo = sp.coo_matrix(user_items)
    _write(pa.table({"user": coo.row.astype(np.int32), "item": coo.col.astype(np.int32),
                     "value": coo.data.astype(np.float32)}), path / INTERACTIONS)
    n_users, n_items = coo.shape
    user_ids = np.asarray(users if users is not None else np.arange(n_users), dtype=str)
    item_ids = np.asarray(items if items is not None else np.arange(n_items), dtype=str)
    names = np.asarray(item_names if item_names is not None else item_ids, dtype=str)
    _write(pa.table({"row": np.arange(n_users, dtype=np.int32), "user_id": user_ids.tolist()}), path / USERS)
    _write(pa.table({"row": np.arange(n_items, dtype=np.int32), "item_id": item_ids.tolist(),
                     "name": names.tolist()}), path / ITEMS)
    return path


def export_events(store: Store, path, interactions: Interactions | None = None) -> Path:
    """Write the store's aggregated interactions and vocabularies as Parquet under ``path``.

    Parameters
    ----------
    store : Store
        The event store (read with :func:`~tastemaker.data.load_interactions`, skip rule applied).
    path : str or path-like
        A directory (created if missing), local or on storage every Spark worker can read.
    interactions : Interactions, optional
        Already loaded interactions of ``store``, to avoid loading them twice.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    data = interactions if interactions is not None else load_interactions(store)
    if data.user_items.nnz == 0:
        raise InputError("the store holds no play, save, playlist_add or skip events to export",
                         path=store.location, hint="ingest some first, e.g. `tastemaker ingest hetrec`")
    return export_matrix(data.user_items, path, data.users.ids, data.items.ids, data.item_names)


def read_events(path, spark=None) -> EventTables:
    """Read an export back into a CSR matrix and vocabularies on the driver.

    With ``spark``, the tables are read through Spark, so ``path`` may be any URL the cluster
    reads (``hdfs://``, ``s3a://``); without, a local (or mounted) directory.
    """
    _, pq = _pyarrow()
    if spark is not None:
        def read(name):
            return to_arrow(spark.read.parquet(join(path, name)))
    else:
        for name in (INTERACTIONS, USERS, ITEMS):
            if not (Path(path) / name).exists():
                raise InputError(f"no {name} in {path}: not an events export",
                                 hint="write one with `tastemaker.spark.export_events`")

        def read(name):
            return pq.read_table(Path(path) / name)
    users = read(USERS).sort_by("row")
    items = read(ITEMS).sort_by("row")
    inter = read(INTERACTIONS)
    shape = (users.num_rows, items.num_rows)
    m = sp.csr_matrix((inter["value"].to_numpy().astype(np.float32),
                       (inter["user"].to_numpy(), inter["item"].to_numpy())), shape=shape)
    m.sum_duplicates()
    return EventTables(m, Vocabulary(users["user_id"].to_pylist(), name="user"),
                       Vocabulary(items["item_id"].to_pylist(), name="item"),
                       np.asarray(items["name"].to_pylist(), dtype=str))
