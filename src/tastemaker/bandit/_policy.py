"""Epsilon-greedy page building, and the policies that score cards.

A page is ``rows`` shelves of up to ``cols`` cards. It is built one decision at a time: pick a
shelf for the next row, then its cards left to right (an item shows at most once per page).
Every decision is epsilon-greedy over what is still eligible::

    P(choice) = (1 - eps) * [choice is the best] + eps / (number eligible)

so the probabilities of one decision sum to 1, and the logged propensity of each choice is
exact. A shelf's value is the mean score of its best ``cols`` remaining cards. The same walk,
given a logged page, replays it and returns the probability any other policy would have made
each logged decision: what off-policy evaluation needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tastemaker.bandit._candidates import CandidateSet
from tastemaker.bandit._features import Context, FeatureSpace

__all__ = ["Layout", "PageInput", "Trajectory", "walk", "Policy", "random_policy", "popularity_policy",
           "greedy_cf_policy", "model_policy"]

SHELF, CARD = 0, 1


@dataclass(frozen=True)
class Layout:
    """How many shelves (rows) a page shows and how many cards each."""

    rows: int = 3
    cols: int = 4


@dataclass
class PageInput:
    """Everything a policy sees when a user opens the home screen."""

    user: int
    cands: CandidateSet
    context: Context
    shown: np.ndarray  # per candidate: times shown to this user before
    streamed: np.ndarray  # per candidate: times the user streamed it from a home card before


@dataclass
class Trajectory:
    """The decisions that built one page (parallel arrays).

    ``kind`` is 0 for a shelf, 1 for a card; ``choice`` the shelf or candidate index; ``prob``
    the probability the walking policy gave that choice; ``greedy`` its best choice there.
    """

    kind: np.ndarray
    choice: np.ndarray
    row: np.ndarray
    col: np.ndarray
    prob: np.ndarray
    greedy: np.ndarray

    @property
    def cards(self) -> np.ndarray:
        """Positions (into the arrays) of the card decisions."""
        return np.flatnonzero(self.kind == CARD)


def walk(scores: np.ndarray, cands: CandidateSet, layout: Layout, epsilon: float,
         rng: np.random.Generator | None = None, logged: Trajectory | None = None) -> Trajectory:
    """Build a page epsilon-greedily from ``scores``, or replay ``logged`` with this policy.

    Parameters
    ----------
    scores : array
        One score per candidate (higher is better).
    cands : CandidateSet
    layout : Layout
    epsilon : float
        Exploration rate in [0, 1].
    rng : Generator, optional
        Draws the choices (required unless ``logged`` is given).
    logged : Trajectory, optional
        Follow these choices; ``prob`` then holds this policy's probability of each of them.

    Returns
    -------
    Trajectory
    """
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    # plain Python lists: pages hold tens of candidates, where numpy's per-call cost dominates
    score = np.asarray(scores, dtype=np.float64).tolist()
    items = cands.items.tolist()
    n_shelves = len(cands.shelves)
    members: list[list[int]] = [[] for _ in range(n_shelves)]
    for k, s in enumerate(cands.shelf.tolist()):
        members[s].append(k)
    on_page: set[int] = set()
    shelf_used = [False] * n_shelves
    out: list[tuple[int, int, int, int, float, int]] = []
    step = 0
    n_logged = len(logged.kind) if logged is not None else -1
    logged_choice = logged.choice.tolist() if logged is not None else []

    def choose(values: list[float], options: list[int]) -> tuple[int, float, int]:
        nonlocal step
        n = len(options)
        best = max(range(n), key=values.__getitem__)  # the first of ties, like argmax
        if logged is not None:
            chosen = options.index(logged_choice[step])
        elif epsilon > 0 and rng.random() < epsilon:
            chosen = int(rng.integers(n))
        else:
            chosen = best
        prob = epsilon / n + (1.0 - epsilon) * (chosen == best)
        step += 1
        return options[chosen], prob, options[best]

    for r in range(layout.rows):
        if step == n_logged:
            break
        options, values = [], []
        for s in range(n_shelves):
            if shelf_used[s]:
                continue
            free = sorted((score[k] for k in members[s] if items[k] not in on_page), reverse=True)[: layout.cols]
            if free:
                options.append(s)
                values.append(sum(free) / len(free))
        if not options:
            break
        shelf, prob, best = choose(values, options)
        shelf_used[shelf] = True
        out.append((SHELF, shelf, r, -1, prob, best))
        for c in range(layout.cols):
            if step == n_logged:
                break
            options = [k for k in members[shelf] if items[k] not in on_page]
            if not options:
                break
            card, prob, best = choose([score[k] for k in options], options)
            on_page.add(items[card])
            out.append((CARD, card, r, c, prob, best))
    if logged is not None and step != n_logged:
        raise ValueError("the logged page does not fit its candidates and layout")
    cols = list(zip(*out)) if out else [[]] * 6
    return Trajectory(np.array(cols[0], dtype=np.int8), np.array(cols[1], dtype=np.int64),
                      np.array(cols[2], dtype=np.int64), np.array(cols[3], dtype=np.int64),
                      np.array(cols[4], dtype=np.float64), np.array(cols[5], dtype=np.int64))


@dataclass
class Policy:
    """A named way to score cards, made epsilon-greedy by :func:`walk`."""

    name: str
    score: Callable[[PageInput], np.ndarray]
    epsilon: float = 0.0
    version: str = ""

    def page(self, page: PageInput, layout: Layout, rng: np.random.Generator) -> Trajectory:
        """Build a page for ``page``'s user."""
        return walk(self.score(page), page.cands, layout, self.epsilon, rng)

    def replay(self, page: PageInput, layout: Layout, logged: Trajectory) -> Trajectory:
        """This policy's probability of each decision of a logged page."""
        return walk(self.score(page), page.cands, layout, self.epsilon, logged=logged)


def random_policy() -> Policy:
    """Every eligible shelf and card equally likely."""
    return Policy("random", lambda p: np.zeros(len(p.cands)), epsilon=1.0)


def popularity_policy(epsilon: float = 0.0) -> Policy:
    """The cards with the most listeners first."""
    return Policy("popularity" if epsilon == 0 else f"popularity eps={epsilon:g}",
                  lambda p: p.cands.popularity, epsilon=epsilon)


def greedy_cf_policy(epsilon: float = 0.0) -> Policy:
    """The cards with the highest recommender score first (the bundle's blend on the home screen,
    ALS in the simulator; no learning from the home screen)."""
    return Policy("greedy CF" if epsilon == 0 else f"CF eps={epsilon:g}", lambda p: p.cands.cf,
                  epsilon=epsilon)


def model_policy(model, space: FeatureSpace, epsilon: float, name: str = "BaRT",
                 version: str = "") -> Policy:
    """Cards by a reward model's stream probability at the first position (``model=None``: the
    recommender's score, the cold start before the first training)."""

    def score(p: PageInput) -> np.ndarray:
        if model is None:
            return p.cands.cf
        idx, val = space.rows(p.user, p.cands, p.context, p.shown, p.streamed, 0, 0)
        return model.decision_function(idx, val)

    return Policy(f"{name} eps={epsilon:g}", score, epsilon=epsilon, version=version)
