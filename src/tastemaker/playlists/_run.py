"""One call for a week: side data and content signals from the store, generate, store."""

from __future__ import annotations

import numpy as np

from tastemaker.data import Store
from tastemaker.errors import InputError
from tastemaker.playlists._generate import DiscoverWeekly, Playlists
from tastemaker.playlists._side import load_side_data
from tastemaker.playlists._store import previous_items, save_playlists
from tastemaker.playlists._week import IsoWeek, parse_week

__all__ = ["discover_weekly", "load_signals"]


def load_signals(store: Store, rec, *, culture_dims: int = 64) -> dict[str, np.ndarray]:
    """Content vectors of ``rec``'s items found in the store, by name (``"audio"``, ``"culture"``).

    Audio: the standardised audio features (``tastemaker ingest audio-features``). Culture: the
    items' TF-IDF cultural vectors (:class:`~tastemaker.text.CulturalVectors` over tags and texts)
    reduced to ``culture_dims`` dimensions by a truncated SVD (latent semantic analysis), so that
    cosines are cheap for every candidate. Items without data get a zero row; signals whose
    module or data is missing are left out.
    """
    signals: dict[str, np.ndarray] = {}
    culture = _culture(store, rec, culture_dims)
    if culture is not None:
        signals["culture"] = culture
    try:
        from tastemaker.content import load_audio_features
    except ImportError:  # pragma: no cover - the content module ships with tastemaker
        load_audio_features = None
    if load_audio_features is not None:
        cols, X = load_audio_features(store, rec.items)
        if len(cols):
            dense = np.zeros((len(rec.items), X.shape[1]), dtype=np.float32)
            dense[cols] = X
            signals["audio"] = dense
    return signals


def _culture(store: Store, rec, dims: int) -> np.ndarray | None:
    try:
        from tastemaker.text import CulturalVectors
    except ImportError:  # pragma: no cover - the text module ships with tastemaker
        return None
    try:
        cv = CulturalVectors().fit_store(store)
    except InputError:
        return None
    weights = cv.weights_
    if weights.shape[0] < 3 or weights.shape[1] < 3 or weights.nnz == 0:
        return None
    k = min(dims, min(weights.shape) - 1)
    reduced = _lsa(weights, k)
    dense = np.zeros((len(rec.items), k), dtype=np.float32)
    known = np.asarray([i in rec.items for i in cv.items_.ids.tolist()])
    if not known.any():
        return None
    dense[rec.items.indices(cv.items_.ids[known])] = reduced[known]
    return dense


def _lsa(weights, k: int, oversample: int = 10, power: int = 2) -> np.ndarray:
    """Rows of ``weights`` projected on its top ``k`` singular directions (``U * S``), by the
    randomised range finder of Halko, Martinsson and Tropp (2011): a fraction of a second where
    an exact sparse SVD takes many seconds."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    w = weights.astype(np.float64)
    with threadpool_limits(1, "blas"):  # tall-skinny QRs: threads only spin on a busy machine
        q, _ = np.linalg.qr(w @ rng.standard_normal((w.shape[1], k + oversample)))
        for _ in range(power):
            q, _ = np.linalg.qr(w.T @ q)
            q, _ = np.linalg.qr(w @ q)
        u, s, _ = np.linalg.svd(np.asarray((w.T @ q).T), full_matrices=False)
        return ((q @ u[:, :k]) * s[:k]).astype(np.float32)


def discover_weekly(store: Store, rec, week: str | IsoWeek | None = None, user_ids=None,
                    generator: DiscoverWeekly | None = None, *, save: bool = True, progress=None,
                    signals: dict[str, np.ndarray] | None = None) -> Playlists:
    """Generate ``week``'s playlists for ``user_ids`` (default: every listener) and store them.

    Items given in earlier stored weeks are left out; rerunning a week replaces it (see
    :func:`save_playlists`). ``signals`` overrides the content vectors read from the store
    (:func:`load_signals`); ``{}`` uses collaborative filtering alone.
    """
    week = parse_week(week)
    generator = generator or DiscoverWeekly()
    side = load_side_data(store, rec, signals=load_signals(store, rec) if signals is None else signals)
    previous = previous_items(store, rec, week)
    playlists = generator.generate(rec, side, week, user_ids, previous, progress=progress)
    if save:
        save_playlists(store, playlists)
    return playlists
