"""Scale-out on Apache Spark: train implicit ALS with MLlib and recommend for every user in batch.

Needs the ``spark`` extra (``pip install 'tastemaker[spark]'``) and Java 17+. Nothing here is
imported by ``import tastemaker``; pyspark itself is imported only when a session starts.

The weekly job's heavy steps, each writing what the local engine writes:

* :func:`fit_spark`: the training pipeline's train step (``TrainSettings(engine="spark")``);
* :func:`batch_recommend`: every listener's top-N from a :class:`~tastemaker.bundle.ModelBundle`
  (hybrid or pure CF), as Parquet;
* :func:`discover_weekly`: every listener's Discover Weekly, candidates and the compiled
  re-ranking in the executors, stored like the local one.

>>> from tastemaker.pipeline import TrainingPipeline, TrainSettings
>>> from tastemaker.spark import batch_recommend, spark_session
>>> bundle = TrainingPipeline(TrainSettings(engine="spark")).run("lastfm.duckdb", "models").bundle  # doctest: +SKIP
>>> batch_recommend(spark_session(), bundle, "recs.parquet", n=30)                              # doctest: +SKIP
"""

from tastemaker.spark._als import SparkALS, local_als, spark_params, spark_reg_param
from tastemaker.spark._batch import batch_recommend
from tastemaker.spark._export import EventTables, export_events, export_matrix, read_events
from tastemaker.spark._session import SparkUnavailableError, default_master, require_spark, spark_session
from tastemaker.spark._fit import fit_spark
from tastemaker.spark._weekly import discover_weekly

__all__ = [
    "spark_session",
    "require_spark",
    "default_master",
    "SparkUnavailableError",
    "export_events",
    "export_matrix",
    "read_events",
    "EventTables",
    "SparkALS",
    "spark_reg_param",
    "spark_params",
    "local_als",
    "fit_spark",
    "batch_recommend",
    "discover_weekly",
]
