"""A trained recommender as people use it: a model plus its vocabularies, names and history.

Models speak row numbers; a :class:`Recommender` speaks the store's ids and names. It is what
``tastemaker train`` writes (one ``.npz``, no pickle, written atomically) and what the other
commands load.

>>> from tastemaker.data import Store
>>> from tastemaker.recommender import train
>>> with Store("lastfm.duckdb") as store:                       # doctest: +SKIP
...     rec = train(store)
>>> rec.recommend("2", n=3, explain=True)[0].because           # doctest: +SKIP
[('289', 'Britney Spears', 0.31), ...]
"""

from __future__ import annotations

import hashlib
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.cf import ImplicitALS
from tastemaker.cf._base import RecommenderBase
from tastemaker.cf._io import read_model_file, write_model_file
from tastemaker.data import Interactions, Store, Vocabulary, load_interactions
from tastemaker.data.vocab import resolve_name
from tastemaker.errors import InputError

__all__ = ["Recommender", "Recommendation", "Explanation", "train", "training_metadata"]

_PREFIX = "bundle__"


@dataclass
class Recommendation:
    """One recommended item, with the listened items that explain it (shares of the score)."""

    item_id: str
    name: str
    score: float
    because: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass
class Explanation:
    """Why an item scores as it does for a user (Hu et al., section 5)."""

    user_id: str
    item_id: str
    name: str
    score: float
    contributions: list[tuple[str, str, float]]  # (item id, name, share of the score)


