"""Fixtures for the Spark tests: one ``local[2]`` session per module, a HetRec store and the bundle
``tastemaker train --engine spark`` writes from it.

They run in CI (``make test`` installs the ``dev`` extra, which brings pyspark); they are skipped,
with the reason, only where no Java runtime is installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HETREC = Path(os.environ.get(
    "TASTEMAKER_HETREC", Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))


def _java_missing() -> bool:
    home = os.environ.get("JAVA_HOME")
    return not (home and Path(home, "bin", "java").exists()) and shutil.which("java") is None


@pytest.fixture(scope="module")
def spark():
    """A ``local[2]`` SparkSession with two shuffle partitions, stopped after the module."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[dev]')")
    if _java_missing():
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME): Spark cannot start")
    from tastemaker.spark import spark_session

    session = spark_session("local[2]", app_name="tastemaker-tests",
                            spark_sql_shuffle_partitions="2", spark_default_parallelism="2")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def hetrec_store(tmp_path_factory):
    """A store holding HetRec 2011 (skips where the shared copy is absent)."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec 2011 data not found at {HETREC} (set TASTEMAKER_HETREC)")
    from tastemaker.data import Store, ingest_hetrec

    path = tmp_path_factory.mktemp("store") / "hetrec.duckdb"
    with Store(path) as store:
        ingest_hetrec(store, HETREC, progress=False)
    return path


#: small, quick settings for the trained bundle every end-to-end test shares
TRAIN_FLAGS = ("--factors", "16", "--iterations", "4")


@pytest.fixture(scope="session")
def spark_models(hetrec_store, tmp_path_factory):
    """The model directory ``tastemaker train --engine spark`` writes from the HetRec store (on the
    module's session when one is up, else on a ``local[2]`` one of its own)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[dev]')")
    if _java_missing():
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME): Spark cannot start")
    from tastemaker.cli import main

    models = tmp_path_factory.mktemp("models")
    code = main(["--db", str(hetrec_store), "--model", str(models), "train", "--engine", "spark",
                 "--master", "local[2]", *TRAIN_FLAGS])
    assert code == 0
    return models
