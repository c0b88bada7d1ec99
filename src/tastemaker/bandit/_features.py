"""Context and the sparse feature rows the reward models read.

One row per (page, card, position)::

    user | item | shelf type | hour (6 blocks of 4 h) | day of week | device | country (hashed)
    | row | column | recommender score | log1p(listeners) | log1p(times shown to this user before)
    | log1p(times streamed by this user before)

The recommender score is :attr:`CandidateSet.cf <tastemaker.bandit.CandidateSet>`: the model
bundle's blended score on the home screen, the factors' inner product in the simulator. The last
two are the listener's recent history with the card, the "recent listening" context:
they let the model tell a card the user keeps streaming from one they keep passing over.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from tastemaker.bandit._candidates import SHELF_TYPES, CandidateSet

__all__ = ["Context", "DEVICES", "FeatureSpace"]

DEVICES = ("mobile", "desktop", "web", "other")
_COUNTRY_BUCKETS = 32
_HOUR_BLOCKS = 6


@dataclass(frozen=True)
class Context:
    """When, where and on what the home screen is opened."""

    hour: int = 12
    dow: int = 0  # Monday = 0
    device: str = "other"
    country: str | None = None

    @classmethod
    def now(cls, device: str | None = None, country: str | None = None,
            when: datetime | None = None) -> Context:
        """The context of a request made now (UTC) from ``device`` in ``country``."""
        when = when or datetime.now(timezone.utc)
        return cls(when.hour, when.weekday(), device if device in DEVICES else "other", country or None)

    @property
    def device_index(self) -> int:
        return DEVICES.index(self.device) if self.device in DEVICES else DEVICES.index("other")

    @property
    def country_bucket(self) -> int:
        if not self.country:
            return 0
        return 1 + zlib.crc32(self.country.upper().encode()) % (_COUNTRY_BUCKETS - 1)


class FeatureSpace:
    """Maps cards in context to feature indices; sizes fixed by the vocabularies and the layout.

    Parameters
    ----------
    n_users, n_items : int
    max_rows, max_cols : int
        The largest page layout the rows describe.
    """

    N_NUMERIC = 4
    WIDTH = 13

    def __init__(self, n_users: int, n_items: int, max_rows: int = 8, max_cols: int = 12):
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.max_rows, self.max_cols = int(max_rows), int(max_cols)
        sizes = [self.n_users, self.n_items, len(SHELF_TYPES), _HOUR_BLOCKS, 7, len(DEVICES),
                 _COUNTRY_BUCKETS, self.max_rows, self.max_cols, self.N_NUMERIC]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.n_features = int(self.offsets[-1])

    def to_dict(self) -> dict:
        return {"n_users": self.n_users, "n_items": self.n_items, "max_rows": self.max_rows,
                "max_cols": self.max_cols}

    def rows(self, user: int, cands: CandidateSet, context: Context, shown: np.ndarray,
             streamed: np.ndarray, row, col) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows of every candidate at position ``(row, col)`` (scalars or arrays)."""
        n = len(cands)
        o = self.offsets
        idx = np.empty((n, self.WIDTH), dtype=np.int64)
        val = np.ones((n, self.WIDTH), dtype=np.float64)
        idx[:, 0] = o[0] + user
        idx[:, 1] = o[1] + cands.items
        idx[:, 2] = o[2] + cands.shelf_types
        idx[:, 3] = o[3] + context.hour * _HOUR_BLOCKS // 24
        idx[:, 4] = o[4] + context.dow
        idx[:, 5] = o[5] + context.device_index
        idx[:, 6] = o[6] + context.country_bucket
        idx[:, 7] = o[7] + np.minimum(row, self.max_rows - 1)
        idx[:, 8] = o[8] + np.minimum(col, self.max_cols - 1)
        num = o[9]
        idx[:, 9:13] = num + np.arange(4)
        val[:, 9] = cands.cf
        val[:, 10] = cands.popularity / 5.0
        val[:, 11] = np.log1p(shown)
        val[:, 12] = np.log1p(streamed)
        return idx, val
