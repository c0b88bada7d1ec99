"""The trained-recommender bundle: ids and names in, ids and names out, saved in one file."""

import numpy as np
import pytest

from tastemaker.cf import ImplicitALS, Popularity
from tastemaker.data import Store, UnknownIdError
from tastemaker.errors import InputError
from tastemaker.recommender import Recommender, train

ARTISTS = {f"a{i}": f"Artist {name}" for i, name in enumerate(
    ["Abba", "Abbey Road Band", "Beck", "Blur", "Coldplay", "Cure", "Daft Punk", "Doors", "Eels", "Enya"])}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "t.duckdb"
    rng = np.random.default_rng(0)
    rows = []
    ids = list(ARTISTS)
    for u in range(40):
        group = ids[u % 2::2]  # two taste groups
        for item in rng.choice(group, size=4, replace=False):
            rows.append({"user_id": f"u{u}", "item_id": str(item), "event": "play",
                         "count": float(rng.integers(1, 50)), "item_name": ARTISTS[str(item)]})
    rows.append({"user_id": "u0", "item_id": "a8", "event": "skip", "count": 3.0, "item_name": ARTISTS["a8"]})
    with Store(path) as s:
        s.append_events(rows)
    with Store(path, read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def rec(store):
    return train(store, ImplicitALS(factors=4, iterations=10, random_state=0), show_progress=False)


def test_recommendations_are_named_and_unplayed(rec):
    played = {item for item, _, _ in rec.top_items("u1", n=100)}
    recs = rec.recommend("u1", n=3, explain=True)
    assert len(recs) == 3
    for r in recs:
        assert r.item_id not in played and r.name == ARTISTS[r.item_id]
        assert r.because and all(item in played for item, _, _ in r.because)
        assert all(0 < share <= 1.0 + 1e-6 for _, _, share in r.because)


def test_skipped_item_is_not_recommended_again(rec):
    assert "a8" not in {r.item_id for r in rec.recommend("u0", n=10)}


def test_save_load_round_trip(rec, tmp_path):
    path = tmp_path / "models" / "als.npz"
    rec.save(path)
    assert not list(path.parent.glob("*.tmp"))
    loaded = Recommender.load(path)
    assert loaded.version == rec.version and "trained_at" in loaded.metadata
    assert [r.item_id for r in loaded.recommend("u3", n=4)] == [r.item_id for r in rec.recommend("u3", n=4)]
    with np.load(path, allow_pickle=False) as data:  # no pickle in the file
        assert "bundle__users" in data.files


def test_items_by_id_or_name(rec):
    assert rec.resolve_item("a2") == rec.items.index("a2")
    assert rec.resolve_item("artist beck") == rec.items.index("a2")
    assert rec.resolve_item("coldp") == rec.items.index("a4")
    with pytest.raises(InputError, match="matches 2 items"):
        rec.resolve_item("abb")
    with pytest.raises(InputError, match="unknown item"):
        rec.resolve_item("nothing like this")
    assert [name for _, name in rec.search("artist d")] and all("D" in n for _, n in rec.search("artist d"))


def test_similar_leaves_the_item_out(rec):
    similar = rec.similar("Artist Blur", n=3)
    assert len(similar) == 3 and "a3" not in {i for i, _, _ in similar}


def test_explain_shares(rec):
    exp = rec.explain("u2", "a4", n=10)
    assert exp.name == "Artist Coldplay"
    assert sum(share for _, _, share in exp.contributions) == pytest.approx(1.0, abs=1e-4)


def test_unknown_user(rec):
    with pytest.raises(UnknownIdError, match="unknown user 'nobody'"):
        rec.recommend("nobody")


def test_models_without_explanations(store):
    pop = train(store, Popularity(), show_progress=False)
    assert all(r.because == [] for r in pop.recommend("u1", n=3, explain=True))
    with pytest.raises(InputError, match="cannot explain"):
        pop.explain("u1", "a0")


def test_training_an_empty_store_is_a_clear_error(tmp_path):
    with Store(tmp_path / "empty.duckdb") as s:
        with pytest.raises(InputError, match="no play"):
            train(s, show_progress=False)


def test_bare_model_file_is_refused(tmp_path, rec):
    rec.model.save(tmp_path / "bare.npz")
    with pytest.raises(InputError, match="no vocabularies"):
        Recommender.load(tmp_path / "bare.npz")
