"""Discover Weekly: 30 fresh but familiar items per listener and ISO week, each with a reason.

The pipeline, for every listener at once:

1. **Candidates**: the top ``candidates`` items by collaborative filtering that the listener
   never played and was not given in an earlier week (:meth:`Recommender.recommend_batch`: an
   ANN index when one is loaded, exact search otherwise); a listener left short by the
   per-artist cap asks again for four times as many.
2. **Blend**: the CF score, min-max scaled over the listener's candidates, plus the cosine between
   the listener's taste profile and each candidate in every content space present (cultural
   vectors, audio features), minus a small popularity penalty ("fresh").
3. **Filter and diversify** (compiled, :mod:`._kernels`): items played or given in an earlier
   week are dropped; greedy re-ranking caps items per artist and penalises tags the playlist
   already covers (maximal marginal relevance over tags).
4. **Explore**: a few slots, spread through the playlist, drawn (seeded by listener and week)
   from the less popular half of the listener's candidates.
5. **Explain**: X is the one of the listener's ten most played items closest to the item by
   item factors: "Because you listened to X" when X is among their three most played, else "Fans
   of X also play"; "Tagged like your favourite Y" when that closeness is weak (cosine < 0.3) and
   the item carries one of their three favourite tags; "New to you: exploring Z" in exploration
   slots (Z: the item's strongest tag outside their favourites).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tastemaker.cf._threads import thread_limits
from tastemaker.errors import InputError
from tastemaker.playlists._kernels import REASONS, rerank
from tastemaker.playlists._side import SideData
from tastemaker.playlists._week import IsoWeek, parse_week

__all__ = ["DiscoverWeekly", "Playlists", "TEMPLATES"]

#: reason -> (text before the anchor's name, text after it)
TEMPLATES = {
    "because": ("Because you listened to ", ""),
    "fans": ("Fans of ", " also play"),
    "tagged": ("Tagged like your favourite ", ""),
    "explore": ("New to you: exploring ", ""),
}


@dataclass
class Playlists:
    """One week's playlists for a set of users, as arrays (see :meth:`DiscoverWeekly.generate`).

    Attributes
    ----------
    week : IsoWeek
    user_ids : ndarray of str, shape (U,)
    items : ndarray of int32, shape (U, size)
        Item columns of the model, in playlist order; -1 pads a user with too few candidates.
    reasons : ndarray of int8, shape (U, size)
        Index into :data:`~tastemaker.playlists._kernels.REASONS`.
    anchors : ndarray of int32, shape (U, size)
        The explanation's subject: an item column (because, fans) or a tag id (tagged, explore).
    scores : ndarray of float32, shape (U, size)
        Blended scores.
    item_ids, item_names : ndarray of str
        The model's item ids and display names (indexed by ``items`` and item anchors).
    tag_names, artist_names, artist : ndarray
        Side data for tag anchors and for exploration slots of untagged items.
    model_version : str
    seconds : dict of str to float
        Time spent per stage.
    """

    week: IsoWeek
    user_ids: np.ndarray
    items: np.ndarray
    reasons: np.ndarray
    anchors: np.ndarray
    scores: np.ndarray
    item_ids: np.ndarray
    item_names: np.ndarray
    tag_names: np.ndarray
    artist_names: np.ndarray
    artist: np.ndarray
    model_version: str
    seconds: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.user_ids)

    def explanation(self, u: int, p: int) -> str:
        """The one-line explanation of position ``p`` (0-based) of user ``u``'s playlist."""
        reason = REASONS[self.reasons[u, p]]
        before, after = TEMPLATES[reason]
        return before + self.anchor_name(u, p) + after

    def anchor_name(self, u: int, p: int) -> str:
        """The name the explanation of position ``p`` of user ``u`` mentions."""
        reason = REASONS[self.reasons[u, p]]
        a = int(self.anchors[u, p])
        if reason in ("because", "fans"):
            return str(self.item_names[a])
        if a >= 0:
            return str(self.tag_names[a])
        return str(self.artist_names[self.artist[self.items[u, p]]])

    def user(self, u: int) -> list[dict]:
        """User ``u``'s playlist: ``[{"item_id", "name", "explanation", "reason", "score"}]``."""
        return [{"item_id": str(self.item_ids[c]), "name": str(self.item_names[c]),
                 "explanation": self.explanation(u, p), "reason": REASONS[self.reasons[u, p]],
                 "score": float(self.scores[u, p])}
                for p, c in enumerate(self.items[u]) if c >= 0]


