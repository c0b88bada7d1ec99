"""The training pipeline's train step on Spark: MLlib implicit ALS from a store's interactions or an
events export, returned as tastemaker's own model and matrix."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tastemaker.errors import InputError
from tastemaker.spark._als import SparkALS, spark_params
from tastemaker.spark._export import export_matrix, read_events

__all__ = ["fit_spark"]


def fit_spark(source, params=None, master: str | None = None, *, spark=None, random_state: int = 0,
              events_path=None):
    """Train implicit ALS on Spark; what :class:`~tastemaker.pipeline.TrainingPipeline`'s train
    step runs with ``TrainSettings(engine="spark")``.

    Parameters
    ----------
    source : Interactions or str or path-like
        The store's interactions (already read; exported to Parquet for Spark), or the directory
        of an events export (:func:`~tastemaker.spark.export_events`) on storage every executor
        reads (``hdfs://``, ``s3a://`` or a mounted path).
    params : dict, optional
        Model settings (:func:`~tastemaker.spark.spark_params`: ``factors``, ``regularization``,
        ``alpha``, ``epsilon``, ``iterations``, and Spark's ``num_blocks``, ``checkpoint_dir``,
        ``checkpoint_interval``); the rest at :class:`~tastemaker.spark.SparkALS`'s defaults.
    master : str, optional
        Spark master URL; None: ``local[2]``, or the one ``spark-submit`` set. Ignored when
        ``spark`` is given.
    spark : pyspark.sql.SparkSession, optional
        A running session (default: :func:`~tastemaker.spark.spark_session` of ``master``; it is
        left running for the job's next steps, such as :func:`~tastemaker.spark.batch_recommend`).
    random_state : int
        Seed of MLlib's initial factors.
    events_path : str or path-like, optional
        Where interactions are exported for Spark (must be readable by every executor on a
        cluster); default: a temporary directory, fine for ``local`` masters.

    Returns
    -------
    model : ImplicitALS
        Fitted, with ``reg_exponent=1`` (the objective Spark trains, see :mod:`tastemaker.spark._als`).
    data : Interactions or EventTables
        What it was trained on: ``user_items``, ``users``, ``items``, ``item_names`` (``source``
        itself for interactions; an export is read back on the driver).

    Raises
    ------
    InputError
        For settings Spark cannot honour (``setting`` names them), a missing or empty export
        (``setting="events"``).

    Examples
    --------
    >>> model, data = fit_spark(interactions, {"factors": 64}, "local[4]")     # doctest: +SKIP
    """
    from tastemaker.spark._session import default_master, spark_session

    trainer = SparkALS(**spark_params(params), random_state=random_state)
    trainer._validate()
    if spark is None:
        spark = spark_session(master if master is not None else default_master())
    if hasattr(source, "user_items"):
        data = source
        if events_path is None and not spark.sparkContext.master.startswith("local"):
            raise InputError(f"on a cluster ({spark.sparkContext.master}) the executors cannot read the driver's "
                             "temporary files: export the events to shared storage and train on the export",
                             setting="events", hint="tastemaker.spark.export_events writes one")
        tmp = None if events_path is not None else tempfile.TemporaryDirectory(prefix="tastemaker-events-")
        path = Path(events_path if events_path is not None else tmp.name)
        try:
            export_matrix(data.user_items, path, data.users.ids, data.items.ids, data.item_names)
            model = trainer.fit(path, spark, shape=data.user_items.shape)
        finally:
            if tmp is not None:
                tmp.cleanup()
        return model, data
    path = str(source)
    if "://" not in path and not Path(path).is_dir():
        raise InputError("no events export here", path=path, setting="events",
                         hint="write one with tastemaker.spark.export_events")
    data = read_events(path, spark)
    if data.user_items.nnz == 0:
        raise InputError("the events export holds no interactions to train on", path=path, setting="events")
    return trainer.fit(path, spark, shape=data.user_items.shape), data
