"""Without pyspark: one clear line, and ``import tastemaker`` never needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tastemaker.cli import main
from tastemaker.spark import SparkUnavailableError, require_spark


def test_missing_pyspark_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import fails
    with pytest.raises(SparkUnavailableError, match=r"pip install 'tastemaker\[spark\]'"):
        require_spark()


def test_cli_reports_missing_pyspark_in_one_line(monkeypatch, capsys, tmp_path):
    from tastemaker.data import Store

    with Store(tmp_path / "x.duckdb") as store:  # something to train on: the train step is reached
        store.append_events([{"user_id": "u", "item_id": "a", "event": "play", "count": 3}])
    monkeypatch.setitem(sys.modules, "pyspark", None)
    code = main(["--db", str(tmp_path / "x.duckdb"), "--model", str(tmp_path / "models"),
                 "train", "--engine", "spark"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 1
    assert len(errors) == 1 and "install the spark extra" in errors[0]


def test_spark_options_need_the_spark_engine(capsys, tmp_path):
    code = main(["--db", str(tmp_path / "x.duckdb"), "train", "--master", "local[2]"])
    err = capsys.readouterr().err
    assert code == 2 and "needs the spark engine (see --master)" in err  # a usage error naming the flag


def test_import_and_help_do_not_load_pyspark():
    code = "import sys, tastemaker, tastemaker.cli; from tastemaker.cli import main\n" \
           "try: main(['--help'])\nexcept SystemExit: pass\nassert 'pyspark' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
