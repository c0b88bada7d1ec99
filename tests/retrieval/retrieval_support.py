"""Small seeded factor sets with a known answer (brute-force numpy) for the retrieval tests."""

from __future__ import annotations

import numpy as np


def clustered(n_items: int, dim: int, n_queries: int, seed: int = 0):
    """Items around 20 centres with lognormal norms (like ALS factors), and queries near them."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    items = centres[rng.integers(0, 20, n_items)] + 0.5 * rng.standard_normal((n_items, dim))
    items *= rng.lognormal(0.0, 0.5, (n_items, 1))
    queries = centres[rng.integers(0, 20, n_queries)] + 0.5 * rng.standard_normal((n_queries, dim))
    return items.astype(np.float32), queries.astype(np.float32)


def brute(items, queries, k, exclude=None):
    """The answer by numpy alone: full scores, excluded set to -inf, stable sort (lower id first)."""
    scores = (queries.astype(np.float64) @ items.astype(np.float64).T)
    if exclude is not None:
        for row, cols in enumerate(exclude):
            scores[row, np.asarray(cols, dtype=np.int64)] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def recall(found, truth) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(a[a >= 0]) & set(b)) / k for a, b in zip(found, truth)]))
