"""A small synthetic home for the bandit tests (a module, not a fixture: tests build many)."""

from __future__ import annotations

import numpy as np

from tastemaker.bandit import CandidateSet, Shelf


def small_candidates() -> CandidateSet:
    """Three shelves of three cards; item 4 sits on two shelves."""
    items = np.array([0, 1, 2, 3, 4, 5, 4, 6, 7])
    shelf = np.repeat([0, 1, 2], 3)
    shelves = [Shelf("because:a", "because", "Because you listened to A"), Shelf("tag:rock", "tag", "More rock"),
               Shelf("friends", "friends", "Popular with your friends")]
    cf = np.linspace(1.0, 0.2, 9)
    return CandidateSet(items, shelf, cf, np.arange(9, dtype=float)[::-1] / 3, shelves)
