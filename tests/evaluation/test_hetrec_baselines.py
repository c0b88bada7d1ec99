"""The baselines on HetRec Last.fm against published figures for the same protocol.

Protocol: per-user random 20% holdout of artists (users with >= 5 artists), training items
filtered, full ranking, nDCG@10. Published: popularity 0.081, item-kNN 0.194, EASE 0.232.
"""

import numpy as np
import pytest

from tastemaker.cf.ease import EASE
from tastemaker.cf.itemknn import ItemKNN
from tastemaker.cf.popularity import Popularity
from tastemaker.evaluation import compare, random_holdout


@pytest.fixture(scope="module")
def hetrec_split(hetrec_plays):
    return random_holdout(hetrec_plays, test_fraction=0.2, min_items=5, random_state=0)


def test_hetrec_split_follows_the_protocol(hetrec_plays, hetrec_split):
    train, test = hetrec_split
    assert hetrec_plays.shape == (1892, 17632)
    n_artists = np.diff(hetrec_plays.indptr)
    np.testing.assert_array_equal(np.diff(test.indptr) > 0, n_artists >= 5)
    assert test.nnz / hetrec_plays.nnz == pytest.approx(0.2, abs=0.005)


@pytest.mark.slow
def test_baselines_match_published_ndcg(hetrec_split):
    train, test = hetrec_split
    models = {"popularity": Popularity(), "item-kNN (shrinkage 0)": ItemKNN(shrinkage=0.0),
              "item-kNN": ItemKNN(), "EASE": EASE()}
    table = compare(models, train, test, ks=(10,), show_progress=False)
    print("\n" + table.to_markdown(metrics=("ndcg", "recall", "precision")))
    ndcg = {name: table.value(name, "ndcg", 10) for name in models}
    assert ndcg["popularity"] == pytest.approx(0.081, abs=0.01)
    assert ndcg["item-kNN (shrinkage 0)"] == pytest.approx(0.194, abs=0.015)
    assert 0.194 <= ndcg["item-kNN"] < ndcg["EASE"]
    assert ndcg["EASE"] == pytest.approx(0.232, abs=0.012)
