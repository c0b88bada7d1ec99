"""Scale-out on Apache Spark: train implicit ALS with MLlib and recommend for every user in batch.

Needs the ``spark`` extra (``pip install 'tastemaker[spark]'``) and Java 17+. Nothing here is
imported by ``import tastemaker``; pyspark itself is imported only when a session starts.

>>> from tastemaker.spark import SparkALS, spark_session, train_spark
>>> spark = spark_session("local[2]")                                  # doctest: +SKIP
>>> rec = train_spark(store, SparkALS(factors=64), spark)              # doctest: +SKIP
>>> rec.save("models/als.npz")                                         # doctest: +SKIP
"""

from tastemaker.spark._als import SparkALS, local_als, spark_params, spark_reg_param
from tastemaker.spark._batch import batch_recommend
from tastemaker.spark._export import EventTables, export_events, export_matrix, read_events
from tastemaker.spark._session import SparkUnavailableError, default_master, require_spark, spark_session
from tastemaker.spark._train import train_spark

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
    "train_spark",
    "batch_recommend",
]
