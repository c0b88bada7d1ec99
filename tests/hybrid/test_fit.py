"""fit_blend: on synthetic data where one signal is known to help, it is given weight; where it
only adds noise, it stays out."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.hybrid import fit_blend


def groups_world(rng, n_groups=4, per_group=100, n_users=120, n_cold=240):
    """Listeners who each love one group of items. ``culture`` rows say an item's group (plus noise);
    the collaborative factors are noise. The last ``n_cold`` items (60 per
    group, more than the cold pass's 50) are held out whole, the others' plays split into history and a warm holdout."""
    n = n_groups * per_group
    group = np.repeat(np.arange(n_groups), per_group)
    culture = np.eye(n_groups)[group] + 0.3 * rng.normal(size=(n, n_groups))
    V, U_of = rng.normal(size=(n, n_groups)), rng.normal(size=(n_groups, n_groups))
    cold_cols = np.concatenate([np.flatnonzero(group == g)[-n_cold // n_groups:] for g in range(n_groups)])
    is_cold = np.zeros(n, bool)
    is_cold[cold_cols] = True
    taste = rng.integers(0, n_groups, n_users)
    hist, warm, cold = (np.zeros((n_users, n), np.float32) for _ in range(3))
    for u, g in enumerate(taste):
        mine = np.flatnonzero((group == g) & ~is_cold)
        picked = rng.choice(mine, 8, replace=False)
        hist[u, picked[:5]] = rng.integers(1, 30, 5)
        warm[u, picked[5:]] = 1
        cold[u, rng.choice(np.flatnonzero((group == g) & is_cold), 2, replace=False)] = 1
    blocks = {"cf": V.astype(np.float32), "culture": culture.astype(np.float32),
              "prior": rng.random((n, 1)).astype(np.float32), "cold": is_cold[:, None].astype(np.float32)}
    U = U_of[taste]
    return blocks, U.astype(np.float32), sp.csr_matrix(hist), sp.csr_matrix(warm), sp.csr_matrix(cold), cold_cols


def test_culture_and_taste_get_weight_when_the_factors_know_nothing(rng):
    blocks, U, hist, warm, cold, cold_cols = groups_world(rng)
    result = fit_blend(blocks, U, hist, warm, cold, cold_cols)
    w = result.weights
    assert w["cf"] == 1.0 and w["culture"] >= 0.5 and w["taste"] >= 1.0
    passes = result.passes
    at = {name: dict((tuple(sorted(c.items())), v) for c, v in rows) for name, rows in passes.items()}
    assert at["warm"][(("culture", w["culture"]),)] > 3 * at["warm"][(("culture", 0.0),)] + 0.05
    assert at["cold"][(("prior", w["prior"]), ("taste", w["taste"]))] > at["cold"][(("prior", 0.0), ("taste", 0.0))] + 0.2
    assert result.warm_users == 120 and result.cold_users == 120 and result.cold_items == 240
    assert set(result.summary()["best"]) == {"warm", "cold", "mixed"}


def ranked_world(rng, n=400, n_cold=120, n_users=80, f=8):
    """The factors know exactly what each listener plays (their top items by ``U . V``: the first
    five the history, the next three held out, and their top two cold items); culture and prior
    are noise."""
    V, U = rng.normal(size=(n, f)), rng.normal(size=(n_users, f))
    is_cold = np.zeros(n, bool)
    is_cold[rng.choice(n, n_cold, replace=False)] = True
    S = U @ V.T
    hist, warm, cold = (np.zeros((n_users, n), np.float32) for _ in range(3))
    for u in range(n_users):
        order = [i for i in np.argsort(-S[u]) if not is_cold[i]]
        hist[u, order[:5]] = rng.integers(1, 30, 5)
        warm[u, order[5:8]] = 1
        cold[u, [i for i in np.argsort(-S[u]) if is_cold[i]][:2]] = 1
    blocks = {"cf": V.astype(np.float32), "culture": rng.normal(size=(n, 6)).astype(np.float32),
              "prior": rng.random((n, 1)).astype(np.float32), "cold": is_cold[:, None].astype(np.float32)}
    return blocks, U.astype(np.float32), sp.csr_matrix(hist), sp.csr_matrix(warm), sp.csr_matrix(cold), \
        np.flatnonzero(is_cold)


def test_noise_stays_out_when_the_factors_already_know(rng):
    blocks, U, hist, warm, cold, cold_cols = ranked_world(rng)
    result = fit_blend(blocks, U, hist, warm, cold, cold_cols)
    # ties (the noise too small to change a top list) and losses go to the smaller weight
    assert result.weights == {"cf": 1.0, "culture": 0.0, "taste": 0.0, "prior": 0.0, "cold": result.weights["cold"]}
    assert max(v for _, v in result.passes["cold"]) == dict(
        (tuple(sorted(c.items())), v) for c, v in result.passes["cold"])[(("prior", 0.0), ("taste", 0.0))]


def test_without_a_cold_split_only_the_warm_pass_runs(rng):
    blocks, U, hist, warm, _, _ = groups_world(rng)
    result = fit_blend(blocks, U, hist, warm)
    assert set(result.passes) == {"warm"} and result.weights["taste"] == 0.0 and result.weights["cold"] == 0.0
