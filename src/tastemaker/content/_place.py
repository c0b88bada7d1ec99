"""Items without listeners into a trained recommender, from factors predicted from their content."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.data import Vocabulary
from tastemaker.errors import InputError

__all__ = ["place_items", "cold_items"]

_KEY = "cold_items"


def cold_items(recommender) -> dict[str, list[str]]:
    """The items placed by :func:`place_items`, by signal: ``{"audio": ["id", ...], ...}``."""
    return {k: list(v) for k, v in recommender.metadata.get(_KEY, {}).items()}


def place_items(recommender, item_ids, names, factors, signal: str, *, scale: str | float | None = "median"):
    """Append items (or re-place items placed before) with the given factors; in place.

    The items become columns like any other: ``recommend``, ``similar`` and playlists see them;
    nobody has played them (their history columns are empty). Which signal placed which item is
    kept in ``recommender.metadata["cold_items"]`` (see :func:`cold_items`) and saved with it.

    Parameters
    ----------
    recommender : Recommender
        Trained with a factor model (ALS or SGD): one whose items have ``item_factors_``.
    item_ids : sequence of str
        New ids, or ids this function placed before (their factors are replaced); an item the
        model learned from plays cannot be placed.
    names : sequence of str
        Display names, one per id.
    factors : array (len(item_ids) x factors)
        The factors, e.g. :meth:`FeatureRegressor.predict` output.
    signal : str
        What placed them (``"audio"``, ``"audio-features"``, ``"culture"`` …), for explanations.
    scale : "median", float or None
        ``"median"`` (for predictions of L2-normalised factors) rescales ``factors`` so that their
        median norm is the median norm of the model's learned item factors: the placed items
        compete with the played ones on the same scale (a regression's predictions are shorter
        than unit vectors, and would otherwise never be recommended), the surer ones (longer
        predictions) above the others. A float multiplies by it; None keeps them as given.

    A loaded approximate index (``recommender.index``) is dropped, as it no longer covers every
    item: build it again after placing.

    Returns
    -------
    ndarray of int64
        The columns of the placed items.

    Examples
    --------
    >>> cols = place_items(rec, ["new1"], ["New Song"], predicted, "audio")   # doctest: +SKIP
    >>> rec.similar("new1", n=3)                                             # doctest: +SKIP
    """
    model = recommender.model
    if not hasattr(model, "item_factors_"):
        raise InputError(f"a {type(model).__name__} model has no item factors to place new items among",
                         hint="train a factor model (`tastemaker train --algorithm als` or sgd)")
    ids = np.asarray(list(item_ids), dtype=str)
    names = np.asarray(list(names), dtype=str)
    factors = np.asarray(factors, dtype=np.float32)
    F = model.item_factors_
    if factors.ndim != 2 or factors.shape != (len(ids), F.shape[1]):
        raise ValueError(f"factors must be {len(ids)} x {F.shape[1]} (one row per item, the model's factors), "
                         f"got {factors.shape}")
    if len(names) != len(ids):
        raise ValueError(f"{len(names)} names for {len(ids)} item ids")
    if len(set(ids.tolist())) != len(ids):
        raise ValueError("item_ids are not unique")
    if factors.size and not np.all(np.isfinite(factors)):
        raise ValueError("factors hold NaN or infinite values")
    placed = recommender.metadata.get(_KEY, {})
    before = {i for v in placed.values() for i in v}
    known = np.asarray([i in recommender.items for i in ids.tolist()], dtype=bool)
    warm = [i for i in ids[known].tolist() if i not in before]
    if warm:
        raise InputError(f"item {warm[0]!r} has listeners: the model learned its factors from plays",
                         hint="place only items without plays")
    if scale == "median":
        learned = np.setdiff1d(np.arange(len(recommender.items)),
                               recommender.items.indices([i for i in before if i in recommender.items]))
        norms = np.linalg.norm(F[learned], axis=1)
        target = float(np.median(norms[norms > 0])) if np.any(norms > 0) else 1.0
        given = np.linalg.norm(factors, axis=1)
        factor = target / float(np.median(given[given > 0])) if np.any(given > 0) else target
    elif scale is None:
        factor = 1.0
    else:
        factor = float(scale)
    factors = factors * factor

    old = recommender.items.indices(ids[known])
    F = np.array(F, dtype=np.float32, copy=True)
    F[old] = factors[known]
    n_old, n_new = len(recommender.items), int((~known).sum())
    new_cols = np.arange(n_old, n_old + n_new)
    model.item_factors_ = np.ascontiguousarray(np.vstack([F, factors[~known]]))
    model.n_items_ = n_old + n_new
    if hasattr(model, "_reset_cache"):
        model._reset_cache()
    # search structures built over the old factors are stale now: drop them (they rebuild on use)
    if getattr(recommender, "index", None) is not None:
        recommender.index = None
    recommender.__dict__.pop("_exact_retrieval", None)
    recommender.items = Vocabulary(np.concatenate([recommender.items.ids, ids[~known]]), name="item")
    recommender.item_names = np.concatenate([recommender.item_names, names[~known]]).astype(str)
    h = recommender.history
    recommender.history = sp.csr_matrix((h.data, h.indices, h.indptr), shape=(h.shape[0], n_old + n_new))
    # every id lives under the signal that placed it last
    mine = set(ids.tolist())
    placed = {k: [i for i in v if i not in mine] for k, v in placed.items()}
    placed[signal] = placed.get(signal, []) + ids.tolist()
    recommender.metadata = {**recommender.metadata, _KEY: {k: v for k, v in placed.items() if v}}
    cols = np.empty(len(ids), dtype=np.int64)
    cols[known] = old
    cols[~known] = new_cols
    return cols
