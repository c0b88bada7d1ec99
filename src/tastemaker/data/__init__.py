"""The data layer: the DuckDB event store, ingestion, vocabularies and matrices.

>>> from tastemaker.data import Store, ingest_hetrec, load_interactions
>>> with Store("lastfm.duckdb") as store:                       # doctest: +SKIP
...     ingest_hetrec(store)           # a local copy, or downloaded once and cached
...     data = load_interactions(store)
>>> data.user_items.shape                                      # doctest: +SKIP
(1892, 17632)

The event file schema is in ``tastemaker.data._events``, the tag file schema in
``tastemaker.data._tags``; the skip rule in ``tastemaker.data.interactions``.
"""

from tastemaker.data._common import IngestResult
from tastemaker.data._event_rows import EVENT_TYPES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from tastemaker.data._events import ingest_events
from tastemaker.data._hetrec import ingest_hetrec
from tastemaker.data._lastfm1k import ingest_lastfm1k
from tastemaker.data._tags import TAG_COLUMNS, TAG_REQUIRED_COLUMNS, ingest_tags
from tastemaker.data.download import HETREC_URL, download_hetrec, find_hetrec
from tastemaker.data.interactions import Interactions, load_interactions
from tastemaker.data.queries import item_names_for, item_tags, user_friends
from tastemaker.data.store import SCHEMA_VERSION, TABLES, Store, StoreLockedError
from tastemaker.data.vocab import UnknownIdError, Vocabulary

__all__ = [
    "Store",
    "StoreLockedError",
    "SCHEMA_VERSION",
    "TABLES",
    "IngestResult",
    "ingest_hetrec",
    "ingest_events",
    "ingest_lastfm1k",
    "ingest_tags",
    "download_hetrec",
    "find_hetrec",
    "HETREC_URL",
    "EVENT_TYPES",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "TAG_COLUMNS",
    "TAG_REQUIRED_COLUMNS",
    "Vocabulary",
    "UnknownIdError",
    "Interactions",
    "load_interactions",
    "item_names_for",
    "user_friends",
    "item_tags",
]
