"""Implicit ALS on Spark MLlib, returning tastemaker's own :class:`~tastemaker.cf.ImplicitALS`.

How the two objectives line up
------------------------------
Confidence. MLlib's implicit ALS (``ALS.scala``, ``computeFactors``) reads a rating ``b`` as
``c1 = alpha * |b|``, confidence ``1 + c1`` and preference ``1`` if ``b > 0`` else ``0``: negative
ratings are negative evidence, exactly tastemaker's skip convention. So tastemaker's confidence
``1 + alpha * log(1 + |r| / epsilon)`` is obtained by handing Spark the rating
``sign(r) * log1p(|r| / epsilon)`` with the same ``alpha``.

Regularisation. MLlib uses ALS-WR: ``lambda_u = regParam * n_u`` with ``n_u`` the user's number
of positive ratings (likewise for items), one ``regParam`` for both sides. tastemaker scales per
side: ``lambda_u = regularization * ((n_u + 1) / (mean_u + 1)) ** reg_exponent``. Spark can only do
``reg_exponent = 1``; then the two sides differ by the constants ``a = regularization / (mean_u + 1)``
and ``b = regularization / (mean_i + 1)``. Rescaling ``X -> X t``, ``Y -> Y / t`` leaves every
score unchanged and turns weights ``(a, b)`` into ``(a t^2, b / t^2)``; with ``t^2 = sqrt(b / a)``
both become ``sqrt(a b)``. So tastemaker's objective (reg_exponent 1) has the same minimisers, up
to that rescaling, as Spark's with ``regParam = regularization / sqrt((mean_u + 1)(mean_i + 1))``,
and :class:`SparkALS` rescales the factors back so folding in and explanations see tastemaker's
scale. What remains different: Spark counts ``n`` without the ``+ 1`` and without skips, and
starts from other random factors.
"""

from __future__ import annotations

import math
import tempfile
import time

import numpy as np
import scipy.sparse as sp

from tastemaker.cf import ImplicitALS
from tastemaker.cf._base import check_user_items
from tastemaker.errors import InputError

__all__ = ["SparkALS", "spark_reg_param", "spark_params", "local_als", "SPARK_PARAMS"]

#: the model settings Spark trains with (tastemaker's names), and the Spark-only ones
SPARK_PARAMS = ("factors", "regularization", "alpha", "epsilon", "iterations")
SPARK_ONLY = ("num_blocks", "checkpoint_dir", "checkpoint_interval")


def spark_params(params) -> dict:
    """The settings of ``params`` (None values dropped) that :class:`SparkALS` takes.

    Raises
    ------
    InputError
        For a setting MLlib cannot honour (``setting`` names it): local threads, another
        confidence, solver or regularisation exponent (Spark has log confidence through the rating
        it is given, exact solves and ALS-WR, which is ``reg_exponent=1``).
    """
    given = {k: v for k, v in dict(params or {}).items() if v is not None}
    for key in given:
        if key in SPARK_PARAMS or key in SPARK_ONLY:
            continue
        if key == "num_threads":
            raise InputError("threads are for the local engine; Spark's parallelism comes from its master",
                             setting=key)
        if (key, given[key]) in (("confidence", "log"), ("reg_exponent", 1)):  # what Spark does anyway
            continue
        raise InputError(f"the spark engine cannot train with {key}={given[key]!r}: MLlib's implicit ALS has log "
                         "confidence, exact solves and per-side regularisation with exponent 1", setting=key)
    return {k: v for k, v in given.items() if k in SPARK_PARAMS or k in SPARK_ONLY}


def local_als(params=None, *, random_state=0) -> ImplicitALS:
    """The local :class:`~tastemaker.cf.ImplicitALS` with the objective :class:`SparkALS` trains
    (same settings, log confidence, ``reg_exponent=1``): what the training pipeline retrains on its
    validation split when the engine is Spark (a second Spark job would only repeat the first's
    overhead for the same minimisers, see the module docstring)."""
    given = {k: v for k, v in spark_params(params).items() if k in SPARK_PARAMS}
    return ImplicitALS(**given, confidence="log", reg_exponent=1.0, random_state=random_state)


