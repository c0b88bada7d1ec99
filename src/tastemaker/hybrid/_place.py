"""Where an item nobody has played belongs in the factor space, from its content.

Each function learns a map from content to factors on items that have both (the *warm* items)
and applies it to items that have only content (the *cold* items). The training pipeline
(:mod:`tastemaker.pipeline`) calls them and adds the results with
:meth:`tastemaker.bundle.ModelBundle.add_items`, which rescales them to the learned factors'
median length.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from tastemaker.hybrid._map import CultureMap

__all__ = ["place_by_culture", "place_by_features", "place_by_embedding"]


def _unit(M: np.ndarray) -> np.ndarray:
    M = np.asarray(M, dtype=np.float32)
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    return M / np.where(norms > 0, norms, 1.0)


def place_by_culture(X_warm, V_warm, X_cold, alpha: float = 3.0) -> np.ndarray:
    """Directions for cold items from their TF-IDF descriptor rows: a ridge regression
    (:class:`CultureMap`) from the warm items' rows to their factors, predictions at unit length
    (ridge shrinks them towards 0; their direction is what it learned)."""
    culture = CultureMap(alpha).fit(X_warm, V_warm)
    return _unit(culture.predict(X_cold))


def place_by_features(F_warm, V_warm, F_cold) -> np.ndarray:
    """Factors for cold items from standardised audio features:
    :class:`~tastemaker.content.FeatureRegressor` (the mean normalised factors of the 50 nearest
    warm items; shorter where they disagree)."""
    from tastemaker.content import FeatureRegressor

    return FeatureRegressor().fit(F_warm, V_warm).predict(F_cold)


def place_by_embedding(E_warm, V_warm, E_cold, alpha: float = 1.0) -> np.ndarray:
    """Factors for cold items from an embedding of their content (e.g. the audio CNN's output,
    learned on an earlier model's factors): a ridge map, with an intercept, from the warm items'
    embeddings to their unit factors *now*, so that a network trained once keeps placing songs
    correctly after every retraining (the factor space moves; the map follows it)."""
    E_warm = np.asarray(E_warm, dtype=np.float64)
    Y = _unit(V_warm).astype(np.float64)
    mean_e, mean_y = E_warm.mean(axis=0), Y.mean(axis=0)
    A = E_warm - mean_e
    gram = A.T @ A
    gram[np.diag_indices_from(gram)] += alpha
    coef = sl.solve(gram, A.T @ (Y - mean_y), assume_a="pos")
    return ((np.asarray(E_cold, dtype=np.float64) - mean_e) @ coef + mean_y).astype(np.float32)
