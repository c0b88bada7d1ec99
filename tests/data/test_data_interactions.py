"""load_interactions: the skip rule by hand, filters, ordering, and sums as a property."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tastemaker.data import EVENT_TYPES, Store, ingest_events, load_interactions

HEADER = ["user_id", "item_id", "event", "count", "timestamp", "artist"]
TINY = [
    ["u1", "a", "play", 10, "2024-01-01T00:00:00Z", None],
    ["u1", "a", "skip", 10, "2024-01-03T00:00:00Z", None],
    ["u1", "b", "skip", 3, "2024-01-02T00:00:00Z", "B-artist"],
    ["u1", "c", "save", 1, None, "C-artist"],
    ["u2", "a", "play", 2, "2024-01-01T00:00:00Z", None],
    ["u2", "a", "playlist_add", 1, "2024-01-05T00:00:00Z", None],
    ["u2", "c", "play", 4, None, "C-artist"],
    ["u2", "c", "skip", 1, None, "C-artist"],
    ["u3", "b", "play", 0, None, "B-artist"],  # zero evidence: u3 is not in the matrix
]  # fmt: skip
DAY = 86400.0
JAN1 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture
def tiny(store, csv_file):
    ingest_events(store, csv_file(TINY, HEADER), progress=False)
    return store


def test_skip_rule_by_hand(tiny):
    data = load_interactions(tiny, detail=True)
    assert data.users.ids.tolist() == ["u1", "u2"] and data.items.ids.tolist() == ["a", "b", "c"]
    # u1: a = 10*10/(10+10) = 5; b skip-only = -3; c = one save = 5 plays -> 5*5/5 = 5
    # u2: a = 2 plays + 3 (one playlist_add) = 5; c = 4*4/(4+1) = 3.2
    expected = np.array([[5, -3, 5], [5, 0, 3.2]], dtype=np.float32)
    np.testing.assert_allclose(data.user_items.toarray(), expected, rtol=1e-6)
    assert data.user_items.dtype == np.float32 and data.user_items.nnz == 5
    np.testing.assert_array_equal(data.plays.toarray(), [[10, 0, 0], [2, 0, 4]])
    np.testing.assert_array_equal(data.skips.toarray(), [[10, 3, 0], [0, 0, 1]])
    np.testing.assert_array_equal(
        data.last_ts.toarray(), [[JAN1 + 2 * DAY, JAN1 + DAY, 0], [JAN1 + 4 * DAY, 0, 0]]
    )
    for matrix in (data.last_ts, data.plays, data.skips):  # same pattern: .data lines up
        np.testing.assert_array_equal(matrix.indptr, data.user_items.indptr)
        np.testing.assert_array_equal(matrix.indices, data.user_items.indices)
    assert data.last_ts.dtype == np.float64 and data.shape == (2, 3)
    assert data.item_names.tolist() == ["a", "b", "c"]  # no names given: the ids
    # without detail: the same aggregate, and nothing else read
    lean = load_interactions(tiny)
    np.testing.assert_array_equal(lean.user_items.toarray(), data.user_items.toarray())
    assert lean.plays is None and lean.skips is None and lean.last_ts is None


def test_weights_min_count_and_item_kind(tiny):
    light = load_interactions(tiny, save_weight=1, playlist_weight=0)
    np.testing.assert_allclose(light.user_items.toarray(), [[5, -3, 1], [2, 0, 3.2]], rtol=1e-6)
    strict = load_interactions(tiny, min_count=5)  # u2/c has p = 4 < 5; skip-only u1/b stays
    np.testing.assert_allclose(strict.user_items.toarray(), [[5, -3, 5], [5, 0, 0]], rtol=1e-6)
    tracks = load_interactions(tiny, item_kind="track")
    assert tracks.items.ids.tolist() == ["b", "c"]
    np.testing.assert_allclose(tracks.user_items.toarray(), [[-3, 5], [0, 3.2]], rtol=1e-6)
    artists = load_interactions(tiny, item_kind="artist")
    assert artists.items.ids.tolist() == ["a"] and artists.users.ids.tolist() == ["u1", "u2"]
    with pytest.raises(ValueError, match="item_kind"):
        load_interactions(tiny, item_kind="album")
    with pytest.raises(ValueError, match="save_weight"):
        load_interactions(tiny, save_weight=-1)


def test_ids_are_ordered_as_strings():
    with Store(":memory:") as store:
        store.append_events([
            {"user_id": uid, "item_id": iid, "event": "play", "item_name": f"name {iid}"}
            for uid, iid in [("2", "9"), ("10", "10"), ("1", "9")]
        ])  # fmt: skip
        data = load_interactions(store)
    assert data.users.ids.tolist() == ["1", "10", "2"] and data.items.ids.tolist() == ["10", "9"]
    assert data.item_names.tolist() == ["name 10", "name 9"]
    assert data.user_items[data.users.index(10), data.items.index("10")] == 1


def test_empty_store():
    with Store(":memory:") as store:
        data = load_interactions(store)
    assert data.shape == (0, 0) and data.user_items.nnz == 0


events = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", "u10"]),
        st.sampled_from(["i1", "i2", "i3"]),
        st.sampled_from(EVENT_TYPES),
        st.integers(0, 5) | st.floats(0, 5, allow_nan=False).map(lambda x: round(x, 2)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=events, save=st.sampled_from([0.0, 1.0, 5.0]), playlist=st.sampled_from([0.0, 3.0]))
def test_matrix_matches_the_events(rows, save, playlist):
    with Store(":memory:") as store:
        store.append_events(
            [{"user_id": u, "item_id": i, "event": e, "count": c} for u, i, e, c in rows]
        )
        data = load_interactions(store, save_weight=save, playlist_weight=playlist, detail=True)
    totals = defaultdict(lambda: defaultdict(float))
    for u, i, e, c in rows:
        totals[(u, i)][e] += c
    expected = {}
    for pair, t in totals.items():
        p = t["play"] + save * t["save"] + playlist * t["playlist_add"]
        s = t["skip"]
        if p > 0:
            expected[pair] = p * p / (p + s)
        elif s > 0:
            expected[pair] = -s
    got = data.user_items.tocoo()
    found = {
        (data.users.ids[r], data.items.ids[c]): v for r, c, v in zip(got.row, got.col, got.data)
    }
    assert found.keys() == expected.keys()
    for pair, value in expected.items():
        assert found[pair] == pytest.approx(value, rel=1e-5, abs=1e-5)
    # raw sums survive aggregation exactly (pairs with no evidence at all hold only zeros)
    assert data.plays.sum() == pytest.approx(sum(c for *_, e, c in rows if e == "play"), abs=1e-4)
    assert data.skips.sum() == pytest.approx(sum(c for *_, e, c in rows if e == "skip"), abs=1e-4)
    if not any(e == "skip" for _, _, e, _ in rows):
        weight = {"play": 1.0, "save": save, "playlist_add": playlist}
        total = sum(weight[e] * c for *_, e, c in rows)
        assert data.user_items.sum(dtype=float) == pytest.approx(total, rel=1e-5, abs=1e-4)
    assert sorted(data.users.ids.tolist()) == data.users.ids.tolist()
