"""Songs nobody has played join a trained model like any other item: ModelBundle.add_items, and
the audio CNN's placement (place_by_audio_model), which train-audio and every training share."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.bundle import ModelBundle
from tastemaker.cf import EASE, ImplicitALS
from tastemaker.content import normalize_rows
from tastemaker.data import Vocabulary
from tastemaker.errors import InputError
from tastemaker.pipeline import place_by_audio_model


def blocks(model, seed=0) -> ModelBundle:
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
    return ModelBundle(model, Vocabulary([f"u{u}" for u in range(60)], name="user"),
                       Vocabulary([f"i{j}" for j in range(30)], name="item"), [f"item {j}" for j in range(30)], plays)


@pytest.fixture
def bundle():
    return blocks(ImplicitALS(factors=8, regularization=0.1, iterations=10, random_state=0))


def group_direction(bundle, group):
    return normalize_rows(np.asarray(bundle.cf.item_factors_)[group * 10:(group + 1) * 10]).mean(axis=0, keepdims=True)


def factors(bundle):
    return np.asarray(bundle.cf.item_factors_)


def test_a_placed_item_is_similar_to_its_neighbours_and_recommended_to_their_fans(bundle, tmp_path):
    cols = bundle.add_items(["new"], ["New Song"], group_direction(bundle, 1), "audio")
    assert cols.tolist() == [30] and len(bundle.items) == 31 and bundle.history.shape == (60, 31)
    similar = [s.item_id for s in bundle.similar("New Song", n=5)]
    assert all(10 <= int(i[1:]) < 20 for i in similar)
    fan, other = "u1", "u0"  # u1 loves group 1, u0 group 0
    assert "new" in [r.item_id for r in bundle.recommend(fan, n=5)]
    assert "new" not in [r.item_id for r in bundle.recommend(other, n=5)]
    bundle.save(tmp_path / "models")
    loaded = ModelBundle.load(tmp_path / "models")
    assert loaded.placed_items() == {"audio": ["new"]} and loaded.name(30) == "New Song"
    assert [r.item_id for r in loaded.recommend(fan, n=5)] == [r.item_id for r in bundle.recommend(fan, n=5)]
    assert loaded.recommend(fan, n=5)[[r.item_id for r in loaded.recommend(fan, n=5)].index("new")].placed_by == "audio"


def test_median_scaling_puts_cold_items_on_the_learned_scale(bundle):
    median = float(np.median(np.linalg.norm(factors(bundle), axis=1)))
    unit = normalize_rows(group_direction(bundle, 2))
    bundle.add_items(["a", "b"], ["A", "B"], np.vstack([unit, unit]), "audio")
    assert np.linalg.norm(factors(bundle)[30]) == pytest.approx(median, rel=1e-5)
    bundle.add_items(["c"], ["C"], unit, "culture", scale=None)
    assert np.linalg.norm(factors(bundle)[32]) == pytest.approx(1.0, rel=1e-5)
    # shrunk predictions (a regression's) are calibrated as a group: median to median, order kept
    bundle.add_items(["d", "e", "f"], ["D", "E", "F"], np.vstack([0.1 * unit, 0.2 * unit, 0.4 * unit]), "audio")
    norms = np.linalg.norm(factors(bundle)[33:36], axis=1)
    assert norms == pytest.approx([median / 2, median, 2 * median], rel=1e-5)


def test_placing_again_replaces_and_moves_the_item_between_signals(bundle):
    bundle.add_items(["new"], ["New"], group_direction(bundle, 0), "audio")
    bundle.add_items(["new"], ["New"], group_direction(bundle, 2), "culture")
    assert len(bundle.items) == 31 and bundle.placed_items() == {"culture": ["new"]}
    assert all(20 <= int(s.item_id[1:]) < 30 for s in bundle.similar("new", n=3))


def test_items_with_listeners_and_models_without_factors_are_refused(bundle):
    with pytest.raises(InputError, match="item 'i3' has listeners"):
        bundle.add_items(["i3"], ["x"], group_direction(bundle, 0), "audio")
    with pytest.raises(ValueError, match="factors must be 1 x 8"):
        bundle.add_items(["z"], ["z"], np.ones((1, 3)), "audio")
    with pytest.raises(ValueError, match="not unique"):
        bundle.add_items(["z", "z"], ["z", "z"], np.ones((2, 8)), "audio")
    assert len(bundle.items) == 30
    with pytest.raises(InputError, match="EASE model has no item factors"):
        blocks(EASE()).add_items(["z"], ["z"], np.ones((1, 8)), "audio")


# --- the audio CNN's placement ------------------------------------------------------------------

class Embedding:
    """Stands in for a fitted AudioRegressor: each 'spectrogram' is its own embedding."""

    def predict(self, spectrograms):
        return np.stack([np.asarray(s, np.float32).ravel() for s in spectrograms])


def embedding(group, rng):
    """Three dimensions (the bundle has eight factors): the map learns across them."""
    e = np.full(3, 0.05, np.float32) + 0.05 * rng.random(3).astype(np.float32)
    e[group] = 1.0
    return e


def test_the_cnn_places_new_songs_and_songs_placed_by_audio_features_but_not_tagged_ones(bundle):
    rng = np.random.default_rng(0)
    bundle.add_items(["tagged"], ["Tagged"], group_direction(bundle, 0), "culture")
    bundle.add_items(["featured"], ["Featured"], group_direction(bundle, 0), "audio-features",
                     rows={"audio": np.array([[0.5, -1.0]])})
    ids = [f"i{j}" for j in range(30)] + ["a0", "a1", "a2", "tagged", "featured"]
    groups = [j // 10 for j in range(30)] + [0, 1, 2, 1, 2]
    specs = [embedding(g, rng) for g in groups]
    placed = place_by_audio_model(bundle, Embedding(), ids, specs, names={"a0": "A Zero", "a1": "A One"})
    assert sorted(placed.tolist()) == ["a0", "a1", "a2", "featured"]
    assert bundle.placed_items() == {"culture": ["tagged"], "audio": ["featured", "a0", "a1", "a2"]}
    played = set(ids[:30])
    for item, group in (("a0", 0), ("a1", 1), ("a2", 2), ("featured", 2)):
        learned = [s.item_id for s in bundle.similar(item, n=8, by="cf") if s.item_id in played][:3]
        assert all(group * 10 <= int(i[1:]) < group * 10 + 10 for i in learned), (item, learned)
    col = bundle.items.index
    assert bundle.name(col("a0")) == "A Zero" and bundle.name(col("a2")) == "a2"  # no name given: its id
    assert bundle.name(col("featured")) == "Featured"  # a song the bundle knows keeps its name
    audio = np.asarray(bundle.signals["audio"])
    assert audio[col("featured")].tolist() == [0.5, -1.0] and not audio[col("a0")].any()  # rows kept, new zero
    assert (bundle.placed_codes[:30] == 0).all()  # the songs learned from plays are never placed


def test_the_cnn_places_nothing_without_two_songs_with_listeners(bundle):
    rng = np.random.default_rng(0)
    placed = place_by_audio_model(bundle, Embedding(), ["i0", "new"], [embedding(0, rng), embedding(0, rng)])
    assert placed.size == 0 and len(bundle.items) == 30
    with pytest.raises(ValueError, match="1 spectrograms for 2 item ids"):
        place_by_audio_model(bundle, Embedding(), ["i0", "new"], [embedding(0, rng)])