def spark_reg_param(regularization: float, mean_user_nnz: float, mean_item_nnz: float) -> float:
    """MLlib's ``regParam`` equivalent to tastemaker's ``regularization`` with ``reg_exponent=1``."""
    return float(regularization / math.sqrt((mean_user_nnz + 1.0) * (mean_item_nnz + 1.0)))


class SparkALS:
    """Train tastemaker's implicit ALS with Spark MLlib (``pyspark.ml.recommendation.ALS``).

    A trainer rather than a recommender: :meth:`fit` returns a fitted
    :class:`~tastemaker.cf.ImplicitALS` (with ``reg_exponent=1``, the regularisation Spark
    trained with) whose factors follow tastemaker's row order, so a
    :class:`~tastemaker.bundle.ModelBundle` holds it like a locally trained one (the training
    pipeline's spark engine, :func:`~tastemaker.spark.fit_spark`). See the module docstring for
    how the parameters map onto MLlib's.

    Parameters
    ----------
    factors : int
        Dimension of the latent factors (MLlib ``rank``).
    regularization : float
        tastemaker's ``lambda`` (mapped to MLlib's ``regParam``, see :func:`spark_reg_param`).
    alpha, epsilon : float
        Confidence ``1 + alpha * log(1 + |r| / epsilon)``.
    iterations : int
        ALS sweeps (MLlib ``maxIter``).
    num_blocks : int or None
        User and item blocks (MLlib ``numUserBlocks``/``numItemBlocks``); None: the session's
        default parallelism.
    checkpoint_dir : str or None
        Where to checkpoint every ``checkpoint_interval`` sweeps (cuts long lineages on
        clusters); None: no checkpoints.
    checkpoint_interval : int
        Sweeps between checkpoints when ``checkpoint_dir`` is set.
    random_state : int
        Seed of MLlib's initial factors.

    Examples
    --------
    >>> from tastemaker.spark import SparkALS, spark_session
    >>> spark = spark_session("local[2]")                                  # doctest: +SKIP
    >>> model = SparkALS(factors=64, iterations=10).fit(plays, spark)      # doctest: +SKIP
    >>> model.recommend(0, plays[0], N=5)                                  # doctest: +SKIP
    """

    def __init__(self, factors: int = 128, regularization: float = 10.0, alpha: float = 1.0,
                 epsilon: float = 10.0, iterations: int = 15, num_blocks: int | None = None,
                 checkpoint_dir: str | None = None, checkpoint_interval: int = 10, random_state: int = 0):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.epsilon = epsilon
        self.iterations = iterations
        self.num_blocks = num_blocks
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_interval = checkpoint_interval
        self.random_state = random_state

    def _validate(self) -> None:
        if not isinstance(self.factors, (int, np.integer)) or self.factors < 1:
            raise ValueError(f"factors must be a positive integer, got {self.factors!r}")
        if self.regularization < 0 or self.alpha < 0:
            raise ValueError("regularization and alpha must be >= 0")
        if self.epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {self.epsilon}")
        if not isinstance(self.iterations, (int, np.integer)) or self.iterations < 1:
            raise ValueError(f"iterations must be a positive integer, got {self.iterations!r}")
        if not isinstance(self.random_state, (int, np.integer)):
            raise ValueError("random_state must be an int (Spark takes a seed)")

    def fit(self, data, spark, shape: tuple[int, int] | None = None) -> ImplicitALS:
        """Train on Spark and return the fitted :class:`~tastemaker.cf.ImplicitALS`.

        Parameters
        ----------
        data : csr_matrix or str or path-like
            Raw counts (users x items, negative = skips), or the directory of an events export
            (:func:`~tastemaker.spark.export_events`) on storage the cluster can read.
        spark : pyspark.sql.SparkSession
            The session to train in (:func:`~tastemaker.spark.spark_session`).
        shape : (n_users, n_items), optional
            Matrix shape when ``data`` is an export (default: its vocabularies' sizes).

        Returns
        -------
        ImplicitALS
            Fitted (``self.fit_seconds_``: the time spent in MLlib's ``fit`` and collecting the
            factors).
        """
        self._validate()
        if sp.issparse(data):
            counts = check_user_items(data)
            counts.eliminate_zeros()
            with tempfile.TemporaryDirectory(prefix="tastemaker-spark-") as tmp:
                from tastemaker.spark._export import export_matrix

                export_matrix(counts, tmp)
                # the temporary export is read lazily: everything Spark needs happens inside
                return self._fit_export(spark, tmp, counts.shape)
        return self._fit_export(spark, str(data), shape)

    def _fit_export(self, spark, path: str, shape) -> ImplicitALS:
        from pyspark.ml.recommendation import ALS
        from pyspark.sql import functions as F

        from tastemaker.spark._export import INTERACTIONS, ITEMS, USERS, join

        if shape is None:
            shape = (spark.read.parquet(join(path, USERS)).count(), spark.read.parquet(join(path, ITEMS)).count())
        n_users, n_items = int(shape[0]), int(shape[1])
        events = spark.read.parquet(join(path, INTERACTIONS)).where(F.col("value") != 0)
        ratings = events.select(
            F.col("user").cast("int"), F.col("item").cast("int"),
            (F.signum("value") * F.log1p(F.abs("value") / float(self.epsilon))).cast("float").alias("rating"))
        ratings = ratings.cache()
        nnz = ratings.count()
        mean_u, mean_i = nnz / max(1, n_users), nnz / max(1, n_items)
        blocks = int(self.num_blocks or spark.sparkContext.defaultParallelism)
        if self.checkpoint_dir:
            spark.sparkContext.setCheckpointDir(self.checkpoint_dir)
        als = ALS(rank=int(self.factors), maxIter=int(self.iterations), alpha=float(self.alpha),
                  regParam=spark_reg_param(self.regularization, mean_u, mean_i), implicitPrefs=True,
                  nonnegative=False, seed=int(self.random_state), userCol="user", itemCol="item",
                  ratingCol="rating", numUserBlocks=blocks, numItemBlocks=blocks,
                  checkpointInterval=int(self.checkpoint_interval) if self.checkpoint_dir else -1)
        started = time.perf_counter()
        fitted = als.fit(ratings)
        X = _collect_factors(fitted.userFactors, n_users, self.factors)
        Y = _collect_factors(fitted.itemFactors, n_items, self.factors)
        self.fit_seconds_ = time.perf_counter() - started
        ratings.unpersist()
        # back to tastemaker's per-side weights (module docstring): X t and Y / t, t^2 = sqrt(b / a)
        t = ((mean_u + 1.0) / (mean_i + 1.0)) ** 0.25
        params = {"factors": int(self.factors), "regularization": float(self.regularization),
                  "alpha": float(self.alpha), "epsilon": float(self.epsilon), "confidence": "log",
                  "iterations": int(self.iterations), "reg_exponent": 1.0, "random_state": int(self.random_state)}
        # built the way a saved model is read back, so nothing outside ImplicitALS writes its state
        return ImplicitALS._from_state(
            {"class": "ImplicitALS", "params": params,
             "scalars": {"n_users_": n_users, "n_items_": n_items, "_mean_user_nnz_": float(mean_u),
                         "_mean_item_nnz_": float(mean_i)}},
            {"user_factors_": X * np.float32(t), "item_factors_": Y / np.float32(t)})


def _collect_factors(frame, n_rows: int, rank: int) -> np.ndarray:
    """MLlib's (id, features) rows as a dense matrix in row order; rows Spark never saw are 0."""
    from tastemaker.spark._export import to_arrow

    table = to_arrow(frame)
    out = np.zeros((n_rows, rank), dtype=np.float32)
    ids = table.column("id").to_numpy()
    flat = table.column("features").combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    if len(ids):
        out[ids] = flat.reshape(len(ids), rank)
    return out
