"""Most-popular baseline: every user gets the items the most users played."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.cf._base import RecommenderBase, check_user_items

__all__ = ["Popularity"]


class Popularity(RecommenderBase):
    """Recommend the items played by the most users, the same list for everyone.

    An item's score is the number of users with a positive entry for it in the training matrix
    (how many people played it, not how often). Skips (negative entries) do not count. Ties go to
    the lower item id. It is the floor any personalised model must clear.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> plays = sp.csr_matrix([[3.0, 0.0, 1.0], [0.0, 0.0, 9.0]])
    >>> model = Popularity().fit(plays, show_progress=False)
    >>> model.item_popularity_.tolist()
    [1.0, 0.0, 2.0]
    """

    supports_recalculate_user = True  # scores never depend on the user
    _fitted_arrays = ("item_popularity_",)

    def __init__(self):
        pass

    def fit(self, user_items, show_progress: bool = True, callback=None) -> "Popularity":
        """Count the users of every item.

        Parameters
        ----------
        user_items : csr_matrix
            Users x items interactions; positive entries are plays.
        show_progress : bool
            Unused: counting is instant.
        callback : callable, optional
            Unused: there are no iterations.

        Returns
        -------
        Popularity
            ``self``.
        """
        m = check_user_items(user_items)
        self.item_popularity_ = np.bincount(m.indices[m.data > 0], minlength=m.shape[1]).astype(np.float32)
        self.n_users_, self.n_items_ = m.shape
        return self

    def _score_users(self, userids: np.ndarray, user_items: sp.csr_matrix | None,
                     recalculate_user: bool) -> np.ndarray:
        return np.broadcast_to(self.item_popularity_, (len(userids), self.n_items_))
