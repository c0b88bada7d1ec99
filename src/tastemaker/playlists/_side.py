"""What Discover Weekly knows about items besides their scores: artists, tags, popularity.

Everything is aligned with a :class:`~tastemaker.bundle.ModelBundle`'s item columns, as plain
arrays the re-ranking kernel reads. (The content signals, cultural vectors and audio, are the
bundle's own: they are in the scores of its candidates.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Store

__all__ = ["SideData", "load_side_data"]


@dataclass
class SideData:
    """Per-item side information, one entry per model column.

    Attributes
    ----------
    artist : ndarray of int32, shape (n_items,)
        Artist code of every item (``0 .. n_artists-1``); items of unknown artist get codes of
        their own, so the per-artist cap never merges them.
    artist_names : ndarray of str, shape (n_artists,)
        Display name of every artist code.
    item_tags : csr_matrix of float32, shape (n_items, n_tags)
        An item's strongest tags (at most a few per item) with their weights, strongest first.
    tag_names : ndarray of str, shape (n_tags,)
    popularity : ndarray of int32, shape (n_items,)
        How many listeners played each item in the model's history.
    item_names : ndarray of str, optional
        Display names (a track as ``"Artist – Title"``); None: the model's names.
    """

    artist: np.ndarray
    artist_names: np.ndarray
    item_tags: sp.csr_matrix
    tag_names: np.ndarray
    popularity: np.ndarray
    item_names: np.ndarray | None = None

    @property
    def n_items(self) -> int:
        return len(self.artist)

    @property
    def tracks(self) -> bool:
        """True when several items share an artist (the items are tracks)."""
        return len(self.artist_names) < len(self.artist)

    @classmethod
    def from_arrays(cls, popularity, *, artist=None, artist_names=None, item_tags=None, tag_names=None,
                    item_names=None) -> SideData:
        """Build side data from arrays (missing parts: one artist per item, no tags)."""
        popularity = np.asarray(popularity, dtype=np.int32)
        n = len(popularity)
        if artist is None:
            artist = np.arange(n, dtype=np.int32)
        artist = np.asarray(artist, dtype=np.int32)
        n_artists = int(artist.max()) + 1 if n else 0
        if artist_names is None:
            artist_names = np.asarray([f"artist {a}" for a in range(n_artists)], dtype=str)
        if item_tags is None:
            item_tags = sp.csr_matrix((n, 0), dtype=np.float32)
        item_tags = sp.csr_matrix(item_tags, dtype=np.float32)
        if tag_names is None:
            tag_names = np.asarray([f"tag {t}" for t in range(item_tags.shape[1])], dtype=str)
        if len(artist) != n or item_tags.shape[0] != n:
            raise ValueError("artist, item_tags and popularity must have one entry per item")
        return cls(artist, np.asarray(artist_names, dtype=str), _strongest_first(item_tags),
                   np.asarray(tag_names, dtype=str), popularity,
                   None if item_names is None else np.asarray(item_names, dtype=str))


def _strongest_first(m: sp.csr_matrix) -> sp.csr_matrix:
    """Sort every row's entries by weight, descending (ties: lower tag id first)."""
    m = sp.csr_matrix(m, dtype=np.float32, copy=True)
    m.sum_duplicates()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((m.indices, -m.data, rows))
    out = sp.csr_matrix((m.data[order], m.indices[order], m.indptr), shape=m.shape)
    out.has_sorted_indices = False
    return out


def load_side_data(store: Store, bundle, *, max_tags: int = 5) -> SideData:
    """Artists and tags of ``bundle``'s items, read from the store, and their popularity.

    Parameters
    ----------
    store : Store
        The event store the model was trained on.
    bundle : ModelBundle
        The trained system whose item columns the arrays follow.
    max_tags : int, default 5
        Tags kept per item: the ones listeners used most on it.
    """
    ids = np.asarray(bundle.items.ids, dtype=str)
    n = len(ids)
    # object arrays: DuckDB scans them far faster than fixed-width numpy unicode
    _tm_dw_cols = {"item_id": ids.astype(object), "col": np.arange(n, dtype=np.int64)}  # noqa: F841 (scanned by DuckDB)
    con = store.con
    # codes and names numbered in SQL (sorting strings in numpy is what takes time here)
    artists = con.execute(
        """WITH a AS (
            SELECT c.col, coalesce(i.artist_id, c.item_id) AS artist_id,
                coalesce(i.artist_name, i.name, c.item_id) AS artist_name,
                coalesce(CASE WHEN i.kind = 'track' AND i.artist_name IS NOT NULL AND i.name IS NOT NULL
                    THEN i.artist_name || ' – ' || i.name ELSE i.name END, c.item_id) AS display_name
            FROM _tm_dw_cols c LEFT JOIN items i USING (item_id)
        )
        SELECT col, dense_rank() OVER (ORDER BY artist_id) - 1 AS code,
            first_value(artist_name) OVER (PARTITION BY artist_id ORDER BY col) AS artist_name, display_name
        FROM a ORDER BY col"""
    ).fetchnumpy()
    codes = np.asarray(artists["code"], dtype=np.int32)
    artist_names = np.empty(int(codes.max()) + 1 if n else 0, dtype=object)
    artist_names[codes] = np.asarray(artists["artist_name"], dtype=object)
    tags = con.execute(
        """WITH counted AS (
            SELECT c.col, it.tag_id, count(*) AS n
            FROM item_tags it JOIN _tm_dw_cols c USING (item_id) GROUP BY c.col, it.tag_id
        ), ranked AS (
            SELECT *, row_number() OVER (PARTITION BY col ORDER BY n DESC, tag_id) AS r FROM counted
        ), kept AS (
            SELECT r.col, t.name AS tag, r.n FROM ranked r JOIN tags t USING (tag_id) WHERE r.r <= $max_tags
        )
        SELECT col, dense_rank() OVER (ORDER BY tag) - 1 AS code, tag, n FROM kept ORDER BY col, n DESC, tag""",
        {"max_tags": int(max_tags)},
    ).fetchnumpy()
    tag_codes = np.asarray(tags["code"], dtype=np.int64)
    tag_names = np.empty(int(tag_codes.max()) + 1 if len(tag_codes) else 0, dtype=object)
    tag_names[tag_codes] = np.asarray(tags["tag"], dtype=object)
    item_tags = sp.csr_matrix(
        (np.asarray(tags["n"], dtype=np.float32), (np.asarray(tags["col"], dtype=np.int64), tag_codes)),
        shape=(n, len(tag_names)))
    return SideData.from_arrays(bundle.listeners.astype(np.int32), artist=codes,
                                artist_names=artist_names.astype(str), item_tags=item_tags,
                                tag_names=tag_names.astype(str),
                                item_names=np.asarray(artists["display_name"], dtype=object).astype(str))
