"""place_items: items without listeners join a trained recommender like any other item."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf import EASE, ImplicitALS
from tastemaker.content import cold_items, normalize_rows, place_items
from tastemaker.data import Vocabulary
from tastemaker.errors import InputError
from tastemaker.recommender import Recommender


def blocks(model, seed=0):
    """60 users x 30 items in three taste groups (items 0-9, 10-19, 20-29)."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for u in range(60):
        group = u % 3
        for i in rng.choice(10, size=6, replace=False):
            rows.append(u)
            cols.append(group * 10 + i)
    plays = sp.csr_matrix((rng.integers(1, 20, len(rows)).astype(np.float32), (rows, cols)), shape=(60, 30))
    model.fit(plays, show_progress=False)
    items = Vocabulary([f"i{j}" for j in range(30)], name="item")
    return Recommender(model, Vocabulary([f"u{u}" for u in range(60)], name="user"), items,
                       [f"item {j}" for j in range(30)], plays, {"version": "test"})


@pytest.fixture
def rec():
    return blocks(ImplicitALS(factors=8, regularization=0.1, iterations=10, random_state=0))


def group_direction(rec, group):
    return normalize_rows(rec.model.item_factors_[group * 10:(group + 1) * 10]).mean(axis=0, keepdims=True)


def test_a_placed_item_is_similar_to_its_neighbours_and_recommended_to_their_fans(rec, tmp_path):
    cols = place_items(rec, ["new"], ["New Song"], group_direction(rec, 1), "audio")
    assert cols.tolist() == [30] and len(rec.items) == 31 and rec.history.shape == (60, 31)
    similar = [item for item, _, _ in rec.similar("New Song", n=5)]
    assert all(10 <= int(i[1:]) < 20 for i in similar)
    fan, other = "u1", "u0"  # u1 loves group 1, u0 group 0
    assert "new" in [r.item_id for r in rec.recommend(fan, n=5)]
    assert "new" not in [r.item_id for r in rec.recommend(other, n=5)]
    rec.save(tmp_path / "model.npz")
    loaded = Recommender.load(tmp_path / "model.npz")
    assert cold_items(loaded) == {"audio": ["new"]} and loaded.name(30) == "New Song"
    assert [r.item_id for r in loaded.recommend(fan, n=5)] == [r.item_id for r in rec.recommend(fan, n=5)]


def test_median_scaling_puts_cold_items_on_the_learned_scale(rec):
    median = float(np.median(np.linalg.norm(rec.model.item_factors_, axis=1)))
    unit = normalize_rows(group_direction(rec, 2))
    place_items(rec, ["a", "b"], ["A", "B"], np.vstack([unit, unit]), "audio")
    assert np.linalg.norm(rec.model.item_factors_[30]) == pytest.approx(median, rel=1e-5)
    place_items(rec, ["c"], ["C"], unit, "culture", scale=None)
    assert np.linalg.norm(rec.model.item_factors_[32]) == pytest.approx(1.0, rel=1e-5)
    # shrunk predictions (a regression's) are calibrated as a group: median to median, order kept
    place_items(rec, ["d", "e", "f"], ["D", "E", "F"], np.vstack([0.1 * unit, 0.2 * unit, 0.4 * unit]), "audio")
    norms = np.linalg.norm(rec.model.item_factors_[33:36], axis=1)
    assert norms == pytest.approx([median / 2, median, 2 * median], rel=1e-5)


def test_placing_again_replaces_and_moves_the_item_between_signals(rec):
    place_items(rec, ["new"], ["New"], group_direction(rec, 0), "audio")
    place_items(rec, ["new"], ["New"], group_direction(rec, 2), "culture")
    assert len(rec.items) == 31 and cold_items(rec) == {"culture": ["new"]}
    assert all(20 <= int(i[1:]) < 30 for i, _, _ in rec.similar("new", n=3))


def test_items_with_listeners_and_models_without_factors_are_refused(rec):
    with pytest.raises(InputError, match="item 'i3' has listeners"):
        place_items(rec, ["i3"], ["x"], group_direction(rec, 0), "audio")
    with pytest.raises(ValueError, match="factors must be 1 x 8"):
        place_items(rec, ["z"], ["z"], np.ones((1, 3)), "audio")
    with pytest.raises(ValueError, match="not unique"):
        place_items(rec, ["z", "z"], ["z", "z"], np.ones((2, 8)), "audio")
    assert len(rec.items) == 30
    with pytest.raises(InputError, match="EASE model has no item factors"):
        place_items(blocks(EASE()), ["z"], ["z"], np.ones((1, 8)), "audio")