@dataclass
class DiscoverWeekly:
    """Settings of the Discover Weekly generator.

    Parameters
    ----------
    size : int, default 30
        Items per playlist.
    candidates : int, default 200
        Collaborative-filtering candidates fetched per listener before filtering and re-ranking.
    per_artist : int, default 2
        At most this many items of one artist (binds when items are tracks).
    explore : int, default 3
        Exploration slots per playlist.
    explore_pool : int, default 30
        Exploration items are drawn from this many of the listener's less popular candidates.
    tag_penalty : float, default 0.3
        Weight of the tag-coverage penalty (0: no tag diversification).
    popularity_penalty : float, default 0.1
        Weight of the (log, [0, 1]-scaled) popularity subtracted from the blended score.
    signal_weights : dict, default {"culture": 0.15, "audio": 0.1}
        Weight of each content signal present in the side data.
    random_state : int, default 0
        Seeds the exploration slots together with the week and the listener's id.
    num_threads : int, default 0
        Threads for retrieval and re-ranking (0: every core).

    Examples
    --------
    >>> from tastemaker.playlists import DiscoverWeekly, load_side_data      # doctest: +SKIP
    >>> side = load_side_data(store, rec)                                   # doctest: +SKIP
    >>> lists = DiscoverWeekly().generate(rec, side, "2026-W48")             # doctest: +SKIP
    >>> lists.user(0)[0]["explanation"]                                     # doctest: +SKIP
    'Because you listened to Duran Duran'
    """

    size: int = 30
    candidates: int = 200
    per_artist: int = 2
    explore: int = 3
    explore_pool: int = 30
    tag_penalty: float = 0.3
    popularity_penalty: float = 0.1
    signal_weights: dict = field(default_factory=lambda: {"culture": 0.15, "audio": 0.1})
    random_state: int = 0
    num_threads: int = 0

    def _check(self) -> None:
        if self.size < 1 or self.candidates < self.size:
            raise ValueError(f"need 1 <= size <= candidates, got size={self.size}, candidates={self.candidates}")
        if self.per_artist < 1 or self.explore < 0 or self.explore > self.size:
            raise ValueError("per_artist must be >= 1 and 0 <= explore <= size")

    def generate(self, rec, side: SideData, week: str | IsoWeek | None = None, user_ids=None,
                 previous: sp.csr_matrix | None = None, *, candidates=None, batch_size: int = 50_000,
                 progress=None) -> Playlists:
        """Playlists for ``user_ids`` (default: every user of the model) for ``week``.

        Parameters
        ----------
        rec : Recommender
            A trained factor model (ALS, SGD) with its history.
        side : SideData
            Artists, tags, popularity and content signals of ``rec``'s items.
        week : str or IsoWeek, optional
            ISO week (default: the current one).
        user_ids : sequence of str, optional
            Listeners to make playlists for.
        previous : csr_matrix (n_users x n_items), optional
            Items given to each user in earlier weeks (never given again).
        candidates : tuple of arrays, optional
            Precomputed ``(item_cols, scores)`` for the users (``recommend_batch``'s output).
        batch_size : int, default 50,000
            Users per retrieval and re-ranking batch (bounds the candidates held in memory).
        progress : callable, optional
            Called with the number of users done after every batch (a progress bar's ``update``).
        """
        self._check()
        week = parse_week(week)
        if not hasattr(rec.model, "item_factors_"):
            raise InputError(f"Discover Weekly needs a factor model (als or sgd), not a {type(rec.model).__name__}",
                             hint="train one with `tastemaker train --algorithm als`")
        if side.n_items != len(rec.items):
            raise ValueError(f"side data has {side.n_items} items, the model {len(rec.items)}")
        rows = (np.arange(len(rec.users), dtype=np.int64) if user_ids is None
                else rec.users.indices([str(u) for u in user_ids]))
        history = sp.csr_matrix(rec.history)
        previous = sp.csr_matrix(history.shape, dtype=np.float32) if previous is None else sp.csr_matrix(previous)
        factors = np.asarray(rec.model.item_factors_, dtype=np.float32)
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        unit = factors / np.where(norms > 0, norms, 1)
        pop = np.log1p(side.popularity.astype(np.float32))
        pop /= max(float(pop.max(initial=0.0)), 1e-12)
        users = np.asarray(rec.users.ids)[rows]
        seeds = self.seeds(users, week)
        seconds = {"candidates": 0.0, "content": 0.0, "rerank": 0.0}
        n_items = len(rec.items)

        def one_batch(rows_b, seeds_b, k, given=None):
            t = time.perf_counter()
            if given is None:  # earlier weeks' items left out by the search, so the window stays full
                given_rows = previous[rows_b]
                cand, cf = rec.recommend_batch(k, user_rows=rows_b, num_threads=self.num_threads,
                                               exclude_rows=given_rows if given_rows.nnz else None)
            else:
                cand, cf = given
            seconds["candidates"] += time.perf_counter() - t
            t = time.perf_counter()
            extra = self._content_scores(history, rows_b, cand, side)
            seconds["content"] += time.perf_counter() - t
            t = time.perf_counter()
            with thread_limits(self.num_threads):
                out = rerank(rows_b, cand, cf, history, previous, side.artist, side.item_tags, unit, pop, seeds_b,
                             extra=extra, size=self.size, per_artist=self.per_artist, n_explore=self.explore,
                             explore_pool=self.explore_pool, tag_penalty=self.tag_penalty,
                             pop_penalty=self.popularity_penalty)
            seconds["rerank"] += time.perf_counter() - t
            return out

        parts = []
        step = max(int(batch_size), 1)
        for start in range(0, len(rows), step):
            batch = slice(start, min(start + step, len(rows)))
            given = None if candidates is None else (candidates[0][batch], candidates[1][batch])
            out = one_batch(rows[batch], seeds[batch], self.candidates, given)
            k = self.candidates
            while candidates is None and k < n_items:
                # the per-artist cap (or a long history) used up some users' candidates: ask for more
                short = np.flatnonzero((out[0] >= 0).sum(axis=1) < self.size)
                if not short.size:
                    break
                k = min(4 * k, n_items)
                refill = one_batch(rows[batch][short], seeds[batch][short], k)
                for full, part in zip(out, refill):
                    full[short] = part
            parts.append(out)
            if progress is not None:
                progress(batch.stop - batch.start)
        if parts:
            items, reasons, anchors, scores = (np.concatenate(arrays) for arrays in zip(*parts))
        else:
            items, reasons, anchors = (np.empty((0, self.size), dt) for dt in (np.int32, np.int8, np.int32))
            scores = np.empty((0, self.size), np.float32)
        names = side.item_names if side.item_names is not None else np.asarray(rec.item_names)
        return Playlists(week, users, items, reasons, anchors, scores, np.asarray(rec.items.ids), names,
                         side.tag_names, side.artist_names, side.artist, rec.version, seconds)

    def seeds(self, user_ids, week: IsoWeek) -> np.ndarray:
        """One 64-bit seed per listener for ``week``: stable across retrains (from the id, not the row)."""
        keys = np.fromiter((zlib.crc32(str(u).encode()) for u in user_ids), dtype=np.uint64, count=len(user_ids))
        base = np.uint64((int(self.random_state) * 1_000_003 + week.key) & 0xFFFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            return base * np.uint64(0x9E3779B97F4A7C15) ^ keys * np.uint64(0xC2B2AE3D27D4EB4F)

    def _content_scores(self, history, rows, cand, side: SideData) -> np.ndarray | None:
        """Weighted cosine between each user's taste profile and each candidate, summed over signals."""
        used = {name: w for name, w in self.signal_weights.items() if w and name in side.signals}
        if not used:
            return None
        extra = np.zeros(cand.shape, dtype=np.float32)
        weights = sp.csr_matrix(history[rows], dtype=np.float32, copy=True)
        weights.data = np.log1p(np.maximum(weights.data, 0))  # skips and rejected items weigh nothing
        safe = np.maximum(cand, 0)
        for name, w in used.items():
            vectors = np.asarray(side.signals[name], dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            unit = vectors / np.where(norms > 0, norms, 1)
            for start in range(0, len(rows), 4096):
                stop = min(start + 4096, len(rows))
                profile = np.asarray(weights[start:stop] @ unit)
                profile /= np.maximum(np.linalg.norm(profile, axis=1, keepdims=True), 1e-12)
                extra[start:stop] += w * np.einsum("ukd,ud->uk", unit[safe[start:stop]], profile)
        return extra
