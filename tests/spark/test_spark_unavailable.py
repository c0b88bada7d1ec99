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
    monkeypatch.setitem(sys.modules, "pyspark", None)
    code = main(["--db", str(tmp_path / "x.duckdb"), "--model", str(tmp_path / "m.npz"),
                 "train", "--engine", "spark"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0 and "install the spark extra" in err


def test_spark_options_need_the_spark_engine(capsys, tmp_path):
    code = main(["--db", str(tmp_path / "x.duckdb"), "train", "--master", "local[2]"])
    assert code == 2 and "--engine spark" in capsys.readouterr().err


def test_import_and_help_do_not_load_pyspark():
    code = "import sys, tastemaker, tastemaker.cli; from tastemaker.cli import main\n" \
           "try: main(['--help'])\nexcept SystemExit: pass\nassert 'pyspark' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
