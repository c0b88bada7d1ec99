"""A trained system in one object: vocabularies, factors, cultural vectors, placed items, the
learned blend and the retrieval index, saved and versioned together.

>>> bundle = ModelBundle.load("models")                        # doctest: +SKIP
>>> bundle.recommend("2", n=3)[0].reason                       # doctest: +SKIP
'because you listened to Duran Duran'
>>> bundle.recommend(Query(history={"154": 12}), n=3)          # doctest: +SKIP
>>> bundle.similar("Radiohead", n=5, by="culture")             # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.bundle._format import BundleFormatError, current_version_dir, read_version, write_version
from tastemaker.bundle._query import BLEND_MODES, SIMILAR_MODES, Explanation, Query, Recommendation, Similar
from tastemaker.cf._base import RecommenderBase
from tastemaker.data.vocab import Vocabulary, resolve_name
from tastemaker.errors import InputError
from tastemaker.hybrid._blend import Blend

__all__ = ["ModelBundle", "PLACED_BY", "SIGNAL_BLOCKS", "training_metadata"]

#: what placed an item: plays (the model learned it), or a content signal for an item nobody played
PLACED_BY = ("plays", "culture", "audio-features", "audio")
#: the content blocks a bundle keeps per item (besides ``cf``: the model's item factors)
SIGNAL_BLOCKS = ("culture", "audio", "prior")
_INDEX_FILE = "index.npz"


class _Resolved:
    """A query turned into model terms: row (or None), history row, user vector."""

    __slots__ = ("user_id", "row", "history", "vector", "exclude")

    def __init__(self, user_id, row, history, vector, exclude):
        self.user_id, self.row, self.history, self.vector, self.exclude = user_id, row, history, vector, exclude


class ModelBundle:
    """Everything a trained recommender is, with one query-based way to ask it things.

    Built by :func:`tastemaker.pipeline.train_bundle` (what ``tastemaker train`` runs) and read
    back with :meth:`load`. The constructor only stores its parts.

    Parameters
    ----------
    cf : RecommenderBase
        The fitted collaborative model; its columns are ``items`` (placed items included).
    users, items : Vocabulary
        External ids of the model's rows and columns.
    item_names : array of str
    history : csr_matrix (users x items)
        What the model was trained on (filters played items, drives profiles and explanations).
    placed : array of int8, optional
        Per item, the index into :data:`PLACED_BY` of what placed it (0: plays).
    culture : CulturalVectors, optional
        The TF-IDF cultural vectors of the store's described items (``terms``, ``similar --by
        culture``).
    signals : dict, optional
        Content rows per item (:data:`SIGNAL_BLOCKS`), aligned with ``items``.
    blend : Blend, optional
        The learned weights (default: collaborative filtering alone).
    metadata : dict, optional
        ``version``, ``trained_at``, timings, sizes, and what the pipeline did.
    """

    def __init__(self, cf: RecommenderBase, users: Vocabulary, items: Vocabulary, item_names,
                 history: sp.csr_matrix, *, placed=None, culture=None, signals: Mapping | None = None,
                 blend: Blend | None = None, metadata: dict | None = None):
        self.cf = cf
        self.users = users
        self.items = items
        self.item_names = item_names
        self.history = history
        self.placed = placed
        self.culture = culture
        self.signals = dict(signals or {})
        self.blend = blend
        self.metadata = dict(metadata or {})
        #: the retrieval index (:class:`tastemaker.retrieval.Retrieval`); None: exact search
        self.index = None
        self._cache: dict = {}
        self._prepared = False

    # --- basic facts --------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return self.metadata.get("version", "unsaved")

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def placed_codes(self) -> np.ndarray:
        if self.placed is None:
            return np.zeros(len(self.items), dtype=np.int8)
        return np.asarray(self.placed, dtype=np.int8)

    @property
    def hybrid(self) -> bool:
        """True when recommendations blend more than collaborative filtering."""
        return self.cf.has_factors and self._blend().active_ != ("cf",)

    def placed_items(self) -> dict[str, list[str]]:
        """Ids of the items placed without plays, by the signal that placed them."""
        codes = self.placed_codes
        return {PLACED_BY[c]: self.items.ids[codes == c].tolist() for c in np.unique(codes) if c}

    @property
    def listeners(self) -> np.ndarray:
        """How many listeners played each item in the training history."""
        if "listeners" not in self._cache:
            h = self.history
            self._cache["listeners"] = np.bincount(np.asarray(h.indices)[np.asarray(h.data) > 0],
                                                   minlength=len(self.items)).astype(np.int64)
        return self._cache["listeners"]

    # --- lookups ------------------------------------------------------------------------------
    def name(self, col: int) -> str:
        return str(self.item_names[int(col)])

    def resolve_item(self, text: str) -> int:
        """The column of an item given by id or by (case-insensitive) name, or a unique part of one."""
        return resolve_name(text, self.items, self.item_names)

    def search(self, text: str, n: int = 10) -> list[tuple[str, str, int]]:
        """Items whose name contains ``text`` (case-insensitive): ``(id, name, listeners)``,
        most listeners first."""
        if "lowered" not in self._cache:
            self._cache["lowered"] = np.char.lower(np.asarray(self.item_names, dtype=str))
        hits = np.flatnonzero(np.char.find(self._cache["lowered"], text.casefold().strip()) >= 0)
        hits = hits[np.argsort(-self.listeners[hits], kind="stable")][:n]
        return [(str(self.items.ids[i]), self.name(i), int(self.listeners[i])) for i in hits]

    def top_items(self, query: Query | str, n: int = 10) -> list[tuple[str, str, float]]:
        """The listener's most played items: ``(id, name, value)``."""
        r = self._resolve(query)
        if r.history is None:
            return []
        row = r.history
        order = np.argsort(-row.data, kind="stable")[:n]
        return [(str(self.items.ids[row.indices[j]]), self.name(row.indices[j]), float(row.data[j])) for j in order]

    def history_row(self, counts: Mapping[str, float], *, unknown: str = "raise") -> sp.csr_matrix:
        """A ``1 x n_items`` row from ``{item_id: value}``; ``unknown="ignore"`` drops ids the model
        does not know (they wait for the next training) instead of raising UnknownIdError."""
        table = self.items._table()
        cols, vals = [], []
        for item_id, value in counts.items():
            col = table.get(str(item_id))
            if col is None:
                if unknown == "ignore":
                    continue
                raise self.items._unknown(item_id)
            cols.append(col)
            vals.append(float(value))
        order = np.argsort(cols, kind="stable")
        row = sp.csr_matrix((np.asarray(vals, np.float32)[order], np.asarray(cols, np.int64)[order],
                             [0, len(cols)]), shape=(1, len(self.items)))
        row.sum_duplicates()
        return row

    # --- queries --------------------------------------------------------------------------------
    def _resolve(self, query: Query | str) -> _Resolved:
        if isinstance(query, str):
            query = Query(query)
        if not isinstance(query, Query):
            raise TypeError(f"expected a Query or a user id, got {type(query).__name__}")
        exclude = self.items.indices(query.exclude) if query.exclude else np.empty(0, np.int64)
        history, vector = query.history, query.vector
        if history is None and vector is None:
            if query.user_id is None:
                raise InputError("a query needs a user id, a history or a vector")
            row = self.users.index(query.user_id)
            vector = self.cf.user_factors_[row] if self.cf.has_factors else None
            return _Resolved(query.user_id, row, self.history[row], vector, exclude)
        if history is not None:
            if isinstance(history, Mapping):
                history = self.history_row(history)
            else:
                history = sp.csr_matrix(history, dtype=np.float32)
                if history.shape != (1, len(self.items)):
                    raise InputError(f"a query's history must be one row of {len(self.items)} item values, "
                                     f"got shape {history.shape}")
            if vector is None and self.cf.has_factors:
                vector = self.cf.recalculate_user(0, history)
        if vector is not None:
            if not self.cf.has_factors:
                raise InputError(f"a {type(self.cf).__name__} model has no user factors: query by history")
            vector = np.asarray(vector, dtype=np.float32).ravel()
            if vector.shape != (self.cf.user_factors_.shape[1],) or not np.all(np.isfinite(vector)):
                raise InputError(f"a query vector must hold {self.cf.user_factors_.shape[1]} finite values "
                                 f"(the model's factors), got shape {vector.shape}")
        row = self.users.get(query.user_id) if query.user_id is not None else None
        return _Resolved(query.user_id, row, history, vector, exclude)

    def _blend(self, mode: str = "hybrid") -> Blend:
        if mode not in BLEND_MODES:
            raise InputError(f"blend must be one of {', '.join(BLEND_MODES)}, not {mode!r}")
        blend = self.blend
        if blend is None or mode == "cf":  # the collaborative model's own scores
            if "blend:cf" not in self._cache:
                self._cache["blend:cf"] = (Blend({"cf": 1.0}, standardise=False).fit(self.blocks()) if blend is None
                                           else blend.with_weights({"cf": 1.0}, standardise=False))
            return self._cache["blend:cf"]
        return blend

    def blocks(self) -> dict[str, np.ndarray]:
        """The blend's item rows: ``cf`` (the item factors), the content signals, and ``cold``."""
        if "blocks" not in self._cache:
            if not self.cf.has_factors:
                raise InputError(f"a {type(self.cf).__name__} model has no item factors to blend")
            out = {"cf": np.asarray(self.cf.item_factors_, dtype=np.float32)}
            for name in SIGNAL_BLOCKS:
                if name in self.signals:
                    out[name] = np.asarray(self.signals[name], dtype=np.float32).reshape(len(self.items), -1)
            codes = self.placed_codes
            if codes.any() or "prior" in out:
                out["cold"] = (codes > 0).astype(np.float32)[:, None]
            self._cache["blocks"] = out
        return self._cache["blocks"]

    def item_matrix(self, kind: str = "recommend") -> np.ndarray:
        """The concatenated item vectors the index searches (see :class:`~tastemaker.hybrid.Blend`)."""
        key = f"items:{kind}"
        if key not in self._cache:
            self._cache[key] = self._blend().item_matrix(self.blocks(), kind)
        return self._cache[key]

    def _search(self, kind: str, exact: bool = False):
        """The item index that answers ``kind`` (recommend or similar): the loaded index, or an
        exact search over the blended vectors (built on first use, one kind at a time)."""
        if self.index is not None and not exact:
            return getattr(self.index, kind)
        key = f"exact:{kind}"
        if key not in self._cache:
            from tastemaker.retrieval import ExactIndex

            # compiled kernels once the bundle is prepared to serve; one question is answered
            # without loading the compiler
            self._cache[key] = ExactIndex(self.item_matrix(kind), "ip", jit=self._prepared)
        return self._cache[key]

    def query_vectors(self, resolved: Sequence[_Resolved], mode: str = "hybrid") -> tuple[np.ndarray, np.ndarray, dict]:
        """Concatenated query vectors, offsets and per-block parts of resolved queries."""
        blend = self._blend(mode)
        U = np.vstack([r.vector for r in resolved]).astype(np.float32)
        histories = [r.history for r in resolved]
        if any(h is None for h in histories):
            histories = [h if h is not None else sp.csr_matrix((1, len(self.items)), dtype=np.float32)
                         for h in histories]
        H = histories[0] if len(histories) == 1 else sp.vstack(histories, format="csr") if histories else None
        parts = blend.query_parts(U, H, self.blocks())
        Q, offset = blend.query_matrix(parts, "recommend")
        return Q, offset, parts

    # --- recommendations ------------------------------------------------------------------------
    def recommend(self, query, n: int = 10, *, explain: bool = False, because: int = 3, blend: str = "hybrid",
                  items=None, exact: bool = False):
        """Top-``n`` items for a listener that they have not played, each saying why.

        Parameters
        ----------
        query : Query, str, or a list of them
            A user id, or a :class:`Query` (known listener, history or vector); a list answers
            every query in one batched search and returns a list of lists.
        n : int
            How many items (fewer only when fewer are left).
        explain : bool
            Add ``because``: the listened items behind each item's collaborative part.
        because : int
            How many listened items per recommendation.
        blend : {"hybrid", "cf"}
            The learned blend of every signal (default), or collaborative filtering alone.
        items : sequence of str or int, optional
            Rank only these items (ids, or columns).
        exact : bool
            Score every item exactly even when an approximate index is loaded.

        Returns
        -------
        list of Recommendation
        """
        single = isinstance(query, (str, Query))
        queries = [query] if single else list(query)
        resolved = [self._resolve(q) for q in queries]
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"n must be a positive integer, got {n!r}")
        candidates = None if items is None else self._columns(items)
        if not self.cf.has_factors:
            out = [self._recommend_dense(r, n, explain, because, candidates) for r in resolved]
            return out[0] if single else out
        Q, offset, parts = self.query_vectors(resolved, blend)
        exclude = [self._exclusions(r) for r in resolved]
        if candidates is not None:
            ids, scores = _rank_candidates(Q, self.item_matrix("recommend"), candidates, exclude, n)
        else:
            ids, scores = self._search("recommend", exact).search(Q, n, exclude=exclude)
        mode_blend = self._blend(blend)
        out = []
        for k, r in enumerate(resolved):
            keep = ids[k] >= 0
            cols, vals = ids[k][keep], scores[k][keep] - offset[k]
            out.append(self._describe(r, cols, vals, mode_blend, parts, k, explain, because, blend))
        return out[0] if single else out

    def _columns(self, items) -> np.ndarray:
        arr = np.asarray(list(items))
        if arr.size and np.issubdtype(arr.dtype, np.integer):
            cols = arr.astype(np.int64)
            if cols.min() < 0 or cols.max() >= len(self.items):
                raise InputError(f"item columns must be within 0..{len(self.items) - 1}")
            return cols
        return self.items.indices(arr.tolist())

    def _exclusions(self, r: _Resolved) -> np.ndarray:
        played = r.history.indices if r.history is not None else np.empty(0, np.int64)
        return np.unique(np.concatenate([np.asarray(played, np.int64), r.exclude]))

    def _describe(self, r: _Resolved, cols, vals, blend: Blend, parts, k: int, explain: bool, because: int,
                  mode: str) -> list[Recommendation]:
        codes = self.placed_codes
        if mode == "cf":
            signals = {"cf": np.asarray(vals, np.float32)}
        else:
            signals = blend.contributions(parts, self.blocks(), cols, "recommend", row=k)
        recs = [Recommendation(str(self.items.ids[c]), self.name(c), float(v),
                               {b: float(s[j]) for b, s in signals.items() if s[j]},
                               PLACED_BY[codes[c]] if codes[c] else None) for j, (c, v) in enumerate(zip(cols, vals))]
        self._reasons(r, cols, recs, explain, because)
        return recs

    def _reasons(self, r: _Resolved, cols, recs: list, explain: bool, because: int) -> None:
        """Fill ``reason`` (and ``because`` with ``explain``) of recommendations for ``r``."""
        history = r.history
        mine = np.empty(0, np.int64) if history is None else np.asarray(history.indices[history.data > 0], np.int64)
        wanted = [j for j, rec in enumerate(recs) if self.cf.can_explain and len(mine) and
                  (explain or not rec.placed_by)]
        explained: dict[int, list] = {}
        if wanted:  # one solve for every item of the listener
            scores, contributions, _ = self.cf.explain(0, history, np.asarray(cols, np.int64)[wanted],
                                                       N=max(because, 1))
            explained = {j: self._shares(s, c) for j, s, c in zip(wanted, scores, contributions)}
        for j, (rec, col) in enumerate(zip(recs, cols)):
            shares = explained.get(j, [])
            if explain:
                rec.because = shares[:because]
            rec.reason = self._reason_text(rec, int(col), mine, shares)

    def _reason_text(self, rec, col: int, mine: np.ndarray, shares) -> str:
        carried = rec.placed_by or rec.carried_by
        blocks = self.blocks() if self.cf.has_factors else {}
        # what "like" means per signal: the block the item is nearest the listener's items in (a
        # song placed by the audio CNN sits where its sound put it in the factor space)
        for signal, block, verb in (("culture", "culture", "tagged like"), ("audio", "cf", "sounds like"),
                                    ("audio-features", "audio", "sounds like")):
            if carried == signal and block in blocks and len(mine):
                near = _nearest(blocks[block], col, mine)
                if near is not None:
                    text = f"{verb} {self.name(near)}"
                    return text + (f" ({'culture' if signal == 'culture' else 'audio'}: nobody has played it yet)"
                                   if rec.placed_by else "")
        if shares:
            return f"because you listened to {shares[0][1]}"
        if rec.placed_by:
            return f"placed by {rec.placed_by} (nobody has played it yet)"
        return "popular with listeners like you" if len(mine) else "popular"

    def _shares(self, score: float, contributions) -> list[tuple[str, str, float]]:
        denom = score if score > 0 else 1.0
        return [(str(self.items.ids[j]), self.name(j), float(c / denom)) for j, c in contributions]

    def _recommend_dense(self, r: _Resolved, n: int, explain: bool, because: int, candidates) -> list[Recommendation]:
        """Models without factors (EASE, item-kNN, popularity) score every item from the history."""
        history = r.history if r.history is not None else sp.csr_matrix((1, len(self.items)), dtype=np.float32)
        filter_items = r.exclude if len(r.exclude) else None
        # every such model scores a listener from their row (known or live alike)
        ids, vals = self.cf.recommend(0, history, N=n, filter_items=filter_items, items=candidates,
                                      recalculate_user=True)
        codes = self.placed_codes
        recs = [Recommendation(str(self.items.ids[c]), self.name(c), float(v), {"cf": float(v)},
                               PLACED_BY[codes[c]] if codes[c] else None) for c, v in zip(ids, vals)]
        self._reasons(r, ids, recs, explain, because)
        return recs

    def recommend_batch(self, n: int = 10, user_rows=None, *, blend: str = "hybrid", exclude_rows=None,
                        filter_items=None, exact: bool = False, num_threads: int = 0,
                        batch_size: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` unplayed items for many known listeners at once (every one by default).

        Parameters
        ----------
        n : int
            Items per listener.
        user_rows : array of int, optional
            Model rows (``bundle.users.indices(ids)``).
        blend : {"hybrid", "cf"}
        exclude_rows : csr_matrix (len(user_rows) x n_items), optional
            More items to leave out per listener (e.g. what earlier playlists gave them).
        filter_items : array of int, optional
            Columns left out for everyone.
        exact : bool
        num_threads : int
        batch_size : int
            Listeners per search (bounds the query vectors held at once).

        Returns
        -------
        item_cols : ndarray of int64 (n_users x n), best first, padded with -1
        scores : ndarray of float32 (n_users x n), blended scores (padding -inf)
        """
        n_users = self.history.shape[0]
        rows = np.arange(n_users) if user_rows is None else np.asarray(user_rows, dtype=np.int64).ravel()
        if rows.size and (rows.min() < 0 or rows.max() >= n_users):
            bad = rows[(rows < 0) | (rows >= n_users)][0]
            raise InputError(f"user row {int(bad)} is outside 0..{n_users - 1}")
        if not self.cf.has_factors:
            return self._recommend_batch_dense(rows, n, exclude_rows, filter_items)
        mode = self._blend(blend)
        blocks = self.blocks()
        search = self._search("recommend", exact)
        extra = None if exclude_rows is None else sp.csr_matrix(exclude_rows)
        ids = np.full((len(rows), n), -1, np.int64)
        scores = np.full((len(rows), n), -np.inf, np.float32)
        step = max(int(batch_size), 1)
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            history = sp.csr_matrix(self.history[chunk])
            parts = mode.query_parts(self.cf.user_factors_[chunk], history, blocks)
            Q, offset = mode.query_matrix(parts, "recommend")
            exclude = history
            if extra is not None:  # the union of both patterns: any stored entry is left out
                piece = extra[start:start + len(chunk)]
                exclude = (abs(history) + abs(sp.csr_matrix(piece, dtype=history.dtype))).tocsr()
            got, vals = search.search(Q, n, exclude=exclude, filter_items=filter_items,
                                                   num_threads=num_threads)
            ids[start:start + len(chunk), :got.shape[1]] = got
            vals = np.where(got >= 0, vals - offset[:, None], -np.inf)
            scores[start:start + len(chunk), :got.shape[1]] = vals
        return ids, scores

    def _recommend_batch_dense(self, rows, n, exclude_rows, filter_items):
        history = self.history[rows]
        if exclude_rows is None:
            return self.cf.recommend(rows, history, N=n, filter_items=filter_items)
        extra = sp.csr_matrix(exclude_rows)
        wide = n + int(np.diff(extra.indptr).max(initial=0))
        ids, vals = self.cf.recommend(rows, history, N=wide, filter_items=filter_items)
        out_ids = np.full((len(rows), n), -1, np.int64)
        out_vals = np.full((len(rows), n), -np.inf, np.float32)
        for k in range(len(rows)):
            drop = extra.indices[extra.indptr[k]:extra.indptr[k + 1]]
            keep = np.flatnonzero((ids[k] >= 0) & ~np.isin(ids[k], drop))[:n]
            out_ids[k, :len(keep)], out_vals[k, :len(keep)] = ids[k, keep], vals[k, keep]
        return out_ids, out_vals

    def score(self, query, cols=None, *, blend: str = "hybrid") -> np.ndarray:
        """Blended scores of items ``cols`` (default: every item) for one listener."""
        r = self._resolve(query)
        Y = self.item_matrix("recommend")
        Q, offset, _ = self.query_vectors([r], blend)
        target = Y if cols is None else Y[self._columns(cols)]
        return (target @ Q[0] - offset[0]).astype(np.float32)

    # --- similar items ------------------------------------------------------------------------
    def similar(self, item, n: int = 10, *, by: str = "hybrid", exact: bool = False) -> list[Similar]:
        """Items most similar to ``item`` (an id, a name or a column), the item itself left out.

        ``by``: ``"hybrid"`` (the blend over every signal, each block's rows at unit length),
        ``"cf"`` (cosine of the factors) or ``"culture"`` (cosine of the TF-IDF cultural vectors;
        only described items).
        """
        if by not in SIMILAR_MODES:
            raise InputError(f"by must be one of {', '.join(SIMILAR_MODES)}, not {by!r}")
        if by == "culture":
            return self._similar_culture(item, n)
        col = int(item) if isinstance(item, (int, np.integer)) else self.resolve_item(item)
        if not self.cf.has_factors:
            if not self.cf.can_find_similar:
                raise InputError(f"{type(self.cf).__name__} models cannot find similar items")
            ids, scores = self.cf.similar_items(col, N=n + 1)
            keep = ids != col
            return [Similar(str(self.items.ids[i]), self.name(i), float(s), {"cf": float(s)})
                    for i, s in zip(ids[keep][:n], scores[keep][:n])]
        blend = self._blend(by)
        blocks = self.blocks()
        parts = blend.similar_parts([col], blocks)
        Q, offset = blend.query_matrix(parts, "similar")
        ids, scores = self._search("similar", exact).search(Q[0], n, exclude=[col])
        vals = scores - offset[0]
        if by == "cf":  # the cosine of the factors
            return [Similar(str(self.items.ids[i]), self.name(i), float(v), {"cf": float(v)}) for i, v in zip(ids, vals)]
        signals = blend.contributions(parts, blocks, ids, "similar")
        return [Similar(str(self.items.ids[i]), self.name(i), float(v),
                        {b: float(s[j]) for b, s in signals.items() if s[j]})
                for j, (i, v) in enumerate(zip(ids, vals))]

    def _similar_culture(self, item, n: int) -> list[Similar]:
        cv = self.require_culture()
        row = int(item) if isinstance(item, (int, np.integer)) else cv.resolve(item)
        return [Similar(str(cv.items_.ids[r]), str(cv.names_[r]), s, {"culture": s}) for r, s in cv.similar(row, n)]

    def require_culture(self):
        """The cultural vectors; one clear error when the store described no item."""
        if self.culture is None:
            raise InputError("this model has no cultural vectors: the store held no tags or texts when it was "
                             "trained", hint="ingest some (e.g. `tastemaker ingest hetrec` or `tastemaker ingest "
                             "texts FILE`) and train again")
        return self.culture

    # --- explanations ---------------------------------------------------------------------------
    def explain(self, query, item, n: int = 10, *, blend: str = "hybrid") -> Explanation:
        """Why ``item`` scores as it does for the listener: the listened items behind its
        collaborative part (Hu et al., section 5), each signal's part, and one line of reason."""
        r = self._resolve(query)
        col = int(item) if isinstance(item, (int, np.integer)) else self.resolve_item(item)
        codes = self.placed_codes
        placed_by = PLACED_BY[codes[col]] if codes[col] else None
        contributions: list = []
        history = r.history
        mine = np.empty(0, np.int64) if history is None else np.asarray(history.indices[history.data > 0], np.int64)
        if not self.cf.has_factors:
            if not self.cf.can_explain:
                raise InputError(f"{type(self.cf).__name__} models cannot explain their scores")
        if self.cf.can_explain and len(mine):
            cf_score, parts_cf, _ = self.cf.explain(0, history, col, N=n)
            contributions = self._shares(cf_score, parts_cf)
        if self.cf.has_factors:
            mode = self._blend(blend)
            _, offset, parts = self.query_vectors([r], blend)
            signals = ({"cf": float(self.blocks()["cf"][col] @ r.vector)} if blend == "cf" else
                       {b: float(v[0]) for b, v in mode.contributions(parts, self.blocks(), [col]).items() if v[0]})
            score = float(sum(signals.values()))
        else:
            score = float(self.cf.recommend(0, history, N=1, items=[col], filter_already_liked_items=False,
                                            recalculate_user=True)[1][0]) if history is not None else 0.0
            signals = {"cf": score}
        rec = Recommendation(str(self.items.ids[col]), self.name(col), score, signals, placed_by)
        reason = self._reason_text(rec, col, mine, contributions)
        return Explanation(r.user_id, str(self.items.ids[col]), self.name(col), score, contributions, signals,
                           placed_by, reason)

    # --- placing items without plays --------------------------------------------------------------
    def add_items(self, item_ids, names, factors, signal: str, *, rows: Mapping[str, np.ndarray] | None = None,
                  scale: str | float | None = "median") -> np.ndarray:
        """Add items nobody has played (or place again items placed before), with factors predicted
        from their content; they then take part in everything like any other item.

        Parameters
        ----------
        item_ids, names : sequences of str
            New ids (or ids placed before: replaced) and their display names.
        factors : array (len(item_ids) x factors)
            Predicted factors (e.g. of L2-normalised factors, from a regression).
        signal : str
            What placed them: one of :data:`PLACED_BY` but ``"plays"``.
        rows : dict, optional
            Their rows of the content blocks (:data:`SIGNAL_BLOCKS`); missing blocks get zeros.
        scale : "median", float or None
            ``"median"``: rescale so that the placed items' median norm is the learned items'
            (regression predictions are shorter and would never be recommended otherwise; the
            surer, longer predictions rank above the others); a float multiplies; None keeps them.

        Returns
        -------
        ndarray of int64
            The items' columns.

        The retrieval index no longer covers every item: it is dropped (build it again).
        """
        if signal not in PLACED_BY[1:]:
            raise InputError(f"signal must be one of {', '.join(PLACED_BY[1:])}, not {signal!r}")
        if not self.cf.has_factors:
            raise InputError(f"a {type(self.cf).__name__} model has no item factors to place new items among",
                             hint="train a factor model (als or sgd)")
        ids = np.asarray(list(item_ids), dtype=str)
        names = np.asarray(list(names), dtype=str)
        F = np.asarray(self.cf.item_factors_)
        factors = np.asarray(factors, dtype=np.float32)
        if factors.shape != (len(ids), F.shape[1]):
            raise ValueError(f"factors must be {len(ids)} x {F.shape[1]} (one row per item), got {factors.shape}")
        if len(names) != len(ids):
            raise ValueError(f"{len(names)} names for {len(ids)} item ids")
        if len(set(ids.tolist())) != len(ids):
            raise ValueError("item_ids are not unique")
        if factors.size and not np.all(np.isfinite(factors)):
            raise ValueError("factors hold NaN or infinite values")
        codes = self.placed_codes.copy()
        table = self.items._table()
        known_cols = np.asarray([table.get(i, -1) for i in ids.tolist()], dtype=np.int64)
        known = known_cols >= 0
        learned = known_cols[known][codes[known_cols[known]] == 0]
        if len(learned):
            raise InputError(f"item {str(self.items.ids[learned[0]])!r} has listeners: the model learned its "
                             "factors from plays", hint="place only items without plays")
        if scale == "median":
            norms = np.linalg.norm(F[codes == 0], axis=1)
            target = float(np.median(norms[norms > 0])) if np.any(norms > 0) else 1.0
            given = np.linalg.norm(factors, axis=1)
            factor = target / float(np.median(given[given > 0])) if np.any(given > 0) else target
        else:
            factor = 1.0 if scale is None else float(scale)
        factors = factors * np.float32(factor)
        if known.any():
            self.cf.set_item_factors(known_cols[known], factors[known])
        new_cols = self.cf.append_items(factors[~known])
        n_new = len(new_cols)
        self.items = Vocabulary(np.concatenate([self.items.ids, ids[~known]]), name="item")
        self.item_names = np.concatenate([np.asarray(self.item_names, dtype=str), names[~known]])
        h = self.history
        self.history = sp.csr_matrix((h.data, h.indices, h.indptr), shape=(h.shape[0], len(self.items)))
        cols = np.empty(len(ids), dtype=np.int64)
        cols[known], cols[~known] = known_cols[known], new_cols
        self.placed = np.concatenate([codes, np.zeros(n_new, np.int8)])
        self.placed[cols] = PLACED_BY.index(signal)
        rows = dict(rows or {})
        for name in set(self.signals) | set(rows):
            if name not in SIGNAL_BLOCKS:
                raise ValueError(f"unknown signal block {name!r}; blocks are {SIGNAL_BLOCKS}")
            old = self.signals.get(name)
            given = rows.get(name)
            width = (np.asarray(given).reshape(len(ids), -1).shape[1] if given is not None
                     else np.asarray(old).reshape(len(old), -1).shape[1])
            grown = np.zeros((len(self.items), width), np.float32)
            if old is not None:
                old = np.asarray(old, np.float32).reshape(len(old), -1)
                grown[:len(old)] = old
            grown[cols] = 0.0 if given is None else np.asarray(given, np.float32).reshape(len(ids), -1)
            self.signals[name] = grown
        self._refresh()
        return cols

    def _refresh(self) -> None:
        """After the items changed: caches, index and blend statistics are rebuilt."""
        self._cache.clear()
        self.index = None
        if self.blend is not None and self.cf.has_factors:
            self.blend = Blend(self.blend.weights_).fit(self.blocks())

    def set_blend(self, blend: Blend) -> None:
        """Serve with these weights (fitted on this bundle's blocks); the index is rebuilt later."""
        self.blend = blend
        self._cache.clear()
        self.index = None

    def prepare(self) -> None:
        """Compute what every request needs once (Gram matrices, blended vectors, exact indexes
        with compiled kernels, id lookup tables)."""
        self._prepared = True
        self.users._table()
        self.items._table()
        for kind in ("recommend", "similar"):
            self._cache.pop(f"exact:{kind}", None)
        self.cf.prepare()
        if self.cf.has_factors:
            for kind in ("recommend", "similar"):
                self._search(kind)
        self.listeners  # noqa: B018  (cached)

    # --- the retrieval index --------------------------------------------------------------------
    def build_index(self, kind: str = "auto", *, num_threads: int = 0, **params) -> str:
        """Build the retrieval index (``"auto"``: Voyager for large catalogues, else exact; or
        ``"voyager"``, ``"exact"``, ``"none"``); returns the kind built."""
        from tastemaker.retrieval import Retrieval, auto_kind

        if kind == "auto":
            kind = auto_kind(len(self.items)) if self.cf.has_factors else "none"
        if kind == "none":
            self.index = None
            return kind
        if not self.cf.has_factors:
            raise InputError(f"{type(self.cf).__name__} models have no item factors to index",
                             hint="train a factor model (als or sgd), or build no index")
        self.index = Retrieval.build(self.item_matrix("recommend"), kind, model_version=self.version,
                                     num_threads=num_threads, similar_vectors=self.item_matrix("similar"), **params)
        return kind

    # --- persistence ----------------------------------------------------------------------------
    def save(self, root) -> Path:
        """Write a new version under ``root`` and make it current (atomic; older versions pruned).

        The bundle's ``version`` becomes the new version's name."""
        meta_cf, arrays_cf = self.cf._to_state({})
        arrays: dict[str, np.ndarray] = {f"cf.{k}": v for k, v in arrays_cf.items()}
        h = sp.csr_matrix(self.history)
        arrays.update({"users": self.users.ids, "items": self.items.ids,
                       "item_names": np.asarray(self.item_names, dtype=str), "placed": self.placed_codes,
                       "history.indptr": h.indptr, "history.indices": h.indices, "history.data": h.data})
        manifest: dict = {"cf": meta_cf, "signals": sorted(self.signals)}
        for name, value in self.signals.items():
            arrays[f"signal.{name}"] = np.asarray(value, dtype=np.float32)
        if self.culture is not None:
            meta, cv_arrays = self.culture.to_state()
            manifest["culture"] = meta
            arrays.update({f"culture.{k}": v for k, v in cv_arrays.items()})
        if self.blend is not None:
            meta, blend_arrays = self.blend.to_state()
            manifest["blend"] = meta
            arrays.update({f"blend.{k}": v for k, v in blend_arrays.items()})
        root = Path(root)
        version = _new_version(root, h, self.items.ids)
        metadata = {**self.metadata, "version": version}
        manifest["metadata"] = metadata
        writers = {}
        index = self.index
        if index is not None:
            index.model_version = version
            manifest["index"] = {"file": _INDEX_FILE, "kind": index.kind}
            writers[_INDEX_FILE] = index.save
        path = write_version(root, version, manifest, arrays, writers=writers)
        self.metadata = metadata
        return path

    @classmethod
    def load(cls, root, *, index: bool = True) -> ModelBundle:
        """The current version under ``root`` (or a version directory itself).

        Arrays are memory-mapped: a command that answers one listener reads little of a large
        model. With ``index``, the retrieval index saved with it is loaded (an unreadable one is
        left out with a :class:`UserWarning`; search is then exact).
        """
        from tastemaker.text import CulturalVectors

        root = Path(root)
        version_dir = root if (root / "manifest.json").is_file() else current_version_dir(root)
        manifest, arrays = read_version(version_dir)
        group = _group(arrays)
        try:
            cf = RecommenderBase._from_state(manifest["cf"], group.get("cf", {}))
        except (KeyError, ValueError, TypeError) as exc:
            raise BundleFormatError(f"{version_dir}: cannot read the collaborative model ({exc})",
                                    hint="train again with `tastemaker train`") from None
        users = Vocabulary(np.asarray(arrays["users"]), name="user")
        items = Vocabulary(np.asarray(arrays["items"]), name="item")
        history = sp.csr_matrix((arrays["history.data"], arrays["history.indices"], arrays["history.indptr"]),
                                shape=(len(users), len(items)))
        culture = (CulturalVectors.from_state(manifest["culture"], group["culture"])
                   if "culture" in manifest else None)
        blend = Blend.from_state(manifest["blend"], group["blend"]) if "blend" in manifest else None
        signals = {name: arrays[f"signal.{name}"] for name in manifest.get("signals", [])}
        bundle = cls(cf, users, items, np.asarray(arrays["item_names"]), history, placed=arrays["placed"],
                     culture=culture, signals=signals, blend=blend, metadata=manifest.get("metadata", {}))
        bundle.metadata["path"] = str(version_dir)
        if index and "index" in manifest:
            bundle._load_index(version_dir / manifest["index"]["file"])
        return bundle

    def _load_index(self, path: Path) -> None:
        from tastemaker.retrieval import Retrieval

        try:
            self.index = Retrieval.load(path, self.item_matrix("recommend"), self.version,
                                        similar_vectors=self.item_matrix("similar"), verify=False)
        except InputError as exc:
            warnings.warn(f"not using the index: {exc}; searching exactly meanwhile", UserWarning, stacklevel=3)


