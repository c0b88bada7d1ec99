"""The hybrid: collaborative, cultural and audio signals in one ranking, and items without plays.

* :class:`CultureMap` places an item in the collaborative factor space from its TF-IDF
  descriptors (ridge regression fitted on played items); :func:`place_cold_items` does that (and
  the audio-feature placement of :mod:`tastemaker.content`) for every unplayed item of a store,
  which ``tastemaker train`` calls, so those items take part in ``recommend`` and ``similar``.
* :class:`ColdStartRanker` ranks unplayed items for users by placed factors, cultural profiles, a
  tag-popularity prior and (optionally) audio placement, with weights chosen on a validation
  split that copies the cold-start protocol (``benchmarks/bench_coldstart.py``).
* :class:`HybridScorer` blends the collaborative score with cultural and audio similarity over
  every item, weights chosen on a validation holdout.
* :func:`explain_signal` names the signal behind a recommendation: "tagged like Y", "sounds like
  X", "because you listened to Z".
"""

from tastemaker.hybrid._coldstart import SIGNALS, ColdStartRanker, profiles, zscore_rows
from tastemaker.hybrid._map import CultureMap
from tastemaker.hybrid._place import explain_signal, place_cold_items
from tastemaker.hybrid._scorer import HybridScorer, top_n

__all__ = [
    "CultureMap",
    "ColdStartRanker",
    "HybridScorer",
    "place_cold_items",
    "explain_signal",
    "profiles",
    "zscore_rows",
    "top_n",
    "SIGNALS",
]
