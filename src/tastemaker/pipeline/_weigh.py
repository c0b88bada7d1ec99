"""The weighing step: the blend's weights, chosen on a validation split of the training data.

A tenth of the played items that have content (tags, texts or audio features) is held out with all
their plays, as if nobody had played them yet; a fifth of every other listener's plays (listeners
with at least five items) is held out too. The collaborative model is trained again without them,
the held-out items are placed from their content exactly as ``place`` does, and
:func:`tastemaker.hybrid.fit_blend` picks the weights on what was held out. Nothing the final model
is evaluated on in a benchmark is seen here: the split comes from the training data alone.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.hybrid import Blend, fit_blend, place_by_culture, place_by_features

__all__ = ["weigh", "COLD_FRACTION", "WARM_FRACTION"]

COLD_FRACTION = 0.1
WARM_FRACTION = 0.2


def weigh(bundle, read, settings, content_rows) -> tuple[Blend, dict]:
    """Weights for ``bundle``'s blend (see the module docstring); returns the fitted blend over the
    bundle's own blocks and a summary for its metadata."""
    from tastemaker.evaluation import cold_start_split, random_holdout

    R = sp.csr_matrix(read.data.user_items)
    n_warm = R.shape[1]
    full = bundle.blocks()
    content = np.zeros(n_warm, dtype=bool)
    for name in ("culture", "audio"):
        if name in full:
            content |= np.abs(full[name][:n_warm]).sum(axis=1) > 0
    rng_seed = settings.random_state
    notes = []
    cold_cols = np.zeros(0, np.int64)
    train = R
    cold_truth = None
    if content.sum() >= 20:
        train, cold_truth, cold_cols = cold_start_split(R, COLD_FRACTION, random_state=rng_seed,
                                                        candidates=np.flatnonzero(content))
    inner, warm_truth = random_holdout(train, test_fraction=WARM_FRACTION, min_items=5, random_state=rng_seed)
    if warm_truth.nnz == 0:
        notes.append("too few plays to weigh the blend: collaborative filtering alone is served")
        return Blend({"cf": 1.0}).fit(full), {"weights": {"cf": 1.0}, "notes": notes}
    model = _validation_model(settings)
    model.fit(inner, show_progress=False)
    V = np.array(model.item_factors_, dtype=np.float32)
    blocks = {b: np.asarray(full[b][:n_warm], np.float32) for b in full if b not in ("cf", "cold")}
    blocks["cf"] = V
    if len(cold_cols):
        V[cold_cols] = _place(read, bundle.items.ids[cold_cols], bundle.items.ids, V, cold_cols, inner)
        cold = np.zeros((n_warm, 1), np.float32)
        cold[cold_cols] = 1.0
        blocks["cold"] = cold
    users = np.flatnonzero(np.diff(warm_truth.indptr) + (np.diff(cold_truth.indptr) if cold_truth is not None else 0) > 0)
    if len(users) > settings.validation_users:
        users = np.sort(np.random.default_rng(rng_seed).choice(users, settings.validation_users, replace=False))
    result = fit_blend(blocks, model.user_factors_[users], inner[users], warm_truth[users],
                       None if cold_truth is None else cold_truth[users], cold_cols)
    blend = Blend(result.weights).fit(full)
    summary = {**result.summary(), "weights": blend.weights_, "notes": notes}
    return blend, summary


def _validation_model(settings):
    """The model trained again without the split: the settings' own, or for the spark engine local
    ALS with the objective Spark trains (:func:`tastemaker.spark.local_als`), since the pipeline
    holds the training matrix here anyway and a second Spark job would repeat the first's overhead
    for the same minimisers."""
    if settings.engine == "spark":
        from tastemaker.spark import local_als

        return local_als(settings.params, random_state=settings.random_state)
    from tastemaker.cf import make_model

    return make_model(settings.algorithm, settings.params, random_state=settings.random_state)


def _place(read, cold_ids, item_ids, V, cold_cols, inner) -> np.ndarray:
    """Factors for the held-out items from their content, as the place step would give them
    (descriptors first, audio features for the rest), at the learned items' median length."""
    played = np.diff(sp.csc_matrix(inner).indptr) > 0
    out = np.zeros((len(cold_cols), V.shape[1]), np.float32)
    done = np.zeros(len(cold_cols), dtype=bool)
    col_of = {i: c for c, i in enumerate(item_ids[:V.shape[0]].tolist())}
    if read.culture is not None:
        cv = read.culture
        row_of = read.culture_coords
        warm_ids = [i for i in cv.items_.ids.tolist() if i in col_of and played[col_of[i]]]
        mine = [k for k, i in enumerate(cold_ids.tolist()) if i in row_of]
        if warm_ids and mine:
            X = cv.weights_
            warm_rows = [row_of[i] for i in warm_ids]
            out[mine] = place_by_culture(X[warm_rows], V[[col_of[i] for i in warm_ids]],
                                         X[[row_of[cold_ids[k]] for k in mine]])
            done[mine] = True
    if len(read.audio_ids) and not done.all():
        where = {i: k for k, i in enumerate(read.audio_ids.tolist())}
        warm_ids = [i for i in read.audio_ids.tolist() if i in col_of and played[col_of[i]]]
        mine = [k for k, i in enumerate(cold_ids.tolist()) if not done[k] and i in where]
        if warm_ids and mine:
            F = read.audio
            out[mine] = place_by_features(F[[where[i] for i in warm_ids]], V[[col_of[i] for i in warm_ids]],
                                          F[[where[cold_ids[k]] for k in mine]])
            done[mine] = True
    learned = np.ones(V.shape[0], dtype=bool)
    learned[cold_cols] = False
    norms = np.linalg.norm(V[learned & played], axis=1)
    target = float(np.median(norms[norms > 0])) if np.any(norms > 0) else 1.0
    given = np.linalg.norm(out[done], axis=1)
    if np.any(given > 0):
        out *= target / float(np.median(given[given > 0]))
    return out