class Recommender:
    """A fitted model with the ids, names and listening history it was trained on.

    Parameters
    ----------
    model : RecommenderBase
        A fitted model whose rows and columns are ``users`` and ``items``.
    users, items : Vocabulary
        External ids of the rows and columns.
    item_names : array of str
        Display names of the columns.
    history : csr_matrix
        The users x items matrix the model was trained on (filters already-played items).
    metadata : dict
        ``version``, ``trained_at`` and anything else worth keeping (JSON-serialisable).
    """

    def __init__(self, model: RecommenderBase, users: Vocabulary, items: Vocabulary, item_names,
                 history: sp.csr_matrix, metadata: dict | None = None):
        self.model = model
        self.users = users
        self.items = items
        self.item_names = np.asarray(item_names, dtype=str)
        self.history = history
        self.metadata = metadata or {}
        #: the ANN/exact indexes to serve from (:mod:`tastemaker.retrieval`); None: the model scores
        self.index = None

    @property
    def version(self) -> str:
        """The model version (UTC time of training and a content hash)."""
        return self.metadata.get("version", "unversioned")

    # --- persistence ---------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write everything to one ``.npz`` (atomic: a temporary file renamed into place)."""
        meta, arrays = self.model._to_state(self.metadata)
        arrays = dict(arrays)
        arrays.update({
            f"{_PREFIX}users": self.users.ids, f"{_PREFIX}items": self.items.ids,
            f"{_PREFIX}item_names": self.item_names, f"{_PREFIX}indptr": self.history.indptr,
            f"{_PREFIX}indices": self.history.indices, f"{_PREFIX}data": self.history.data,
        })
        write_model_file(path, meta, arrays)

    def build_index(self, kind: str = "voyager", *, num_threads: int = 0, **params) -> None:
        """Build the retrieval indexes (:mod:`tastemaker.retrieval`) over the item factors.

        ``kind`` is ``"voyager"`` (approximate, HNSW; ``params`` as for
        :class:`~tastemaker.retrieval.VoyagerIndex`) or ``"exact"``.
        """
        from tastemaker.retrieval import Retrieval

        if not hasattr(self.model, "item_factors_"):
            raise InputError(f"{type(self.model).__name__} models have no item factors to index; "
                             "train a factor model (als or sgd) or use --index none")
        self.index = Retrieval.build(self.model.item_factors_, kind, model_version=self.version,
                                     num_threads=num_threads, **params)

    def save_index(self, model_path) -> Path | None:
        """Save the index next to the model file (``als.npz`` -> ``als.index.npz``); with no
        index, remove a stale one. Returns the index path, or None."""
        from tastemaker.retrieval import index_path

        path = index_path(model_path)
        if self.index is None:
            path.unlink(missing_ok=True)
            return None
        self.index.save(path)
        return path

    @classmethod
    def load(cls, path, index: bool = True) -> Recommender:
        """Load a file written by :meth:`save` (or by ``tastemaker train``).

        With ``index``, the retrieval index saved next to it is loaded when it belongs to this
        model; a stale or unreadable one is ignored with a :class:`UserWarning` saying how to
        rebuild it (search is then exact).
        """
        import tastemaker.cf  # noqa: F401  (registers the model classes)

        meta, arrays = read_model_file(path)
        if f"{_PREFIX}users" not in arrays:
            raise InputError("this model file has no vocabularies; it was saved from a bare model, "
                             "not by `tastemaker train`", path=path, hint="train it with `tastemaker train`")
        own = {k[len(_PREFIX):]: arrays.pop(k) for k in list(arrays) if k.startswith(_PREFIX)}
        model = RecommenderBase._from_state(meta, arrays)
        users = Vocabulary(own["users"], name="user")
        items = Vocabulary(own["items"], name="item")
        history = sp.csr_matrix((own["data"], own["indices"], own["indptr"]), shape=(len(users), len(items)))
        rec = cls(model, users, items, own["item_names"], history, meta.get("metadata", {}))
        if index:
            rec._load_index(path)
        return rec

    def _load_index(self, model_path) -> None:
        from tastemaker.retrieval import Retrieval, index_path

        path = index_path(model_path)
        if not path.exists() or not hasattr(self.model, "item_factors_"):
            return
        try:
            self.index = Retrieval.load(path, self.model.item_factors_, self.version)
        except InputError as exc:
            warnings.warn(f"not using the index: {exc}; searching exactly meanwhile", UserWarning, stacklevel=3)

    # --- lookups -------------------------------------------------------------------------------
    def name(self, row: int) -> str:
        return str(self.item_names[row])

    def resolve_item(self, text: str) -> int:
        """The column of an item given by id or by (case-insensitive) name."""
        return resolve_name(text, self.items, self.item_names)

    def search(self, query: str, n: int = 10) -> list[tuple[str, str]]:
        """Items whose name contains ``query`` (case-insensitive), most played first."""
        lowered = np.char.lower(self.item_names)
        hits = np.flatnonzero(np.char.find(lowered, query.casefold().strip()) >= 0)
        popularity = np.diff(self.history.tocsc().indptr)
        hits = hits[np.argsort(-popularity[hits], kind="stable")][:n]
        return [(str(self.items.ids[i]), self.name(i)) for i in hits]

    def user_row(self, user_id: str) -> tuple[int, sp.csr_matrix]:
        row = self.users.index(user_id)
        return row, self.history[row]

    def top_items(self, user_id: str, n: int = 10) -> list[tuple[str, str, float]]:
        """The user's most played items: (id, name, count)."""
        _, row = self.user_row(user_id)
        order = np.argsort(-row.data, kind="stable")[:n]
        return [(str(self.items.ids[row.indices[j]]), self.name(row.indices[j]), float(row.data[j])) for j in order]

    # --- recommendations -----------------------------------------------------------------------
    def recommend(self, user_id: str, n: int = 10, explain: bool = False, because: int = 3,
                  exact: bool = False) -> list[Recommendation]:
        """Top-``n`` items the user has not played, by id and name, optionally explained.

        Served from the index when one is loaded, unless ``exact``."""
        row, history = self.user_row(user_id)
        if self.index is not None and not exact:
            ids, scores = self.index.recommend.search(self.model.user_factors_[row], n, exclude=[history.indices])
        else:
            ids, scores = self.model.recommend(row, history, N=n)
        out = [Recommendation(str(self.items.ids[i]), self.name(i), float(s)) for i, s in zip(ids, scores)]
        if explain and hasattr(self.model, "explain"):
            weights = None
            for rec, item in zip(out, ids):
                score, contributions, weights = self.model.explain(row, history, int(item), user_weights=weights,
                                                                   N=because)
                rec.because = self._shares(score, contributions)
        return out

    def recommend_for(self, vector, exclude_cols=None, n: int = 10, explain: bool = False,
                      history_row=None, *, because: int = 3, exact: bool = False) -> list[Recommendation]:
        """Top-``n`` items for a user vector that need not be in the model (e.g. folded in live).

        Parameters
        ----------
        vector : array of float (f,)
            The user's factors, e.g. ``model.recalculate_user(0, history_row)``.
        exclude_cols : iterable of int, optional
            Item columns never to return (played, skipped, blocked).
        n : int
            How many items; fewer only when fewer items are left.
        explain : bool
            Attach the user's items that explain each score (needs ``history_row``).
        history_row : csr_matrix (1 x n_items), optional
            The user's counts; every item in it is left out too, and it drives the explanations.
        because : int
            Explaining items per recommendation.
        exact : bool
            Search every item exactly even when an approximate index is loaded.
        """
        retrieval = self._retrieval(exact)
        cols = [] if exclude_cols is None else list(exclude_cols)
        if history_row is not None:
            history_row = self._check_history_row(history_row)
            cols.extend(history_row.indices.tolist())
        ids, scores = retrieval.recommend.search(np.asarray(vector, dtype=np.float32), n,
                                                 exclude=[np.asarray(cols, dtype=np.int64)])
        out = [Recommendation(str(self.items.ids[i]), self.name(i), float(s)) for i, s in zip(ids, scores)]
        if explain and hasattr(self.model, "explain"):
            if history_row is None:
                raise InputError("explanations need the user's history_row (1 x items counts)")
            weights = None
            for rec, item in zip(out, ids):
                score, contributions, weights = self.model.explain(0, history_row, int(item), user_weights=weights,
                                                                   N=because)
                rec.because = self._shares(score, contributions)
        return out

    def recommend_batch(self, n: int = 10, user_rows=None, exclude=None, *, exact: bool = False,
                        num_threads: int = 0, exclude_rows=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` unplayed items for many users at once (every user by default).

        Parameters
        ----------
        n : int
            Items per user.
        user_rows : array of int, optional
            Model rows of the users (``self.users.index(id)``); default every user.
        exclude : array of int, optional
            Item columns left out for everyone (each user's own history always is).
        exact : bool
            Search every item exactly even when an approximate index is loaded.
        num_threads : int
            Threads (0: every core the process may use).
        exclude_rows : csr_matrix (len(user_rows) x n_items), optional
            More items to leave out, per user (e.g. what earlier playlists gave them).

        Returns
        -------
        item_cols : ndarray of int64 (n_users x n)
            Item columns, best first, padded with -1 when a user has fewer than ``n`` left.
        scores : ndarray of float32 (n_users x n)
            Their scores (padding: -inf).
        """
        rows = np.arange(len(self.users)) if user_rows is None else np.asarray(user_rows, dtype=np.int64).ravel()
        if rows.size and (rows.min() < 0 or rows.max() >= self.history.shape[0]):
            bad = rows[(rows < 0) | (rows >= self.history.shape[0])][0]
            raise InputError(f"user row {int(bad)} is outside 0..{self.history.shape[0] - 1}")
        history = self.history[rows]
        if not hasattr(self.model, "user_factors_"):
            if exclude_rows is None:
                return self.model.recommend(rows, history, N=n, filter_items=exclude)
            return _drop_rows(self.model.recommend(rows, history, filter_items=exclude,
                                                   N=n + int(np.diff(sp.csr_matrix(exclude_rows).indptr).max(initial=0))),
                              sp.csr_matrix(exclude_rows), n)
        if exclude_rows is not None:  # the union of both patterns: any non-zero is left out
            history = (abs(sp.csr_matrix(history)) + abs(sp.csr_matrix(exclude_rows, dtype=history.dtype))).tocsr()
        retrieval = self._retrieval(exact)
        return retrieval.recommend.search(self.model.user_factors_[rows], n, exclude=history,
                                          filter_items=exclude, num_threads=num_threads)

    def _retrieval(self, exact: bool = False):
        """The loaded index, or (``exact``, or none loaded) exact search over the item factors."""
        if not hasattr(self.model, "item_factors_"):
            raise InputError(f"{type(self.model).__name__} models have no item factors to search; "
                             "train a factor model (als or sgd)")
        if self.index is not None and not exact:
            return self.index
        cached = getattr(self, "_exact_retrieval", None)
        if cached is None or cached.recommend.item_factors.shape[0] != self.model.item_factors_.shape[0]:
            from tastemaker.retrieval import Retrieval

            cached = self._exact_retrieval = Retrieval.build(self.model.item_factors_, "exact",
                                                              model_version=self.version)
        return cached

    def _check_history_row(self, history_row) -> sp.csr_matrix:
        row = sp.csr_matrix(history_row)
        if row.shape != (1, len(self.items)):
            raise InputError(f"history_row must be one row of {len(self.items)} item counts, got shape {row.shape}")
        return row

    def _shares(self, score: float, contributions) -> list[tuple[str, str, float]]:
        denom = score if score > 0 else 1.0
        return [(str(self.items.ids[j]), self.name(j), float(c / denom)) for j, c in contributions]

    def similar(self, item: str, n: int = 10, exact: bool = False) -> list[tuple[str, str, float]]:
        """Items most similar to ``item`` (id or name) by cosine, the item itself left out.

        Served from the index when one is loaded, unless ``exact``."""
        col = self.resolve_item(item)
        if self.index is not None and not exact:
            ids, scores = self.index.similar.search(self.model.item_factors_[col], n, exclude=[[col]])
            return [(str(self.items.ids[i]), self.name(i), float(s)) for i, s in zip(ids, scores)]
        if not hasattr(self.model, "similar_items"):
            raise InputError(f"{type(self.model).__name__} models cannot find similar items")
        ids, scores = self.model.similar_items(col, N=n + 1)
        keep = ids != col
        return [(str(self.items.ids[i]), self.name(i), float(s)) for i, s in zip(ids[keep][:n], scores[keep][:n])]

    def explain(self, user_id: str, item: str, n: int = 10) -> Explanation:
        """The user's listened items that contribute most to ``item``'s score, with their shares."""
        if not hasattr(self.model, "explain"):
            raise InputError(f"{type(self.model).__name__} models cannot explain their scores")
        row, history = self.user_row(user_id)
        col = self.resolve_item(item)
        score, contributions, _ = self.model.explain(row, history, col, N=n)
        return Explanation(user_id, str(self.items.ids[col]), self.name(col), float(score),
                           self._shares(score, contributions))


def _drop_rows(ranked, exclude_rows: sp.csr_matrix, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``n`` of each ranked row once the row's ``exclude_rows`` items are dropped (-1 padded)."""
    ids, scores = ranked
    out_ids = np.full((ids.shape[0], n), -1, np.int64)
    out_scores = np.full((ids.shape[0], n), -np.inf, np.float32)
    for r in range(ids.shape[0]):
        drop = exclude_rows.indices[exclude_rows.indptr[r]:exclude_rows.indptr[r + 1]]
        keep = (ids[r] >= 0) & ~np.isin(ids[r], drop)
        kept = np.flatnonzero(keep)[:n]
        out_ids[r, :len(kept)], out_scores[r, :len(kept)] = ids[r, kept], scores[r, kept]
    return out_ids, out_scores


def train(store: Store, model: RecommenderBase | None = None, *, show_progress: bool = True,
          interactions: Interactions | None = None) -> Recommender:
    """Train ``model`` (default: :class:`~tastemaker.cf.ImplicitALS` with its defaults) on the store.

    Returns a :class:`Recommender` stamped with a version: the UTC time and a hash of the data.
    """
    data = interactions if interactions is not None else load_interactions(store)
    if data.user_items.nnz == 0:
        raise InputError("the store holds no play, save, playlist_add or skip events to train on",
                         path=store.location, hint="ingest some first, e.g. `tastemaker ingest hetrec`")
    model = model if model is not None else ImplicitALS(random_state=0)
    started = time.time()
    model.fit(data.user_items, show_progress=show_progress)
    metadata = training_metadata(model, data.user_items, started, store.location)
    return Recommender(model, data.users, data.items, data.item_names, data.user_items, metadata)


def training_metadata(model: RecommenderBase, history: sp.csr_matrix, started: float, origin: str,
                      **extra) -> dict:
    """What every trained :class:`Recommender` carries: a version (UTC time and a hash of the
    training data), when and how long, the model, the sizes, where the data came from, and a
    warning if the factors collapsed."""
    digest = hashlib.sha256()
    for arr in (history.indptr, history.indices, history.data):
        digest.update(np.ascontiguousarray(arr).tobytes())
    now = datetime.now(timezone.utc)
    metadata = {
        "version": f"{now:%Y%m%dT%H%M%SZ}-{digest.hexdigest()[:8]}",
        "trained_at": now.isoformat(timespec="seconds"),
        "train_seconds": round(time.time() - started, 3),
        "model": repr(model),
        **extra,
        "users": int(history.shape[0]),
        "items": int(history.shape[1]),
        "interactions": int(history.nnz),
        "store": origin,
    }
    warnings = _check_collapse(model, history)
    if warnings:
        metadata["warnings"] = warnings
    return metadata


def _check_collapse(model: RecommenderBase, user_items: sp.csr_matrix) -> list[str]:
    """A warning when a factor model's scores all shrank to ~0 (too much regularisation)."""
    if not hasattr(model, "user_factors_"):
        return []
    sample = np.arange(min(200, user_items.shape[0]))
    peak = float(np.abs(model.user_factors_[sample] @ model.item_factors_.T).max(initial=0.0))
    if peak >= 1e-3:
        return []
    current = getattr(model, "regularization", None)
    return [f"every score is below {peak:.1e}: regularization {current} shrank the factors to ~0 on this "
            f"small data set ({user_items.shape[0]:,} users x {user_items.shape[1]:,} items), so the ranking "
            f"is not meaningful; train again with a smaller --regularization (e.g. 1 or 0.1)"]
