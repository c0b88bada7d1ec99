"""grid_search and random_search on a small noisy split."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.stats

from tastemaker.cf.ease import EASE
from tastemaker.cf.itemknn import ItemKNN
from tastemaker.evaluation import grid_search, random_holdout, random_search


@pytest.fixture(scope="module")
def split():
    rng = np.random.default_rng(0)
    taste = rng.normal(size=(120, 3)) @ rng.normal(size=(3, 60))
    plays = sp.csr_matrix((taste + rng.normal(scale=0.5, size=taste.shape) > 1.0).astype(np.float32))
    return random_holdout(plays, test_fraction=0.2, min_items=3, random_state=0)


def test_grid_search_tries_every_combination_and_keeps_the_best(split):
    train, validation = split
    result = grid_search(ItemKNN, {"k": [5, 50], "shrinkage": [0.0, 10.0]}, train, validation,
                         metric="recall", k=5, show_progress=False)
    assert [r["params"] for r in result.results] == [
        {"k": 5, "shrinkage": 0.0}, {"k": 5, "shrinkage": 10.0},
        {"k": 50, "shrinkage": 0.0}, {"k": 50, "shrinkage": 10.0}]
    scores = [r["score"] for r in result.results]
    assert result.metric == "recall@5"
    assert result.best_score == max(scores)
    assert result.best_params == result.results[int(np.argmax(scores))]["params"]
    assert all(r["metrics"]["recall@5"] == r["score"] for r in result.results)


def test_random_search_is_seeded_and_draws_from_lists_and_distributions(split):
    train, validation = split
    space = {"regularization": scipy.stats.loguniform(1.0, 1000.0), "max_items": [1000, 2000]}
    a = random_search(EASE, space, train, validation, n_iter=3, random_state=1, show_progress=False)
    b = random_search(EASE, space, train, validation, n_iter=3, random_state=1, show_progress=False)
    assert [r["params"] for r in a.results] == [r["params"] for r in b.results]
    for r in a.results:
        assert 1.0 <= r["params"]["regularization"] <= 1000.0 and r["params"]["max_items"] in (1000, 2000)
        assert isinstance(r["params"]["regularization"], float)
    assert a.best_score == max(r["score"] for r in a.results)


def test_search_rejects_bad_input(split):
    train, validation = split
    with pytest.raises(ValueError, match="metric must be one of"):
        grid_search(EASE, {"regularization": [1.0]}, train, validation, metric="coverage")
    with pytest.raises(ValueError, match="non-empty list"):
        grid_search(EASE, {"regularization": []}, train, validation)
    with pytest.raises(ValueError, match="rvs"):
        random_search(EASE, {"regularization": 5.0}, train, validation)
