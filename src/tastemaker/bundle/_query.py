"""What a request asks about: a known listener, a history, or a vector (LensKit's ``RecQuery``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["Query", "Recommendation", "Similar", "Explanation", "BLEND_MODES", "SIMILAR_MODES"]

#: how recommendations rank: the learned blend of every signal, or collaborative filtering alone
BLEND_MODES = ("hybrid", "cf")
#: how similar items rank: the blend, the factors alone, or what people say (exact TF-IDF cosine)
SIMILAR_MODES = ("hybrid", "cf", "culture")


@dataclass(frozen=True)
class Query:
    """A listener to recommend for.

    Give any of:

    * ``user_id``: a listener the model was trained on (their history and factors come from it);
    * ``history``: what they played, as ``{item_id: count}`` or a ``1 x n_items`` row over the
      bundle's items (counts as training sees them: skips negative). Their factors are folded in
      from it, their played items are left out, and it drives profiles and explanations;
    * ``vector``: their user factors, when the caller already has them (e.g. folded in earlier).

    ``user_id`` with a ``history`` (and ``vector``) is a listener whose live events changed what
    the model knows: the given history wins.

    Examples
    --------
    >>> Query("2")                                       # doctest: +SKIP
    >>> Query(history={"154": 12, "289": -1})            # doctest: +SKIP
    """

    user_id: str | None = None
    history: Mapping[str, float] | sp.csr_matrix | None = None
    vector: np.ndarray | None = field(default=None, compare=False)
    #: item ids never to return (besides the played ones)
    exclude: tuple[str, ...] = ()

    def __post_init__(self):
        if self.user_id is not None:
            object.__setattr__(self, "user_id", str(self.user_id))
        object.__setattr__(self, "exclude", tuple(str(i) for i in self.exclude))


@dataclass
class Recommendation:
    """One recommended item and why it is there.

    Attributes
    ----------
    item_id, name : str
    score : float
        The blended score (hybrid: the sum of ``signals``), or the collaborative score (cf).
    signals : dict of str to float
        Each signal's part of the score (``cf``, ``culture``, ``audio``, ``prior``, ``cold``).
    placed_by : str or None
        For an item nobody has played: the signal that placed it (``culture``,
        ``audio-features``, ``audio``); None for items learned from plays.
    reason : str
        One line: "because you listened to Z", "tagged like Y", "sounds like X".
    because : list of (item id, name, share)
        The listened items behind the collaborative part, with their shares of it (explain=True).
    """

    item_id: str
    name: str
    score: float
    signals: dict[str, float] = field(default_factory=dict)
    placed_by: str | None = None
    reason: str = ""
    because: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def carried_by(self) -> str:
        """The signal with the largest part of the score."""
        return max(self.signals, key=self.signals.get) if self.signals else "cf"


@dataclass
class Similar:
    """An item similar to another: by the blend, the factors or the cultural vectors."""

    item_id: str
    name: str
    score: float
    signals: dict[str, float] = field(default_factory=dict)


@dataclass
class Explanation:
    """Why an item scores as it does for a listener (Hu et al., section 5, plus the signals)."""

    user_id: str | None
    item_id: str
    name: str
    score: float
    contributions: list[tuple[str, str, float]]  # (item id, name, share of the collaborative score)
    signals: dict[str, float] = field(default_factory=dict)
    placed_by: str | None = None
    reason: str = ""
