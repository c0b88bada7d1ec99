"""The hybrid: collaborative, cultural and audio signals in one ranking, for played items and
items nobody has played alike.

* :class:`Blend` scores every item as a weighted sum of per-listener standardised block scores
  (collaborative factors, cultural vectors, audio features; for placed items the listener's own
  descriptor regression ``taste``, a tag-popularity prior and an offset), which is one inner
  product: an ANN index serves it.
* :func:`fit_blend` chooses the weights on a validation split (the training pipeline's ``weigh``).
* :func:`place_by_culture`, :func:`place_by_features` and :func:`place_by_embedding` put items
  without plays in the factor space from their descriptors, audio features or an audio CNN's
  embedding; :class:`CultureMap` is the ridge map behind the first.
"""

from tastemaker.hybrid._blend import BLOCKS, SIGNAL_OF, TASTE_ALPHA, Blend, log_plays, profile_rows, unit_rows
from tastemaker.hybrid._fit import GRID, BlendValidation, fit_blend
from tastemaker.hybrid._map import CultureMap
from tastemaker.hybrid._place import place_by_culture, place_by_embedding, place_by_features

__all__ = [
    "Blend",
    "BLOCKS",
    "SIGNAL_OF",
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
