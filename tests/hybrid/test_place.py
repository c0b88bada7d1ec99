"""Placing items nobody has played: the ridge map, the pipeline's place step on the tiny store,
and the served hybrid on it (one ranking for known listeners, batched or not)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.hybrid import Blend, CultureMap, place_by_culture, place_by_embedding
from tastemaker.pipeline import TrainingPipeline, TrainSettings

SMALL = dict(factors=8, iterations=10, regularization=0.1, num_threads=1)
METAL = {"Metallica", "Slayer", "Megadeth"}


def test_culture_map_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    X = sp.random(300, 40, density=0.2, random_state=1, format="csr")
    Y = X @ rng.normal(size=(40, 4))
    np.testing.assert_allclose(CultureMap(alpha=1e-6).fit(X, Y).predict(X), Y, atol=1e-3)
    with pytest.raises(ValueError, match="not fitted"):
        CultureMap().predict(X)


def test_place_by_culture_points_where_the_descriptors_point():
    # two descriptors, each owned by a direction of the factor space; a cold item with the first
    X_warm = sp.csr_matrix(np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]]))
    V_warm = np.array([[2.0, 0], [3, 0], [0, 2], [0, 3]])
    got = place_by_culture(X_warm, V_warm, sp.csr_matrix(np.array([[1.0, 0], [0.6, 0.8]])))
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1, rtol=1e-6)  # directions
    assert got[0, 0] > 0.99 and got[1, 0] > 0 and got[1, 1] > 0


def test_place_by_embedding_follows_the_factors():
    rng = np.random.default_rng(0)
    E = rng.normal(size=(200, 5))
    W = rng.normal(size=(5, 3))
    V = E @ W
    got = place_by_embedding(E, V, E[:10], alpha=1e-6)
    unit = V[:10] / np.linalg.norm(V[:10], axis=1, keepdims=True)
    assert np.all(np.sum(got * unit, axis=1) / np.linalg.norm(got, axis=1) > 0.95)


@pytest.fixture
def trained(store):
    return TrainingPipeline(TrainSettings(params=SMALL)).run(None, None, store=store).bundle


def test_the_artist_nobody_plays_is_placed_among_its_tag_neighbours(trained):
    bundle = trained
    assert bundle.placed_items() == {"culture": ["10"]}  # Sacred Reich: tagged, never played
    assert {s.name for s in bundle.similar("Sacred Reich", 3, by="cf")} == METAL
    prior = bundle.signals["prior"]
    assert np.all(prior > 0), "every item keeps its tag popularity (the taste regression's column)"


def test_a_metal_fan_gets_it_through_the_served_hybrid(trained):
    bundle = trained
    # the tiny store is too small to weigh the blend: give it one, as the pipeline would
    bundle.set_blend(Blend({"culture": 0.3, "taste": 1.0, "prior": 0.2, "cold": 0.0}).fit(bundle.blocks()))
    assert bundle.blend.blocks_ == ("cf", "culture", "taste", "prior", "cold")
    fans = [u for u in bundle.users.ids.tolist() if u.startswith("u1")]  # the metal listeners
    for fan in fans:
        recs = bundle.recommend(fan, n=2)
        assert "10" in [r.item_id for r in recs]
        rec = next(r for r in recs if r.item_id == "10")
        assert rec.placed_by == "culture" and rec.reason.startswith("tagged like ")
        assert set(rec.signals) <= {"cf", "culture", "audio", "prior", "cold"}
        assert sum(rec.signals.values()) == pytest.approx(rec.score, abs=1e-4)


def test_recommend_batch_ranks_known_listeners_as_recommend_does(trained):
    bundle = trained
    bundle.set_blend(Blend({"culture": 0.3, "taste": 1.0, "prior": 0.2, "cold": -0.2}).fit(bundle.blocks()))
    rows = np.arange(len(bundle.users))
    for mode in ("hybrid", "cf"):
        cols, scores = bundle.recommend_batch(4, user_rows=rows, blend=mode)
        one_by_one = bundle.recommend(bundle.users.ids.tolist(), n=4, blend=mode)
        for k, recs in enumerate(one_by_one):
            assert [r.item_id for r in recs] == bundle.items.ids[cols[k][cols[k] >= 0]].tolist()
            np.testing.assert_allclose([r.score for r in recs], scores[k][cols[k] >= 0], rtol=1e-5, atol=1e-5)
