"""Top-N for every user on Spark, already-played items filtered, written as Parquet.

Users are spread over the cluster (their factors and played items read from Parquet); the item
factors are broadcast once, and each task scores its users in blocks with one matrix product
(``mapInArrow``: numpy and pyarrow in the Python workers, no pandas).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["batch_recommend"]

OUTPUT_SCHEMA = "user_id string, rank int, item_id string, score float"


def _inputs(model, history, users, items):
    from tastemaker.recommender import Recommender

    if isinstance(model, (str, Path)):
        model = Recommender.load(model)
    if isinstance(model, Recommender):
        X, Y = model.model.user_factors_, model.model.item_factors_
        return X, Y, model.history, model.users.ids, model.items.ids
    X, Y = model
    if history is None:
        raise ValueError("factors need the history to filter (a users x items matrix)")
    n_users, n_items = len(X), len(Y)
    users = np.arange(n_users) if users is None else users
    items = np.arange(n_items) if items is None else items
    return X, Y, sp.csr_matrix(history), np.asarray(users, dtype=str), np.asarray(items, dtype=str)


def batch_recommend(spark, model, out_path, n: int = 30, *, history=None, users=None, items=None,
                    work_dir=None, num_partitions: int | None = None, block_size: int = 512) -> int:
    """Write the top-``n`` unplayed items of every user as Parquet ``(user_id, rank, item_id, score)``.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        The session to run in.
    model : Recommender, str, path-like or (user_factors, item_factors)
        A trained recommender, the path of a model file, or bare factors (then give ``history``
        and optionally ``users``/``items`` ids; rows are used as ids otherwise).
    out_path : str or path-like
        Output directory (Spark's Parquet layout, overwritten), e.g. ``recs.parquet``.
    n : int
        Recommendations per user (fewer only for users who played almost everything).
    history : csr_matrix, optional
        Users x items matrix of played items to filter (taken from the model file otherwise).
    users, items : array of str, optional
        External ids of the rows and columns of bare factors.
    work_dir : str or path-like, optional
        Where the users' factors are staged as Parquet for the executors (shared storage on a
        cluster); default: a temporary directory, fine for ``local`` masters.
    num_partitions : int, optional
        Partitions of the users (default: the session's default parallelism).
    block_size : int
        Users scored per matrix product inside a task.

    Returns
    -------
    int
        Number of rows written.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    import pyarrow as pa
    import pyarrow.parquet as pq

    X, Y, hist, user_ids, item_ids = _inputs(model, history, users, items)
    hist = sp.csr_matrix(hist)
    if hist.shape != (len(X), len(Y)):
        raise ValueError(f"history is {hist.shape}, the factors are {len(X)} users x {len(Y)} items")
    f = X.shape[1]
    tmp = None if work_dir is not None else tempfile.TemporaryDirectory(prefix="tastemaker-batch-")
    stage = Path(work_dir if work_dir is not None else tmp.name) / "users.parquet"
    try:
        stage.parent.mkdir(parents=True, exist_ok=True)
        played = pa.ListArray.from_arrays(pa.array(hist.indptr.astype(np.int32)), pa.array(hist.indices.astype(np.int32)))
        feats = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(X, np.float32).ravel()), f)
        pq.write_table(pa.table({"user_id": pa.array(user_ids.tolist(), pa.string()), "played": played,
                                 "factors": feats.cast(pa.list_(pa.float32()))}), stage)
        sc = spark.sparkContext
        item_factors = sc.broadcast(np.ascontiguousarray(Y, np.float32))
        item_names = sc.broadcast(np.asarray(item_ids, dtype=str))
        top, size = int(n), int(block_size)

        def score(batches):
            Yb, ids = item_factors.value, item_names.value
            for batch in batches:
                for start in range(0, batch.num_rows, size):
                    yield _score_block(batch.slice(start, size), Yb, ids, top, pa)

        parts = int(num_partitions or sc.defaultParallelism)
        with warnings.catch_warnings():  # "PySpark does not yet fully support pandas >= 3" (unused here)
            warnings.simplefilter("ignore", FutureWarning)
            frame = spark.read.parquet(str(stage)).repartition(parts).mapInArrow(score, OUTPUT_SCHEMA)
        frame.write.mode("overwrite").parquet(str(out_path))
        item_factors.unpersist()
        item_names.unpersist()
    finally:
        if tmp is not None:
            tmp.cleanup()
    return int(spark.read.parquet(str(out_path)).count())


def _score_block(block, Y: np.ndarray, item_ids: np.ndarray, n: int, pa):
    """Top-n rows (user_id, rank, item_id, score) for one block of users."""
    b = block.num_rows
    feats = block.column("factors").flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    scores = feats.reshape(b, Y.shape[1]) @ Y.T if b else np.zeros((0, len(Y)), np.float32)
    played = block.column("played")
    offsets = played.offsets.to_numpy() - played.offsets[0].as_py()
    rows = np.repeat(np.arange(b), np.diff(offsets))
    scores[rows, played.flatten().to_numpy()] = -np.inf
    k = min(n, scores.shape[1])
    cand = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else np.tile(np.arange(k), (b, 1))
    cand_scores = np.take_along_axis(scores, cand, axis=1)
    order = np.argsort(-cand_scores, axis=1, kind="stable")
    cand, cand_scores = np.take_along_axis(cand, order, axis=1), np.take_along_axis(cand_scores, order, axis=1)
    keep = np.isfinite(cand_scores)
    user_ids = np.asarray(block.column("user_id").to_pylist(), dtype=object)
    ranks = np.broadcast_to(np.arange(1, k + 1, dtype=np.int32), cand.shape)
    return pa.RecordBatch.from_arrays(
        [pa.array(np.repeat(user_ids, keep.sum(axis=1)).tolist(), pa.string()), pa.array(ranks[keep]),
         pa.array(item_ids[cand[keep]].tolist(), pa.string()), pa.array(cand_scores[keep].astype(np.float32))],
        names=["user_id", "rank", "item_id", "score"])
