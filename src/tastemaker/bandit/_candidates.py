"""Home-screen candidates: (item, explanation) pairs grouped into shelves.

Four kinds of shelf, each a reason a listener may want the cards on it:

========== ================================= ==========================================================
type       title                             cards
========== ================================= ==========================================================
because    Because you listened to X         items most like X (cosine of ALS item factors), X one of
                                             the user's most played items
tag        More of your top tag Y            items tagged Y, Y the tag of the user's plays (play-weighted)
friends    Popular with your friends         what the user's friends play most
new        New for you                       the newest items of the catalogue (first tagged or
                                             played most recently) and items nobody has played yet
                                             that a cold-start model placed; best ALS score first
========== ================================= ==========================================================

Items the user already played are never candidates; every shelf's cards are ranked by the
user's ALS score and cut at ``per_shelf``. The catalogue works on rows and columns only, so the
simulator (on a train split) and the product (on a trained model) share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Store, Vocabulary

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
        The user's ALS score of the item.
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

    Parameters
    ----------
    users, items : Vocabulary
    item_names : array of str
    history : csr_matrix
        Users x items play counts (what each user already played: never a candidate).
    user_factors, item_factors : ndarray
        ALS factors of the rows and columns.
    item_tags : csr_matrix
        Items x tags counts; ``tag_names`` names the columns.
    friends : csr_matrix
        Users x users, 1 where the column is a friend of the row.
    first_seen : float array
        Epoch seconds an item first appeared (first tag or event); NaN if unknown.
    fresh_share : float, default 0.05
        The newest share of the dated catalogue that counts as new.
    """

    def __init__(self, users: Vocabulary, items: Vocabulary, item_names, history: sp.csr_matrix,
                 user_factors, item_factors, item_tags: sp.csr_matrix, tag_names, friends: sp.csr_matrix,
                 first_seen, fresh_share: float = 0.05):
        self.users = users
        self.items = items
        self.item_names = np.asarray(item_names, dtype=str)
        self.history = sp.csr_matrix(history)
        self.user_factors = np.asarray(user_factors, dtype=np.float32)
        self.item_factors = np.asarray(item_factors, dtype=np.float32)
        self.item_tags = sp.csr_matrix(item_tags)
        self.tag_names = np.asarray(tag_names, dtype=str)
        self.friends = sp.csr_matrix(friends)
        self.first_seen = np.asarray(first_seen, dtype=np.float64)
        norms = np.linalg.norm(self.item_factors, axis=1, keepdims=True)
        self._unit_items = self.item_factors / np.maximum(norms, 1e-12)
        listeners = np.diff(self.history.tocsc().indptr)
        self.popularity = np.log1p(listeners).astype(np.float64)
        self._tag_items = self.item_tags.T.tocsr()
        dated = np.isfinite(self.first_seen)
        self.fresh = np.zeros(len(items), dtype=bool)
        if dated.any():
            cut = np.quantile(self.first_seen[dated], 1.0 - fresh_share)
            self.fresh = dated & (self.first_seen >= cut)
        # items no one has played yet but a content or culture model placed in the factor space
        self.fresh |= (listeners == 0) & (norms[:, 0] > 1e-6)
        self._fresh_cols = np.flatnonzero(self.fresh)

    @classmethod
    def from_store(cls, store: Store, users: Vocabulary, items: Vocabulary, item_names,
                   history: sp.csr_matrix, user_factors, item_factors, **kwargs) -> HomeCatalog:
        """Read tags, friendships and first-seen dates for the given vocabularies from ``store``."""
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
        names = [tag_names.get(t, t) for t in tag_ids]
        return cls(users, items, item_names, history, user_factors, item_factors, item_tags, names,
                   friends, first_seen, **kwargs)

    # -- candidates ---------------------------------------------------------------------------
    def candidates(self, user: int, per_shelf: int = 8, because: int = 3) -> CandidateSet:
        """The (item, shelf) candidates of user row ``user``; see the module docstring."""
        played_row = self.history[user]
        played = np.zeros(len(self.items), dtype=bool)
        played[played_row.indices[played_row.data > 0]] = True
        scores = self.item_factors @ self.user_factors[user]
        shelves: list[Shelf] = []
        chunks: list[np.ndarray] = []

        def add(shelf: Shelf, pool: np.ndarray, rank_by: np.ndarray) -> None:
            pool = pool[~played[pool]]
            if len(pool) == 0:
                return
            best = pool[np.argsort(-rank_by[pool], kind="stable")[:per_shelf]]
            shelves.append(shelf)
            chunks.append(best)

        # because you listened to X: X among the most played, cards most like X
        order = np.argsort(-played_row.data, kind="stable")[:because]
        for anchor in played_row.indices[order]:
            sims = self._unit_items @ self._unit_items[anchor]
            pool = np.argpartition(-sims, min(len(sims) - 1, 4 * per_shelf + len(played_row.indices)))
            pool = pool[: 4 * per_shelf + len(played_row.indices)]
            add(Shelf(f"because:{self.items.ids[anchor]}", "because",
                      f"Because you listened to {self.item_names[anchor]}"), pool, sims)
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
        return CandidateSet(items, shelf, scores[items].astype(np.float64), self.popularity[items], shelves)
