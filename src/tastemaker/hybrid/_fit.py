"""Choosing the blend's weights on a validation split of the training data.

The training pipeline holds out part of what it trains on, retrains the collaborative model
without it, places the held-out items again from their content, and hands this module the
validation blocks and listeners. The weights are chosen in three passes, each over a small grid:

1. ``culture`` (the listener's taste on played items) and ``audio`` by nDCG@10 of the held-out
   plays of warm items, ranking the whole catalogue (played items left out);
2. ``taste`` and ``prior`` (the same taste on items nobody has played, and their tag popularity)
   by recall@50 of the held-out items nobody could have played, ranked among themselves (the
   cold-start protocol);
3. ``cold`` (an offset for every item nobody has played) by nDCG@10 of all held-out plays, warm
   and cold, ranking the whole catalogue: how placed items compete with played ones.

Ties go to the smaller weight (the grids list weights in increasing order), so a signal that does
not help stays out.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tastemaker.hybrid._blend import Blend

__all__ = ["fit_blend", "BlendValidation", "GRID"]

#: the weights tried per block (cf is always 1); chosen, with the passes, on the benchmarks'
#: tuning split seeds (10-14), never on the seeds they report
GRID = {"culture": (0.0, 0.2, 0.35, 0.5, 0.7, 1.0), "audio": (0.0, 0.1, 0.2, 0.3),
        "taste": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0), "prior": (0.0, 0.2, 0.4, 0.6, 0.8, 1.2),
        "cold": (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0)}
_CHUNK_ENTRIES = 1 << 24


@dataclass
class BlendValidation:
    """What the weights were chosen on, and how each pass scored (for the model's metadata)."""

    weights: dict[str, float]
    warm_users: int = 0
    cold_users: int = 0
    cold_items: int = 0
    passes: dict[str, list] = field(default_factory=dict)

    def summary(self) -> dict:
        best = {name: max(rows, key=lambda r: r[1]) for name, rows in self.passes.items() if rows}
        return {"weights": self.weights, "warm_users": self.warm_users, "cold_users": self.cold_users,
                "cold_items": self.cold_items,
                "best": {name: {"weights": w, "value": round(v, 5)} for name, (w, v) in best.items()}}


def fit_blend(blocks: Mapping[str, np.ndarray], user_vectors: np.ndarray, history: sp.csr_matrix,
              warm_truth: sp.csr_matrix, cold_truth: sp.csr_matrix | None = None, cold_cols=None, *,
              grid: Mapping[str, tuple] | None = None) -> BlendValidation:
    """Choose the weights of a :class:`Blend` over ``blocks`` (see the module docstring).

    Parameters
    ----------
    blocks : dict
        The validation model's item rows per source block (its factors, placed items included,
        ``cold`` marking the held-out items).
    user_vectors : ndarray (m x f)
        The validation listeners' factors in that model.
    history : csr_matrix (m x n_items)
        What the validation model saw of them (left out of their rankings).
    warm_truth : csr_matrix (m x n_items)
        Their held-out plays of items the validation model learned from plays.
    cold_truth : csr_matrix (m x n_items), optional
        Their plays of the held-out items (placed from content in the validation model).
    cold_cols : array of int, optional
        The held-out items' columns.
    grid : dict, optional
        Weights to try per block (default :data:`GRID`); blocks the blend lacks stay 0.

    Returns
    -------
    BlendValidation
        ``weights`` holds the choice (``cf``: 1).
    """
    grid = {**GRID, **(grid or {})}
    probe = Blend({b: 1.0 for b in GRID}).fit(blocks)
    present = [b for b in ("culture", "audio", "taste", "prior", "cold") if b in probe.blocks_]
    weights = {b: 0.0 for b in present}
    result = BlendValidation(weights)
    history = sp.csr_matrix(history)
    warm_truth = sp.csr_matrix(warm_truth)
    z = _Scores(probe, blocks, user_vectors, history)

    def choose(name, names, users, truth, k, metric, candidates=None):
        names = [b for b in names if b in present]
        if not names or not len(users):
            return
        combos = [dict(zip(names, c)) for c in itertools.product(*(grid[b] for b in names))]
        values = z.evaluate(combos, users, truth, k=k, metric=metric, fixed=weights, candidates=candidates)
        result.passes[name] = list(zip(combos, values))
        weights.update(combos[int(np.argmax(values))])  # the first best: the smallest weights

    warm_users = np.flatnonzero(np.diff(warm_truth.indptr) > 0)
    result.warm_users = len(warm_users)
    choose("warm", ("culture", "audio"), warm_users, warm_truth, 10, "ndcg")
    if cold_truth is not None and cold_cols is not None and len(cold_cols):
        cold_truth = sp.csr_matrix(cold_truth)
        cold_cols = np.asarray(cold_cols, dtype=np.int64)
        cold_users = np.flatnonzero(np.diff(sp.csr_matrix(cold_truth[:, cold_cols]).indptr) > 0)
        result.cold_users, result.cold_items = len(cold_users), len(cold_cols)
        choose("cold", ("taste", "prior"), cold_users, cold_truth, 50, "recall", candidates=cold_cols)
        both = (warm_truth + cold_truth).tocsr()
        choose("mixed", ("cold",), np.flatnonzero(np.diff(both.indptr) > 0), both, 10, "ndcg")
    result.weights = {"cf": 1.0, **weights}
    return result


class _Scores:
    """Per-block standardised scores of validation listeners, a chunk of users at a time."""

    def __init__(self, blend: Blend, blocks, user_vectors, history):
        self.blend = blend
        self.blocks = blocks
        self.parts = blend.query_parts(user_vectors, history, blocks)
        self.history = history
        self.n_items = len(blocks["cf"])

    def evaluate(self, combos: list[dict], users: np.ndarray, truth: sp.csr_matrix, *, k: int, metric: str,
                 fixed: Mapping[str, float], candidates=None) -> list[float]:
        """Mean metric of each combination of weights (``fixed`` for the blocks it does not name)."""
        from tastemaker.evaluation import ndcg_at_k, recall_at_k

        score = ndcg_at_k if metric == "ndcg" else recall_at_k
        varied = sorted({b for c in combos for b in c})
        still = {b: w for b, w in fixed.items() if w and b not in varied}
        which = ["cf", *still, *varied]
        n = self.n_items if candidates is None else len(candidates)
        step = max(1, _CHUNK_ENTRIES // max(n * len(varied) + n, 1))
        sums = np.zeros(len(combos))
        cols = None if candidates is None else np.asarray(candidates, dtype=np.int64)
        cache: dict = {}  # the item rows, built once for every chunk
        for start in range(0, len(users), step):
            chunk = users[start:start + step]
            parts = {b: p[chunk] for b, p in self.parts.items()}
            z = self.blend.unit_scores(parts, self.blocks, cols, which=which, cache=cache)
            base = z.pop("cf")
            for b, w in still.items():
                base += np.float32(w) * z.pop(b)
            seen = self.history[chunk] if cols is None else sp.csr_matrix(self.history[chunk][:, cols])
            mask = (np.repeat(np.arange(len(chunk)), np.diff(seen.indptr)), seen.indices)
            target = truth[chunk] if cols is None else sp.csr_matrix(truth[chunk][:, cols])
            for c, combo in enumerate(combos):
                S = base.copy()
                for b, value in combo.items():
                    if value:
                        S += np.float32(value) * z[b]
                S[mask] = -np.inf
                sums[c] += float(np.nansum(score(_top(S, k), target, k)))
        counted = int(np.sum(np.diff((truth[users] if cols is None else truth[users][:, cols]).tocsr().indptr) > 0))
        return (sums / max(counted, 1)).tolist()


def _top(S: np.ndarray, k: int, stride: int = 16) -> np.ndarray:
    """Columns of each row's ``k`` largest scores, best first.

    The ``k``-th largest of every ``stride``-th column is a threshold at most the row's own
    ``k``-th largest, so only the columns at or above it (about ``stride * k``) are sorted: exact,
    and an order of magnitude cheaper than partitioning whole catalogue-wide rows."""
    k = min(k, S.shape[1])
    if S.shape[1] < 4 * stride * k:
        part = np.argpartition(-S, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(S, part, axis=1), axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1)
    sub = S[:, ::stride]
    threshold = np.partition(sub, sub.shape[1] - k, axis=1)[:, sub.shape[1] - k]
    rows, cols = np.nonzero(S >= threshold[:, None])
    order = np.lexsort((cols, -S[rows, cols], rows))  # by row, best first, ties by column
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(S.shape[0]))
    return cols[starts[:, None] + np.arange(k)[None, :]]
