"""Binarised play histories, and the stored copy that neighbourhood models score from."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["binarise", "StoredHistoryMixin"]


def binarise(m: sp.csr_matrix) -> sp.csr_matrix:
    """1 for every positive entry; skips and explicit zeros dropped. Never touches ``m``'s arrays."""
    keep = m.data > 0
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[keep]
    indptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m.shape[0]), out=indptr[1:])
    return sp.csr_matrix((np.ones(rows.size, dtype=np.float32), m.indices[keep], indptr), shape=m.shape)


class StoredHistoryMixin:
    """For models that score a user from their (binarised) training row: keeps that row.

    The history is saved with the model as ``history_indptr_`` / ``history_indices_`` (list them
    in ``_fitted_arrays``); with ``recalculate_user`` the rows passed in are used instead.
    """

    def _store_history(self, plays: sp.csr_matrix) -> None:
        self.history_indptr_ = plays.indptr.astype(np.int64)
        self.history_indices_ = plays.indices.astype(np.int32)

    def _history(self) -> sp.csr_matrix:
        """The stored binarised users x items training matrix."""
        data = np.ones(len(self.history_indices_), dtype=np.float32)
        return sp.csr_matrix((data, self.history_indices_, self.history_indptr_),
                             shape=(self.n_users_, self.n_items_))

    def _history_rows(self, userids, user_items, recalculate_user) -> sp.csr_matrix:
        """The rows to score: the users' stored history, or their given rows when recalculating."""
        return binarise(user_items) if recalculate_user else self._history()[userids]
