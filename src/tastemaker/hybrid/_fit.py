"""Choosing the blend's weights on a validation split of the training data.

The training pipeline holds out part of what it trains on, retrains the collaborative model
without it, places the held-out items again from their content, and hands this module the
validation blocks and listeners. The weights are chosen in three passes, each over a small grid:

1. ``culture`` and ``audio`` by nDCG@10 of the held-out plays of warm items, ranking the whole
   catalogue (played items left out);
2. ``prior`` by recall@50 of the held-out items nobody could have played, ranked among
   themselves (the cold-start protocol);
3. ``cold`` (an offset for every item nobody has played) by nDCG@10 of all held-out plays, warm
   and cold, ranking the whole catalogue: how placed items compete with played ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tastemaker.hybrid._blend import Blend

__all__ = ["fit_blend", "BlendValidation", "GRID"]

#: the weights tried per block (cf is always 1)
GRID = {"culture": (0.0, 0.1, 0.2, 0.3, 0.5), "audio": (0.0, 0.1, 0.2, 0.3),
        "prior": (0.0, 0.1, 0.2, 0.4, 0.7, 1.0), "cold": (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5)}
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
        The validation model's item rows per block (its factors, placed items included).
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
        Weights to try per block (default :data:`GRID`); blocks missing from ``blocks`` stay 0.
    """
    grid = {**GRID, **(grid or {})}
    present = [b for b in ("culture", "audio", "prior", "cold") if b in blocks]
    weights = {b: 0.0 for b in present}
    result = BlendValidation(weights)
    base = Blend({"cf": 1.0, **{b: 1.0 for b in present}}).fit(blocks)
    history = sp.csr_matrix(history)
    warm_truth = sp.csr_matrix(warm_truth)
    z = _Standardised(base, blocks, user_vectors, history)

    # 1. culture and audio on warm plays, the whole catalogue ranked
    warm_users = np.flatnonzero(np.diff(warm_truth.indptr) > 0)
    result.warm_users = len(warm_users)
    content = [b for b in ("culture", "audio") if b in present]
    if content and len(warm_users):
        combos = [dict(zip(content, c)) for c in itertools.product(*(grid[b] for b in content))]
        values = z.evaluate(combos, warm_users, warm_truth, k=10, metric="ndcg", fixed=weights)
        result.passes["warm"] = list(zip(combos, values))
        weights.update(combos[int(np.argmax(values))])
    if cold_truth is not None and cold_cols is not None and len(cold_cols):
        cold_truth = sp.csr_matrix(cold_truth)
        cold_cols = np.asarray(cold_cols, dtype=np.int64)
        cold_users = np.flatnonzero(np.diff(sp.csr_matrix(cold_truth[:, cold_cols]).indptr) > 0)
        result.cold_users, result.cold_items = len(cold_users), len(cold_cols)
        # 2. prior, ranking the held-out items among themselves
        if "prior" in present and len(cold_users):
            combos = [{"prior": v} for v in grid["prior"]]
            values = z.evaluate(combos, cold_users, cold_truth, k=50, metric="recall", fixed=weights,
                                candidates=cold_cols)
            result.passes["cold"] = list(zip(combos, values))
            weights.update(combos[int(np.argmax(values))])
        # 3. how placed items compete with played ones
        if "cold" in present:
            both = (warm_truth + cold_truth).tocsr()
            users = np.flatnonzero(np.diff(both.indptr) > 0)
            combos = [{"cold": v} for v in grid["cold"]]
            values = z.evaluate(combos, users, both, k=10, metric="ndcg", fixed=weights)
            result.passes["mixed"] = list(zip(combos, values))
            weights.update(combos[int(np.argmax(values))])
    result.weights = {"cf": 1.0, **weights}
    return result


class _Standardised:
    """Per-block standardised scores of validation listeners, computed a chunk of users at a time."""

    def __init__(self, blend: Blend, blocks, user_vectors, history):
        self.blend = blend
        self.blocks = blocks
        self.parts = blend.query_parts(user_vectors, history, blocks)
        self.history = history
        self.rows = {b: blend.block_rows(b, blocks[b]) for b in blend.blocks_}

    def _z(self, users: np.ndarray, candidates=None) -> dict[str, np.ndarray]:
        """``{block: (len(users) x n) standardised scores}`` (unit weight per block)."""
        parts = {b: p[users] for b, p in self.parts.items()}
        scales = self.blend._scales(parts, "recommend")
        out = {}
        for b in self.blend.blocks_:
            factor, mean_score = scales[b]
            rows = self.rows[b] if candidates is None else self.rows[b][candidates]
            raw = np.asarray(parts[b], np.float32) @ rows.T
            out[b] = (raw - mean_score[:, None].astype(np.float32)) * factor[:, None].astype(np.float32)
        return out

    def evaluate(self, combos: list[dict], users: np.ndarray, truth: sp.csr_matrix, *, k: int, metric: str,
                 fixed: Mapping[str, float], candidates=None) -> list[float]:
        from tastemaker.evaluation import ndcg_at_k, recall_at_k

        score = ndcg_at_k if metric == "ndcg" else recall_at_k
        n = self.rows["cf"].shape[0] if candidates is None else len(candidates)
        step = max(1, _CHUNK_ENTRIES // max(n, 1))
        sums = np.zeros(len(combos))
        counted = 0
        for start in range(0, len(users), step):
            chunk = users[start:start + step]
            z = self._z(chunk, candidates)
            seen = self.history[chunk]
            if candidates is None:
                mask = (np.repeat(np.arange(len(chunk)), np.diff(seen.indptr)), seen.indices)
                cols = None
            else:
                cols = np.asarray(candidates)
                sub = sp.csr_matrix(seen[:, cols])
                mask = (np.repeat(np.arange(len(chunk)), np.diff(sub.indptr)), sub.indices)
            target = truth[chunk] if candidates is None else sp.csr_matrix(truth[chunk][:, cols])
            for c, combo in enumerate(combos):
                w = {**fixed, **combo}
                S = z["cf"].copy()
                for b, value in w.items():
                    if value and b in z:
                        S += np.float32(value) * z[b]
                S[mask] = -np.inf
                top = _top(S, k)
                vals = score(top, target, k)
                sums[c] += float(np.nansum(vals))
            counted += int(np.sum(np.diff(target.indptr) > 0))
        return (sums / max(counted, 1)).tolist()


def _top(S: np.ndarray, k: int) -> np.ndarray:
    k = min(k, S.shape[1])
    part = np.argpartition(-S, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(S, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
