"""The model bundle's query API: one listener or many, by id, history or vector; hybrid or CF;
explanations that name the signal; items placed without plays; the index."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.bundle import ModelBundle, Query
from tastemaker.data import UnknownIdError
from tastemaker.errors import InputError

METAL, DISCO = {"4", "5", "6"}, {"1", "2", "3"}


def ids(recs):
    return [r.item_id for r in recs]


def test_recommendations_leave_played_items_out_and_say_why(bundle):
    played = {i for i, _, _ in bundle.top_items("u100", n=100)}
    recs = bundle.recommend("u100", n=3, explain=True)
    assert len(recs) == 3 and not played & set(ids(recs))
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
    for r in recs:
        assert r.reason and r.name
        assert sum(r.signals.values()) == pytest.approx(r.score, rel=1e-4, abs=1e-4), "signals sum to the score"


def test_a_metal_listener_gets_the_metal_artist_nobody_played(bundle):
    """Sacred Reich has tags and no plays: placed by culture, recommended to metal listeners first."""
    assert bundle.placed_items() == {"culture": ["10"]}
    metal_fan = next(u for u in bundle.users.ids.tolist() if u.startswith("u1"))
    disco_fan = next(u for u in bundle.users.ids.tolist() if u.startswith("u0"))
    top = {r.item_id: r for r in bundle.recommend(metal_fan, n=3)}
    assert "10" in top
    assert top["10"].placed_by == "culture"
    assert top["10"].reason.startswith("tagged like ") and "nobody has played it yet" in top["10"].reason
    assert ids(bundle.recommend(disco_fan, n=10)).index("10") > 1


def test_one_query_or_many_by_id_history_or_vector(bundle):
    row = bundle.users.index("u005")
    history = bundle.history[row]
    by_id = ids(bundle.recommend("u005", n=4))
    assert ids(bundle.recommend(Query("u005"), n=4)) == by_id
    by_history = bundle.recommend(Query(history=history), n=4)
    assert ids(by_history) == by_id, "a history folds in to the same listener"
    counts = {bundle.items.ids[c]: float(v) for c, v in zip(history.indices, history.data)}
    assert ids(bundle.recommend(Query(history=counts), n=4)) == by_id
    vector = bundle.cf.recalculate_user(0, history)
    assert ids(bundle.recommend(Query(vector=vector, history=history), n=4)) == by_id
    batch = bundle.recommend(["u005", Query(history=counts), "u101"], n=4)
    assert [ids(b) for b in batch[:2]] == [by_id, by_id] and ids(batch[2]) == ids(bundle.recommend("u101", n=4))
    cols, scores = bundle.recommend_batch(4, user_rows=[row, bundle.users.index("u101")])
    assert bundle.items.ids[cols[0]].tolist() == by_id
    np.testing.assert_allclose(scores[0], [r.score for r in bundle.recommend("u005", n=4)], rtol=1e-5)


def test_excluded_items_and_candidates(bundle):
    first = bundle.recommend("u005", n=2)[0].item_id
    assert first not in ids(bundle.recommend(Query("u005", exclude=(first,)), n=5))
    only = bundle.recommend("u005", n=5, items=["10", "7"])
    assert set(ids(only)) <= {"10", "7"}


def test_pure_cf_is_a_switch(bundle):
    cf = bundle.recommend("u100", n=4, blend="cf")
    assert all(set(r.signals) <= {"cf"} for r in cf)
    vector = bundle.cf.user_factors_[bundle.users.index("u100")]
    expected = np.asarray(bundle.cf.item_factors_)[bundle.items.indices(ids(cf))] @ vector
    np.testing.assert_allclose([r.score for r in cf], expected, rtol=1e-5)
    with pytest.raises(InputError, match="blend must be one of"):
        bundle.recommend("u100", blend="magic")


def test_similar_by_blend_factors_or_culture(bundle):
    for by in ("hybrid", "cf", "culture"):
        hits = bundle.similar("Slayer", n=2, by=by)
        assert len(hits) == 2 and "5" not in {h.item_id for h in hits}
        assert {h.item_id for h in hits} <= METAL | {"10"}, (by, hits)
    culture = bundle.similar("Sacred Reich", n=3, by="culture")
    assert {h.item_id for h in culture} <= METAL


def test_explain(bundle):
    exp = bundle.explain("u100", "5", n=5)
    assert exp.item_id == "5" and exp.reason
    if exp.contributions:
        assert sum(s for _, _, s in exp.contributions) == pytest.approx(1.0, abs=1e-3)
    assert sum(exp.signals.values()) == pytest.approx(exp.score, rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("query, error, message", [
    (Query("nobody"), UnknownIdError, "unknown user 'nobody'"),
    (Query(), InputError, "needs a user id, a history or a vector"),
    (Query(history={"nope": 1}), UnknownIdError, "unknown item 'nope'"),
    (Query(history=sp.csr_matrix((1, 3))), InputError, "one row of"),
    (Query(vector=np.zeros(3)), InputError, "8 finite values"),
    (Query(vector=np.full(8, np.nan)), InputError, "finite"),
])
def test_bad_queries_are_one_clear_error(bundle, query, error, message):
    with pytest.raises(error, match=message):
        bundle.recommend(query)


def test_items_by_id_or_name_and_search(bundle):
    assert bundle.resolve_item("4") == bundle.items.index("4")
    assert bundle.resolve_item("slayer") == bundle.items.index("5")
    with pytest.raises(InputError, match="unknown item"):
        bundle.resolve_item("nothing like this")
    found = bundle.search("m")
    assert found and all("m" in name.lower() for _, name, _ in found)
    assert [n for _, _, n in found] == sorted((n for _, _, n in found), reverse=True)


def test_add_items_places_and_replaces(tiny):
    bundle = ModelBundle.load(tiny[1])
    n = len(bundle.items)
    factors = np.asarray(bundle.cf.item_factors_)[[bundle.items.index("7")]]  # where Miles Davis is
    cols = bundle.add_items(["new"], ["New Jazz"], factors, "audio-features")
    assert cols.tolist() == [n] and bundle.placed_items()["audio-features"] == ["new"]
    assert bundle.similar("new", n=1, by="cf")[0].item_id in {"7", "8", "9"}
    again = bundle.add_items(["new"], ["New Jazz"], -factors, "audio")  # placed again: replaced
    assert again.tolist() == [n] and len(bundle.items) == n + 1 and "new" in bundle.placed_items()["audio"]
    with pytest.raises(InputError, match="has listeners"):
        bundle.add_items(["4"], ["Metallica"], factors, "culture")
    with pytest.raises(InputError, match="signal must be one of"):
        bundle.add_items(["x"], ["X"], factors, "plays")


def test_models_without_factors(tmp_path, tiny):
    from tastemaker.pipeline import TrainingPipeline, TrainSettings

    result = TrainingPipeline(TrainSettings(algorithm="popularity")).run(tiny[0], tmp_path / "m")
    pop = ModelBundle.load(tmp_path / "m")
    assert not pop.cf.has_factors and pop.index is None and not pop.hybrid
    recs = pop.recommend("u100", n=3, explain=True)
    assert len(recs) == 3 and all(r.because == [] for r in recs)
    with pytest.raises(InputError, match="cannot explain"):
        pop.explain("u100", "1")
    with pytest.raises(InputError, match="cannot find similar"):
        pop.similar("1", by="cf")
    assert result.index_kind == "none"
