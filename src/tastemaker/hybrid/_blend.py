"""The learned blend: collaborative, cultural and audio scores as one inner product.

Every signal is a *block*: a matrix with one row per item, and a way to turn a listener into a
query vector for it. A block's raw score of item ``i`` is ``q_b . y_bi``; the blend standardises
it per query over every item of the catalogue (mean 0, standard deviation 1) and sums the blocks
with learned weights::

    score_i = sum_b  w_b * (q_b . y_bi - q_b . mu_b) / sigma_b(q_b),   sigma_b(q)^2 = q' Sigma_b q

where ``mu_b`` and ``Sigma_b`` are the mean and covariance of the block's item rows. Because the
standardisation only needs those two statistics, the whole blend is the inner product of one
concatenated query ``[w_b q_b / sigma_b]`` with one concatenated item vector ``[y_b]`` (minus a
constant per query): a single maximum-inner-product search over the catalogue, exact or through
an ANN index, serves the hybrid for warm and cold items alike.

Blocks (:data:`BLOCKS`):

========  =====================================================  ==================================
block     item rows                                              query
========  =====================================================  ==================================
cf        the factor model's item factors (placed items: their   the listener's user factors
          predicted factors)
culture   cultural vectors (TF-IDF of tags and texts) reduced    the listener's profile: the
          by a truncated SVD, unit length; 0 when undescribed    ``log(1 + plays)``-weighted mean
                                                                 of their items' rows, unit length
audio     standardised audio features, unit length; 0 if none    the same profile over audio rows
prior     ``log(1 + taggers)`` of items placed without plays,    1
          0 for items learned from plays
cold      1 for items placed without plays, else 0               1
========  =====================================================  ==================================

``prior`` and ``cold`` are neither centred nor rescaled: their weights are offsets in the units of
the standardised scores (``cold`` at -0.5 moves every item nobody has played half a standard
deviation down) and items learned from plays get exactly 0 from them.

Similar items use the same blocks with each block's rows scaled to unit length and the item's own
rows as the query (``cf`` then ranks by the cosine of the factors).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

__all__ = ["Blend", "BLOCKS", "profile_rows", "unit_rows"]

#: the blocks a blend may hold, in the order of the concatenated vectors
BLOCKS = ("cf", "culture", "audio", "prior", "cold")
#: blocks whose query is a profile of the listener's items in the block itself
PROFILE_BLOCKS = ("culture", "audio")
#: blocks whose query is the constant 1
CONSTANT_BLOCKS = ("prior", "cold")
_TINY = 1e-12


def unit_rows(M: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    M = np.asarray(M, dtype=np.float32)
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    return np.ascontiguousarray(M / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def profile_rows(history: sp.csr_matrix, M: np.ndarray) -> np.ndarray:
    """Listeners' profiles in a block: the ``log(1 + plays)``-weighted sum of their items' rows of
    ``M``, scaled to unit length (skips and rejected items weigh nothing; no rows: zeros)."""
    W = sp.csr_matrix(history, dtype=np.float32, copy=True)
    W.data = np.log1p(np.maximum(W.data, 0))
    return unit_rows(np.asarray(W @ M, dtype=np.float32))


class Blend:
    """Weights and item statistics of the hybrid score (see the module docstring).

    Parameters
    ----------
    weights : dict, optional
        Weight of each block (``cf`` is always 1 when present); blocks not named weigh 0. Set by
        the training pipeline from a validation split (:func:`tastemaker.hybrid.fit_blend`).
    standardise : bool, default True
        Standardise each block per query; False scores raw inner products (with ``{"cf": 1}``:
        the collaborative model's own scores, or cosines for similar items).

    Attributes
    ----------
    blocks_ : tuple of str
        The blocks present, in :data:`BLOCKS` order.
    dims_ : dict
        Columns of each block.
    weights_ : dict
        The weights in use.
    stats_ : dict
        ``{"recommend" | "similar": {block: (mean, covariance)}}`` over every item.
    """

    def __init__(self, weights: Mapping[str, float] | None = None, standardise: bool = True):
        self.weights = weights
        self.standardise = standardise

    def __repr__(self) -> str:
        return f"Blend(weights={self.weights!r}, standardise={self.standardise!r})"

    # --- fitting --------------------------------------------------------------------------------
    def fit(self, blocks: Mapping[str, np.ndarray]) -> Blend:
        """Record the blocks' shapes and their item statistics; returns ``self``.

        ``blocks`` maps block names to item rows (all with the same number of rows); ``cf`` is
        required.
        """
        if "cf" not in blocks:
            raise ValueError("a blend needs the cf block (the item factors)")
        unknown = sorted(set(blocks) - set(BLOCKS))
        if unknown:
            raise ValueError(f"unknown blocks {unknown}; blocks are {BLOCKS}")
        n = {np.asarray(m).shape[0] for m in blocks.values()}
        if len(n) != 1:
            raise ValueError(f"every block needs one row per item, got row counts {sorted(n)}")
        self.blocks_ = tuple(b for b in BLOCKS if b in blocks)
        self.dims_ = {b: int(np.asarray(blocks[b]).reshape(len(blocks[b]), -1).shape[1]) for b in self.blocks_}
        weights = dict(self.weights or {})
        self.weights_ = {b: (1.0 if b == "cf" else float(weights.get(b, 0.0))) for b in self.blocks_}
        self.stats_ = {"recommend": self._stats(blocks, unit=False), "similar": self._stats(blocks, unit=True)}
        return self

    def _stats(self, blocks, unit: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for b in self.blocks_:
            M = self.block_rows(b, blocks[b], unit=unit).astype(np.float64)
            mean = M.mean(axis=0)
            centred = M - mean
            cov = centred.T @ centred / max(len(M), 1)
            out[b] = (mean, cov)
        return out

    def block_rows(self, block: str, M: np.ndarray, unit: bool = False) -> np.ndarray:
        """A block's item rows as the blend uses them (float32, 2-D; unit rows for similar items)."""
        M = np.asarray(M, dtype=np.float32).reshape(len(M), -1)
        if unit and block not in CONSTANT_BLOCKS:
            return unit_rows(M)
        return M

    @property
    def active_(self) -> tuple[str, ...]:
        """Blocks with a non-zero weight."""
        return tuple(b for b in self.blocks_ if self.weights_.get(b, 0.0))

    def with_weights(self, weights: Mapping[str, float], standardise: bool | None = None) -> Blend:
        """A copy with other weights and the same statistics (e.g. ``{"cf": 1}``, not
        standardised: the collaborative model alone)."""
        other = Blend(dict(weights), self.standardise if standardise is None else standardise)
        other.blocks_, other.dims_, other.stats_ = self.blocks_, self.dims_, self.stats_
        other.weights_ = {b: (1.0 if b == "cf" else float(weights.get(b, 0.0))) for b in self.blocks_}
        return other

    # --- vectors --------------------------------------------------------------------------------
    def item_matrix(self, blocks: Mapping[str, np.ndarray], kind: str = "recommend") -> np.ndarray:
        """Concatenated item vectors (n_items x sum of dims) for ``kind`` = recommend or similar."""
        unit = kind == "similar"
        parts = [self.block_rows(b, blocks[b], unit=unit) for b in self.blocks_]
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)

    def query_parts(self, user_vectors: np.ndarray, history: sp.csr_matrix | None,
                    blocks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-block query vectors (m x dim) of listeners: their user factors and profiles."""
        U = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        parts = {"cf": U}
        for b in self.blocks_:
            if b in PROFILE_BLOCKS:
                if history is None or not self.weights_.get(b):
                    parts[b] = np.zeros((len(U), self.dims_[b]), np.float32)
                else:
                    parts[b] = profile_rows(history, self.block_rows(b, blocks[b]))
            elif b in CONSTANT_BLOCKS:
                parts[b] = np.ones((len(U), 1), np.float32)
        return parts

    def similar_parts(self, cols, blocks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-block query vectors of items (for similar items): their own unit rows."""
        cols = np.atleast_1d(np.asarray(cols, dtype=np.int64))
        return {b: self.block_rows(b, np.asarray(blocks[b])[cols], unit=True) for b in self.blocks_}

    def _scales(self, parts: Mapping[str, np.ndarray], kind: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per block: the factor ``w_b / sigma_b(q)`` of every query, and the offset ``q . mu_b``."""
        out = {}
        for b in self.blocks_:
            w = self.weights_.get(b, 0.0)
            q = np.asarray(parts[b], dtype=np.float64)
            mean, cov = self.stats_[kind][b]
            if not w:
                out[b] = (np.zeros(len(q)), np.zeros(len(q)))
                continue
            if b in CONSTANT_BLOCKS or not self.standardise:  # constant blocks are on the standardised scale
                out[b] = (np.full(len(q), w), np.zeros(len(q)))
                continue
            sigma = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", q, cov, q), 0.0))
            factor = np.where(sigma > _TINY, w / np.maximum(sigma, _TINY), 0.0)
            out[b] = (factor, q @ mean)
        return out

    def query_matrix(self, parts: Mapping[str, np.ndarray], kind: str = "recommend") -> tuple[np.ndarray, np.ndarray]:
        """The concatenated queries (m x sum of dims) and the constant to subtract from their
        inner products with :meth:`item_matrix` to get the standardised blend."""
        scales = self._scales(parts, kind)
        pieces, offset = [], np.zeros(len(next(iter(parts.values()))))
        for b in self.blocks_:
            factor, mean_score = scales[b]
            pieces.append(np.asarray(parts[b], dtype=np.float32) * factor[:, None].astype(np.float32))
            offset += factor * mean_score
        return np.ascontiguousarray(np.hstack(pieces), dtype=np.float32), offset.astype(np.float32)

    def contributions(self, parts: Mapping[str, np.ndarray], blocks: Mapping[str, np.ndarray], cols,
                      kind: str = "recommend", row: int = 0) -> dict[str, np.ndarray]:
        """Each active block's share of the blended score of items ``cols`` for query ``row``:
        ``w_b * (q_b . y_bi - q_b . mu_b) / sigma_b`` (they sum to the score)."""
        cols = np.asarray(cols, dtype=np.int64)
        scales = self._scales({b: np.asarray(p)[row:row + 1] for b, p in parts.items()}, kind)
        unit = kind == "similar"
        out = {}
        for b in self.active_:
            factor, mean_score = scales[b]
            rows = self.block_rows(b, np.asarray(blocks[b])[cols], unit=unit)
            raw = rows @ np.asarray(parts[b][row], dtype=np.float32)
            out[b] = ((raw - mean_score[0]) * factor[0]).astype(np.float32)
        return out

    # --- persistence ----------------------------------------------------------------------------
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """A JSON header and arrays (no pickle) that :meth:`from_state` reads back."""
        meta = {"weights": self.weights_, "blocks": list(self.blocks_), "dims": self.dims_,
                "standardise": self.standardise}
        arrays = {}
        for kind, stats in self.stats_.items():
            for b, (mean, cov) in stats.items():
                arrays[f"{kind}.{b}.mean"] = mean
                arrays[f"{kind}.{b}.cov"] = cov
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> Blend:
        blend = cls(dict(meta["weights"]), bool(meta.get("standardise", True)))
        blend.blocks_ = tuple(meta["blocks"])
        blend.dims_ = {k: int(v) for k, v in meta["dims"].items()}
        blend.weights_ = {k: float(v) for k, v in meta["weights"].items()}
        blend.stats_ = {kind: {b: (np.asarray(arrays[f"{kind}.{b}.mean"]), np.asarray(arrays[f"{kind}.{b}.cov"]))
                               for b in blend.blocks_} for kind in ("recommend", "similar")}
        return blend
