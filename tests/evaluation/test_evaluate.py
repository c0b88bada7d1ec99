"""evaluate and compare: full ranking, train filtering, known answers."""

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf._base import RecommenderBase
from tastemaker.cf.ease import EASE
from tastemaker.cf.popularity import Popularity
from tastemaker.evaluation import ComparisonTable, compare, evaluate
from tastemaker.testing import checkerboard


class FixedScores(RecommenderBase):
    """Scores given up front: the oracle of these tests."""

    def __init__(self, scores=None):
        self.scores = scores

    def fit(self, user_items, show_progress=True, callback=None):
        self.n_users_, self.n_items_ = user_items.shape
        return self

    def _score_users(self, userids, user_items, recalculate_user):
        return np.asarray(self.scores, dtype=np.float32)[userids]


def _checkerboard_split():
    train, answers = checkerboard()
    rows = [u for u in answers for _ in answers[u]]
    cols = [i for u in answers for i in sorted(answers[u])]
    test = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=train.shape)
    return train, test


def test_oracle_scores_perfectly_even_when_it_likes_train_items_most():
    train, test = _checkerboard_split()
    # train items score highest: only filtering them lets the held-out items through
    oracle = FixedScores(10 * train.toarray() + test.toarray()).fit(train)
    result = evaluate(oracle, train, test, ks=(5,))
    assert result["users"] == 50
    for name in ("precision", "recall", "ndcg", "map", "mrr", "hit_rate"):
        assert result[f"{name}@5"] == pytest.approx(1.0), name
    shown = np.unique(test.indices)  # the oracle shows exactly the held-out items
    assert result["coverage@5"] == pytest.approx(len(shown) / train.shape[1])
    assert 0.0 < result["diversity@5"] <= 1.0 and result["novelty@5"] > 0


def test_only_users_with_positive_test_entries_count():
    train, test = _checkerboard_split()
    test = test.tolil()
    test[0, :] = 0
    test[1, 0] = -1.0  # a held-out skip is not relevant, but user 1 still has positives
    result = evaluate(FixedScores(np.zeros(train.shape)).fit(train), train, test.tocsr(), ks=(5,))
    assert result["users"] == 49


def test_batches_do_not_change_the_result():
    train, test = _checkerboard_split()
    model = Popularity().fit(train, show_progress=False)
    assert evaluate(model, train, test, ks=(3, 10), batch_size=7) == evaluate(model, train, test, ks=(3, 10))


def test_mismatched_inputs_are_errors():
    train, test = _checkerboard_split()
    model = Popularity().fit(train, show_progress=False)
    with pytest.raises(ValueError, match="columns"):
        evaluate(model, train, test[:, :40])
    with pytest.raises(ValueError, match="fit it on train"):
        evaluate(model, train[:, :40], test[:, :40])
    with pytest.raises(ValueError, match="ks"):
        evaluate(model, train, test, ks=(0,))


def test_compare_ranks_a_real_model_above_popularity():
    train, test = _checkerboard_split()
    table = compare({"popularity": Popularity(), "EASE": EASE(regularization=10.0)}, train, test,
                    ks=(5, 10), show_progress=False)
    assert table.models == ["popularity", "EASE"]
    assert table.value("EASE", "ndcg", 5) == pytest.approx(1.0)
    assert table.value("popularity", "ndcg", 5) < 0.5
    assert table.default_k() == 10
    md = table.to_markdown()
    assert md.splitlines()[0].startswith("| model | precision@10") and "| EASE | 0.5000 | 1.0000 | 1.0000 |" in md
    assert "| popularity |" in table.per_k_markdown("recall")
    with pytest.raises(KeyError):
        table.value("ALS", "ndcg", 5)
    with pytest.raises(ValueError, match="not evaluated"):
        table.to_markdown(k=3)


def test_default_k_is_closest_to_ten():
    assert ComparisonTable(ks=(5, 20)).default_k() == 5
    assert ComparisonTable(ks=(8, 12)).default_k() == 8
