"""Top-N for every listener on Spark, hybrid or pure CF, written as Parquet.

The blended item vectors ``Y`` (:meth:`ModelBundle.item_matrix`) and the blend are broadcast once;
the listeners are staged as Parquet and spread over the cluster, and each task turns a block of
them into query vectors (:meth:`Blend.query_parts` and :meth:`Blend.query_matrix`, in the
executor: the driver never holds a query per listener) and searches ``Y`` exactly with the same
:class:`~tastemaker.retrieval.ExactIndex` the bundle uses, so the rows equal
:meth:`ModelBundle.recommend_batch`'s with exact search (``mapInArrow``: numpy and pyarrow in the
Python workers, no pandas).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np

from tastemaker.errors import InputError
from tastemaker.spark._stage import ItemSide, listener_blocks, stage_listeners

__all__ = ["batch_recommend", "OUTPUT_SCHEMA"]

#: the Parquet rows :func:`batch_recommend` writes
OUTPUT_SCHEMA = "user_id string, rank int, item_id string, score float"


def _bundle(bundle):
    from tastemaker.bundle import ModelBundle

    if isinstance(bundle, (str, Path)):
        bundle = ModelBundle.load(bundle, index=False)
    if not bundle.cf.has_factors:
        raise InputError(f"batch recommendations on Spark need a factor model (als or sgd), not a "
                         f"{type(bundle.cf).__name__}", setting="algorithm")
    return bundle


def batch_recommend(spark, bundle, output, n: int = 30, *, blend: str = "hybrid", user_rows=None,
                    filter_items=None, work_dir=None, num_partitions: int | None = None,
                    block_size: int = 512) -> int:
    """Write every listener's top-``n`` unplayed items as Parquet ``(user_id, rank, item_id, score)``.

    The same items, order and scores as ``bundle.recommend_batch(n, blend=blend, exact=True)``.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    bundle : ModelBundle or str or path-like
        A trained bundle (a factor model), or its model directory.
    output : str or path-like
        Output directory (Spark's Parquet layout, replaced), e.g. ``recs.parquet``.
    n : int
        Items per listener (fewer only for a listener who played almost everything).
    blend : {"hybrid", "cf"}
        The learned blend of every signal (default), or collaborative filtering alone.
    user_rows : array of int, optional
        Model rows of the listeners (default: every one).
    filter_items : array of int, optional
        Item columns left out for everyone.
    work_dir : str or path-like, optional
        Where the listeners are staged for the executors (shared storage on a cluster); default:
        a temporary directory, fine for ``local`` masters.
    num_partitions : int, optional
        Partitions of the listeners (default: the session's default parallelism).
    block_size : int
        Listeners scored per matrix product inside a task.

    Returns
    -------
    int
        Rows written.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n must be a positive integer, got {n!r}", setting="n")
    bundle = _bundle(bundle)
    side = ItemSide.of(bundle, blend)
    rows = np.arange(len(bundle.users)) if user_rows is None else np.asarray(user_rows, np.int64).ravel()
    drop = None if filter_items is None else np.asarray(filter_items, np.int64).ravel()
    top, size = int(n), int(block_size)
    with _Staged(spark, bundle, rows, work_dir, num_partitions) as (frame, sc):
        items = sc.broadcast(side)
        n_items = len(side.item_ids)

        def score(batches):
            from tastemaker.cf._threads import thread_limits

            got = items.value
            with thread_limits(1):  # the tasks are the parallelism
                ranker = _Ranker(got)
                for block in listener_blocks(batches, n_items, size):
                    yield ranker.rows(block, top, drop)

        with warnings.catch_warnings():  # "PySpark does not yet fully support pandas >= 3" (unused here)
            warnings.simplefilter("ignore", FutureWarning)
            frame.mapInArrow(score, OUTPUT_SCHEMA).write.mode("overwrite").parquet(str(output))
        items.unpersist()
    return int(spark.read.parquet(str(output)).count())


class _Staged:
    """Listeners staged as Parquet and read back as a DataFrame; the staging removed on exit."""

    def __init__(self, spark, bundle, rows, work_dir, num_partitions, given=None):
        self.spark, self.bundle, self.rows, self.given = spark, bundle, rows, given
        self.work_dir, self.num_partitions = work_dir, num_partitions

    def __enter__(self):
        self._tmp = None if self.work_dir is not None else tempfile.TemporaryDirectory(prefix="tastemaker-stage-")
        base = Path(self.work_dir if self.work_dir is not None else self._tmp.name)
        self.path = stage_listeners(self.bundle, self.rows, base / "listeners.parquet", given=self.given)
        sc = self.spark.sparkContext
        parts = int(self.num_partitions or sc.defaultParallelism)
        frame = self.spark.read.parquet(str(self.path)).repartition(parts)
        return frame, sc

    def __exit__(self, *exc):
        if self._tmp is not None:
            self._tmp.cleanup()
        else:
            self.path.unlink(missing_ok=True)


class _Ranker:
    """In an executor: a block of listeners -> their queries -> exact top-k over the items."""

    def __init__(self, side: ItemSide):
        from tastemaker.retrieval import ExactIndex

        self.side = side
        self.blend = side.blend()
        self.blocks = side.sources
        self.index = ExactIndex(side.vectors, "ip")

    def top(self, block, k: int, filter_items=None):
        """``(ids, scores)`` (b x k, -1/-inf padded) exactly as ``recommend_batch`` computes them."""
        parts = self.blend.query_parts(block.factors, block.history, self.blocks)
        Q, offset = self.blend.query_matrix(parts, "recommend")
        ids, vals = self.index.search(Q, k, exclude=block.exclusions(), filter_items=filter_items, num_threads=1)
        return ids, np.where(ids >= 0, vals - offset[:, None], -np.inf).astype(np.float32)

    def rows(self, block, k: int, filter_items=None):
        """The output rows (user_id, rank, item_id, score) of a block, as one Arrow batch."""
        import pyarrow as pa

        ids, vals = self.top(block, k, filter_items)
        keep = ids >= 0
        ranks = np.broadcast_to(np.arange(1, ids.shape[1] + 1, dtype=np.int32), ids.shape)
        return pa.RecordBatch.from_arrays(
            [pa.array(np.repeat(block.user_ids, keep.sum(axis=1)).tolist(), pa.string()), pa.array(ranks[keep]),
             pa.array(self.side.item_ids[ids[keep]].tolist(), pa.string()), pa.array(vals[keep], pa.float32())],
            names=["user_id", "rank", "item_id", "score"])
