"""A home-screen simulator grounded in HetRec: held-out plays decide what listeners stream.

Each listener's played artists are split (``random_holdout``, 20%); ALS and the candidate
shelves are built from the train part only. When a page is shown, the card at (row, col) is
streamed with probability ``examination(row, col, device) * appeal(user, item)``:

* appeal: ``0.25 + 0.6 * log1p(w) / log1p(w_max)`` if the user played the item ``w`` times in
  the held-out part (``w_max``: their most played held-out item), else ``0.01``;
* examination (the position bias): ``(1 + row)^-0.7 * (1 + col)^-b`` with ``b = 1.0`` on mobile
  (fewer cards in view) and ``0.4`` elsewhere.

Visits arrive in rounds: users drawn at random, a context each (hour from a day-shaped
distribution, weekday, device). Every policy sees the same visits; each keeps its own history
of what it showed and what was streamed (a feature BaRT learns from). Learning policies
retrain on all their logs after every round. Regret is against an oracle that builds pages
greedily from the true stream probabilities.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tastemaker.bandit._bart import BaRT, LoggedPage
from tastemaker.bandit._candidates import CandidateSet, HomeCatalog
from tastemaker.bandit._features import DEVICES, Context, FeatureSpace
from tastemaker.bandit._policy import Layout, PageInput, Policy, walk
from tastemaker.data import Store

__all__ = ["HetRecSimulator", "Agent", "StaticAgent", "BaRTAgent", "RunResult"]

_HOUR_P = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 5, 5, 4, 4, 5, 6, 7, 8, 8, 7, 4, 2], dtype=float)
_HOUR_P /= _HOUR_P.sum()
_DEVICE_P = np.array([0.55, 0.3, 0.1, 0.05])


class Agent:
    """A policy in the simulation: ``policy()`` now, ``observe(pages)`` after every round."""

    name: str

    def policy(self) -> Policy:
        raise NotImplementedError

    def observe(self, pages: Sequence[LoggedPage]) -> None:
        """Learn from a round of logged pages (static policies ignore them)."""


class StaticAgent(Agent):
    def __init__(self, policy: Policy):
        self._policy = policy
        self.name = policy.name

    def policy(self) -> Policy:
        return self._policy


class BaRTAgent(Agent):
    """BaRT retraining from its own logs every ``retrain_every`` rounds."""

    def __init__(self, bart: BaRT, retrain_every: int = 1, name: str | None = None):
        self.bart = bart
        self.retrain_every = retrain_every
        self.logs: list[LoggedPage] = []
        self._rounds = 0
        self.name = name or f"{'BaRT' if bart.model == 'fm' else 'BaRT-LR'} eps={bart.epsilon:g}"

    def policy(self) -> Policy:
        return self.bart.policy()

    def observe(self, pages: Sequence[LoggedPage]) -> None:
        self.logs.extend(pages)
        self._rounds += 1
        if self._rounds % self.retrain_every == 0:
            self.bart.fit(self.logs, version=f"round-{self._rounds}")


@dataclass
class RunResult:
    """Per round, per agent: expected and sampled streams, cards shown, oracle's expected streams."""

    names: list[str]
    expected: np.ndarray  # agents x rounds
    streams: np.ndarray
    cards: np.ndarray
    oracle: np.ndarray  # rounds
    pages_per_round: int
    seconds: dict[str, float] = field(default_factory=dict)
    states: list[dict] = field(default_factory=list)  # per agent: {user: {item: (shown, streamed)}}

    def stream_rate(self) -> np.ndarray:
        """Cumulative streams per card shown, per agent and round."""
        return np.cumsum(self.streams, axis=1) / np.maximum(np.cumsum(self.cards, axis=1), 1)

    def regret(self) -> np.ndarray:
        """Cumulative expected streams lost against the oracle, per agent and round."""
        return np.cumsum(self.oracle[None, :] - self.expected, axis=1)


