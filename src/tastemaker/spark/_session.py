"""A SparkSession with sensible local settings, and clear errors when Spark cannot start."""

from __future__ import annotations

import os
import shutil
import sys

from tastemaker.errors import TastemakerError

__all__ = ["SparkUnavailableError", "default_master", "require_spark", "spark_session"]

INSTALL_HINT = "install the spark extra: pip install 'tastemaker[spark]'"

#: settings for one machine; every one can be overridden through ``spark_session(**conf)``
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "4g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.adaptive.enabled": "true",
}


class SparkUnavailableError(TastemakerError):
    """pyspark or Java is missing (the CLI prints it as one line)."""


def require_spark() -> None:
    """Raise :class:`SparkUnavailableError` unless pyspark imports and a Java runtime is found."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailableError(f"pyspark is not installed; {INSTALL_HINT}") from None
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))) and not shutil.which("java"):
        raise SparkUnavailableError("Spark needs a Java runtime (17 or later) and none was found; "
                                    "install one and put `java` on PATH or set JAVA_HOME")


def default_master() -> str | None:
    """None under ``spark-submit`` (keep its ``--master``), else ``local[2]``."""
    return None if "PYSPARK_GATEWAY_PORT" in os.environ else "local[2]"


def spark_session(master: str | None = "local[2]", app_name: str = "tastemaker", **conf):
    """Get (or create) a SparkSession.

    Parameters
    ----------
    master : str or None
        Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://...``). None keeps
        whatever ``spark-submit`` set. The local settings of ``LOCAL_CONF`` (small shuffle
        partitions, no UI, bound to 127.0.0.1) apply only to ``local`` masters.
    app_name : str
        Application name shown by the cluster manager.
    **conf
        Extra Spark settings; dots in keys may be written as underscores
        (``spark_driver_memory="8g"``).

    Returns
    -------
    pyspark.sql.SparkSession

    Examples
    --------
    >>> spark = spark_session("local[2]", spark_sql_shuffle_partitions="2")   # doctest: +SKIP
    """
    require_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    settings: dict[str, str] = {}
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            settings.update(LOCAL_CONF)
            # Python workers (batch scoring) must run this interpreter, with numpy and pyarrow
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings.update({(k.replace("_", ".") if "." not in k else k): str(v) for k, v in conf.items()})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: a Java problem, said in one line
        if type(exc).__name__ in {"PySparkRuntimeError", "RuntimeError", "Exception"}:
            raise SparkUnavailableError(f"Spark could not start: {str(exc).splitlines()[0]}") from exc
        raise
    spark.sparkContext.setLogLevel("ERROR")
    return spark
