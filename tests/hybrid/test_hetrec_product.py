"""The served hybrid on HetRec, through the product path: a store without the held-out plays, the
shipped pipeline, and what ``/users/{id}/recommendations`` returns (``bundle.recommend``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.bundle import Query
from tastemaker.data import Store, ingest_hetrec, load_interactions
from tastemaker.evaluation import ndcg_at_k, random_holdout
from tastemaker.pipeline import TrainingPipeline, TrainSettings

HETREC = Path(os.environ.get("TASTEMAKER_HETREC",
                             Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))


@pytest.mark.slow
def test_the_hybrid_beats_collaborative_filtering_alone_on_a_fixed_split():
    if not (HETREC / "user_artists.dat").is_file():
        pytest.skip(f"HetRec not found at {HETREC} (set TASTEMAKER_HETREC)")
    store = Store(":memory:")
    ingest_hetrec(store, HETREC, progress=False)
    data = load_interactions(store)
    _, test = random_holdout(data.user_items, test_fraction=0.2, min_items=5, random_state=0)
    held = sp.coo_matrix(test)
    store.con.execute("CREATE TEMP TABLE held (user_id VARCHAR, item_id VARCHAR)")
    store.con.executemany("INSERT INTO held VALUES (?, ?)",
                          list(zip(data.users.ids[held.row].tolist(), data.items.ids[held.col].tolist())))
    store.con.execute("DELETE FROM events WHERE (user_id, item_id) IN (SELECT user_id, item_id FROM held)")
    bundle = TrainingPipeline(TrainSettings()).run(None, None, store=store).bundle
    assert bundle.hybrid and bundle.blend.weights_["taste"] > 0

    test = sp.csr_matrix(test)
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    column = data.items._table()
    ndcg = {}
    for mode in ("hybrid", "cf"):
        recs = bundle.recommend([Query(u) for u in data.users.ids[users].tolist()], n=10, blend=mode)
        ids = np.array([[column[r.item_id] for r in rs] + [-1] * (10 - len(rs)) for rs in recs])
        ndcg[mode] = float(np.nanmean(ndcg_at_k(ids, test[users], 10)))
        # the batch path (Discover Weekly, the CLI) ranks known listeners the same way (items of
        # equal score may swap)
        some = users[:300]
        cols, scores = bundle.recommend_batch(10, user_rows=bundle.users.indices(data.users.ids[some]), blend=mode)
        np.testing.assert_allclose([[r.score for r in rs] for rs in recs[:300]], scores, rtol=1e-4, atol=1e-5)
        same = np.mean([[r.item_id for r in rs] == bundle.items.ids[c].tolist() for rs, c in zip(recs, cols)])
        assert same > 0.95, same
    assert ndcg["hybrid"] > ndcg["cf"] + 0.002, ndcg
    assert ndcg["hybrid"] > 0.25, ndcg
