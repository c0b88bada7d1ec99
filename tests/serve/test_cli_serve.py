"""`tastemaker serve` says in one line what is missing before it listens."""

from __future__ import annotations

import pytest

from tastemaker.cli import main

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture(autouse=True)
def restore_thread_settings(monkeypatch):
    """serve sets the thread variables for its process; give this test process its own back."""
    for name in THREAD_VARS:
        monkeypatch.setenv(name, "2")


def test_no_store(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb"), "serve"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: no store at {tmp_path / 'none.duckdb'}: ingest data first, e.g. `tastemaker ingest hetrec`\n"
    assert not (tmp_path / "none.duckdb").exists()


def test_no_model(paths, tmp_path, capsys):
    db, _ = paths
    assert main(["--db", str(db), "--model", str(tmp_path / "nope"), "serve"]) == 1
    assert capsys.readouterr().err == f"error: no model at {tmp_path / 'nope'}; train one with `tastemaker train`\n"


def test_a_damaged_model(paths, capsys):
    db, root = paths
    current = root / (root / "CURRENT").read_text().strip()
    (current / "manifest.json").write_text("not a manifest")
    assert main(["--db", str(db), "--model", str(root), "serve"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err and "damaged" in err
