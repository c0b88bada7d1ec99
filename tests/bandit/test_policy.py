"""Epsilon-greedy pages: valid layouts, propensities that sum to 1, exact replays."""

from __future__ import annotations

import numpy as np
import pytest
from bandit_support import small_candidates

from tastemaker.bandit import Layout, card_propensities, walk
from tastemaker.bandit._policy import CARD, SHELF


def _probabilities_of_every_option(scores, cands, layout, eps, traj):
    """For each decision of ``traj``: the replayed probability of every option there."""
    out = []
    for step in range(len(traj.kind)):
        prefix = type(traj)(*(a[: step + 1].copy() for a in (traj.kind, traj.choice, traj.row, traj.col,
                                                              traj.prob, traj.greedy)))
        options = _options(cands, traj, step)
        probs = []
        for o in options:
            prefix.choice[step] = o
            probs.append(walk(scores, cands, layout, eps, logged=prefix).prob[step])
        out.append((options, probs))
    return out


def _options(cands, traj, step):
    shown = {int(cands.items[c]) for k, c in zip(traj.kind[:step], traj.choice[:step]) if k == CARD}
    if traj.kind[step] == SHELF:
        used = {int(c) for k, c in zip(traj.kind[:step], traj.choice[:step]) if k == SHELF}
        return [s for s in range(len(cands.shelves)) if s not in used
                and any(int(cands.items[c]) not in shown for c in np.flatnonzero(cands.shelf == s))]
    shelf = [int(c) for k, c in zip(traj.kind[:step], traj.choice[:step]) if k == SHELF][-1]
    return [int(c) for c in np.flatnonzero(cands.shelf == shelf) if int(cands.items[c]) not in shown]


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_propensities_sum_to_one_and_match_the_log(eps, rng):
    cands = small_candidates()
    layout = Layout(rows=2, cols=2)
    scores = rng.normal(size=len(cands))
    for _ in range(20):
        traj = walk(scores, cands, layout, eps, rng)
        for step, (options, probs) in enumerate(_probabilities_of_every_option(scores, cands, layout, eps, traj)):
            assert sum(probs) == pytest.approx(1.0)
            assert traj.prob[step] == pytest.approx(probs[options.index(int(traj.choice[step]))])


def test_pages_follow_the_layout_and_never_repeat_an_item(rng):
    cands = small_candidates()
    traj = walk(rng.normal(size=len(cands)), cands, Layout(rows=3, cols=3), 0.3, rng)
    cards = traj.cards
    items = cands.items[traj.choice[cards]]
    assert len(set(items.tolist())) == len(items)
    assert (traj.kind == SHELF).sum() <= 3 and traj.col.max() <= 2
    for k in cards:  # every card sits on the shelf chosen for its row
        shelf = traj.choice[(traj.kind == SHELF) & (traj.row == traj.row[k])][0]
        assert cands.shelf[traj.choice[k]] == shelf


def test_greedy_is_deterministic_and_picks_the_best(rng):
    cands = small_candidates()
    scores = np.arange(len(cands), dtype=float)  # the last shelf is best, its last card first
    a = walk(scores, cands, Layout(1, 2), 0.0)
    assert a.choice.tolist() == [2, 8, 7] and a.prob.tolist() == [1.0, 1.0, 1.0]


def test_card_propensities_multiply_shelf_and_card(rng):
    cands = small_candidates()
    traj = walk(rng.normal(size=len(cands)), cands, Layout(2, 2), 0.2, rng)
    props = card_propensities(traj)
    shelf_prob = traj.prob[traj.kind == SHELF]
    assert props[0] == pytest.approx(shelf_prob[0] * traj.prob[1])
    assert np.all((props > 0) & (props <= 1))


def test_bad_epsilon():
    with pytest.raises(ValueError, match="epsilon"):
        walk(np.zeros(9), small_candidates(), Layout(), 1.5, np.random.default_rng(0))
