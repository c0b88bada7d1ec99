"""Where tastemaker keeps its files: one place that reads the environment."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_db_path", "data_dir", "cache_dir", "default_model_root", "resolve_db_path", "lock_timeout"]

APP_NAME = "tastemaker"


def data_dir() -> Path:
    """The user's data directory for tastemaker (``TASTEMAKER_HOME`` overrides it)."""
    home = os.environ.get("TASTEMAKER_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Where downloads are cached (``TASTEMAKER_CACHE`` overrides it)."""
    cache = os.environ.get("TASTEMAKER_CACHE")
    if cache:
        return Path(cache).expanduser()
    home = os.environ.get("TASTEMAKER_HOME")
    if home:
        return Path(home).expanduser() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    """The event store: ``TASTEMAKER_DB`` if set, else ``<data dir>/tastemaker.duckdb``."""
    env = os.environ.get("TASTEMAKER_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / "tastemaker.duckdb"


def resolve_db_path(db: str | os.PathLike | None) -> Path:
    """``db`` if given, else the default store path."""
    return Path(db).expanduser() if db is not None else default_db_path()


def default_model_root(db_path: str | os.PathLike) -> Path:
    """Models live next to the store they were trained from: ``<store dir>/models/`` (a bundle
    directory: its versions, the pointer to the current one, and the BaRT and audio models)."""
    return Path(db_path).expanduser().parent / "models"


def lock_timeout() -> float:
    """Seconds to wait for a store another process holds (``TASTEMAKER_LOCK_TIMEOUT``, default 10)."""
    value = os.environ.get("TASTEMAKER_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(value)) if value.strip() else 10.0
    except ValueError:
        return 10.0
