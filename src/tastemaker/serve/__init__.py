"""The recommendation API and web app (``tastemaker serve``; needs the ``serve`` extra).

>>> from tastemaker.serve import Settings, create_app
>>> app = create_app(Settings.from_env(db="lastfm.duckdb"))         # doctest: +SKIP
>>> # uvicorn.run(app)  -- or: tastemaker --db lastfm.duckdb serve

Layout: ``_settings`` (environment, one cached dependency), ``_engine`` (the served model
snapshot, live fold-in, model swaps), ``schemas`` (OpenAPI bodies), ``dependencies``,
``routers/`` (one per resource; add one to ``routers.ROUTERS``) and ``static/`` (the web app).
"""

from tastemaker.serve._app import create_app
from tastemaker.serve._engine import Engine, Snapshot
from tastemaker.serve._settings import Settings, get_settings

__all__ = ["create_app", "Settings", "get_settings", "Engine", "Snapshot"]
