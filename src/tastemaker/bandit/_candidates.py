"""Home-screen candidates: (item, explanation) pairs grouped into shelves.

Four kinds of shelf, each a reason a listener may want the cards on it:

========== ================================= ==========================================================
type       title                             cards
========== ================================= ==========================================================
because    Because you listened to X         the items most similar to X, X one of the user's most
                                             played items
tag        More of your top tag Y            items tagged Y, Y the tag of the user's plays (play-weighted)
friends    Popular with your friends         what the user's friends play most
new        New for you                       the newest items of the catalogue (first tagged or
                                             played most recently) and the items nobody has played
                                             yet that were placed from their content
========== ================================= ==========================================================

Items the user already played are never candidates; the cards of every shelf but ``friends`` are
ranked by the user's score and cut at ``per_shelf``.

One candidate generator, two ways to build it: :meth:`HomeCatalog.from_bundle` for the product
(scores are the bundle's learned blend, similar items its hybrid similarity, placed items its
own) and :meth:`HomeCatalog.from_factors` for the simulator (the factors of a model trained on a
split: inner products and the cosine of the factors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Store, Vocabulary
from tastemaker.errors import InputError

__all__ = ["SHELF_TYPES", "Shelf", "CandidateSet", "HomeCatalog"]

SHELF_TYPES = ("because", "tag", "friends", "new")


@dataclass(frozen=True)
class Shelf:
    """One shelf: ``key`` is unique on a page (``"because:289"``), ``title`` what people read."""

    key: str
    type: str
    title: str


@dataclass
class CandidateSet:
    """Every card a page may show a user: parallel arrays, one entry per (item, shelf) pair.

    Attributes
    ----------
    items : int array
        Catalogue columns (the same item may sit on several shelves).
    shelf : int array
        Index into ``shelves``.
    cf : float array
        The recommender's score of the item for the user (the product: the bundle's blended
        score; the simulator: the factors' inner product). The name is the logs' column.
    popularity : float array
        ``log1p`` of the item's number of listeners.
    shelves : list of Shelf
    """

    items: np.ndarray
    shelf: np.ndarray
    cf: np.ndarray
    popularity: np.ndarray
    shelves: list[Shelf]

    def __len__(self) -> int:
        return int(self.items.shape[0])

    @property
    def shelf_types(self) -> np.ndarray:
        """The type index (into :data:`SHELF_TYPES`) of every candidate's shelf."""
        types = np.array([SHELF_TYPES.index(s.type) for s in self.shelves], dtype=np.int64)
        return types[self.shelf] if len(self.shelf) else np.zeros(0, dtype=np.int64)


