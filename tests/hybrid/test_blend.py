"""The Blend: one inner product equals the per-block standardised sum computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.hybrid import TASTE_ALPHA, Blend

WEIGHTS = {"culture": 0.4, "audio": 0.3, "taste": 1.2, "prior": 0.25, "cold": -0.5}


def world(rng, n=40, n_cold=8, users=5):
    """Random blocks (the last ``n_cold`` items placed without plays) and histories of warm items."""
    cold = np.zeros((n, 1), np.float32)
    cold[n - n_cold:] = 1.0
    culture = rng.normal(size=(n, 6)).astype(np.float32)
    culture[3] = 0.0  # an undescribed item
    blocks = {"cf": rng.normal(size=(n, 4)).astype(np.float32), "culture": culture,
              "audio": rng.normal(size=(n, 3)).astype(np.float32),
              "prior": rng.random((n, 1)).astype(np.float32) * 3, "cold": cold}
    plays = np.zeros((users, n), np.float32)
    for u in range(users):
        plays[u, rng.choice(n - n_cold, 6, replace=False)] = rng.integers(1, 50, 6)
    return blocks, sp.csr_matrix(plays), rng.normal(size=(users, 4)).astype(np.float32)


def brute_force(blocks, history, U, weights):
    """Scores (users x items) from the definitions, one user at a time: each block's raw scores
    standardised over its side of the catalogue."""
    cold = blocks["cold"][:, 0] > 0
    L = np.log1p(history.toarray())
    A = np.hstack([blocks["culture"], np.ones((len(cold), 1)), blocks["prior"]]).astype(np.float64)
    penalty = np.diag([TASTE_ALPHA] * 6 + [1e-3, 1e-3])
    culture_rows = np.hstack([blocks["culture"], blocks["prior"]])
    rows = {"cf": blocks["cf"], "culture": culture_rows, "audio": blocks["audio"], "taste": culture_rows}
    support = {"cf": np.ones_like(cold), "culture": ~cold, "audio": np.ones_like(cold), "taste": cold}
    scores = np.zeros((len(U), len(cold)))
    for u in range(len(U)):
        # the listener's own ridge regression of log plays on the warm items' [culture, 1, prior]
        coef = np.linalg.solve(A[~cold].T @ A[~cold] + penalty, A[~cold].T @ L[u, ~cold])
        taste = np.delete(coef, 6)
        profile = L[u] @ blocks["audio"]
        queries = {"cf": U[u], "culture": taste, "audio": profile / np.linalg.norm(profile), "taste": taste}
        for b, q in queries.items():
            raw = rows[b] @ q
            s = support[b]
            z = np.where(s, (raw - raw[s].mean()) / raw[s].std(), 0.0)
            scores[u] += (1.0 if b == "cf" else weights[b]) * z
        scores[u] += weights["prior"] * blocks["prior"][:, 0] * cold + weights["cold"] * cold
    return scores


def served(blend, blocks, history, U, kind="recommend"):
    parts = blend.query_parts(U, history, blocks)
    Q, offset = blend.query_matrix(parts, kind)
    return blend.item_matrix(blocks, kind) @ Q.T - offset, parts


def test_one_inner_product_is_the_standardised_sum(rng):
    blocks, history, U = world(rng)
    blend = Blend(WEIGHTS).fit(blocks)
    assert blend.blocks_ == ("cf", "culture", "audio", "taste", "prior", "cold")
    assert blend.dims_ == {"cf": 4, "culture": 7, "audio": 3, "taste": 7, "prior": 1, "cold": 1}
    got, parts = served(blend, blocks, history, U)
    np.testing.assert_allclose(got.T, brute_force(blocks, history, U, WEIGHTS), rtol=1e-4, atol=1e-4)
    # the explanation's shares sum to the score, reported under the served signals
    for u in range(len(U)):
        shares = blend.contributions(parts, blocks, np.arange(40), row=u)
        assert set(shares) == {"cf", "culture", "audio", "prior", "cold"}  # taste is cultural
        np.testing.assert_allclose(sum(shares.values()), got[:, u], rtol=1e-4, atol=1e-4)
        assert np.all(shares["prior"][:32] == 0) and np.all(shares["cold"][32:] == WEIGHTS["cold"])


def test_unit_scores_are_the_blocks_of_the_sum(rng):
    blocks, history, U = world(rng)
    blend = Blend(WEIGHTS).fit(blocks)
    parts = blend.query_parts(U, history, blocks)
    z = blend.unit_scores(parts, blocks)
    total = sum((1.0 if b == "cf" else WEIGHTS[b]) * z[b] for b in blend.blocks_)
    np.testing.assert_allclose(total, brute_force(blocks, history, U, WEIGHTS), rtol=1e-4, atol=1e-4)
    cold = blocks["cold"][:, 0] > 0
    assert np.all(z["culture"][:, cold] == 0) and np.all(z["taste"][:, ~cold] == 0)
    # standardised over their support: mean 0, sd 1 per listener
    np.testing.assert_allclose(z["taste"][:, cold].mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(z["culture"][:, ~cold].std(axis=1), 1, rtol=1e-4)
    some = blend.unit_scores(parts, blocks, cols=[1, 35], which=("taste",))
    np.testing.assert_allclose(some["taste"], z["taste"][:, [1, 35]], rtol=1e-5)


def test_similar_items_standardise_unit_rows_over_every_item(rng):
    blocks, _, _ = world(rng)
    blend = Blend(WEIGHTS).fit(blocks)
    cold = blocks["cold"][:, 0] > 0
    for col in (5, 35):  # a played item, an item placed without plays
        parts = blend.similar_parts([col], blocks)
        assert "taste" not in parts  # a listener's regression has no item query
        Q, offset = blend.query_matrix(parts, "similar")
        got = blend.item_matrix(blocks, "similar") @ Q[0] - offset[0]
        want = np.zeros(40)
        for b in ("cf", "culture", "audio"):
            rows = blocks[b] / np.maximum(np.linalg.norm(blocks[b], axis=1, keepdims=True), 1e-12)
            raw = rows @ rows[col]
            want += (1.0 if b == "cf" else WEIGHTS[b]) * (raw - raw.mean()) / raw.std()
        if cold[col]:  # the offset and prior only among items nobody has played, as the query is
            want += (WEIGHTS["prior"] * blocks["prior"][col, 0] * blocks["prior"][:, 0] + WEIGHTS["cold"]) * cold
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_state_round_trip_and_pure_cf(rng):
    blocks, history, U = world(rng)
    blend = Blend(WEIGHTS).fit(blocks)
    meta, arrays = blend.to_state()
    again = Blend.from_state(meta, arrays)
    np.testing.assert_allclose(served(again, blocks, history, U)[0], served(blend, blocks, history, U)[0], rtol=1e-6)
    cf = blend.with_weights({"cf": 1.0}, standardise=False)
    np.testing.assert_allclose(served(cf, blocks, history, U)[0], blocks["cf"] @ U.T, rtol=1e-5, atol=1e-5)
    assert cf.active_ == ("cf",)


def test_without_placed_items_every_block_covers_every_item(rng):
    blocks, history, U = world(rng)
    del blocks["cold"], blocks["prior"]
    blend = Blend({"culture": 0.5}).fit(blocks)
    assert blend.blocks_ == ("cf", "culture", "audio")
    got, parts = served(blend, blocks, history, U)
    L = np.log1p(history.toarray())
    A = np.hstack([blocks["culture"], np.ones((40, 1))])
    coef = np.linalg.solve(A.T @ A + np.diag([TASTE_ALPHA] * 6 + [1e-3]), A.T @ L.T)[:6]
    np.testing.assert_allclose(parts["culture"], coef.T, rtol=1e-4, atol=1e-6)
    raw_c, raw_f = blocks["culture"] @ coef, blocks["cf"] @ U.T
    want = (raw_f - raw_f.mean(0)) / raw_f.std(0) + 0.5 * (raw_c - raw_c.mean(0)) / raw_c.std(0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_bad_blocks():
    with pytest.raises(ValueError, match="cf block"):
        Blend().fit({"culture": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="unknown blocks"):
        Blend().fit({"cf": np.zeros((3, 2)), "taste": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="one row per item"):
        Blend().fit({"cf": np.zeros((3, 2)), "culture": np.zeros((4, 2))})


def test_blocks_that_cannot_change_a_score_are_left_out_of_the_vectors(rng):
    blocks, history, U = world(rng, n_cold=0)  # nothing placed: the cold-side blocks have no items
    weights = {**WEIGHTS, "audio": 0.0}
    blend = Blend(weights).fit(blocks)
    assert blend.layout_["recommend"] == ("cf", "culture", "cold")
    assert blend.layout_["similar"] == ("cf", "culture", "cold")
    got, _ = served(blend, blocks, history, U)
    assert blend.item_matrix(blocks).shape == (40, 4 + 7 + 1)
    np.testing.assert_allclose(got.T, brute_force(blocks, history, U, weights), rtol=1e-4, atol=1e-4)
    # the layout travels with the blend, and a copy with other weights searches the same vectors
    meta, arrays = blend.to_state()
    assert Blend.from_state(meta, arrays).layout_ == blend.layout_
    cf = blend.with_weights({"cf": 1.0}, standardise=False)
    Q, offset = cf.query_matrix(cf.query_parts(U, history, blocks))
    np.testing.assert_allclose(blend.item_matrix(blocks) @ Q.T - offset, blocks["cf"] @ U.T, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="audio"):
        blend.with_weights({"cf": 1.0, "audio": 1.0})
