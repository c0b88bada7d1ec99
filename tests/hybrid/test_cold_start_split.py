"""evaluation.cold_start_split: whole items out, with every play they have."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.evaluation import cold_start_split


def test_items_leave_with_all_their_plays():
    m = sp.random(50, 80, density=0.2, format="csr", random_state=3, dtype=np.float32)
    m.data *= 10
    train, test, cold = cold_start_split(m, 0.1, random_state=1)
    played = np.flatnonzero(np.diff(m.tocsc().indptr) > 0)
    assert len(cold) == round(0.1 * len(played)) and np.all(np.isin(cold, played))
    assert train[:, cold].nnz == 0 and test.nnz == m[:, cold].nnz
    warm = np.setdiff1d(np.arange(80), cold)
    assert test[:, warm].nnz == 0
    assert np.allclose((train + test).toarray(), m.toarray())
    again = cold_start_split(m, 0.1, random_state=1)[2]
    assert np.array_equal(cold, again)


def test_candidates_and_bad_fraction():
    m = sp.csr_matrix(np.ones((4, 10), dtype=np.float32))
    _, _, cold = cold_start_split(m, 0.5, candidates=[0, 1, 2, 3])
    assert set(cold) <= {0, 1, 2, 3} and len(cold) == 2
    with pytest.raises(ValueError, match="fraction"):
        cold_start_split(m, 1.0)
