"""Fixtures for the API tests: a HetRec store and model built once, a fresh copy per test, clients.

Every test gets its own copy of the store and the model (tests write events and swap models),
and an app built from explicit settings (``create_app(settings)``); tests that change a
dependency override it (``app.dependency_overrides``), never patch.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tastemaker.data import Store, ingest_hetrec  # noqa: E402
from tastemaker.serve import Settings, create_app  # noqa: E402

from serve_support import HETREC, TOKEN, train_small  # noqa: E402


@pytest.fixture(scope="session")
def hetrec_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(db, model dir)``: HetRec ingested and trained with a small ALS through the shipped
    pipeline, once per session (read-only)."""
    if not (HETREC / "user_artists.dat").is_file():
        pytest.fail(f"HetRec 2011 data not found at {HETREC} (read-only shared data; set TASTEMAKER_HETREC)")
    folder = tmp_path_factory.mktemp("serve-store")
    db, root = folder / "tastemaker.duckdb", folder / "models"
    with Store(db) as store:
        ingest_hetrec(store, HETREC, progress=False)
    train_small(db, root)
    return db, root


@pytest.fixture
def paths(hetrec_built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the store and model for one test (it may write events and models)."""
    for name in ("TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_API_TOKEN", "TASTEMAKER_LOCK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    db, root = tmp_path / "tastemaker.duckdb", tmp_path / "models"
    shutil.copy(hetrec_built[0], db)
    shutil.copytree(hetrec_built[1], root)
    return db, root


@pytest.fixture
def settings(paths: tuple[Path, Path]) -> Settings:
    db, root = paths
    return Settings(db_path=db, model_root=root, api_token=TOKEN, max_batch=50, max_body_bytes=64 * 1024,
                    reload_interval=0)


@pytest.fixture
def make_client(settings: Settings):
    """``make_client(**changes)``: a TestClient on an app with these settings changed (lifespan run)."""
    clients = []

    def make(**changes) -> TestClient:
        client = TestClient(create_app(replace(settings, **changes)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture(scope="session")
def read_client(hetrec_built: tuple[Path, Path]):
    """One client for the whole session, for tests that only read (never POST to it)."""
    db, root = hetrec_built
    app = create_app(Settings(db_path=db, model_root=root, api_token=None, reload_interval=0))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}