class HetRecSimulator:
    """Online experiments on HetRec listeners (see the module docstring).

    Parameters
    ----------
    store : Store
        Holding HetRec (plays, tags, friendships).
    layout : Layout
    n_users : int or None
        Simulate this many listeners (drawn with the seed); None: everyone with held-out plays.
    test_fraction : float
        Share of each listener's artists held out as the ground truth.
    per_shelf : int
        Candidates per shelf.
    factors : int
        ALS factors for the candidates' scores.
    random_state : int
    """

    def __init__(self, store: Store, layout: Layout = Layout(), n_users: int | None = 500,
                 test_fraction: float = 0.2, per_shelf: int = 8, factors: int = 64, random_state: int = 0):
        from tastemaker.cf import ImplicitALS
        from tastemaker.data import load_interactions
        from tastemaker.evaluation import random_holdout

        self.layout = layout
        self.random_state = random_state
        data = load_interactions(store)
        if data.user_items.nnz == 0:
            raise ValueError("the store holds no plays to simulate with; ingest HetRec first")
        train, test = random_holdout(data.user_items, test_fraction, random_state=random_state)
        als = ImplicitALS(factors=factors, random_state=random_state).fit(train, show_progress=False)
        self.catalog = HomeCatalog.from_factors(store, data.users, data.items, data.item_names, train,
                                                als.user_factors_, als.item_factors_)
        self.test = test.tocsr()
        rng = np.random.default_rng(random_state)
        eligible = np.flatnonzero(np.diff(self.test.indptr) > 0)
        if n_users is not None and n_users < len(eligible):
            eligible = np.sort(rng.choice(eligible, n_users, replace=False))
        self.cands: dict[int, CandidateSet] = {}
        self.appeal: dict[int, np.ndarray] = {}
        for u in eligible:
            c = self.catalog.candidates(int(u), per_shelf=per_shelf)
            if len(c):
                self.cands[int(u)] = c
                self.appeal[int(u)] = self._appeal(int(u), c)
        self.users = np.array(sorted(self.cands), dtype=np.int64)
        self.space = FeatureSpace(len(data.users), len(data.items), layout.rows, layout.cols)

    def _appeal(self, user: int, cands: CandidateSet) -> np.ndarray:
        row = self.test[user]
        plays = dict(zip(row.indices.tolist(), row.data.tolist()))
        top = np.log1p(max(plays.values())) if plays else 1.0
        w = np.array([plays.get(int(i), 0.0) for i in cands.items])
        return np.where(w > 0, 0.25 + 0.6 * np.log1p(w) / top, 0.01)

    @staticmethod
    def examination(rows: np.ndarray, cols: np.ndarray, device: str) -> np.ndarray:
        """Probability a card at (row, col) is looked at (see the module docstring)."""
        b = 1.0 if device == "mobile" else 0.4
        return (1.0 + rows) ** -0.7 * (1.0 + cols) ** -b

    def visits(self, n: int, rng: np.random.Generator) -> list[tuple[int, Context]]:
        """``n`` (user, context) visits."""
        users = rng.choice(self.users, n)
        hours = rng.choice(24, n, p=_HOUR_P)
        dows = rng.integers(0, 7, n)
        devices = rng.choice(len(DEVICES), n, p=_DEVICE_P)
        return [(int(u), Context(int(h), int(d), DEVICES[int(v)])) for u, h, d, v in zip(users, hours, dows, devices)]

    def page_input(self, user: int, context: Context, state: dict) -> PageInput:
        c = self.cands[user]
        counts = state.get(user)
        if counts is None:
            shown = streamed = np.zeros(len(c))
        else:
            shown = np.array([counts.get(int(i), (0, 0))[0] for i in c.items], dtype=np.float64)
            streamed = np.array([counts.get(int(i), (0, 0))[1] for i in c.items], dtype=np.float64)
        return PageInput(user, c, context, shown, streamed)

    def expected_rewards(self, page: PageInput, traj) -> np.ndarray:
        """Per decision: the probability of a stream (0 for shelf decisions)."""
        out = np.zeros(len(traj.kind))
        cards = traj.cards
        out[cards] = (self.examination(traj.row[cards], traj.col[cards], page.context.device)
                      * self.appeal[page.user][traj.choice[cards]])
        return out

    def oracle_value(self, page: PageInput) -> float:
        """Expected streams of the page built greedily from the true stream probabilities."""
        traj = walk(self.appeal[page.user], page.cands, self.layout, 0.0)
        return float(self.expected_rewards(page, traj).sum())

    def show(self, policy: Policy, page: PageInput, rng: np.random.Generator,
             state: dict | None = None) -> tuple[LoggedPage, float]:
        """Show ``policy``'s page, draw the streams, update ``state``; returns the log and the
        expected number of streams."""
        traj = policy.page(page, self.layout, rng)
        p = self.expected_rewards(page, traj)
        rewards = (rng.random(len(p)) < p).astype(np.float64)
        if state is not None:
            counts = state.setdefault(page.user, {})
            for k in traj.cards:
                item = int(page.cands.items[traj.choice[k]])
                s, r = counts.get(item, (0, 0))
                counts[item] = (s + 1, r + int(rewards[k]))
        return LoggedPage(page, traj, rewards, policy.name, policy.version, policy.epsilon), float(p.sum())

    def run(self, agents: Sequence[Agent], rounds: int = 30, pages_per_round: int = 300,
            seed: int | None = None, progress: Callable[[int], None] | None = None) -> RunResult:
        """Run every agent on the same visits for ``rounds`` rounds; see :class:`RunResult`."""
        seed = self.random_state if seed is None else seed
        visit_rng = np.random.default_rng([seed, 1])
        rngs = [np.random.default_rng([seed, 2, a]) for a in range(len(agents))]
        states: list[dict] = [{} for _ in agents]
        shape = (len(agents), rounds)
        expected, streams, cards = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        oracle = np.zeros(rounds)
        seconds = {a.name: 0.0 for a in agents}
        for r in range(rounds):
            visits = self.visits(pages_per_round, visit_rng)
            oracle[r] = sum(self.oracle_value(self.page_input(u, c, {})) for u, c in visits)
            for a, agent in enumerate(agents):
                started = time.perf_counter()
                policy = agent.policy()
                logged = []
                for u, c in visits:
                    lp, exp = self.show(policy, self.page_input(u, c, states[a]), rngs[a], states[a])
                    logged.append(lp)
                    expected[a, r] += exp
                    streams[a, r] += lp.rewards.sum()
                    cards[a, r] += len(lp.trajectory.cards)
                agent.observe(logged)
                seconds[agent.name] += time.perf_counter() - started
            if progress is not None:
                progress(1)
        return RunResult([a.name for a in agents], expected, streams, cards, oracle, pages_per_round, seconds,
                         states)
