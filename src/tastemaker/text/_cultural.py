"""Cultural vectors: TF-IDF weighted descriptors per item, from tags and free text."""

from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Store, Vocabulary
from tastemaker.data.vocab import resolve_name
from tastemaker.text._descriptors import extract_descriptors, normalise_term
from tastemaker.text._weights import idf_weights, tfidf

__all__ = ["CulturalVectors", "descriptor_counts"]


def descriptor_counts(store: Store, *, tags: bool = True, texts: bool = True,
                      text_weight: float = 1.0) -> tuple[Vocabulary, np.ndarray, np.ndarray, sp.csr_matrix]:
    """Descriptor counts of every item the store describes, from tags and from texts.

    A tag counts once per person who gave it (``item_tags`` rows); a text descriptor once per
    occurrence (see :func:`~tastemaker.text.extract_descriptors`), times ``text_weight``. Tag names
    are normalised (:func:`~tastemaker.text.normalise_term`), and the multi-word tags are the
    phrases texts are searched for, so ``"new wave"`` in a review and the tag ``New Wave`` are
    one descriptor.

    Returns
    -------
    items : Vocabulary
        Items with at least one descriptor (ids of the ``items`` table), sorted by id.
    names : ndarray of str
        Their display names.
    terms : ndarray of str
        The descriptors, sorted.
    counts : csr_matrix (items x terms) of float64
    """
    con = store.con
    rows: list[tuple[str, str, float]] = []
    if tags:
        tag_rows = con.execute(
            """SELECT it.item_id, t.name, count(*) FROM item_tags it
            JOIN tags t USING (tag_id) JOIN items i USING (item_id)
            GROUP BY it.item_id, t.name""").fetchall()
        rows.extend((i, normalise_term(t), float(n)) for i, t, n in tag_rows)
    if texts:
        phrases = frozenset(t for _, t, _ in rows if " " in t)
        phrases |= frozenset(t for (name,) in con.execute("SELECT DISTINCT name FROM tags").fetchall()
                             if " " in (t := normalise_term(name)))
        per_item: dict[str, Counter] = {}
        for item_id, title, body in con.execute(
                "SELECT x.item_id, x.title, x.body FROM texts x JOIN items i USING (item_id)").fetchall():
            text = body if not title else f"{title}.\n{body}"
            per_item.setdefault(item_id, Counter()).update(extract_descriptors(text, phrases))
        rows.extend((i, t, n * text_weight) for i, c in per_item.items() for t, n in c.items())
    rows = [r for r in rows if r[1]]
    item_ids = sorted({r[0] for r in rows})
    terms = np.asarray(sorted({r[1] for r in rows}), dtype=str)
    items = Vocabulary(item_ids, name="item")
    term_index = {t: j for j, t in enumerate(terms.tolist())}
    counts = sp.csr_matrix(
        (np.asarray([r[2] for r in rows], dtype=np.float64),
         (items.indices(r[0] for r in rows) if rows else np.zeros(0, np.int64),
          np.asarray([term_index[r[1]] for r in rows], dtype=np.int64))),
        shape=(len(items), len(terms)))
    counts.sum_duplicates()
    names = dict(con.execute(
        "SELECT item_id, coalesce(name, item_id) FROM items WHERE item_id IN (SELECT unnest(?::VARCHAR[]))",
        [item_ids]).fetchall()) if item_ids else {}
    return items, np.asarray([names.get(i, i) for i in item_ids], dtype=str), terms, counts


