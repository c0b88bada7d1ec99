"""The cold-start split: whole items held out, with every play they have."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.cf._base import check_random_state, check_user_items

__all__ = ["cold_start_split"]


def cold_start_split(user_items, fraction: float = 0.1, random_state=0, candidates=None,
                     ) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """Hold out a random share of the played items with all their plays (items nobody has played).

    Parameters
    ----------
    user_items : csr_matrix
        Users x items interactions.
    fraction : float
        Share of the items with at least one positive entry that are held out.
    random_state : int, Generator or None
        Seed of the draw.
    candidates : array of int, optional
        Only these item columns may be held out (still ``fraction`` of the played ones among them).

    Returns
    -------
    train : csr_matrix
        ``user_items`` with the held-out columns emptied (same shape).
    test : csr_matrix
        The held-out entries (same shape).
    cold : ndarray of int64
        The held-out columns, ascending.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> m = sp.random(30, 40, density=0.3, format="csr", random_state=0)
    >>> train, test, cold = cold_start_split(m, 0.1)
    >>> len(cold), train[:, cold].nnz, bool(np.allclose((train + test).toarray(), m.toarray()))
    (4, 0, True)
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    m = check_user_items(user_items)
    played = np.flatnonzero(np.bincount(m.indices[m.data > 0], minlength=m.shape[1]) > 0)
    if candidates is not None:
        played = np.intersect1d(played, np.asarray(candidates, dtype=np.int64))
    if len(played) == 0:
        raise ValueError("no played item to hold out")
    rng = check_random_state(random_state)
    cold = np.sort(rng.choice(played, max(1, int(round(fraction * len(played)))), replace=False))
    in_cold = np.zeros(m.shape[1], dtype=bool)
    in_cold[cold] = True
    to_test = in_cold[m.indices]
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))

    def select(keep: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((m.data[keep].astype(np.float32), (rows[keep], m.indices[keep])), shape=m.shape)

    return select(~to_test), select(to_test), cold.astype(np.int64)
