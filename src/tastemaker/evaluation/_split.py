"""Train/test splitters for users x items matrices.

Every splitter returns ``(train, test)``: float32 CSR matrices of the input's shape, disjoint, that
sum to the input. Only positive entries (plays) can move to ``test``; negative entries (skip
evidence) and explicit zeros always stay in ``train``, so a test entry is always a positive.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.cf._base import check_random_state, check_user_items

__all__ = ["random_holdout", "leave_k_out", "temporal_split"]


def random_holdout(user_items, test_fraction: float = 0.2, min_items: int = 5,
                   random_state=0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold out a random fraction of each user's positive entries.

    Parameters
    ----------
    user_items : csr_matrix
        Users x items interactions.
    test_fraction : float
        Share of each user's positive entries moved to test, rounded half up and kept between 1 and
        ``n - 1`` so that every evaluated user keeps some history.
    min_items : int
        Users with fewer positive entries than this stay entirely in train (their test row is empty).
    random_state : int, Generator or None
        Seed of the draw; the same seed gives the same split.

    Returns
    -------
    train, test : csr_matrix
        Disjoint float32 matrices of the input's shape with ``train + test == user_items``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> train, test = random_holdout(sp.random(20, 30, density=0.5, format="csr", random_state=1))
    >>> bool((train.multiply(test)).nnz == 0)
    True
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    m = check_user_items(user_items)
    pos = m.data > 0
    n_pos = _positives_per_user(m, pos)
    n_test = np.clip(np.floor(test_fraction * n_pos + 0.5), 1, np.maximum(n_pos - 1, 1)).astype(np.int64)
    n_test[n_pos < max(min_items, 2)] = 0
    keys = check_random_state(random_state).random(m.nnz)
    return _split_first(m, pos, keys, n_test)


def leave_k_out(user_items, k: int = 1, min_items: int | None = None,
                random_state=0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold out ``k`` random positive entries of each user.

    Parameters
    ----------
    user_items : csr_matrix
        Users x items interactions.
    k : int
        How many positive entries of each eligible user go to test.
    min_items : int, optional
        Users with fewer positive entries stay entirely in train; ``None`` means ``k + 1`` (every
        evaluated user keeps at least one item of history).
    random_state : int, Generator or None
        Seed of the draw.

    Returns
    -------
    train, test : csr_matrix
        Disjoint float32 matrices of the input's shape with ``train + test == user_items``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    min_items = k + 1 if min_items is None else min_items
    if min_items <= k:
        raise ValueError(f"min_items ({min_items}) must be greater than k ({k}) so that users keep a history")
    m = check_user_items(user_items)
    pos = m.data > 0
    n_test = np.where(_positives_per_user(m, pos) >= min_items, k, 0).astype(np.int64)
    keys = check_random_state(random_state).random(m.nnz)
    return _split_first(m, pos, keys, n_test)


def temporal_split(user_items, timestamps, test_fraction: float | None = 0.2,
                   cutoff: float | None = None) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Split at one point in time: the past trains, the future tests.

    Parameters
    ----------
    user_items : csr_matrix
        Users x items interactions.
    timestamps : csr_matrix
        The time (epoch seconds) of each entry of ``user_items``, at the same positions. A zero or a
        missing entry means the time is unknown: such entries are treated as older than any known
        time and always stay in train.
    test_fraction : float, optional
        When ``cutoff`` is not given, the cutoff is the time that puts about this share of the
        positive entries with a known time into test (ties at the cutoff all go to test).
    cutoff : float, optional
        Positive entries with a time ``>= cutoff`` go to test. Overrides ``test_fraction``.

    Returns
    -------
    train, test : csr_matrix
        Disjoint float32 matrices of the input's shape with ``train + test == user_items``. Users
        whose plays all come after the cutoff appear in test with an empty train row.
    """
    m = check_user_items(user_items)
    times = _align_timestamps(m, timestamps)
    pos = m.data > 0
    known = pos & (times > 0)
    if cutoff is None:
        if test_fraction is None or not 0.0 < test_fraction < 1.0:
            raise ValueError(f"give a cutoff or a test_fraction in (0, 1), got test_fraction={test_fraction}")
        if not known.any():
            raise ValueError("no positive entry has a known timestamp: cannot split by time")
        cutoff = float(np.quantile(times[known], 1.0 - test_fraction, method="higher"))
    return _split_mask(m, known & (times >= cutoff))


def _positives_per_user(m: sp.csr_matrix, pos: np.ndarray) -> np.ndarray:
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return np.bincount(rows[pos], minlength=m.shape[0])


def _split_first(m: sp.csr_matrix, pos: np.ndarray, keys: np.ndarray,
                 n_test: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Move each user's ``n_test[u]`` positive entries with the smallest keys to test."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    # order entries by (user, not positive, key): each user's positives come first, by key
    order = np.lexsort((keys, ~pos, rows))
    starts = np.repeat(m.indptr[:-1], np.diff(m.indptr))
    rank = np.empty(m.nnz, dtype=np.int64)
    rank[order] = np.arange(m.nnz) - starts
    return _split_mask(m, pos & (rank < n_test[rows]))


def _split_mask(m: sp.csr_matrix, to_test: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    return _select(m, ~to_test), _select(m, to_test)


def _select(m: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """The stored entries of ``m`` where ``keep`` holds (explicit zeros included), as CSR."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[keep]
    indptr = np.zeros(m.shape[0] + 1, dtype=m.indptr.dtype)
    np.cumsum(np.bincount(rows, minlength=m.shape[0]), out=indptr[1:])
    return sp.csr_matrix((m.data[keep].astype(np.float32), m.indices[keep], indptr), shape=m.shape)


def _align_timestamps(m: sp.csr_matrix, timestamps) -> np.ndarray:
    """The timestamp of every stored entry of ``m`` (0 where unknown), as float64."""
    if not sp.issparse(timestamps):
        raise ValueError("timestamps must be a scipy.sparse matrix at the same positions as user_items, "
                         f"not {type(timestamps).__name__}")
    if timestamps.shape != m.shape:
        raise ValueError(f"timestamps has shape {timestamps.shape} but user_items has shape {m.shape}")
    t = sp.coo_matrix(timestamps)
    if t.nnz and not np.all(np.isfinite(t.data)):
        raise ValueError("timestamps holds NaN or infinite values")
    n_cols = np.int64(m.shape[1])
    t_keys = t.row.astype(np.int64) * n_cols + t.col
    order = np.argsort(t_keys, kind="stable")
    t_keys, t_vals = t_keys[order], np.asarray(t.data, dtype=np.float64)[order]
    if t_keys.size and np.any(np.diff(t_keys) == 0):
        raise ValueError("timestamps holds duplicate entries for one (user, item): give one time per entry")
    m_keys = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)) * n_cols + m.indices
    at = np.searchsorted(t_keys, m_keys)
    found = at < t_keys.size
    found[found] = t_keys[at[found]] == m_keys[found]
    extra = t_keys[(t_vals != 0) & ~np.isin(t_keys, m_keys)]
    if extra.size:
        u, i = divmod(int(extra[0]), int(n_cols))
        raise ValueError(f"timestamps has an entry at (user {u}, item {i}) where user_items has none")
    times = np.zeros(m.nnz, dtype=np.float64)
    times[found] = t_vals[at[found]]
    return times
