"""What the server holds: the current model (one immutable snapshot) and the live listeners.

A :class:`Snapshot` is one loaded model plus the listeners whose vectors were folded in from live
events since that model's data was read. A request takes the current snapshot once and uses only
it, so a model swap never mixes two models in one answer. :class:`Engine` writes events to the
store, folds the listeners in, and swaps in a new snapshot when ``tastemaker train`` replaces the
model file.

The store is opened only for the moment of a write (read-write) or a refold (read-only), never
held: DuckDB allows one writing process per file, and ``tastemaker train``, ``ingest`` and
``recommend`` must be able to read it while the server runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Store, UnknownIdError, load_interactions
from tastemaker.errors import InputError, TastemakerError
from tastemaker.recommender import Explanation, Recommendation, Recommender

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


def _file_key(path: Path) -> tuple | None:
    """What changes when ``tastemaker train`` replaces the model (or its index): None if absent."""
    from tastemaker.retrieval import index_path

    def stat(p: Path):
        try:
            st = os.stat(p)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    model = stat(path)
    return None if model is None else (model, stat(index_path(path)))


class Snapshot:
    """One model and its live listeners; every request reads exactly one snapshot."""

    def __init__(self, rec: Recommender, source: tuple | None = None):
        self.rec = rec
        self.source = source
        self.loaded_at = datetime.now().astimezone()
        self.live: dict[str, LiveUser] = {}
        positive = rec.history.data > 0
        self.listeners = np.bincount(rec.history.indices[positive], minlength=len(rec.items))
        self._lowered = np.char.lower(rec.item_names)
        model = rec.model
        if hasattr(model, "_gram"):
            model._gram("items")  # computed once here, not by the first request's fold-in

    @property
    def version(self) -> str:
        return self.rec.version

    # --- reads --------------------------------------------------------------------------------
    def has_user(self, user_id: str) -> bool:
        return user_id in self.live or user_id in self.rec.users

    def _col(self, item_id: str) -> int:
        return self.rec.items.index(item_id)  # UnknownIdError (404) for anything but an id

    def history(self, user_id: str) -> tuple[int, sp.csr_matrix, LiveUser | None]:
        """(model row or 0, history row, live state) of a known user; UnknownIdError otherwise."""
        live = self.live.get(user_id)
        if live is not None:
            return 0, live.row, live
        row, history = self.rec.user_row(user_id)
        return row, history, None

    def recommend(self, user_id: str, n: int, explain: bool, because: int = 3) -> list[Recommendation]:
        live = self.live.get(user_id)
        if live is None:  # a listener of the model (UnknownIdError, a 404, for anyone else)
            return self.rec.recommend(user_id, n=n, explain=explain, because=because)
        history = live.row
        if live.vector is not None:
            return self.rec.recommend_for(live.vector, n=n, explain=explain, history_row=history, because=because)
        model = self.rec.model  # no user vectors (EASE, item-kNN, popularity): score from the history
        ids, vals = model.recommend(0, history, N=n, recalculate_user=model.supports_recalculate_user)
        out = [Recommendation(str(self.rec.items.ids[i]), self.rec.name(i), float(s)) for i, s in zip(ids, vals)]
        if explain and hasattr(model, "explain") and history.nnz:
            weights = None
            for rec, item in zip(out, ids):
                score, contributions, weights = model.explain(0, history, int(item), user_weights=weights, N=because)
                rec.because = self.rec._shares(score, contributions)
        return out

    def explain(self, user_id: str, item_id: str, n: int) -> Explanation:
        row, history, live = self.history(user_id)
        col = self._col(item_id)
        model = self.rec.model
        if not hasattr(model, "explain"):
            raise InputError(f"{type(model).__name__} models cannot explain their scores")
        score, contributions, _ = model.explain(row, history, col, N=n)
        return Explanation(user_id, item_id, self.rec.name(col), float(score), self.rec._shares(score, contributions))

    def similar(self, item_id: str, n: int) -> tuple[str, list[tuple[str, str, float]]]:
        col = self._col(item_id)
        return self.rec.name(col), self.rec.similar(item_id, n=n)

    def search(self, query: str, n: int) -> list[tuple[str, str, int]]:
        """Items whose name contains ``query`` (case-insensitive), most listeners first."""
        hits = np.flatnonzero(np.char.find(self._lowered, query.casefold().strip()) >= 0)
        hits = hits[np.argsort(-self.listeners[hits], kind="stable")][:n]
        return [(str(self.rec.items.ids[i]), self.rec.name(i), int(self.listeners[i])) for i in hits]

    def top_items(self, user_id: str, n: int) -> list[tuple[str, str, float]]:
        _, history, _ = self.history(user_id)
        order = np.argsort(-history.data, kind="stable")[:n]
        return [(str(self.rec.items.ids[history.indices[j]]), self.rec.name(history.indices[j]),
                 float(history.data[j])) for j in order]

    # --- folding in -----------------------------------------------------------------------------
    def fold(self, store: Store, user_ids: Sequence[str]) -> dict[str, LiveUser]:
        """The listeners' whole histories read from ``store``, folded into this model."""
        if not user_ids:
            return {}
        data = load_interactions(store, user_ids=list(user_ids))
        table = self.rec.items._table()
        cols = np.array([table.get(i, -1) for i in data.items.ids.tolist()], dtype=np.int64)
        n_items = len(self.rec.items)
        model = self.rec.model
        out = {}
        for r, user_id in enumerate(data.users.ids.tolist()):
            piece = data.user_items[r]
            keep = cols[piece.indices] >= 0  # items the model has never seen wait for the next training
            row = sp.csr_matrix((piece.data[keep], cols[piece.indices[keep]], [0, int(keep.sum())]),
                                shape=(1, n_items), dtype=np.float32)
            row.sort_indices()
            vector = model.recalculate_user(0, row) if hasattr(model, "recalculate_user") else None
            out[user_id] = LiveUser(row, vector, user_id not in self.rec.users)
        return out

    def cutoff(self) -> datetime | None:
        """Live events from this time on may be missing from the model (None: any may be)."""
        meta = self.rec.metadata
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
    db_path, model_path : Path
        The store live events go to, and the model file to serve (and watch).
    """

    def __init__(self, db_path: Path, model_path: Path):
        self.db_path = Path(db_path)
        self.model_path = Path(model_path)
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
        if not self.model_path.exists():
            raise InputError(f"no model at {self.model_path}: run `tastemaker train` first")
        source = _file_key(self.model_path)
        snapshot = Snapshot(Recommender.load(self.model_path), source)
        with self._write_lock:
            self._refold_missing(snapshot)
            self._snapshot = snapshot
        return self

    # --- model swaps ----------------------------------------------------------------------------
    def check_reload(self) -> bool:
        """Swap in the model file if it changed since it was loaded; True if it did.

        The new model is loaded and its live listeners refolded first (requests go on with the
        old snapshot meanwhile), then one reference changes.
        """
        source = _file_key(self.model_path)
        if source is None or source == self.snapshot.source or source == self._failed_source:
            return False
        started = time.perf_counter()
        try:
            snapshot = Snapshot(Recommender.load(self.model_path), source)
        except Exception as exc:  # a damaged file must not stop the server: keep the old model
            self._failed_source = source
            self.reload_error = f"{self.model_path}: {exc}"
            log.error("kept model %s: cannot load the new file: %s", self.snapshot.version, exc)
            return False
        with self._write_lock:  # no event is folded into the old model while the new one fills
            try:
                self._refold_missing(snapshot)
            except TastemakerError as exc:
                self.reload_error = str(exc)
                log.error("kept model %s: cannot refold live listeners: %s", self.snapshot.version, exc)
                return False
            previous, self._snapshot = self._snapshot, snapshot
        self.reload_error = None
        self.swaps += 1
        log.info("swapped model %s for %s (%d live listeners refolded) in %.2fs", previous.version,
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

    # --- writes ---------------------------------------------------------------------------------
    def record(self, events: Sequence[Mapping[str, object]]) -> tuple[Snapshot, dict[str, LiveUser]]:
        """Write events to the store and fold their listeners in at once.

        Items must be in the model's catalogue (UnknownIdError otherwise, nothing written).
        Returns the snapshot they were folded into and the refolded listeners.
        """
        items = self.snapshot.rec.items
        for event in events:
            if event["item_id"] not in items:
                raise items._unknown(event["item_id"])
        users = list(dict.fromkeys(str(e["user_id"]) for e in events))
        if not self.db_path.exists():
            raise StoreUnavailable(f"no store at {self.db_path}; it was removed while the server ran")
        with self._write_lock:
            snapshot = self.snapshot
            try:
                with Store(self.db_path) as store:
                    store.append_events(list(events), source="live")
                    folded = snapshot.fold(store, users)
            except (UnknownIdError, InputError):
                raise
            except TastemakerError as exc:
                raise StoreUnavailable(str(exc)) from exc
            snapshot.live.update(folded)
        return snapshot, folded
