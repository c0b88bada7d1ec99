"""Items without plays into a trained recommender, placed by their descriptors or their sound."""

from __future__ import annotations

import numpy as np

from tastemaker.data import Store, Vocabulary
from tastemaker.hybrid._map import CultureMap

__all__ = ["place_cold_items", "explain_signal"]


def place_cold_items(store: Store, recommender, cultural=None, *, audio: bool = True,
                     alpha: float = 3.0) -> dict[str, int]:
    """Place every item of the store that has descriptors or audio features but no plays.

    Items with tags or texts are placed by a :class:`CultureMap` fitted on the played items
    (signal ``"culture"``); items with only audio features by
    :class:`tastemaker.content.FeatureRegressor` (signal ``"audio"``). They then take part in
    ``recommend`` and ``similar`` like any other item; :func:`tastemaker.content.cold_items` says
    which signal placed which.

    Parameters
    ----------
    store : Store
        The store the recommender was trained on.
    recommender : Recommender
        Trained with a factor model (ALS or SGD); changed in place.
    cultural : CulturalVectors, optional
        Fitted on the store (computed if not given).
    audio : bool
        Also place items that only have audio features.
    alpha : float
        Ridge penalty of the culture map.

    Returns
    -------
    dict
        How many items each signal placed, e.g. ``{"culture": 390, "audio": 0}``.
    """
    from tastemaker.content import cold_items, normalize_rows, place_items
    from tastemaker.text import CulturalVectors

    model = recommender.model
    if not hasattr(model, "item_factors_"):
        return {}
    before = {i for ids in cold_items(recommender).values() for i in ids}
    described = [r[0] for r in store.con.execute(
        "SELECT item_id FROM item_tags UNION SELECT item_id FROM texts").fetchall()]
    if cultural is None and all(i in recommender.items and i not in before for i in described):
        # every described item has plays: nothing to place from culture (the common case, cheap)
        return {"culture": 0, "audio": _place_audio(store, recommender, set(described)) if audio else 0}
    cv = cultural if cultural is not None else CulturalVectors().fit_store(store)
    played = np.diff(recommender.history.tocsc().indptr) > 0
    placed = {"culture": 0, "audio": 0}
    ids = cv.items_.ids
    in_rec = np.asarray([i in recommender.items and i not in before for i in ids.tolist()], dtype=bool)
    known_rows = np.flatnonzero(in_rec)
    cols = recommender.items.indices(ids[known_rows])
    fit_rows, fit_cols = known_rows[played[cols]], cols[played[cols]]
    cold_rows = np.flatnonzero(~in_rec)
    if len(fit_rows) and len(cold_rows):
        F = model.item_factors_
        culture = CultureMap(alpha).fit(cv.weights_[fit_rows], F[fit_cols])
        # ridge shrinks predictions towards 0; a fresh item gets the direction it predicts and the
        # median length of the learned items, so that it competes with them in recommendations
        predicted = normalize_rows(culture.predict(cv.weights_[cold_rows]))
        place_items(recommender, ids[cold_rows], cv.names_[cold_rows], predicted, "culture", scale="median")
        placed["culture"] = len(cold_rows)
    if audio:
        placed["audio"] = _place_audio(store, recommender, set(ids.tolist()))
    return placed


def _place_audio(store: Store, recommender, described: set[str]) -> int:
    from tastemaker.content import FeatureRegressor, cold_items, load_audio_features, place_items

    all_ids = [r[0] for r in store.con.execute("SELECT item_id FROM items ORDER BY item_id").fetchall()]
    vocab = Vocabulary(all_ids, name="item")
    cols, X = load_audio_features(store, vocab)
    if len(cols) == 0:
        return 0
    ids = vocab.ids[cols]
    placed_before = {i for v in cold_items(recommender).values() for i in v}
    played = np.diff(recommender.history.tocsc().indptr) > 0
    warm = np.asarray([i in recommender.items and i not in placed_before and played[recommender.items.index(i)]
                       for i in ids.tolist()], dtype=bool)
    new = np.asarray([(i not in recommender.items or i in cold_items(recommender).get("audio", []))
                      and i not in described for i in ids.tolist()], dtype=bool)
    if not warm.any() or not new.any():
        return 0
    reg = FeatureRegressor().fit(X[warm], recommender.model.item_factors_[recommender.items.indices(ids[warm])])
    names = dict(store.con.execute("SELECT item_id, coalesce(name, item_id) FROM items").fetchall())
    place_items(recommender, ids[new], [names[i] for i in ids[new].tolist()], reg.predict(X[new]), "audio")
    return int(new.sum())


def explain_signal(recommender, user_id: str, item: str, cultural=None, audio=None) -> tuple[str, str]:
    """Why ``item`` is recommended to ``user_id``, naming the signal.

    Returns ``(signal, text)``: ``("culture", "tagged like Y")`` for an item placed by its
    descriptors (Y: the user's item with the most similar descriptors), ``("audio", "sounds like
    X")`` for one placed by its sound (X: the user's item nearest in audio features), and
    ``("collaborative", "because you listened to Z")`` otherwise (Z: the item contributing most to
    the collaborative score).

    Parameters
    ----------
    recommender : Recommender
    user_id, item : str
        The user, and the item (id or name).
    cultural : CulturalVectors, optional
        Needed to name Y.
    audio : (Vocabulary, cols, features), optional
        Items with audio features, needed to name X.
    """
    from tastemaker.content import cold_items

    col = recommender.resolve_item(item)
    item_id = str(recommender.items.ids[col])
    signal = next((s for s, ids in cold_items(recommender).items() if item_id in ids), "collaborative")
    row = recommender.history[recommender.users.index(user_id)]
    mine = row.indices[row.data > 0]
    if signal == "culture" and cultural is not None and item_id in cultural.items_:
        rows = [cultural.items_.index(i) for i in recommender.items.ids[mine].tolist() if i in cultural.items_]
        hits = cultural.similar(cultural.items_.index(item_id), 1, candidates=rows)
        if hits:
            return signal, f"tagged like {cultural.names_[hits[0][0]]}"
    if signal.startswith("audio") and audio is not None:
        vocab, cols, X = audio
        where = {str(vocab.ids[c]): k for k, c in enumerate(cols)}
        if item_id in where:
            theirs = [(i, where[i]) for i in recommender.items.ids[mine].tolist() if i in where]
            if theirs:
                d = [float(np.linalg.norm(X[k] - X[where[item_id]])) for _, k in theirs]
                nearest = theirs[int(np.argmin(d))][0]
                return "audio", f"sounds like {recommender.name(recommender.items.index(nearest))}"
    if hasattr(recommender.model, "explain") and len(mine):
        _, contributions, _ = recommender.model.explain(recommender.users.index(user_id), row, col, N=1)
        if contributions:
            return signal, f"because you listened to {recommender.name(contributions[0][0])}"
    return signal, f"placed by {signal}"
