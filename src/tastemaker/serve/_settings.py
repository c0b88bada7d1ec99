"""The server's settings: read from the environment once, through one cached dependency."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request

from tastemaker._config import default_model_root, resolve_db_path

__all__ = ["Settings", "get_settings", "env_settings"]


def _number(name: str, default: float, minimum: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {text!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, not {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """What ``tastemaker serve`` serves and how.

    Attributes
    ----------
    db_path : Path
        The event store live events are written to (``TASTEMAKER_DB``).
    model_root : Path
        The model directory; a new version saved there is loaded and swapped in (``TASTEMAKER_MODEL``).
    api_token : str or None
        The bearer token writes need (``TASTEMAKER_API_TOKEN``); None refuses every write.
    max_batch : int
        Most events one ``POST /events`` may carry (``TASTEMAKER_MAX_BATCH``, default 1000).
    max_body_bytes : int
        Largest request body accepted (``TASTEMAKER_MAX_BODY_BYTES``, default 1 MiB).
    reload_interval : float
        Seconds between checks for a new model version (``TASTEMAKER_RELOAD_INTERVAL``, default 2;
        0 turns the check off).
    """

    db_path: Path
    model_root: Path
    api_token: str | None = None
    max_batch: int = 1000
    max_body_bytes: int = 1 << 20
    reload_interval: float = 2.0

    @classmethod
    def from_env(cls, db: str | os.PathLike | None = None, model: str | os.PathLike | None = None,
                 **overrides) -> Settings:
        """Settings from ``TASTEMAKER_*`` variables; ``db``/``model`` as the CLI's --db/--model."""
        db_path = resolve_db_path(db)
        model = model if model is not None else os.environ.get("TASTEMAKER_MODEL")
        model_root = Path(model).expanduser() if model else default_model_root(db_path)
        values = dict(
            db_path=db_path,
            model_root=model_root,
            api_token=os.environ.get("TASTEMAKER_API_TOKEN") or None,
            max_batch=int(_number("TASTEMAKER_MAX_BATCH", 1000, 1)),
            max_body_bytes=int(_number("TASTEMAKER_MAX_BODY_BYTES", 1 << 20, 1024)),
            reload_interval=_number("TASTEMAKER_RELOAD_INTERVAL", 2.0, 0),
        )
        values.update(overrides)
        return cls(**values)


@lru_cache
def env_settings() -> Settings:
    """The settings from the environment, read once."""
    return Settings.from_env()


async def get_settings(request: Request) -> Settings:
    """The dependency every route takes its settings from: the app's (given to ``create_app``),
    else :func:`env_settings`. Tests override it like any dependency.

    (Settings are not given through ``dependency_overrides`` in production: any override makes
    FastAPI re-analyse every dependency of every request, a millisecond each.)
    """
    return request.app.state.settings or env_settings()