class CulturalVectors:
    """What people say about each item, as a TF-IDF weighted vector of descriptors.

    The cultural side of the cold start (the Echo Nest's "cultural vectors"): an artist nobody has
    played yet is still described by its tags and by what is written about it, so it can be
    compared with artists people do play.

    Parameters
    ----------
    sublinear_tf : bool, default True
        Weight ``1 + log(count)`` rather than the count.
    smooth_idf : bool, default True
        ``idf = log((1 + n) / (1 + df)) + 1``.
    min_df : int, default 2
        Descriptors held by fewer items are dropped: a descriptor only one item has says nothing
        about its likeness to others, and would crowd its top terms (unique bigrams of a text).

    Attributes
    ----------
    items_ : Vocabulary
        The described items (rows of ``weights_``).
    names_ : ndarray of str
    terms_ : ndarray of str
        The descriptors (columns).
    idf_ : ndarray
    weights_ : csr_matrix (items x terms)
        L2-normalised TF-IDF rows.

    Examples
    --------
    >>> cv = CulturalVectors().fit_store(store)                  # doctest: +SKIP
    >>> cv.top_terms("ABBA", 4)                                  # doctest: +SKIP
    [('pop', 0.46), ('disco', 0.36), ('swedish', 0.33), ('70s', 0.31)]
    """

    def __init__(self, sublinear_tf: bool = True, smooth_idf: bool = True, min_df: int = 2):
        self.sublinear_tf = sublinear_tf
        self.smooth_idf = smooth_idf
        self.min_df = min_df

    def __repr__(self) -> str:
        return (f"CulturalVectors(sublinear_tf={self.sublinear_tf}, smooth_idf={self.smooth_idf}, "
                f"min_df={self.min_df})")

    # --- fitting -----------------------------------------------------------------------------------
    def fit(self, counts, items: Vocabulary, terms, names=None) -> CulturalVectors:
        """Learn the IDF and the weights from an items x terms count matrix; returns ``self``."""
        counts = sp.csr_matrix(counts, dtype=np.float64)
        terms = np.asarray(terms, dtype=str)
        if counts.shape != (len(items), len(terms)):
            raise ValueError(f"counts is {counts.shape} for {len(items)} items and {len(terms)} terms")
        if self.min_df > 1:
            df = np.diff(sp.csc_matrix(counts).indptr)
            keep = np.flatnonzero(df >= self.min_df)
            counts, terms = counts[:, keep], terms[keep]
        self.items_ = items
        self.names_ = np.asarray(items.ids if names is None else names, dtype=str)
        self.terms_ = terms
        self.idf_ = idf_weights(counts, smooth=self.smooth_idf)
        self.weights_ = tfidf(counts, self.idf_, sublinear_tf=self.sublinear_tf)
        return self

    def fit_store(self, store: Store, *, tags: bool = True, texts: bool = True) -> CulturalVectors:
        """Fit on every item the store describes (:func:`descriptor_counts`); returns ``self``."""
        items, names, terms, counts = descriptor_counts(store, tags=tags, texts=texts)
        return self.fit(counts, items, terms, names)

    def transform(self, counts) -> sp.csr_matrix:
        """TF-IDF rows for new count rows over :attr:`terms_`, with the fitted IDF."""
        self._check()
        return tfidf(counts, self.idf_, sublinear_tf=self.sublinear_tf)

    def _check(self) -> None:
        if not hasattr(self, "weights_"):
            raise ValueError("CulturalVectors is not fitted: call fit or fit_store first")

    # --- persistence (saved inside a model bundle: computed once per training, never rebuilt) ----
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """A JSON header and plain arrays (no pickle) that :meth:`from_state` reads back."""
        self._check()
        w = sp.csr_matrix(self.weights_)
        meta = {"params": {"sublinear_tf": self.sublinear_tf, "smooth_idf": self.smooth_idf, "min_df": self.min_df},
                "shape": list(w.shape)}
        arrays = {"items": self.items_.ids, "names": self.names_, "terms": self.terms_, "idf": self.idf_,
                  "weights.indptr": w.indptr, "weights.indices": w.indices, "weights.data": w.data}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays) -> CulturalVectors:
        """The fitted vectors saved by :meth:`to_state`."""
        cv = cls(**meta["params"])
        cv.items_ = Vocabulary(np.asarray(arrays["items"]), name="item")
        cv.names_ = np.asarray(arrays["names"], dtype=str)
        cv.terms_ = np.asarray(arrays["terms"], dtype=str)
        cv.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        cv.weights_ = sp.csr_matrix((np.asarray(arrays["weights.data"]), np.asarray(arrays["weights.indices"]),
                                     np.asarray(arrays["weights.indptr"])), shape=tuple(meta["shape"]))
        return cv

    # --- look-ups ----------------------------------------------------------------------------------
    def resolve(self, text: str) -> int:
        """The row of an item given by id or by name (case-insensitive; a unique part will do)."""
        self._check()
        return resolve_name(text, self.items_, self.names_, what="described items",
                            unknown="no tags or texts describe {text!r}",
                            hint="check the name, or add texts with `tastemaker ingest texts`")

    def top_terms(self, item: str | int, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` heaviest descriptors of an item (row, id or name): ``(term, weight)``."""
        row = item if isinstance(item, (int, np.integer)) else self.resolve(item)
        vec = self.weights_[int(row)]
        order = np.lexsort((self.terms_[vec.indices], -vec.data))[:n]
        return [(str(self.terms_[vec.indices[j]]), float(vec.data[j])) for j in order]

    def similar(self, item: str | int, n: int = 10, candidates=None) -> list[tuple[int, float]]:
        """Items with the most similar descriptors (cosine), the item itself left out: ``(row, cosine)``."""
        row = item if isinstance(item, (int, np.integer)) else self.resolve(item)
        scores = (self.weights_ @ self.weights_[int(row)].T).toarray().ravel()
        return self._top(scores, n, candidates, exclude=[int(row)])

    def profile(self, item_rows, plays) -> sp.csr_matrix:
        """A listener's cultural profile: the play-weighted mean of their items' vectors, unit length.

        Each item weighs ``log(1 + plays)``; items without descriptors add nothing.

        Parameters
        ----------
        item_rows : array of int
            Rows (of :attr:`items_`) of the items the listener played.
        plays : array of float
            Their play counts.
        """
        self._check()
        rows = np.asarray(item_rows, dtype=np.int64)
        w = np.log1p(np.maximum(np.asarray(plays, dtype=np.float64), 0))
        vec = sp.csr_matrix(w[None, :]) @ self.weights_[rows] if len(rows) else sp.csr_matrix((1, len(self.terms_)))
        return tfidf(vec, np.ones(len(self.terms_)), sublinear_tf=False)

    def rank(self, profile, n: int = 10, candidates=None, exclude=None) -> list[tuple[int, float]]:
        """Items ranked by cosine with a profile (:meth:`profile`): ``(row, cosine)``, best first."""
        scores = (self.weights_ @ sp.csr_matrix(profile).T).toarray().ravel()
        return self._top(scores, n, candidates, exclude)

    def _top(self, scores: np.ndarray, n: int, candidates, exclude) -> list[tuple[int, float]]:
        rows = np.arange(len(scores)) if candidates is None else np.asarray(candidates, dtype=np.int64)
        if exclude is not None:
            rows = rows[~np.isin(rows, np.asarray(list(exclude), dtype=np.int64))]
        order = np.lexsort((rows, -scores[rows]))[:n]
        return [(int(rows[j]), float(scores[rows[j]])) for j in order]
