"""Train the audio CNN on the songs that have listeners, and place the songs that have none."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tastemaker.content._clips import load_spectrograms
from tastemaker.content._place import cold_items, place_items
from tastemaker.data import Store
from tastemaker.errors import InputError

__all__ = ["place_from_audio", "Placement"]


@dataclass
class Placement:
    """What a content placement did.

    Attributes
    ----------
    signal : str
        ``"audio"``.
    trained_on : int
        Items with listeners and content the model learned from.
    placed : list of str
        Ids of the items without listeners now in the recommender.
    model : AudioRegressor
        The fitted network.
    seconds : float
        Time taken.
    """

    signal: str
    trained_on: int
    placed: list[str] = field(default_factory=list)
    model: object = None
    seconds: float = 0.0


def _split(recommender, ids: np.ndarray, signal: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``ids`` of warm items (learned from plays) and of cold ones (to place)."""
    if not hasattr(recommender.model, "item_factors_"):
        raise InputError(f"a {type(recommender.model).__name__} model has no item factors to place items among",
                         hint="train a factor model (`tastemaker train --algorithm als` or sgd)")
    placed = cold_items(recommender)
    placed_before = {i for v in placed.values() for i in v}
    same_signal = set(placed.get(signal, []))
    listeners = np.diff(recommender.history.tocsc().indptr)
    warm, cold = [], []
    for pos, item in enumerate(ids.tolist()):
        if item in recommender.items and item not in placed_before:
            if listeners[recommender.items.index(item)] > 0:
                warm.append(pos)
        elif item not in recommender.items or item in same_signal:
            cold.append(pos)
    return np.asarray(warm, dtype=np.int64), np.asarray(cold, dtype=np.int64)


def _names(store: Store, ids) -> list[str]:
    ids = list(ids)
    if not ids:
        return []
    found = dict(store.con.execute(
        "SELECT item_id, coalesce(name, item_id) FROM items WHERE list_contains($ids, item_id)",
        {"ids": ids}).fetchall())
    return [found.get(i, i) for i in ids]


def _check_warm(n: int, what: str, store: Store) -> None:
    if n < 2:
        raise InputError(f"only {n} item(s) with listeners have {what}; a content model needs more",
                         path=store.location, hint="ingest content for items that have plays, and train "
                                                    "the recommender on the same store")


def place_from_audio(store: Store, recommender, regressor=None, *, show_progress: bool = False) -> Placement:
    """Fit an :class:`AudioRegressor` on the spectrograms of items with listeners and place the
    items whose spectrograms have no listeners into ``recommender`` (in place).

    Parameters
    ----------
    store : Store
        Holds the spectrogram index (``tastemaker ingest audio``) and the item names.
    recommender : Recommender
        Trained with a factor model; gains the cold items.
    regressor : AudioRegressor, optional
        Unfitted, with the settings to use (default ``AudioRegressor()``).
    """
    from tastemaker.content._cnn import AudioRegressor

    started = time.time()
    ids, specs = load_spectrograms(store)
    if not len(ids):
        raise InputError("the store holds no spectrograms", path=store.location,
                         hint="ingest audio first: `tastemaker ingest audio DIR`")
    warm, cold = _split(recommender, ids, "audio")
    _check_warm(len(warm), "spectrograms", store)
    regressor = regressor if regressor is not None else AudioRegressor()
    factors = recommender.model.item_factors_[recommender.items.indices(ids[warm])]
    regressor.fit([specs[i] for i in warm], factors, show_progress=show_progress)
    placed = []
    if len(cold):
        predicted = regressor.predict([specs[i] for i in cold])
        place_items(recommender, ids[cold], _names(store, ids[cold]), predicted, "audio")
        placed = ids[cold].tolist()
    return Placement("audio", len(warm), placed, regressor, round(time.time() - started, 3))
