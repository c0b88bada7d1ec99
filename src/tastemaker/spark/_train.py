"""Train on Spark and wrap the result as a :class:`~tastemaker.recommender.Recommender`."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


from tastemaker.data import Store, load_interactions
from tastemaker.errors import InputError
from tastemaker.recommender import Recommender, training_metadata
from tastemaker.spark._als import SparkALS
from tastemaker.spark._export import export_events, read_events

__all__ = ["train_spark"]


def train_spark(source, model: SparkALS, spark, *, events_path=None) -> Recommender:
    """Train ``model`` on Spark from a store or an events export; returns a savable Recommender.

    Parameters
    ----------
    source : Store or str or path-like
        The event store (exported to Parquet first) or the directory of an export already on
        shared storage (:func:`~tastemaker.spark.export_events`).
    model : SparkALS
        The trainer and its hyper-parameters.
    spark : pyspark.sql.SparkSession
        The session to train in.
    events_path : str or path-like, optional
        Where to export a store's events (must be readable by every executor on a cluster);
        default: a temporary directory, fine for ``local`` masters.

    Returns
    -------
    Recommender
        The same kind of object ``tastemaker.recommender.train`` returns: ``.save`` writes the
        normal model file.
    """
    started = time.time()
    if isinstance(source, Store):
        data = load_interactions(source)
        if data.user_items.nnz == 0:
            raise InputError("the store holds no play, save, playlist_add or skip events to train on",
                             path=source.location, hint="ingest some first, e.g. `tastemaker ingest hetrec`")
        tmp = None if events_path is not None else tempfile.TemporaryDirectory(prefix="tastemaker-events-")
        path = Path(events_path if events_path is not None else tmp.name)
        try:
            export_events(source, path, interactions=data)
            fitted = model.fit(path, spark, shape=data.shape)
        finally:
            if tmp is not None:
                tmp.cleanup()
        history, users, items, names, origin = data.user_items, data.users, data.items, data.item_names, source.location
    else:
        tables = read_events(source, spark)
        fitted = model.fit(source, spark, shape=tables.user_items.shape)
        history, users, items, names, origin = (tables.user_items, tables.users, tables.items,
                                                tables.item_names, str(source))
    metadata = training_metadata(fitted, history, started, origin, engine="spark",
                                 spark_master=spark.sparkContext.master)
    return Recommender(fitted, users, items, names, history, metadata)
