"""Splitters: disjoint halves that sum to the input, seeded, negatives kept in train."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.evaluation import leave_k_out, random_holdout, temporal_split


def _matrix(seed: int, n_users: int = 30, n_items: int = 25, density: float = 0.3) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.integers(1, 20, size=(n_users, n_items)) * (rng.random((n_users, n_items)) < density)
    dense = dense * np.where(rng.random((n_users, n_items)) < 0.1, -1, 1)  # some skips
    return sp.csr_matrix(dense.astype(np.float32))


def _check_partition(m, train, test):
    assert train.shape == test.shape == m.shape
    assert train.dtype == test.dtype == np.float32
    assert train.multiply(test).nnz == 0, "train and test share entries"
    assert abs(train + test - m).max() == 0, "train + test must rebuild the input"
    assert np.all(test.data > 0), "only positives may be test entries"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), fraction=st.floats(0.05, 0.95), min_items=st.integers(1, 8))
def test_random_holdout_partitions(seed, fraction, min_items):
    m = _matrix(seed)
    train, test = random_holdout(m, test_fraction=fraction, min_items=min_items, random_state=seed)
    _check_partition(m, train, test)
    n_pos = np.asarray((m > 0).sum(axis=1)).ravel()
    n_test = np.diff(test.indptr)
    eligible = n_pos >= max(min_items, 2)
    assert np.all(n_test[~eligible] == 0)
    want = np.clip(np.floor(fraction * n_pos + 0.5), 1, np.maximum(n_pos - 1, 1))
    np.testing.assert_array_equal(n_test[eligible], want[eligible])
    assert np.all(np.asarray((train > 0).sum(axis=1)).ravel()[eligible] >= 1), "users keep a history"


def test_random_holdout_by_hand():
    # user 0: 10 plays -> 2 in test; user 1: 4 plays (< min_items) -> none; user 2: plays and a skip
    m = sp.csr_matrix(np.array([
        [1] * 10,
        [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
        [2, 2, 2, 2, 2, -1, 0, 0, 0, 0],
    ], dtype=np.float32))
    train, test = random_holdout(m, test_fraction=0.2, min_items=5, random_state=7)
    assert np.diff(test.indptr).tolist() == [2, 0, 1]
    assert train[2, 5] == -1 and test[2, 5] == 0


def test_random_holdout_is_seeded():
    m = _matrix(1)
    a = random_holdout(m, random_state=3)[1]
    b = random_holdout(m, random_state=3)[1]
    c = random_holdout(m, random_state=4)[1]
    assert (a != b).nnz == 0 and (a != c).nnz > 0


def test_random_holdout_keeps_explicit_zeros_in_train():
    m = sp.csr_matrix((np.array([0.0, 1, 1, 1, 1, 1], dtype=np.float32), np.arange(6), [0, 6]), shape=(1, 6))
    train, test = random_holdout(m, test_fraction=0.4, min_items=2)  # 5 plays -> 2
    assert train.nnz + test.nnz == 6 and test.nnz == 2
    assert 0 in train.indices and train[0, 0] == 0


def test_random_holdout_rejects_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        random_holdout(_matrix(0), test_fraction=1.0)


@pytest.mark.parametrize("k", [1, 3])
def test_leave_k_out(k):
    m = _matrix(5)
    train, test = leave_k_out(m, k=k, random_state=0)
    _check_partition(m, train, test)
    n_pos = np.asarray((m > 0).sum(axis=1)).ravel()
    np.testing.assert_array_equal(np.diff(test.indptr), np.where(n_pos >= k + 1, k, 0))
    train5, test5 = leave_k_out(m, k=k, min_items=8, random_state=0)
    assert np.all(np.diff(test5.indptr)[n_pos < 8] == 0)
    with pytest.raises(ValueError, match="min_items"):
        leave_k_out(m, k=2, min_items=2)


def _timed():
    plays = sp.csr_matrix(np.array([
        [3, 1, 2, 0],
        [1, 0, 4, 5],
        [0, -1, 1, 1],
    ], dtype=np.float32))
    times = plays.copy()
    times.data = np.array([100, 0, 300, 200, 400, 500, 600, 50, 700], dtype=np.float64)
    # (0,0)=100 (0,1)=unknown (0,2)=300 (1,0)=200 (1,2)=400 (1,3)=500 (2,1)=600 skip (2,2)=50 (2,3)=700
    return plays, times


def test_temporal_split_at_a_cutoff():
    plays, times = _timed()
    train, test = temporal_split(plays, times, cutoff=400)
    _check_partition(plays, train, test)
    assert sorted(zip(*test.nonzero())) == [(1, 2), (1, 3), (2, 3)]
    assert train[2, 1] == -1, "a late skip stays in train"
    assert train[0, 1] == 1, "unknown times stay in train"


def test_temporal_split_by_fraction_and_unknown_times():
    plays, times = _timed()
    # known positive times: 100 300 200 400 500 50 700 -> the latest 30% are 500 and 700
    train, test = temporal_split(plays, times, test_fraction=0.3)
    assert sorted(zip(*test.nonzero())) == [(1, 3), (2, 3)]
    # timestamps given sparsely (zeros dropped) mean the same thing
    dense = times.toarray()
    train2, test2 = temporal_split(plays, sp.csr_matrix(dense), test_fraction=0.3)
    assert (test2 != test).nnz == 0


def test_temporal_split_rejects_mismatched_timestamps():
    plays, times = _timed()
    extra = times.tolil()
    extra[0, 3] = 999
    with pytest.raises(ValueError, match=r"\(user 0, item 3\)"):
        temporal_split(plays, extra.tocsr(), cutoff=10)
    with pytest.raises(ValueError, match="shape"):
        temporal_split(plays, times[:2], cutoff=10)
    with pytest.raises(ValueError, match="cutoff or a test_fraction"):
        temporal_split(plays, times, test_fraction=None)
    with pytest.raises(ValueError, match="known timestamp"):
        temporal_split(plays, sp.csr_matrix(plays.shape), test_fraction=0.2)


def test_temporal_split_keeps_precise_epoch_seconds():
    # float32 would merge these two (epoch seconds need more than 24 bits)
    plays = sp.csr_matrix(np.array([[1, 1]], dtype=np.float32))
    times = sp.csr_matrix(np.array([[1_700_000_001, 1_700_000_060]], dtype=np.int64))
    _, test = temporal_split(plays, times, cutoff=1_700_000_030)
    assert test.indices.tolist() == [1]
