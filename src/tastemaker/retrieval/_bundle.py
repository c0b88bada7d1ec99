"""The indexes a trained model serves from, versioned with the model and saved next to it."""

from __future__ import annotations

import hashlib

import numpy as np

from tastemaker.retrieval._base import ItemIndex
from tastemaker.retrieval._exact import ExactIndex

__all__ = ["Retrieval", "KINDS", "factors_digest"]

#: index kinds, for ``tastemaker train --index``
KINDS = ("voyager", "exact")


def factors_digest(item_factors: np.ndarray) -> str:
    """A short content hash of the item factors: an index built from other factors is stale."""
    arr = np.ascontiguousarray(item_factors, dtype=np.float32)
    return hashlib.sha256(arr.view(np.uint8)).hexdigest()[:16]


class Retrieval:
    """User -> items (inner product) and item -> similar items (cosine) search over one model.

    Parameters
    ----------
    recommend : ItemIndex
        Inner-product index of the item factors (``metric="ip"``).
    similar : ItemIndex
        Cosine index of the item factors (``metric="cosine"``), the semantics of
        :meth:`~tastemaker.cf._base.MatrixFactorizationBase.similar_items`.
    model_version : str
        The :attr:`Recommender.version` it was built for.
    digest : str
        :func:`factors_digest` of the item factors it was built from.
    """

    def __init__(self, recommend: ItemIndex, similar: ItemIndex, model_version: str, digest: str):
        self.recommend = recommend
        self.similar = similar
        self.model_version = model_version
        self.digest = digest

    @property
    def kind(self) -> str:
        return self.recommend.kind

    @property
    def n_items(self) -> int:
        return self.recommend.n_items

    @classmethod
    def build(cls, item_factors: np.ndarray, kind: str = "exact", *, model_version: str = "",
              num_threads: int = 0, **params) -> Retrieval:
        """Build both indexes of ``kind`` (see :data:`KINDS`) over ``item_factors``.

        ``params`` go to :class:`~tastemaker.retrieval.VoyagerIndex` (``M``, ``ef_construction``,
        ``ef``, ``space``, ``random_seed``).
        """
        if kind == "exact":
            if params:
                raise ValueError(f"exact indexes take no parameters, got {sorted(params)}")
            return cls(ExactIndex(item_factors, "ip"), ExactIndex(item_factors, "cosine"), model_version,
                       factors_digest(item_factors))
        if kind == "voyager":
            from tastemaker.retrieval._voyager import VoyagerIndex

            similar_params = {k: v for k, v in params.items() if k != "space"}
            return cls(VoyagerIndex(item_factors, "ip", num_threads=num_threads, **params),
                       VoyagerIndex(item_factors, "cosine", num_threads=num_threads, **similar_params),
                       model_version, factors_digest(item_factors))
        raise ValueError(f"index kind must be one of {KINDS}, got {kind!r}")

    def stale_reason(self, item_factors: np.ndarray, model_version: str) -> str | None:
        """Why this index does not belong to the model (None when it does)."""
        if self.model_version != model_version:
            return f"it was built for model version {self.model_version}, not {model_version}"
        if self.n_items != item_factors.shape[0] or self.recommend.dim != item_factors.shape[1]:
            return (f"it holds {self.n_items:,} items x {self.recommend.dim} factors, the model "
                    f"{item_factors.shape[0]:,} x {item_factors.shape[1]}")
        if self.digest != factors_digest(item_factors):
            return "the model's item factors changed since it was built"
        return None
