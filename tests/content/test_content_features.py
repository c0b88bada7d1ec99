"""Tabular audio features: ingest by name, bad input, standardising, FeatureRegressor."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tastemaker.content import (REQUIRED_FEATURES, FeatureRegressor, ingest_audio_features,
                                load_audio_features)
from tastemaker.data import Vocabulary
from tastemaker.errors import InputError

SPOTIFY = Path(__file__).resolve().parents[3] / "shared" / "data" / "spotify-audio-features" / "data_by_artist.csv"
HETREC = Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"
HEADER = ["artists", *REQUIRED_FEATURES, "popularity", "key", "mode", "count"]


def row(name, base=0.5, count=10):
    return [name, base, base, 200000 + base, base, base, base, -10 + base, base, 120 + base, base, 40, 5, 1, count]


@pytest.fixture
def features_csv(tmp_path):
    def write(rows, header=HEADER, name="features.csv"):
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(header)
            out.writerows(rows)
        return path

    return write


@pytest.fixture
def artists(store):
    names = {"1": "ABBA", "2": "Björk", "3": "Earth, Wind & Fire", "4": "Nobody Has Features"}
    store.append_events([{"user_id": "u", "item_id": i, "event": "play", "item_name": n} for i, n in names.items()])
    return names


def stored(store):
    return store.con.execute("SELECT item_id, name, energy, n_tracks FROM audio_features ORDER BY item_id").fetchall()


def test_rows_join_items_by_normalised_name_and_report_the_rest(store, artists, features_csv):
    path = features_csv([row("abba ", 0.1), row("BJÖRK", 0.2), row("Earth,  Wind & Fire", 0.3), row("Unknown", 0.4),
                         row("ABBA", 0.9, count=1)])  # a second ABBA with fewer tracks loses
    result = ingest_audio_features(store, path)
    assert result.counts == {"matched": 3, "new_items": 0, "unmatched": 2, "audio_features": 3} and result.rows == 3
    assert stored(store) == [("1", "abba", 0.1, 10.0), ("2", "BJÖRK", 0.2, 10.0), ("3", "Earth,  Wind & Fire", 0.3, 10.0)]
    assert ingest_audio_features(store, path).skipped_duplicate
    newer = features_csv([row("ABBA", 0.7)[:-1]], header=HEADER[:-1], name="newer.csv")  # no count column
    assert ingest_audio_features(store, newer).counts["matched"] == 1
    assert stored(store)[0] == ("1", "ABBA", 0.7, None)


def test_new_artists_are_created_for_unmatched_rows_unless_their_id_is_taken(store, artists, features_csv):
    path = features_csv([row("ABBA", 0.1), row("Fresh Band", 0.2), row("fresh band", 0.3, count=1), row("3", 0.4)])
    result = ingest_audio_features(store, path, new_artists=True)
    # "3" is an item id already (Earth, Wind & Fire): no artist is created under it
    assert result.counts == {"matched": 1, "new_items": 1, "unmatched": 2, "audio_features": 2}
    item = store.con.execute("SELECT kind, name, artist_name FROM items WHERE item_id = 'Fresh Band'").fetchone()
    assert item == ("artist", "Fresh Band", "Fresh Band")
    assert [r[0] for r in stored(store)] == ["1", "Fresh Band"]
    assert not ingest_audio_features(store, path).skipped_duplicate  # without new artists: another ingest
    assert ingest_audio_features(store, path, new_artists=True).skipped_duplicate


@pytest.mark.parametrize("rows, header, message", [
    ([row("ABBA")], HEADER[:3], "row 1: missing column(s): duration_ms"),
    ([row("ABBA")], ["band", *HEADER[1:]], "missing column(s): a name column"),
    ([row("ABBA")[:5] + ["loud"] + row("ABBA")[6:]], HEADER, "row 2, column instrumentalness: instrumentalness is not a finite number ('loud')"),
    ([row("ABBA"), ["", *row("x")[1:]]], HEADER, "row 3, column artists: artists is empty"),
    ([row("ABBA")[:3] + ["inf"] + row("ABBA")[4:]], HEADER, "column duration_ms: duration_ms is not a finite number ('inf')"),
    ([row("Nobody at all")], HEADER, "no row matches an item of the store by name"),
    ([row("ABBA")[:4]], HEADER, "row 2: has 4 fields where 15 are expected"),
])
def test_bad_files_are_one_error_and_write_nothing(store, artists, features_csv, rows, header, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest_audio_features(store, features_csv(rows, header=header))
    assert stored(store) == [] and store.stats()["ingests"] == 0


def test_missing_file(store, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        ingest_audio_features(store, tmp_path / "nope.csv")


def test_load_standardises_the_features_of_the_items_given(store, artists, features_csv):
    ingest_audio_features(store, features_csv([row("ABBA", 0.1), row("Björk", 0.2), row("Earth, Wind & Fire", 0.6)]))
    items = Vocabulary(["4", "3", "1", "zzz"], name="item")
    cols, X = load_audio_features(store, items)
    assert cols.tolist() == [1, 2] and X.dtype == np.float32 and X.shape == (2, len(REQUIRED_FEATURES) + 1)
    energy = list(REQUIRED_FEATURES).index("energy")
    assert X[:, energy].tolist() == pytest.approx([1.0, -1.0])  # Earth, Wind & Fire (0.6) above ABBA (0.1)
    assert np.allclose(X.mean(axis=0), 0, atol=1e-6)
    cols, X = load_audio_features(store, Vocabulary(["4"]))
    assert cols.size == 0 and X.shape == (0, len(REQUIRED_FEATURES) + 1)
    with pytest.raises(ValueError, match="unknown audio feature"):
        load_audio_features(store, items, features=("loudness", "vibe"))


# --- FeatureRegressor --------------------------------------------------------------------------

def clustered(n=600, d=6, f=8, seed=0):
    """Features in clusters (genres); each cluster's items share a factor direction (taste)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(8, d))
    directions = rng.normal(size=(8, f))
    label = rng.integers(0, 8, size=n)
    X = centres[label] + rng.normal(size=(n, d))
    Y = directions[label] * rng.uniform(0.5, 3.0, size=(n, 1)) + 0.3 * rng.normal(size=(n, f))
    return X.astype(np.float32), Y.astype(np.float32), label


