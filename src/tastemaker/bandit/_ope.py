"""Off-policy evaluation of page policies: IPS, self-normalised IPS, direct method, doubly robust.

A page is a sequence of decisions (shelf, its cards, next shelf, ...), and a card's stream
depends on the card and its position only. The value of a policy is the expected number of
streams per page. With ``rho_t`` the product of ``pi/mu`` over the decisions up to ``t`` (the
per-decision importance weight; ``mu`` the logged propensities, ``pi`` the target's
probabilities of the same decisions in the same states) and ``q`` a reward model:

* IPS  = mean over pages of ``sum_t rho_t r_t``                     (unbiased)
* SNIPS = ``sum_t [sum_pages rho_t r_t / sum_pages rho_t]``         (consistent, lower variance)
* DM   = mean over pages of ``E_pi[sum_t q(a_t, position t)]``      (the target's own page scored by q)
* DR   = DM + mean over pages of ``sum_t rho_t (r_t - q(a_t, position t))``   (unbiased if either
  the propensities or ``q`` are right)

``q`` is a factorization machine cross-fitted on the logs (trained on one half, used on the
other). Intervals: normal (CLT over pages) for IPS, DM and DR; bootstrap over pages for SNIPS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tastemaker.bandit._bart import BaRT, LoggedPage, _subset
from tastemaker.bandit._features import FeatureSpace
from tastemaker.bandit._policy import Layout, Policy, walk

__all__ = ["Estimate", "ESTIMATORS", "off_policy_estimates", "estimates_from_terms"]

ESTIMATORS = ("IPS", "SNIPS", "DM", "DR")
_Z = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% confidence interval."""

    value: float
    low: float
    high: float

    def covers(self, x: float) -> bool:
        return self.low <= x <= self.high

    def __str__(self) -> str:
        return f"{self.value:.4f} [{self.low:.4f}, {self.high:.4f}]"


def _clt(x: np.ndarray) -> Estimate:
    m = float(np.mean(x))
    se = float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("inf")
    return Estimate(m, m - _Z * se, m + _Z * se)


def estimates_from_terms(ips: np.ndarray, dm: np.ndarray, dr: np.ndarray, rho: np.ndarray,
                         rho_r: np.ndarray, n_boot: int = 500, random_state=0) -> dict[str, Estimate]:
    """The four estimates from per-page terms (``rho`` and ``rho_r``: pages x decision steps)."""
    den = rho.sum(axis=0)
    snips_value = float(np.sum(np.divide(rho_r.sum(axis=0), den, out=np.zeros_like(den), where=den > 0)))
    rng = np.random.default_rng(random_state)
    n = len(ips)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)
    num_b, den_b = counts @ rho_r, counts @ rho
    boot = np.sum(np.divide(num_b, den_b, out=np.zeros_like(num_b), where=den_b > 0), axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return {"IPS": _clt(ips), "SNIPS": Estimate(snips_value, float(lo), float(hi)), "DM": _clt(dm),
            "DR": _clt(dr)}


def off_policy_estimates(pages: Sequence[LoggedPage], targets: Sequence[Policy], layout: Layout,
                         space: FeatureSpace, n_boot: int = 500, dm_samples: int = 8,
                         random_state=0, reward_model: BaRT | None = None) -> dict[str, dict[str, Estimate]]:
    """Estimate every target's value (streams per page) from logged ``pages``.

    Parameters
    ----------
    pages : sequence of LoggedPage
        Logs with exact propensities (``trajectory.prob``) and rewards.
    targets : sequence of Policy
    layout : Layout
        The layout the logs were built with.
    space : FeatureSpace
    n_boot : int
        Bootstrap resamples for the SNIPS interval.
    dm_samples : int
        Pages drawn from a stochastic target to average the direct method over.
    random_state : int, Generator or None
    reward_model : BaRT, optional
        Settings of the cross-fitted reward model (default: an FM as BaRT uses).

    Returns
    -------
    dict
        ``{target name: {"IPS"|"SNIPS"|"DM"|"DR": Estimate}}``.
    """
    if len(pages) < 4:
        raise ValueError(f"need at least 4 logged pages to evaluate, got {len(pages)}")
    rng = np.random.default_rng(random_state)
    template = reward_model or BaRT(space, random_state=0)
    fold = rng.permutation(len(pages)) % 2
    models = []
    for f in (0, 1):
        train = [p for p, g in zip(pages, fold) if g != f]
        q = BaRT(space, model=template.model, n_factors=template.n_factors, epochs=template.epochs,
                 learning_rate=template.learning_rate, max_weight=template.max_weight,
                 random_state=template.random_state).fit(train)
        models.append(q.reward_model_)
    steps = layout.rows * (layout.cols + 1)
    out = {}
    for target in targets:
        n = len(pages)
        ips, dm, dr = np.zeros(n), np.zeros(n), np.zeros(n)
        rho_m, rho_r_m = np.zeros((n, steps)), np.zeros((n, steps))
        for i, lp in enumerate(pages):
            q = models[fold[i]]
            page, traj = lp.page, lp.trajectory
            scores = target.score(page)
            pi = walk(scores, page.cands, layout, target.epsilon, logged=traj).prob
            rho = np.cumprod(pi / traj.prob)
            cards = traj.cards
            r = lp.rewards
            q_logged = _q(q, space, page, traj.choice[cards], traj.row[cards], traj.col[cards])
            ips[i] = float(np.sum(rho[cards] * r[cards]))
            n_dm = 1 if target.epsilon == 0 else dm_samples
            total = 0.0
            for _ in range(n_dm):
                own = walk(scores, page.cands, layout, target.epsilon, rng=rng)
                oc = own.cards
                total += float(np.sum(_q(q, space, page, own.choice[oc], own.row[oc], own.col[oc])))
            dm[i] = total / n_dm
            dr[i] = dm[i] + float(np.sum(rho[cards] * (r[cards] - q_logged)))
            k = len(rho)
            rho_m[i, :k], rho_r_m[i, :k] = rho, rho * r
            if k:
                rho_m[i, k:] = rho[-1]  # the page ended: absorbing, no more reward
        out[target.name] = estimates_from_terms(ips, dm, dr, rho_m, rho_r_m, n_boot, rng)
    return out


def _q(model, space: FeatureSpace, page, chosen, rows, cols) -> np.ndarray:
    if len(chosen) == 0:
        return np.zeros(0)
    sub = _subset(page.cands, chosen)
    idx, val = space.rows(page.user, sub, page.context, page.shown[chosen], page.streamed[chosen], rows, cols)
    return model.predict_proba(idx, val)
