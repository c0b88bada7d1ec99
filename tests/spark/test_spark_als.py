"""SparkALS: tastemaker's confidence and regularisation on MLlib, parity with the local engine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf import ImplicitALS
from tastemaker.data import Store, load_interactions
from tastemaker.evaluation import evaluate, random_holdout
from tastemaker.spark import SparkALS, export_events, read_events, spark_reg_param, train_spark

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]

#: hyper-parameters both engines do well with on HetRec (local: nDCG@10 ~0.24)
PARITY = dict(factors=64, regularization=10.0, alpha=1.0, epsilon=10.0, iterations=10)


def test_reg_param_is_the_geometric_mean_of_the_per_side_weights():
    assert spark_reg_param(10.0, 3.0, 15.0) == pytest.approx(10.0 / 8.0)


def test_export_round_trips_the_store(hetrec_store, tmp_path):
    with Store(hetrec_store, read_only=True) as store:
        data = load_interactions(store)
        export_events(store, tmp_path / "events", interactions=data)
    back = read_events(tmp_path / "events")
    assert (back.user_items != data.user_items).nnz == 0
    assert list(back.users) == list(data.users) and list(back.items) == list(data.items)
    assert list(back.item_names) == list(data.item_names)


def test_rows_spark_never_saw_get_zero_factors(spark):
    rng = np.random.default_rng(0)
    m = sp.random(30, 20, density=0.3, format="lil", random_state=rng) * 10
    m[4, :] = 0      # a user without interactions
    m[:, 7] = 0      # an item nobody played
    m[2, 3] = -5.0   # a skip: negative evidence
    model = SparkALS(factors=4, iterations=2, random_state=0).fit(sp.csr_matrix(m), spark)
    assert isinstance(model, ImplicitALS) and model.reg_exponent == 1.0
    assert model.user_factors_.shape == (30, 4) and model.item_factors_.shape == (20, 4)
    assert not model.user_factors_[4].any() and not model.item_factors_[7].any()
    assert np.abs(model.user_factors_[0]).sum() > 0


def test_ndcg_within_five_percent_of_the_local_engine(spark, hetrec_store, capsys):
    with Store(hetrec_store, read_only=True) as store:
        plays = load_interactions(store).user_items
    train, test = random_holdout(plays, 0.2, min_items=5, random_state=0)
    local = ImplicitALS(**PARITY, reg_exponent=1.0, random_state=0).fit(train, show_progress=False)
    remote = SparkALS(**PARITY, random_state=0).fit(train, spark)
    ndcg_local = evaluate(local, train, test, ks=(10,))["ndcg@10"]
    ndcg_spark = evaluate(remote, train, test, ks=(10,))["ndcg@10"]
    with capsys.disabled():
        print(f"\nnDCG@10 on HetRec: local {ndcg_local:.4f}, spark {ndcg_spark:.4f}")
    assert ndcg_local > 0.2
    assert abs(ndcg_spark - ndcg_local) <= 0.05 * ndcg_local


def test_train_from_an_export_directory(spark, hetrec_store, tmp_path):
    with Store(hetrec_store, read_only=True) as store:
        export_events(store, tmp_path / "events")
    rec = train_spark(str(tmp_path / "events"), SparkALS(factors=8, iterations=2), spark)
    assert rec.metadata["engine"] == "spark"
    assert rec.model.user_factors_.shape == (len(rec.users), 8)
    assert rec.history.nnz == rec.metadata["interactions"]
