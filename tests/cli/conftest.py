"""Fixtures for the command-line tests: an isolated home, ``main`` in-process, the real script.

Nothing here touches the user's real store: every test runs with ``TASTEMAKER_HOME`` in a
temporary folder, the other ``TASTEMAKER_*`` variables removed, and the working directory in a
temporary folder (the commands write ``reports/...`` relative to it by default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import Result

from tastemaker.cli import main

#: the shared read-only HetRec copy next to the repository (``TASTEMAKER_HETREC`` overrides it)
HETREC = Path(os.environ.get(
    "TASTEMAKER_HETREC", Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))

ENV_VARS = ("TASTEMAKER_HOME", "TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_CACHE", "TASTEMAKER_HETREC")


@pytest.fixture(scope="session")
def hetrec_path() -> Path:
    """The read-only HetRec 2011 Last.fm copy next to the repository (skips if absent)."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.fail(f"HetRec 2011 data not found at {HETREC} (read-only shared data; set TASTEMAKER_HETREC)")
    return HETREC


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test: a throw-away ``TASTEMAKER_HOME`` and working directory, no other settings."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("TASTEMAKER_HOME", str(home))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """``cli("recommend", "2")`` runs ``tastemaker.cli.main`` in-process and returns a Result."""

    def run(*args: object) -> Result:
        capsys.readouterr()  # start from nothing
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def hetrec_store(tmp_path_factory: pytest.TempPathFactory, hetrec_path: Path) -> tuple[Path, Path]:
    """``(db, model dir)``: HetRec ingested and trained, once, through the commands themselves.

    Tests may read it and may run commands that must leave it unchanged; a test that trains
    another model writes it to its own ``--model`` path.
    """
    folder = tmp_path_factory.mktemp("hetrec-store")
    db, model = folder / "tastemaker.duckdb", folder / "models"
    with pytest.MonkeyPatch.context() as mp:
        for name in ENV_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("TASTEMAKER_HOME", str(folder / "home"))
        assert main(["--db", str(db), "ingest", "hetrec", str(hetrec_path)]) == 0
        assert main(["--db", str(db), "train"]) == 0
    assert (model / "CURRENT").is_file()
    return db, model


def _console_script() -> Path:
    """The installed ``tastemaker`` script: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "tastemaker"
    if beside.is_file():
        return beside
    found = shutil.which("tastemaker")
    if found is None:
        pytest.fail("the `tastemaker` console script is not installed; run `pip install -e .`")
    return Path(found)


@pytest.fixture(scope="module")
def run_tastemaker(tmp_path_factory: pytest.TempPathFactory):
    """``run_tastemaker("demo", ...)`` runs the real console script as a subprocess.

    One isolated setup per module: ``TASTEMAKER_HOME`` and ``TASTEMAKER_DB`` in a temporary
    folder (so commands in the same module share a store), the working directory another one.
    The callable has ``.home``, ``.db`` and ``.cwd`` attributes.
    """
    root = tmp_path_factory.mktemp("subprocess")
    home, cwd = root / "home", root / "cwd"
    cwd.mkdir()
    db = home / "store" / "tastemaker.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update(TASTEMAKER_HOME=str(home), TASTEMAKER_DB=str(db), PYTHONUNBUFFERED="1")
    script = _console_script()

    def run(*args: object, timeout: float = 300) -> Result:
        proc = subprocess.run([str(script), *map(str, args)], cwd=cwd, env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    run.home, run.db, run.cwd = home, db, cwd
    return run
