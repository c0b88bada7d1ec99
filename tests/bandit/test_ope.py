"""Off-policy estimators on a synthetic home screen whose true values are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
from bandit_support import small_candidates

from tastemaker.bandit import (
    BaRT,
    Context,
    FeatureSpace,
    Layout,
    LoggedPage,
    PageInput,
    Policy,
    estimates_from_terms,
    off_policy_estimates,
    walk,
)

LAYOUT = Layout(rows=2, cols=2)
N_USERS = 30


def _world(seed=0):
    rng = np.random.default_rng(seed)
    cands = small_candidates()
    appeal = rng.uniform(0.0, 0.7, size=(N_USERS, len(cands)))
    appeal[:, 6] = appeal[:, 4]  # item 4 is on two shelves: one appeal
    return cands, appeal, rng


def _exam(traj):
    out = np.zeros(len(traj.kind))
    c = traj.cards
    out[c] = 1.0 / (1.0 + traj.row[c]) / (1.0 + traj.col[c])
    return out


def _true_value(policy, cands, appeal, n_draws=1):
    rng = np.random.default_rng(123)
    total = 0.0
    for u in range(N_USERS):
        page = PageInput(u, cands, Context(), np.zeros(len(cands)), np.zeros(len(cands)))
        for _ in range(n_draws):
            t = walk(policy.score(page), cands, LAYOUT, policy.epsilon, rng)
            total += float(np.sum(_exam(t)[t.cards] * appeal[u, t.choice[t.cards]]))
    return total / (N_USERS * n_draws)


def _logs(policy, cands, appeal, rng, n):
    pages = []
    for u in rng.integers(0, N_USERS, n):
        page = PageInput(int(u), cands, Context(hour=int(rng.integers(24))), np.zeros(len(cands)),
                         np.zeros(len(cands)))
        t = walk(policy.score(page), cands, LAYOUT, policy.epsilon, rng)
        p = _exam(t)
        p[t.cards] *= appeal[u, t.choice[t.cards]]
        pages.append(LoggedPage(page, t, (rng.random(len(p)) < p).astype(float), policy.name))
    return pages


@pytest.mark.slow
def test_estimators_cover_the_true_value_of_other_policies():
    cands, appeal, rng = _world()
    logging_scores = appeal + rng.normal(0.0, 0.3, size=appeal.shape)  # a noisy version of the truth
    behaviour = Policy("logging", lambda p: logging_scores[p.user], epsilon=0.5)
    best = Policy("oracle", lambda p: appeal[p.user])  # deterministic, far from the logging policy
    by_cf = Policy("cf", lambda p: p.cands.cf, epsilon=0.2)  # stochastic
    pages = _logs(behaviour, cands, appeal, rng, 4000)
    space = FeatureSpace(N_USERS, 8, LAYOUT.rows, LAYOUT.cols)
    est = off_policy_estimates(pages, [best, by_cf, behaviour], LAYOUT, space, n_boot=300, dm_samples=4,
                               random_state=0)
    for target, n_draws in ((best, 1), (by_cf, 40), (behaviour, 40)):
        truth = _true_value(target, cands, appeal, n_draws)
        for name in ("IPS", "SNIPS", "DR"):
            e = est[target.name][name]
            assert e.covers(truth), (target.name, name, str(e), truth)
    # the estimates tell the policies apart: the oracle's true value is outside the logging one's CI
    assert not est["logging"]["DR"].covers(_true_value(best, cands, appeal))
    logged = np.mean([p.rewards.sum() for p in pages])
    assert est["logging"]["IPS"].value == pytest.approx(logged)  # on-policy IPS is the plain mean


def test_doubly_robust_beats_ips_on_variance():
    cands, appeal, rng = _world(1)
    logging_scores = appeal + rng.normal(0.0, 0.3, size=appeal.shape)
    behaviour = Policy("logging", lambda p: logging_scores[p.user], epsilon=0.5)
    target = Policy("oracle", lambda p: appeal[p.user])
    pages = _logs(behaviour, cands, appeal, rng, 2000)
    space = FeatureSpace(N_USERS, 8, LAYOUT.rows, LAYOUT.cols)
    q = BaRT(space, epochs=30, random_state=0)  # a good reward model: DR's control variate works
    est = off_policy_estimates(pages, [target], LAYOUT, space, n_boot=200, random_state=0, reward_model=q)
    width = {k: v.high - v.low for k, v in est["oracle"].items()}
    assert width["DR"] < width["IPS"]


def test_estimates_from_terms_hand_computed():
    rho = np.array([[1.0, 2.0], [1.0, 0.0]])
    rho_r = np.array([[1.0, 2.0], [0.0, 0.0]])
    est = estimates_from_terms(np.array([3.0, 0.0]), np.array([1.0, 1.0]), np.array([2.0, 1.0]), rho, rho_r,
                               n_boot=50)
    assert est["IPS"].value == 1.5
    assert est["SNIPS"].value == pytest.approx(1 / 2 + 2 / 2)
    assert est["DM"].value == 1.0 and est["DM"].low == est["DM"].high
    assert est["DR"].value == 1.5


def test_too_few_pages():
    cands, appeal, rng = _world()
    pages = _logs(Policy("x", lambda p: p.cands.cf, 0.5), cands, appeal, rng, 2)
    with pytest.raises(ValueError, match="at least 4"):
        off_policy_estimates(pages, [], LAYOUT, FeatureSpace(N_USERS, 8))
