"""The hybrid: collaborative, cultural and audio signals in one ranking, for played items and
items nobody has played alike.

* :class:`Blend` scores every item as a weighted sum of per-listener standardised block scores
  (collaborative factors; the listener's *taste*, their own ridge regression of what they play
  on the cultural vectors and tag popularity, weighted apart for played items and for items
  nobody has played; audio features; for placed items a tag-popularity prior and an offset),
  which is one inner product: an ANN index serves it.
* :func:`fit_blend` chooses the weights on a validation split (the training pipeline's ``weigh``).
* :func:`place_by_culture`, :func:`place_by_features` and :func:`place_by_embedding` put items
  without plays in the factor space from their descriptors (a ridge map, :class:`CultureMap`,
  mixed with their descriptor neighbours' factors), audio features or an audio CNN's embedding.
"""

from tastemaker.hybrid._blend import BLOCKS, SIGNAL_OF, SOURCES, TASTE_ALPHA, Blend, log_plays, profile_rows, unit_rows
from tastemaker.hybrid._fit import GRID, BlendValidation, fit_blend
from tastemaker.hybrid._map import CultureMap
from tastemaker.hybrid._place import place_by_culture, place_by_embedding, place_by_features

__all__ = [
    "Blend",
    "BLOCKS",
    "SIGNAL_OF",
    "SOURCES",
    "TASTE_ALPHA",
    "fit_blend",
    "BlendValidation",
    "GRID",
    "CultureMap",
    "place_by_culture",
    "place_by_features",
    "place_by_embedding",
    "profile_rows",
    "log_plays",
    "unit_rows",
]
