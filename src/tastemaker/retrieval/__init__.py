"""Retrieval: top-k items for user vectors and similar items, exact or approximate (Voyager HNSW).

ALS scores are inner products, so recommending is maximum inner-product search over the item
factors; similar items are the nearest by cosine. :class:`ExactIndex` scores every item (the
reference, and the default for small catalogues); :class:`VoyagerIndex` searches an HNSW graph
(Spotify's Voyager, the ``serve`` extra). Both recompute the returned items' scores exactly and
leave out excluded items (a user's history) by over-fetching and refilling, so a user with a long
history still gets ``k`` results. A :class:`Retrieval` holds one index of each kind for a model
and is saved inside the model's version (:mod:`tastemaker.bundle`).

>>> import numpy as np
>>> from tastemaker.retrieval import Retrieval
>>> factors = np.random.default_rng(0).standard_normal((1000, 16)).astype(np.float32)
>>> retrieval = Retrieval.build(factors, "exact")
>>> ids, scores = retrieval.recommend.search(factors[:3], k=5, exclude=[[0], [1], [2]])
>>> ids.shape
(3, 5)
"""

from tastemaker.retrieval._base import ItemIndex
from tastemaker.retrieval._bundle import (KINDS, VOYAGER_MIN_ITEMS, Retrieval, StaleIndexError, auto_kind,
                                         factors_digest)
from tastemaker.retrieval._exact import ExactIndex

__all__ = ["ItemIndex", "ExactIndex", "VoyagerIndex", "Retrieval", "StaleIndexError", "KINDS", "factors_digest",
           "auto_kind", "VOYAGER_MIN_ITEMS"]


def __getattr__(name):
    if name == "VoyagerIndex":  # Voyager is an optional dependency (the serve extra)
        from tastemaker.retrieval._voyager import VoyagerIndex

        return VoyagerIndex
    raise AttributeError(f"module 'tastemaker.retrieval' has no attribute {name!r}")
