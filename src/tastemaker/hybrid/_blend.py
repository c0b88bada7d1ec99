"""The learned blend: collaborative, cultural and audio scores as one inner product.

Every signal is a *block*: a matrix with one row per item, and a way to turn a listener into a
query vector for it. A block's raw score of item ``i`` is ``q_b . y_bi``; the blend standardises
it per query over the items the block is for (mean 0, standard deviation 1) and sums the blocks
with learned weights::

    score_i = sum_b  w_b * (q_b . y_bi - q_b . mu_b) / sigma_b(q_b),   sigma_b(q)^2 = q' Sigma_b q

where ``mu_b`` and ``Sigma_b`` are the mean and covariance of the block's item rows over its
*support*: every item, the items learned from plays (*warm*), or the items placed without plays
(*cold*); outside its support a block gives 0. Because the standardisation only needs those two
statistics, and because an item is either warm or cold (the ``cold`` column is 1 for exactly the
cold ones, and carries the centring of the blocks restricted to one side), the whole blend is the
inner product of one concatenated query with one concatenated item vector, minus a constant per
query: a single maximum-inner-product search over the catalogue, exact or through an ANN index,
serves the hybrid for warm and cold items alike.

Blocks (:data:`BLOCKS`), made from the bundle's item rows (:data:`SOURCES`: ``cf``, ``culture``,
``audio``, ``prior``, ``cold``):

========  =======  ==========================================  =====================================
block     support  item rows                                   query
========  =======  ==========================================  =====================================
cf        all      the factor model's item factors (placed     the listener's user factors
                   items: their predicted factors)
culture   warm     the cultural vector (TF-IDF of tags and     the listener's *taste*: their own
                   texts reduced by a truncated SVD; 0 if      ridge regression of ``log(1 + plays)``
                   undescribed) and ``prior``                  on those rows (below)
audio     all      standardised audio features; 0 if none      the listener's profile: the
                                                               ``log(1 + plays)``-weighted sum of
                                                               their items' rows, unit length
taste     cold     the same rows as ``culture``                the same taste
prior     cold     ``log(1 + taggers)``                        1
cold      cold     1                                           1
========  =======  ==========================================  =====================================

*Taste*: with ``A`` the warm items' rows ``[culture, 1, prior]``, a listener's regression
coefficients are ``(A'A + Lambda)^-1 A' l`` (``l``: their ``log(1 + plays)`` of every item,
``Lambda``: :data:`TASTE_ALPHA` on the cultural columns, almost nothing on the intercept and prior);
``A' l`` is the raw sum of their items' rows, so one shared ``(d + 2) x (d + 2)`` matrix turns a
history into the query in microseconds. The intercept is dropped (it is the same for every item).
The same query scores warm items (``culture``) and cold ones (``taste``), each block standardised
over its own side and weighted on its own: on HetRec's tuning split seeds 10-14 the regression beat
the profile cosine for warm items (nDCG@10 0.2672 against 0.2649 at the best weights of each) and
wants about twice the weight on items nobody has played.

``prior`` and ``cold`` are neither centred nor rescaled: their weights are offsets in the units of
the standardised scores (``cold`` at -0.5 moves every item nobody has played half a standard
deviation down) and items learned from plays get exactly 0 from them.

Similar items use ``cf``, ``culture`` (the cultural vector alone), ``audio``, ``prior`` and
``cold`` over every item, each block's rows at unit length and the item's own rows as the query
(``cf`` then ranks by the cosine of the factors; ``prior`` and ``cold`` count only when the item
itself was placed without plays); ``taste`` needs a listener and takes no part.

Explanations (:meth:`Blend.contributions`) report each block under its *signal*
(:data:`SIGNAL_OF`: ``taste`` is cultural), so the signals a served item shows stay ``cf``,
``culture``, ``audio``, ``prior`` and ``cold``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

__all__ = ["Blend", "BLOCKS", "SOURCES", "SIGNAL_OF", "TASTE_ALPHA", "profile_rows", "unit_rows", "log_plays"]

#: the blocks a blend may hold, in the order of the concatenated vectors
BLOCKS = ("cf", "culture", "audio", "taste", "prior", "cold")
#: the item rows a blend is fitted on (what :meth:`tastemaker.bundle.ModelBundle.blocks` gives)
SOURCES = ("cf", "culture", "audio", "prior", "cold")
#: blocks whose query is the constant 1
CONSTANT_BLOCKS = ("prior", "cold")
#: blocks whose query is the listener's taste regression
TASTE_BLOCKS = ("culture", "taste")
#: the signal each block is reported as
SIGNAL_OF = {"cf": "cf", "culture": "culture", "audio": "audio", "taste": "culture", "prior": "prior",
             "cold": "cold"}
#: the items each block scores when recommending (``all``, ``warm`` or ``cold``)
SUPPORT = {"cf": "all", "culture": "warm", "audio": "all", "taste": "cold", "prior": "cold", "cold": "cold"}
#: blocks of similar items
SIMILAR_BLOCKS = ("cf", "culture", "audio", "prior", "cold")
#: ridge penalty of the taste regression on the cultural columns (unit TF-IDF rows: the scale of a
#: descriptor's weight); 30 was best among 3, 10, 30 and 100 on the cold-start benchmark's tuning
#: split seeds 10-14
TASTE_ALPHA = 30.0
#: penalty of its intercept and ``prior`` columns (almost free: two well-determined columns)
_FREE = 1e-3
_TINY = 1e-12


def unit_rows(M: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    M = np.asarray(M, dtype=np.float32)
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    return np.ascontiguousarray(M / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def log_plays(history) -> sp.csr_matrix:
    """``log(1 + plays)`` of a users x items history (skips and rejections weigh nothing)."""
    W = sp.csr_matrix(history, dtype=np.float32, copy=True)
    W.data = np.log1p(np.maximum(W.data, 0))
    return W


def profile_rows(history: sp.csr_matrix, M: np.ndarray) -> np.ndarray:
    """Listeners' profiles in a block: the ``log(1 + plays)``-weighted sum of their items' rows of
    ``M``, scaled to unit length (skips and rejected items weigh nothing; no rows: zeros)."""
    return unit_rows(np.asarray(log_plays(history) @ M, dtype=np.float32))


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
        The blocks present, in :data:`BLOCKS` order (``taste`` when there are ``culture`` and
        ``cold``).
    dims_ : dict
        Columns of each block in recommendations.
    weights_ : dict
        The weights in use.
    layout_ : dict
        ``{"recommend" | "similar": blocks}``: the blocks the concatenated vectors hold, in order;
        a block at weight 0, or one whose side (warm or cold items) is empty, adds nothing to any
        score and is left out (the ``cold`` column always stays: it carries the centring).
    stats_ : dict
        ``{"recommend" | "similar": {block: (mean, covariance)}}`` over each block's support.
    taste_ : ndarray or None
        ``(A'A + Lambda)^-1`` of the taste regression (see the module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> blocks = {"cf": rng.normal(size=(6, 2)), "culture": rng.normal(size=(6, 3)),
    ...           "prior": rng.random((6, 1)), "cold": np.array([[0], [0], [0], [0], [1], [1.0]])}
    >>> blend = Blend({"culture": 0.5, "taste": 1.0, "cold": -0.2}).fit(blocks)
    >>> blend.blocks_
    ('cf', 'culture', 'taste', 'prior', 'cold')
    >>> history = sp.csr_matrix(np.array([[3.0, 0, 1, 0, 0, 0]]))
    >>> parts = blend.query_parts(rng.normal(size=(1, 2)), history, blocks)
    >>> Q, offset = blend.query_matrix(parts)
    >>> scores = blend.item_matrix(blocks) @ Q[0] - offset[0]
    >>> shares = blend.contributions(parts, blocks, np.arange(6))
    >>> bool(np.allclose(sum(shares.values()), scores, atol=1e-5))
    True
    """

    def __init__(self, weights: Mapping[str, float] | None = None, standardise: bool = True):
        self.weights = weights
        self.standardise = standardise

    def __repr__(self) -> str:
        return f"Blend(weights={self.weights!r}, standardise={self.standardise!r})"

    # --- fitting --------------------------------------------------------------------------------
    def fit(self, blocks: Mapping[str, np.ndarray]) -> Blend:
        """Record the blocks' shapes, their item statistics and the taste regression's matrix;
        returns ``self``.

        ``blocks`` maps source names (:data:`SOURCES`) to item rows (all with the same number of
        rows); ``cf`` is required.
        """
        if "cf" not in blocks:
            raise ValueError("a blend needs the cf block (the item factors)")
        unknown = sorted(set(blocks) - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown blocks {unknown}; blocks are {SOURCES}")
        n = {np.asarray(m).shape[0] for m in blocks.values()}
        if len(n) != 1:
            raise ValueError(f"every block needs one row per item, got row counts {sorted(n)}")
        present = set(blocks) | ({"taste"} if {"culture", "cold"} <= set(blocks) else set())
        self.blocks_ = tuple(b for b in BLOCKS if b in present)
        self.dims_ = {b: int(self._rows(b, blocks).shape[1]) for b in self.blocks_}
        self.weights_ = self._weights(self.weights)
        cold = self._cold(blocks)
        self.layout_ = {kind: self._live(kind, cold) for kind in ("recommend", "similar")}
        self.taste_ = self._fit_taste(blocks, cold) if "culture" in self.blocks_ else None
        self.stats_ = {kind: self._stats(blocks, cold, kind) for kind in ("recommend", "similar")}
        return self

    def _weights(self, weights) -> dict[str, float]:
        weights = dict(weights or {})
        return {b: (1.0 if b == "cf" else float(weights.get(b, 0.0))) for b in self.blocks_}

    @staticmethod
    def _cold(blocks, cols=None) -> np.ndarray:
        """Which items (of ``cols``, default all) are placed without plays."""
        n = len(blocks["cf"]) if cols is None else len(cols)
        if "cold" not in blocks:
            return np.zeros(n, dtype=bool)
        flags = np.asarray(blocks["cold"], dtype=np.float32)
        flags = flags.reshape(len(flags), -1)[:, 0]
        return (flags if cols is None else flags[cols]) > 0

    def _support(self, block: str, kind: str) -> str:
        if block in CONSTANT_BLOCKS:
            return "cold"
        if kind == "similar" or "cold" not in self.blocks_:
            return "all"
        return SUPPORT[block]

    @staticmethod
    def _column(blocks, name: str, cols=None) -> np.ndarray:
        M = np.asarray(blocks[name], dtype=np.float32)
        M = M.reshape(len(M), -1)
        return M if cols is None else M[cols]

    def _rows(self, block: str, blocks, kind: str = "recommend", cols=None) -> np.ndarray:
        """A block's item rows (of items ``cols``, default all) before masking and unit scaling
        (float32, 2-D)."""
        if block in TASTE_BLOCKS:
            culture = self._column(blocks, "culture", cols)
            if "prior" in blocks and kind == "recommend":
                return np.hstack([culture, self._column(blocks, "prior", cols)[:, :1]])
            return culture
        if block == "prior":
            return self._column(blocks, "prior", cols)[:, :1]
        return self._column(blocks, block, cols)

    def _design(self, blocks) -> np.ndarray:
        """The taste regression's rows ``[culture, 1, prior]`` of every item."""
        n = len(blocks["cf"])
        parts = [self._column(blocks, "culture"), np.ones((n, 1), np.float32)]
        if "prior" in blocks:
            parts.append(self._column(blocks, "prior")[:, :1])
        return np.hstack(parts)

    def _fit_taste(self, blocks, cold: np.ndarray) -> np.ndarray:
        """``(A'A + Lambda)^-1`` over the warm items' rows ``A = [culture, 1, prior]``."""
        A = self._design(blocks)[~cold].astype(np.float64)
        gram = A.T @ A
        penalty = np.full(gram.shape[0], _FREE)
        penalty[:self._column(blocks, "culture").shape[1]] = TASTE_ALPHA
        gram[np.diag_indices_from(gram)] += penalty
        return np.linalg.inv(gram)

    def _stats(self, blocks, cold: np.ndarray, kind: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for b in self._layout(kind):
            M = self.block_rows(b, self._rows(b, blocks, kind), unit=kind == "similar")
            support = self._support(b, kind)
            if support != "all":
                M = M[cold if support == "cold" else ~cold]
            M = M.astype(np.float64)
            if len(M) == 0:
                out[b] = (np.zeros(M.shape[1]), np.zeros((M.shape[1], M.shape[1])))
                continue
            mean = M.mean(axis=0)
            centred = M - mean
            out[b] = (mean, centred.T @ centred / len(M))
        return out

    def block_rows(self, block: str, M: np.ndarray, unit: bool = False) -> np.ndarray:
        """A block's item rows as the blend uses them (float32, 2-D; unit rows for similar items)."""
        M = np.asarray(M, dtype=np.float32).reshape(len(M), -1)
        if unit and block not in CONSTANT_BLOCKS:
            return unit_rows(M)
        return M

    def _layout(self, kind: str) -> tuple[str, ...]:
        """Every block that takes part in ``kind`` (recommend or similar)."""
        if kind == "similar":
            return tuple(b for b in self.blocks_ if b in SIMILAR_BLOCKS)
        return self.blocks_

    def _live(self, kind: str, cold: np.ndarray) -> tuple[str, ...]:
        """The blocks of ``kind`` that can change a score (see ``layout_``)."""
        def sided(b: str) -> bool:
            support = self._support(b, kind)
            return support == "all" or bool((cold if support == "cold" else ~cold).any())

        return tuple(b for b in self._layout(kind) if b == "cold" or (self.weights_.get(b, 0.0) and sided(b)))

    @property
    def active_(self) -> tuple[str, ...]:
        """Blocks with a non-zero weight."""
        return tuple(b for b in self.blocks_ if self.weights_.get(b, 0.0))

    def with_weights(self, weights: Mapping[str, float], standardise: bool | None = None) -> Blend:
        """A copy with other weights and the same statistics and layout (e.g. ``{"cf": 1}``, not
        standardised: the collaborative model alone), whose queries search the same item vectors.
        A block it weighs that this blend left out of the vectors is refused."""
        other = Blend(dict(weights), self.standardise if standardise is None else standardise)
        other.blocks_, other.dims_, other.stats_, other.taste_ = self.blocks_, self.dims_, self.stats_, self.taste_
        other.layout_ = self.layout_
        other.weights_ = other._weights(weights)
        missing = sorted(b for b, w in other.weights_.items() if w and b not in self.layout_["recommend"])
        if missing:
            raise ValueError(f"blocks {missing} are not in this blend's item vectors (they weighed 0 when it "
                             "was fitted): fit a new blend with these weights")
        return other

    # --- vectors --------------------------------------------------------------------------------
    def item_matrix(self, blocks: Mapping[str, np.ndarray], kind: str = "recommend") -> np.ndarray:
        """Concatenated item vectors (n_items x the ``layout_`` blocks' dims) for ``kind`` =
        recommend or similar."""
        cold = self._cold(blocks)
        parts = []
        for b in self.layout_[kind]:
            support = self._support(b, kind)
            rows = self.block_rows(b, self._rows(b, blocks, kind), unit=kind == "similar")
            if support != "all" and b != "cold":  # the cold column is already 0 for warm items
                rows = rows * (cold if support == "cold" else ~cold)[:, None].astype(np.float32)
            parts.append(rows)
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)

    def query_parts(self, user_vectors: np.ndarray, history: sp.csr_matrix | None,
                    blocks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-block query vectors (m x dim) of listeners: their user factors, taste and profiles."""
        U = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        parts = {"cf": U}
        L = None if history is None else log_plays(history)
        taste = None
        live = self.layout_["recommend"]
        for b in self.blocks_:
            if b == "cf":
                continue
            if b in CONSTANT_BLOCKS:
                parts[b] = np.ones((len(U), 1), np.float32)
            elif L is None or not self.weights_.get(b) or b not in live:  # a block that scores nothing
                parts[b] = np.zeros((len(U), self.dims_[b]), np.float32)
            elif b in TASTE_BLOCKS:
                taste = self.taste_query(L, blocks) if taste is None else taste
                parts[b] = taste
            else:
                parts[b] = unit_rows(np.asarray(L @ self._rows(b, blocks), dtype=np.float32))
        return parts

    def taste_query(self, L: sp.csr_matrix, blocks) -> np.ndarray:
        """Listeners' taste regression (``L``: their ``log(1 + plays)``, see :func:`log_plays`):
        the coefficients of ``[culture, prior]``, one row per listener."""
        L = sp.csr_matrix(L)
        raw = [np.asarray(L @ self._column(blocks, "culture"), dtype=np.float64),  # only the played rows
               np.asarray(L.sum(axis=1), dtype=np.float64).reshape(-1, 1)]
        if "prior" in blocks:
            raw.append(np.asarray(L @ self._column(blocks, "prior")[:, :1], dtype=np.float64))
        coef = np.hstack(raw) @ self.taste_
        return np.ascontiguousarray(np.delete(coef, raw[0].shape[1], axis=1), dtype=np.float32)

    def similar_parts(self, cols, blocks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-block query vectors of items (for similar items): their own unit rows; ``prior``
        and ``cold`` only for an item placed without plays (its prior, and 1), so a played item's
        neighbours are ranked by likeness alone."""
        cols = np.atleast_1d(np.asarray(cols, dtype=np.int64))
        cold = self._cold(blocks, cols).astype(np.float32)[:, None]
        out = {}
        for b in self._layout("similar"):
            rows = self.block_rows(b, self._rows(b, blocks, "similar", cols), unit=True)
            out[b] = rows * cold if b in CONSTANT_BLOCKS else rows
        return out

    def _standardisers(self, parts: Mapping[str, np.ndarray], kind: str,
                       which=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per block (of ``which``, default the layout's): ``1 / sigma_b(q)`` of every query and
        the centre ``q . mu_b`` (constant blocks, or without standardising: 1 and 0)."""
        out = {}
        for b in self.layout_[kind] if which is None else which:
            q = np.asarray(parts[b], dtype=np.float64)
            if b in CONSTANT_BLOCKS or not self.standardise:
                out[b] = (np.ones(len(q)), np.zeros(len(q)))
                continue
            mean, cov = self.stats_[kind][b]
            sigma = np.sqrt(np.maximum(((q @ cov) * q).sum(axis=1), 0.0))
            out[b] = (np.where(sigma > _TINY, 1.0 / np.maximum(sigma, _TINY), 0.0), q @ mean)
        return out

    def query_matrix(self, parts: Mapping[str, np.ndarray], kind: str = "recommend") -> tuple[np.ndarray, np.ndarray]:
        """The concatenated queries (m x the ``layout_`` blocks' dims) and the constant to subtract from their
        inner products with :meth:`item_matrix` to get the standardised blend."""
        standard = self._standardisers(parts, kind)
        m = len(next(iter(parts.values())))
        offset, cold_shift = np.zeros(m), np.zeros(m)
        factors = {}
        # a block left out of the layout changes no score, its centring included: at weight 0 it
        # has none; with no item on its side, its shift reaches no item
        for b in self.layout_[kind]:
            inv_sigma, centre = standard[b]
            factors[b] = self.weights_.get(b, 0.0) * inv_sigma
            if b in CONSTANT_BLOCKS:
                continue
            support = self._support(b, kind)
            if support in ("all", "warm"):
                offset += factors[b] * centre
            if support == "warm":
                cold_shift += factors[b] * centre  # cold items get none of a warm block, centring included
            elif support == "cold":
                cold_shift -= factors[b] * centre
        pieces = []
        for b in self.layout_[kind]:
            piece = np.asarray(parts[b], dtype=np.float64) * factors[b][:, None]
            if b == "cold":
                piece = piece + cold_shift[:, None]
            pieces.append(piece.astype(np.float32))
        return np.ascontiguousarray(np.hstack(pieces), dtype=np.float32), offset.astype(np.float32)

    def unit_scores(self, parts: Mapping[str, np.ndarray], blocks: Mapping[str, np.ndarray], cols=None,
                    kind: str = "recommend", which=None, cache: dict | None = None) -> dict[str, np.ndarray]:
        """Each block's standardised scores at weight 1 (m queries x len(cols) items; 0 outside
        the block's support; the raw rows for ``prior`` and ``cold``): the blend is
        ``sum_b w_b * unit_scores[b]``. For choosing weights (:func:`fit_blend`) and explaining.

        ``cache``, a dict kept by the caller between calls with the same ``blocks``, ``cols`` and
        ``kind``, holds the item rows so that many chunks of queries build them once."""
        which = self._layout(kind) if which is None else which
        standard = self._standardisers(parts, kind, which)
        cols = np.arange(len(blocks["cf"])) if cols is None else np.asarray(cols, dtype=np.int64)
        cold = self._cold(blocks, cols)
        out = {}
        for b in which:
            inv_sigma, centre = standard[b]
            support = self._support(b, kind)
            z = np.zeros((len(inv_sigma), len(cols)), np.float32)
            inside = np.ones(len(cols), bool) if support == "all" else (cold if support == "cold" else ~cold)
            if inside.any():  # only the items of the block's side are scored
                rows = None if cache is None else cache.get(b)
                if rows is None:
                    rows = np.ascontiguousarray(
                        self.block_rows(b, self._rows(b, blocks, kind, cols[inside]), unit=kind == "similar").T)
                    if cache is not None:
                        cache[b] = rows
                raw = np.asarray(parts[b], dtype=np.float32) @ rows
                if b not in CONSTANT_BLOCKS:
                    raw = (raw - centre[:, None].astype(np.float32)) * inv_sigma[:, None].astype(np.float32)
                z[:, inside] = raw
            out[b] = z
        return out

    def contributions(self, parts: Mapping[str, np.ndarray], blocks: Mapping[str, np.ndarray], cols,
                      kind: str = "recommend", row: int = 0) -> dict[str, np.ndarray]:
        """Each active signal's share of the blended score of items ``cols`` for query ``row``:
        ``w_b * (q_b . y_bi - q_b . mu_b) / sigma_b`` summed over the blocks of the signal
        (:data:`SIGNAL_OF`); they sum to the score."""
        one = {b: np.asarray(p)[row:row + 1] for b, p in parts.items()}
        active = tuple(b for b in self.active_ if b in self.layout_[kind])
        z = self.unit_scores(one, blocks, cols, kind, which=active)
        out: dict[str, np.ndarray] = {}
        for b in active:
            name = SIGNAL_OF[b]
            share = (self.weights_[b] * z[b][0]).astype(np.float32)
            out[name] = share if name not in out else out[name] + share
        return out

    # --- persistence ----------------------------------------------------------------------------
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """A JSON header and arrays (no pickle) that :meth:`from_state` reads back."""
        meta = {"weights": self.weights_, "blocks": list(self.blocks_), "dims": self.dims_,
                "standardise": self.standardise, "layout": {k: list(v) for k, v in self.layout_.items()}}
        arrays = {}
        for kind, stats in self.stats_.items():
            for b, (mean, cov) in stats.items():
                arrays[f"{kind}.{b}.mean"] = mean
                arrays[f"{kind}.{b}.cov"] = cov
        if self.taste_ is not None:
            arrays["taste"] = self.taste_
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> Blend:
        blend = cls(dict(meta["weights"]), bool(meta.get("standardise", True)))
        blend.blocks_ = tuple(meta["blocks"])
        blend.dims_ = {k: int(v) for k, v in meta["dims"].items()}
        blend.weights_ = {k: float(v) for k, v in meta["weights"].items()}
        layout = meta.get("layout") or {  # saved before layouts were: every block with a weight
            kind: [b for b in blend._layout(kind) if b == "cold" or blend.weights_.get(b)]
            for kind in ("recommend", "similar")}
        blend.layout_ = {kind: tuple(layout[kind]) for kind in ("recommend", "similar")}
        blend.stats_ = {kind: {b: (np.asarray(arrays[f"{kind}.{b}.mean"]), np.asarray(arrays[f"{kind}.{b}.cov"]))
                               for b in blend._layout(kind)} for kind in ("recommend", "similar")}
        blend.taste_ = np.asarray(arrays["taste"]) if "taste" in arrays else None
        return blend
