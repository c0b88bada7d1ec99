"""What the server holds: the current model (one immutable snapshot) and the live listeners.

A :class:`Snapshot` is one loaded model plus the listeners whose vectors were folded in from live
events since that model's data was read. A request takes the current snapshot once and uses only
it, so a model swap never mixes two models in one answer. :class:`Engine` writes events to the
store, folds the listeners in, and swaps in a new snapshot when ``tastemaker train`` saves a new
model version.

The store is opened only for the moment of a write (read-write) or a refold (read-only), never
held: DuckDB allows one writing process per file, and ``tastemaker train``, ``ingest`` and
``recommend`` must be able to read it while the server runs.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.bundle import ModelBundle, Query, version_key
from tastemaker.data import Store, load_interactions
from tastemaker.errors import InputError, TastemakerError

__all__ = ["Engine", "Snapshot", "LiveUser", "StoreUnavailable"]

log = logging.getLogger("tastemaker.serve")

#: live events this long before a model's training started are refolded too (clock skew, and the
#: seconds between reading the store and starting the fit)
CUTOFF_MARGIN_S = 300.0


class StoreUnavailable(TastemakerError):
    """The store is missing, or another process held it too long (HTTP 503: try again later)."""


@dataclass(frozen=True)
class LiveUser:
    """A listener folded in from the store after the model was trained.

    Attributes
    ----------
    row : csr_matrix
        Their whole history (1 x n_items, the model's columns), as training would see it.
    vector : ndarray or None
        ``model.recalculate_user`` of ``row`` (None for models without user vectors).
    new : bool
        Unknown to the model: their first events created them.
    """

    row: sp.csr_matrix
    vector: np.ndarray | None
    new: bool


class Snapshot:
    """One model bundle and its live listeners; every request reads exactly one snapshot.

    It only turns a listener into a :class:`~tastemaker.bundle.Query` (their live history and
    folded vector, when they have live events); the bundle does all the ranking.
    """

    def __init__(self, bundle: ModelBundle, source: tuple | None = None):
        self.bundle = bundle
        self.source = source
        self.loaded_at = datetime.now().astimezone()
        self.live: dict[str, LiveUser] = {}
        bundle.prepare()  # Gram matrices, blended vectors, exact indexes: not on the first request

    @property
    def version(self) -> str:
        return self.bundle.version

    # --- reads --------------------------------------------------------------------------------
    def has_user(self, user_id: str) -> bool:
        return user_id in self.live or user_id in self.bundle.users

    def live_user(self, user_id: str) -> LiveUser | None:
        return self.live.get(user_id)

    def query(self, user_id: str) -> Query:
        """The listener as a query: live history and vector if they have live events, else the
        model's own (UnknownIdError, a 404, for anyone else)."""
        live = self.live.get(user_id)
        if live is not None:
            return Query(user_id, history=live.row, vector=live.vector)
        self.bundle.users.index(user_id)
        return Query(user_id)

    def col(self, item_id: str) -> int:
        """The column of an item id (UnknownIdError, a 404, for anything but a known id)."""
        return self.bundle.items.index(item_id)

    # --- folding in -----------------------------------------------------------------------------
    def fold(self, store: Store, user_ids: Sequence[str]) -> dict[str, LiveUser]:
        """The listeners' whole histories read from ``store``, folded into this model."""
        if not user_ids:
            return {}
        data = load_interactions(store, user_ids=list(user_ids))
        table = self.bundle.items._table()
        cols = np.array([table.get(i, -1) for i in data.items.ids.tolist()], dtype=np.int64)
        n_items = len(self.bundle.items)
        cf = self.bundle.cf
        out = {}
        for r, user_id in enumerate(data.users.ids.tolist()):
            piece = data.user_items[r]
            keep = cols[piece.indices] >= 0  # items the model has never seen wait for the next training
            row = sp.csr_matrix((piece.data[keep], cols[piece.indices[keep]], [0, int(keep.sum())]),
                                shape=(1, n_items), dtype=np.float32)
            row.sort_indices()
            vector = cf.recalculate_user(0, row) if cf.has_factors else None
            out[user_id] = LiveUser(row, vector, user_id not in self.bundle.users)
        return out

    def cutoff(self) -> datetime | None:
        """Live events from this time on may be missing from the model (None: any may be)."""
        meta = self.bundle.metadata
        try:
            trained = datetime.fromisoformat(meta["trained_at"])
        except (KeyError, TypeError, ValueError):
            return None
        seconds = float(meta.get("train_seconds", 0) or 0) + CUTOFF_MARGIN_S
        # the store keeps naive UTC times
        return datetime.fromtimestamp(trained.timestamp() - seconds, timezone.utc).replace(tzinfo=None)


class Engine:
    """The served model, its live listeners, and the writes that change them.

    Parameters
    ----------
    db_path, model_root : Path
        The store live events go to, and the model directory to serve (and watch).
    """

    def __init__(self, db_path: Path, model_root: Path):
        self.db_path = Path(db_path)
        self.model_root = Path(model_root)
        self._snapshot: Snapshot | None = None
        self._write_lock = threading.Lock()
        self._failed_source: tuple | None = None
        self.reload_error: str | None = None
        self.swaps = 0

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot (take it once per request)."""
        if self._snapshot is None:
            raise RuntimeError("the engine is not started")
        return self._snapshot

    def start(self) -> Engine:
        """Load the model and fold in the live listeners it is missing; one clear error if either
        the store or the model is not there."""
        if not self.db_path.exists():
            raise InputError(f"no store at {self.db_path}: ingest data first, e.g. `tastemaker ingest hetrec`")
        source = version_key(self.model_root)
        snapshot = Snapshot(ModelBundle.load(self.model_root), source)
        with self._write_lock:
            self._refold_missing(snapshot)
            self._snapshot = snapshot
        _settle()
        return self

    # --- model swaps ----------------------------------------------------------------------------
    def check_reload(self) -> bool:
        """Swap in the current model version if it changed since it was loaded; True if it did.

        The new model is loaded and its live listeners refolded first (requests go on with the
        old snapshot meanwhile), then one reference changes.
        """
        source = version_key(self.model_root)
        if source is None or source == self.snapshot.source or source == self._failed_source:
            return False
        started = time.perf_counter()
        try:
            snapshot = Snapshot(ModelBundle.load(self.model_root), source)
        except Exception as exc:  # a damaged version must not stop the server: keep the old model
            self._failed_source = source
            self.reload_error = f"{self.model_root}: {exc}"
            log.error("kept model %s: cannot load the new file: %s", self.snapshot.version, exc)
            return False
        with self._write_lock:  # no event is folded into the old model while the new one fills
            try:
                self._refold_missing(snapshot)
            except TastemakerError as exc:
                self.reload_error = str(exc)
                log.error("kept model %s: cannot refold live listeners: %s", self.snapshot.version, exc)
                return False
            old_version, self._snapshot = self._snapshot.version, snapshot
        _settle()
        self.reload_error = None
        self.swaps += 1
        log.info("swapped model %s for %s (%d live listeners refolded) in %.2fs", old_version,
                 snapshot.version, len(snapshot.live), time.perf_counter() - started)
        return True

    def _refold_missing(self, snapshot: Snapshot) -> None:
        """Fold in everyone with live events the snapshot's model may not have seen."""
        cutoff = snapshot.cutoff()
        try:
            with Store(self.db_path, read_only=True) as store:
                sql = "SELECT DISTINCT user_id FROM events WHERE source = 'live'"
                params: list = []
                if cutoff is not None:
                    sql += " AND (ts IS NULL OR ts >= ?)"
                    params.append(cutoff)
                users = [r[0] for r in store.con.execute(sql, params).fetchall()]
                snapshot.live.update(snapshot.fold(store, users))
        except TastemakerError as exc:
            raise StoreUnavailable(str(exc)) from exc

    # --- the store ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def store(self, read_only: bool = False) -> Iterator[Store]:
        """The store, open for the moment of one request's read or write.

        One connection at a time in this process (writes and the reads that must see them are
        serialised); a store another process holds longer than ``TASTEMAKER_LOCK_TIMEOUT``, or one
        that was removed, is :class:`StoreUnavailable` (HTTP 503). Errors of the request itself
        pass through unchanged.
        """
        if not self.db_path.exists():
            raise StoreUnavailable(f"no store at {self.db_path}; it was removed while the server ran")
        with self._write_lock:
            opened = Store(self.db_path, read_only=read_only)
            try:
                opened.connect()
            except InputError:
                raise
            except TastemakerError as exc:
                raise StoreUnavailable(str(exc)) from exc
            with opened:
                yield opened

    # --- writes ---------------------------------------------------------------------------------
    def record(self, events: Sequence[Mapping[str, object]]) -> tuple[Snapshot, dict[str, LiveUser]]:
        """Write events to the store and fold their listeners in at once.

        Items must be in the model's catalogue (UnknownIdError otherwise, nothing written).
        Returns the snapshot they were folded into and the refolded listeners.
        """
        items = self.snapshot.bundle.items
        for event in events:
            if event["item_id"] not in items:
                raise items._unknown(event["item_id"])
        users = list(dict.fromkeys(str(e["user_id"]) for e in events))
        with self.store() as store:
            snapshot = self.snapshot
            store.append_events(list(events), source="live")
            folded = snapshot.fold(store, users)
            snapshot.live.update(folded)
        return snapshot, folded


def _settle() -> None:
    """After a model is loaded: collect once, then leave everything alive now (the model, the
    app) out of later collections. A full collection walks every tracked object, ~0.1 s with a
    large model loaded, and would stall every request queued behind it; the next swap unfreezes,
    so an old model's cycles are still collected."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
