"""The hybrid: cold items placed by their tags, explanations naming the signal, cold start vs random."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf import ImplicitALS
from tastemaker.content import cold_items
from tastemaker.evaluation import cold_start_split, recall_at_k
from tastemaker.hybrid import ColdStartRanker, CultureMap, HybridScorer, explain_signal, place_cold_items, top_n
from tastemaker.recommender import train
from tastemaker.text import CulturalVectors, tfidf


def small_als():
    return ImplicitALS(factors=8, regularization=0.1, iterations=10, random_state=0, num_threads=1)


def test_cold_item_placed_near_its_tag_neighbours(store):
    rec = train(store, small_als(), show_progress=False)
    assert "10" not in rec.items  # nobody plays Sacred Reich
    placed = place_cold_items(store, rec)
    assert placed["culture"] == 1 and cold_items(rec) == {"culture": ["10"]}
    neighbours = [name for _, name, _ in rec.similar("Sacred Reich", 3)]
    assert set(neighbours) == {"Metallica", "Slayer", "Megadeth"}
    # it takes part in recommendations: a metal listener who played two of three gets it high
    metal_fan = next(u for u in rec.users if rec.history[rec.users.index(u)].indices.size == 2
                     and rec.name(rec.history[rec.users.index(u)].indices[0]) in {"Metallica", "Slayer", "Megadeth"})
    top = [r.name for r in rec.recommend(metal_fan, n=2)]
    assert "Sacred Reich" in top
    assert place_cold_items(store, rec)["culture"] == 0 or cold_items(rec) == {"culture": ["10"]}


def test_explanations_name_the_signal(store):
    rec = train(store, small_als(), show_progress=False)
    cv = CulturalVectors().fit_store(store)
    place_cold_items(store, rec, cv)
    fan = next(u for u in rec.users if u.startswith("u1"))  # a metal listener
    signal, text = explain_signal(rec, fan, "Sacred Reich", cultural=cv)
    assert signal == "culture" and text in {"tagged like Metallica", "tagged like Slayer", "tagged like Megadeth"}
    played = {rec.name(c) for c in rec.history[rec.users.index(fan)].indices}
    other = next(n for n in ("Metallica", "Slayer", "Megadeth") if n not in played)
    signal, text = explain_signal(rec, fan, other, cultural=cv)
    assert signal == "collaborative" and text.startswith("because you listened to ")
    assert text.removeprefix("because you listened to ") in played


def test_culture_map_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    X = sp.random(300, 40, density=0.2, random_state=1, format="csr")
    W = rng.normal(size=(40, 4))
    Y = X @ W
    pred = CultureMap(alpha=1e-6).fit(X, Y).predict(X)
    assert np.allclose(pred, Y, atol=1e-3)
    with pytest.raises(ValueError, match="not fitted"):
        CultureMap().predict(X)


def _taste_world(seed=0, n_groups=6, per_group=30, n_users=300):
    """Users love one group of items; each group has its own tags (plus shared noise tags)."""
    rng = np.random.default_rng(seed)
    n_items = n_groups * per_group
    group = np.repeat(np.arange(n_groups), per_group)
    users = rng.integers(0, n_groups, n_users)
    rows, cols = [], []
    for u, g in enumerate(users):
        mine = np.flatnonzero(group == g)
        for i in rng.choice(mine, 8, replace=False):
            rows.append(u)
            cols.append(i)
        cols.append(int(rng.integers(0, n_items)))  # one random play
        rows.append(u)
    plays = sp.csr_matrix((np.full(len(rows), 5.0, np.float32), (rows, cols)), shape=(n_users, n_items))
    plays.sum_duplicates()
    tag_rows, tag_cols = [], []
    for i in range(n_items):
        for t in rng.choice(4, 2, replace=False):
            tag_rows.append(i)
            tag_cols.append(group[i] * 4 + t)
        tag_rows.append(i)
        tag_cols.append(n_groups * 4 + int(rng.integers(0, 5)))
    counts = sp.csr_matrix((np.ones(len(tag_rows)), (tag_rows, tag_cols)), shape=(n_items, n_groups * 4 + 5))
    return plays, counts


def test_small_cold_start_run_beats_random():
    plays, counts = _taste_world()
    train_m, test, cold = cold_start_split(plays, 0.2, random_state=0)
    X = tfidf(counts)

    def factorize(R):
        m = ImplicitALS(factors=8, regularization=1.0, iterations=8, random_state=0, num_threads=1).fit(
            R, show_progress=False)
        return m.user_factors_, m.item_factors_

    ranker = ColdStartRanker(alpha=1.0, factorize=factorize).fit(train_m, X, np.zeros(X.shape[0]))
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    truth = test[users][:, cold]
    k = 5
    ours = np.nanmean(recall_at_k(top_n(ranker.score(users, cold), k), truth, k))
    rand = np.nanmean(recall_at_k(top_n(np.random.default_rng(0).random((len(users), len(cold))), k), truth, k))
    assert rand < 0.25 and ours > 2 * rand and ours > 0.5
    assert set(ranker.weights_) == {"placed", "listeners", "profile", "prior", "audio", "neighbours"}
    assert ranker.weights_["audio"] == 0


def test_neighbours_signal_is_the_similarity_weighted_mean_of_log_plays_of_the_nearest_items():
    # items 0-2 played and tagged, item 3 cold; terms: rock, pop, jazz (rows already unit length)
    X = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0], [0.8, 0.6, 0.0]]))
    plays = sp.csr_matrix(np.array([[3.0, 0.0, 5.0, 0.0], [0.0, 7.0, 1.0, 0.0]]))
    U, V = np.ones((2, 2)), np.ones((4, 2))
    ranker = ColdStartRanker(n_neighbours=2, weights={"neighbours": 1.0}).fit(plays, X, np.zeros(4), U, V)
    got = ranker.signals([0, 1], [3])["neighbours"]
    # item 3's two nearest played items: 1 (cosine 0.96) and 0 (0.8); item 2 (cosine 0) is not one
    want = np.array([[0.8 * np.log1p(3.0)], [0.96 * np.log1p(7.0)]]) / (0.8 + 0.96)
    np.testing.assert_allclose(got, want)
    assert ranker.weights_["neighbours"] == 1.0 and ranker.weights_["placed"] == 0.0


def test_hybrid_scorer_chooses_weights_and_filters_history():
    plays, counts = _taste_world(seed=1)

    def factorize(R):
        m = ImplicitALS(factors=8, regularization=1.0, iterations=8, random_state=0, num_threads=1).fit(
            R, show_progress=False)
        return m.user_factors_, m.item_factors_

    scorer = HybridScorer().fit(plays, tfidf(counts), factorize=factorize)
    assert set(scorer.weights_) == {"culture", "audio"} and len(scorer.validation_) == 5  # no audio: culture only
    top = scorer.recommend(np.arange(10), 5)
    for u in range(10):
        assert not set(top[u]) & set(plays[u].indices)
