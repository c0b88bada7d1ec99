"""The trained-model layer: one bundle that owns everything a trained system is.

A :class:`ModelBundle` holds the vocabularies, the collaborative model's factors, the cultural
vectors (persisted, never rebuilt per command), the items placed without plays and the signal
that placed each, the learned blend weights and the retrieval index, versioned together in one
directory (:mod:`tastemaker.bundle._format`: atomic, no pickle, a clear error for a reader older
than the format). One query-based API answers everything: :meth:`ModelBundle.recommend`,
:meth:`~ModelBundle.similar` and :meth:`~ModelBundle.explain` take a :class:`Query` (a known
listener, a history, or a vector; one or many), and :meth:`~ModelBundle.add_items` places new
items.

>>> from tastemaker.bundle import ModelBundle, Query
>>> bundle = ModelBundle.load("models")                       # doctest: +SKIP
>>> [r.name for r in bundle.recommend("2", n=3)]              # doctest: +SKIP
['Pet Shop Boys', 'a-ha', 'Massive Attack']
"""

from tastemaker.bundle._bundle import PLACED_BY, SIGNAL_BLOCKS, ModelBundle, training_metadata
from tastemaker.bundle._format import BundleFormatError, current_version_dir, version_key
from tastemaker.bundle._query import BLEND_MODES, SIMILAR_MODES, Explanation, Query, Recommendation, Similar

__all__ = [
    "ModelBundle",
    "Query",
    "Recommendation",
    "Similar",
    "Explanation",
    "BundleFormatError",
    "PLACED_BY",
    "SIGNAL_BLOCKS",
    "BLEND_MODES",
    "SIMILAR_MODES",
    "current_version_dir",
    "version_key",
    "training_metadata",
]