def _group(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``{"cf.x": a, "culture.y": b}`` -> ``{"cf": {"x": a}, "culture": {"y": b}}``."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        head, _, rest = key.partition(".")
        if rest:
            out.setdefault(head, {})[rest] = value
    return out


def _new_version(root: Path, history: sp.csr_matrix, item_ids: np.ndarray) -> str:
    """A version name: the UTC time and a hash of the training data and the catalogue."""
    digest = hashlib.sha256()
    for arr in (history.indptr, history.indices, history.data):
        digest.update(np.ascontiguousarray(arr).tobytes())
    digest.update(json.dumps(len(item_ids)).encode())
    now = datetime.now(timezone.utc)
    base = f"{now:%Y%m%dT%H%M%SZ}-{digest.hexdigest()[:8]}"
    name, k = base, 1
    while (root / name).exists():
        k += 1
        name = f"{base}-{k}"
    return name


def _nearest(M: np.ndarray, col: int, among: np.ndarray) -> int | None:
    """The column among ``among`` whose row of ``M`` is closest (cosine) to ``col``'s; None if no
    row is described."""
    target = np.asarray(M[col], dtype=np.float32).ravel()
    if not np.any(target):
        return None
    rows = np.asarray(M[among], dtype=np.float32).reshape(len(among), -1)
    norms = np.linalg.norm(rows, axis=1) * float(np.linalg.norm(target))
    sims = np.where(norms > 0, rows @ target / np.where(norms > 0, norms, 1.0), -np.inf)
    best = int(np.argmax(sims))
    return int(among[best]) if np.isfinite(sims[best]) and sims[best] > 0 else None


def _rank_candidates(Q: np.ndarray, Y: np.ndarray, candidates: np.ndarray, exclude, n: int):
    """Exact top-``n`` among ``candidates`` for each query, excluded items left out."""
    S = Q @ Y[candidates].T
    out_ids = np.full((len(Q), n), -1, np.int64)
    out_vals = np.full((len(Q), n), -np.inf, np.float32)
    for k in range(len(Q)):
        s = S[k].copy()
        s[np.isin(candidates, exclude[k])] = -np.inf
        order = np.lexsort((candidates, -s))[:n]
        order = order[np.isfinite(s[order])]
        out_ids[k, :len(order)], out_vals[k, :len(order)] = candidates[order], s[order]
    return out_ids, out_vals


def training_metadata(model: RecommenderBase, history: sp.csr_matrix, started: float, origin: str, **extra) -> dict:
    """What every trained bundle carries: when and how long, the model, sizes, where the data came
    from, and a warning if the factors collapsed."""
    now = datetime.now(timezone.utc)
    meta = {"trained_at": now.isoformat(timespec="seconds"), "train_seconds": round(time.time() - started, 3),
            "model": repr(model), **extra, "users": int(history.shape[0]), "items": int(history.shape[1]),
            "interactions": int(history.nnz), "store": origin}
    warnings_ = _check_collapse(model, history)
    if warnings_:
        meta["warnings"] = warnings_
    return meta


def _check_collapse(model: RecommenderBase, user_items: sp.csr_matrix) -> list[dict]:
    """A warning (``{"message", "setting"}``) when a factor model's scores all shrank to ~0 (too
    much regularisation)."""
    if not model.has_factors:
        return []
    sample = np.arange(min(200, user_items.shape[0]))
    peak = float(np.abs(model.user_factors_[sample] @ model.item_factors_.T).max(initial=0.0))
    if peak >= 1e-3:
        return []
    current = getattr(model, "regularization", None)
    return [{"message": f"every score is below {peak:.1e}: regularization {current} shrank the factors to ~0 on "
                        f"this small data set ({user_items.shape[0]:,} users x {user_items.shape[1]:,} items), so "
                        "the ranking is not meaningful; train again with a smaller regularization (e.g. 1 or 0.1)",
             "setting": "regularization"}]