def cosine_to_truth(P, Y):
    Yn = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    return float(np.mean(np.sum(P * Yn, axis=1) / np.maximum(np.linalg.norm(P, axis=1), 1e-9)))


@pytest.mark.parametrize("method", ["knn", "ridge"])
def test_feature_regressor_beats_the_mean_predictor(method):
    X, Y, _ = clustered()
    train, test = slice(0, 500), slice(500, None)
    reg = FeatureRegressor(method=method, n_neighbors=10).fit(X[train], Y[train])
    P = reg.predict(X[test])
    assert P.shape == (100, 8) and P.dtype == np.float32
    Yn = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    mean = np.tile(Yn[train].mean(axis=0), (100, 1))
    err = np.mean(np.sum((P - Yn[test]) ** 2, axis=1))
    err_mean = np.mean(np.sum((mean - Yn[test]) ** 2, axis=1))
    assert err < err_mean and cosine_to_truth(P, Y[test]) > cosine_to_truth(mean, Y[test]) + 0.1


def test_knn_beats_ridge_where_taste_is_not_linear_in_the_features():
    X, Y, _ = clustered(seed=1)
    knn = FeatureRegressor(n_neighbors=10).fit(X[:500], Y[:500]).predict(X[500:])
    ridge = FeatureRegressor(method="ridge").fit(X[:500], Y[:500]).predict(X[500:])
    assert cosine_to_truth(knn, Y[500:]) > cosine_to_truth(ridge, Y[500:]) + 0.1


def test_knn_averages_normalised_neighbours_exactly():
    X = np.array([[0.0], [1.0], [10.0]], dtype=np.float32)
    Y = np.array([[2.0, 0.0], [0.0, 5.0], [3.0, 4.0]], dtype=np.float32)
    P = FeatureRegressor(n_neighbors=2).fit(X, Y).predict([[0.2], [9.0]])
    assert P.tolist() == [[0.5, 0.5], pytest.approx([0.3, 0.9])]


@pytest.mark.parametrize("kwargs, X, Y, message", [
    ({"method": "svm"}, [[1.0]], [[1.0]], "method must be one of"),
    ({"n_neighbors": 0}, [[1.0]], [[1.0]], "n_neighbors must be a positive integer"),
    ({}, [[1.0], [2.0]], [[1.0]], "X has 2 rows but item_factors has 1"),
    ({}, [[np.nan]], [[1.0]], "X holds NaN"),
    ({}, [1.0], [[1.0]], "X must be 2-D"),
])
def test_feature_regressor_rejects_bad_input(kwargs, X, Y, message):
    with pytest.raises(ValueError, match=message):
        FeatureRegressor(**kwargs).fit(X, Y)


def test_predict_before_fit_and_with_the_wrong_width():
    with pytest.raises(ValueError, match="not fitted"):
        FeatureRegressor().predict([[1.0]])
    with pytest.raises(ValueError, match="fitted on 1"):
        FeatureRegressor().fit([[1.0], [2.0]], [[1.0], [2.0]]).predict([[1.0, 2.0]])


@pytest.mark.skipif(not (SPOTIFY.is_file() and (HETREC / "user_artists.dat").is_file()),
                    reason="the shared HetRec and Spotify data are not next to the repository")
def test_the_real_spotify_features_match_hetrec_artists(store):
    from tastemaker.data import ingest_hetrec

    ingest_hetrec(store, HETREC, progress=False)
    result = ingest_audio_features(store, SPOTIFY)
    assert result.counts["matched"] == 4832  # the data's README: 4,830 by lower-cased, trimmed name
    assert result.counts["unmatched"] == 27606 - 4831  # one file row names two HetRec artists
    ids = [r[0] for r in store.con.execute("SELECT item_id FROM items").fetchall()]
    cols, X = load_audio_features(store, Vocabulary(ids))
    assert X.shape == (4832, 11) and np.all(np.isfinite(X))