class HomeCatalog:
    """What candidate generation needs, as arrays over one user and item vocabulary.

    Build it with :meth:`from_bundle` (the product) or :meth:`from_factors` (the simulator).

    Parameters
    ----------
    users, items : Vocabulary
    item_names : array of str
    history : csr_matrix
        Users x items play counts (what each user already played: never a candidate).
    score : callable
        ``score(user_row)``: the user's score of every item (a float array over the columns).
    similar : callable
        ``similar(col, n)``: the columns of the ``n`` items most similar to ``col``, most similar
        first, ``col`` left out.
    item_tags : csr_matrix
        Items x tags counts; ``tag_names`` names the columns.
    friends : csr_matrix
        Users x users, 1 where the column is a friend of the row.
    first_seen : float array
        Epoch seconds an item first appeared (first tag or event); NaN if unknown.
    placed : bool array, optional
        Items nobody has played that were placed from their content: always new.
    fresh_share : float, default 0.05
        The newest share of the dated catalogue that counts as new.
    """

    def __init__(self, users: Vocabulary, items: Vocabulary, item_names, history: sp.csr_matrix,
                 score: Callable[[int], np.ndarray], similar: Callable[[int, int], np.ndarray],
                 item_tags: sp.csr_matrix, tag_names, friends: sp.csr_matrix, first_seen, placed=None,
                 fresh_share: float = 0.05):
        self.users = users
        self.items = items
        self.item_names = np.asarray(item_names, dtype=str)
        self.history = sp.csr_matrix(history)
        self.score = score
        self.similar = similar
        self.item_tags = sp.csr_matrix(item_tags)
        self.tag_names = np.asarray(tag_names, dtype=str)
        self.friends = sp.csr_matrix(friends)
        self.first_seen = np.asarray(first_seen, dtype=np.float64)
        listeners = np.diff(self.history.tocsc().indptr)
        self.popularity = np.log1p(listeners).astype(np.float64)
        self._tag_items = self.item_tags.T.tocsr()
        dated = np.isfinite(self.first_seen)
        self.fresh = np.zeros(len(items), dtype=bool)
        if dated.any():
            cut = np.quantile(self.first_seen[dated], 1.0 - fresh_share)
            self.fresh = dated & (self.first_seen >= cut)
        if placed is not None:
            self.fresh |= np.asarray(placed, dtype=bool)
        self._fresh_cols = np.flatnonzero(self.fresh)

    @classmethod
    def from_bundle(cls, store: Store, bundle, **kwargs) -> HomeCatalog:
        """Candidates of a trained system: cards ranked by ``bundle``'s blended score
        (:meth:`~tastemaker.bundle.ModelBundle.score`), "because you listened to X" shelves by its
        hybrid similarity (:meth:`~tastemaker.bundle.ModelBundle.similar`), the items it placed
        without plays among the new ones; tags, friendships and dates from ``store``.

        Raises
        ------
        InputError
            If the bundle's model has no factors (the blend needs them).
        """
        from tastemaker.bundle import Query

        if not bundle.cf.has_factors:
            raise InputError(f"the home screen needs a factor model (als or sgd); a {type(bundle.cf).__name__} "
                             "has no factors", setting="algorithm")
        user_ids = bundle.users.ids

        def score(user: int) -> np.ndarray:
            return bundle.score(Query(str(user_ids[user])))

        def similar(col: int, n: int) -> np.ndarray:
            return bundle.items.indices([s.item_id for s in bundle.similar(int(col), n)])

        return cls(bundle.users, bundle.items, bundle.item_names, bundle.history, score, similar,
                   *_store_side(store, bundle.users, bundle.items), placed=bundle.placed_codes > 0, **kwargs)

    @classmethod
    def from_factors(cls, store: Store, users: Vocabulary, items: Vocabulary, item_names, history: sp.csr_matrix,
                     user_factors, item_factors, **kwargs) -> HomeCatalog:
        """Candidates from a factor model's arrays (e.g. ALS on a train split): scores are inner
        products, similar items the cosine of the item factors; tags, friendships and dates from
        ``store``."""
        U = np.asarray(user_factors, dtype=np.float32)
        V = np.asarray(item_factors, dtype=np.float32)
        unit = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)

        def score(user: int) -> np.ndarray:
            return V @ U[user]

        def similar(col: int, n: int) -> np.ndarray:
            sims = unit @ unit[col]
            sims[col] = -np.inf
            n = min(int(n), len(sims) - 1)
            if n <= 0:
                return np.zeros(0, np.int64)
            top = np.argpartition(-sims, n - 1)[:n]
            return top[np.lexsort((top, -sims[top]))].astype(np.int64)

        return cls(users, items, item_names, history, score, similar, *_store_side(store, users, items), **kwargs)

    # -- candidates ---------------------------------------------------------------------------
    def candidates(self, user: int, per_shelf: int = 8, because: int = 3) -> CandidateSet:
        """The (item, shelf) candidates of user row ``user``; see the module docstring."""
        played_row = self.history[user]
        played = np.zeros(len(self.items), dtype=bool)
        played[played_row.indices[played_row.data > 0]] = True
        scores = np.asarray(self.score(user), dtype=np.float64)
        shelves: list[Shelf] = []
        chunks: list[np.ndarray] = []

        def add(shelf: Shelf, pool: np.ndarray, rank_by: np.ndarray | None) -> None:
            """The shelf's best ``per_shelf`` unplayed items of ``pool`` (by ``rank_by``; None: in
            the pool's order)."""
            pool = pool[~played[pool]]
            if len(pool) == 0:
                return
            best = pool[:per_shelf] if rank_by is None else pool[np.argsort(-rank_by[pool], kind="stable")[:per_shelf]]
            shelves.append(shelf)
            chunks.append(best)

        # because you listened to X: X among the most played, cards most like X
        order = np.argsort(-played_row.data, kind="stable")[:because]
        for anchor in played_row.indices[order]:
            pool = np.asarray(self.similar(int(anchor), 4 * per_shelf + int(played.sum())), dtype=np.int64)
            add(Shelf(f"because:{self.items.ids[anchor]}", "because",
                      f"Because you listened to {self.item_names[anchor]}"), pool, None)
        # more of your top tag
        if played_row.nnz and self.item_tags.shape[1]:
            weights = np.asarray(self.item_tags[played_row.indices].T @ np.log1p(played_row.data)).ravel()
            if weights.max(initial=0) > 0:
                tag = int(np.argmax(weights))
                pool = self._tag_items[tag].indices
                add(Shelf(f"tag:{self.tag_names[tag]}", "tag", f"More of your top tag {self.tag_names[tag]}"),
                    pool, scores)
        # popular with your friends
        friends = self.friends[user].indices
        if len(friends):
            plays = np.asarray(self.history[friends].sum(axis=0)).ravel()
            listeners = np.diff(self.history[friends].tocsc().indptr)
            pool = np.flatnonzero(listeners > 0)
            add(Shelf("friends", "friends", "Popular with your friends"), pool,
                listeners + plays / (plays.max(initial=0) + 1.0))
        # new for you
        if len(self._fresh_cols):
            add(Shelf("new", "new", "New for you"), self._fresh_cols, scores)
        if not chunks:
            return CandidateSet(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
        items = np.concatenate(chunks).astype(np.int64)
        shelf = np.repeat(np.arange(len(chunks)), [len(c) for c in chunks]).astype(np.int64)
        return CandidateSet(items, shelf, scores[items], self.popularity[items], shelves)


def _store_side(store: Store, users: Vocabulary, items: Vocabulary):
    """``(item_tags, tag_names, friends, first_seen)`` of the vocabularies, read from ``store``."""
    con = store.con
    tag_rows = con.execute("""SELECT it.item_id, it.tag_id, count(*) FROM item_tags it
        GROUP BY 1, 2""").fetchall()
    tag_names = dict(con.execute("SELECT tag_id, name FROM tags").fetchall())
    tag_ids = sorted({t for _, t, _ in tag_rows})
    tag_col = {t: j for j, t in enumerate(tag_ids)}
    rows, cols, vals = [], [], []
    for item, tag, n in tag_rows:
        if item in items:
            rows.append(items.index(item))
            cols.append(tag_col[tag])
            vals.append(float(n))
    item_tags = sp.csr_matrix((vals, (rows, cols)), shape=(len(items), len(tag_ids)))
    friend_rows = con.execute("SELECT user_id, friend_id FROM friendships").fetchall()
    pairs = [(users.index(u), users.index(f)) for u, f in friend_rows if u in users and f in users]
    fr, fc = (np.array(x, dtype=np.int64) for x in zip(*pairs)) if pairs else (np.zeros(0, int),) * 2
    friends = sp.csr_matrix((np.ones(len(fr)), (fr, fc)), shape=(len(users), len(users)))
    friends.data[:] = 1.0
    first = con.execute("""SELECT item_id, epoch(min(ts)) FROM (
            SELECT item_id, ts FROM item_tags WHERE ts IS NOT NULL
            UNION ALL SELECT item_id, ts FROM events WHERE ts IS NOT NULL) GROUP BY 1""").fetchall()
    first_seen = np.full(len(items), np.nan)
    for item, when in first:
        if item in items:
            first_seen[items.index(item)] = float(when)
    return item_tags, [tag_names.get(t, t) for t in tag_ids], friends, first_seen
