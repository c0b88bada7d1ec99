"""Factorization machine: gradients, a known interaction, determinism, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.bandit import FactorizationMachine, LogisticRegression
from tastemaker.bandit._fm import row_gradient, row_loss


def test_gradient_matches_finite_differences(rng):
    n_features, k = 7, 3
    idx = np.array([0, 3, 5, 3])  # a repeated feature too
    val = np.array([1.0, 0.5, -1.2, 0.7])
    w0, w, V = 0.3, rng.normal(size=n_features), rng.normal(size=(n_features, k))
    for y in (0.0, 1.0):
        gw, gV = np.zeros(n_features), np.zeros((n_features, k))
        g0 = row_gradient(idx, val, y, 1.7, w0, w, V, gw, gV)
        h = 1e-6
        num0 = (row_loss(idx, val, y, 1.7, w0 + h, w, V) - row_loss(idx, val, y, 1.7, w0 - h, w, V)) / (2 * h)
        assert g0 == pytest.approx(num0, rel=1e-6, abs=1e-8)
        for i in range(n_features):
            e = np.zeros(n_features)
            e[i] = h
            num = (row_loss(idx, val, y, 1.7, w0, w + e, V) - row_loss(idx, val, y, 1.7, w0, w - e, V)) / (2 * h)
            assert gw[i] == pytest.approx(num, rel=1e-5, abs=1e-8)
            for f in range(k):
                E = np.zeros((n_features, k))
                E[i, f] = h
                num = (row_loss(idx, val, y, 1.7, w0, w, V + E) - row_loss(idx, val, y, 1.7, w0, w, V - E)) / (2 * h)
                assert gV[i, f] == pytest.approx(num, rel=1e-5, abs=1e-8)


def _xor_data(rng, n=4000):
    """Outcome = user group XOR item group: an interaction no linear model can express."""
    users = rng.integers(0, 20, n)
    items = rng.integers(0, 30, n)
    p = np.where((users % 2) == (items % 2), 0.8, 0.1)
    y = (rng.random(n) < p).astype(float)
    idx = np.stack([users, 20 + items], axis=1)
    return idx, np.ones_like(idx, dtype=float), y, p


def test_fm_learns_an_interaction_logistic_regression_cannot(rng):
    idx, val, y, p = _xor_data(rng)
    fm = FactorizationMachine(n_factors=4, epochs=30, random_state=0).fit(idx, val, y)
    lr = LogisticRegression(epochs=30, random_state=0).fit(idx, val, y)
    err_fm = np.abs(fm.predict_proba(idx, val) - p).mean()
    err_lr = np.abs(lr.predict_proba(idx, val) - p).mean()
    assert err_fm < 0.08
    assert err_lr > 0.25  # LR can only predict ~the base rate everywhere
    auc_gap = np.corrcoef(fm.predict_proba(idx, val), p)[0, 1]
    assert auc_gap > 0.95


def test_weights_shift_the_fit(rng):
    idx = np.zeros((200, 1), dtype=np.int64)
    val = np.ones((200, 1))
    y = np.r_[np.ones(100), np.zeros(100)]
    w = np.r_[np.full(100, 3.0), np.ones(100)]
    fm = FactorizationMachine(n_factors=2, epochs=50, random_state=0).fit(idx, val, y, sample_weight=w)
    assert fm.predict_proba(idx[:1], val[:1])[0] == pytest.approx(0.75, abs=0.03)


def test_same_seed_same_model(rng):
    idx, val, y, _ = _xor_data(rng, 500)
    a = FactorizationMachine(epochs=3, random_state=7).fit(idx, val, y)
    b = FactorizationMachine(epochs=3, random_state=7).fit(idx, val, y)
    np.testing.assert_array_equal(a.V_, b.V_)
    restored = FactorizationMachine.from_arrays(a.to_arrays())
    np.testing.assert_array_equal(restored.predict_proba(idx, val), a.predict_proba(idx, val))


def test_bad_input_raises():
    fm = FactorizationMachine()
    with pytest.raises(ValueError, match="0 or 1"):
        fm.fit(np.zeros((2, 1), int), np.ones((2, 1)), [0.0, 2.0])
    with pytest.raises(ValueError, match="one shape"):
        fm.fit(np.zeros((2, 1), int), np.ones((2, 2)), [0.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight"):
        fm.fit(np.zeros((2, 1), int), np.ones((2, 1)), [0.0, 1.0], sample_weight=[1.0, -1.0])
