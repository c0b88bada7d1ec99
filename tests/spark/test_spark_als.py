"""SparkALS and fit_spark: tastemaker's confidence and regularisation on MLlib, parity with the local engine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.cf import ImplicitALS
from tastemaker.data import Store, load_interactions
from tastemaker.errors import InputError
from tastemaker.evaluation import evaluate, random_holdout
from tastemaker.spark import (SparkALS, export_events, fit_spark, local_als, read_events, spark_params,
                              spark_reg_param)

pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]

#: hyper-parameters both engines do well with on HetRec (local: nDCG@10 ~0.24)
PARITY = dict(factors=64, regularization=10.0, alpha=1.0, epsilon=10.0, iterations=10)


def test_reg_param_is_the_geometric_mean_of_the_per_side_weights():
    assert spark_reg_param(10.0, 3.0, 15.0) == pytest.approx(10.0 / 8.0)


@pytest.mark.parametrize("params, setting", [({"num_threads": 2}, "num_threads"), ({"solver": "cholesky"}, "solver"),
                                             ({"reg_exponent": 0.75}, "reg_exponent"),
                                             ({"confidence": "linear"}, "confidence")])
def test_settings_spark_cannot_honour_name_the_setting(params, setting):
    with pytest.raises(InputError) as info:
        spark_params(params)
    assert info.value.setting == setting


def test_the_local_equivalent_trains_sparks_objective():
    model = local_als({"factors": 8, "iterations": None, "num_blocks": 4, "reg_exponent": 1}, random_state=3)
    assert isinstance(model, ImplicitALS)
    assert (model.factors, model.iterations, model.reg_exponent, model.confidence) == (8, 15, 1.0, "log")
    assert model.random_state == 3


def test_on_a_cluster_interactions_must_come_from_shared_storage():
    from types import SimpleNamespace

    cluster = SimpleNamespace(sparkContext=SimpleNamespace(master="spark://cluster:7077"))
    data = SimpleNamespace(user_items=sp.csr_matrix(np.eye(3, dtype=np.float32)))
    with pytest.raises(InputError) as info:  # the executors cannot read the driver's temporary files
        fit_spark(data, {}, spark=cluster)
    assert info.value.setting == "events"


@pytest.mark.slow
def test_export_round_trips_the_store(hetrec_store, tmp_path):
    with Store(hetrec_store, read_only=True) as store:
        data = load_interactions(store)
        export_events(store, tmp_path / "events", interactions=data)
    back = read_events(tmp_path / "events")
    assert (back.user_items != data.user_items).nnz == 0
    assert list(back.users) == list(data.users) and list(back.items) == list(data.items)
    assert list(back.item_names) == list(data.item_names)


@pytest.mark.slow
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
    # it folds users in and explains like a locally trained model
    assert model.recalculate_user(0, sp.csr_matrix(m)[0]).shape == (4,)


@pytest.mark.slow
def test_ndcg_within_five_percent_of_the_local_engine(spark, hetrec_store, capsys):
    with Store(hetrec_store, read_only=True) as store:
        plays = load_interactions(store).user_items
    train, test = random_holdout(plays, 0.2, min_items=5, random_state=0)
    local = local_als(PARITY, random_state=0).fit(train, show_progress=False)
    remote = SparkALS(**PARITY, random_state=0).fit(train, spark)
    ndcg_local = evaluate(local, train, test, ks=(10,))["ndcg@10"]
    ndcg_spark = evaluate(remote, train, test, ks=(10,))["ndcg@10"]
    with capsys.disabled():
        print(f"\nnDCG@10 on HetRec: local {ndcg_local:.4f}, spark {ndcg_spark:.4f}")
    assert ndcg_local > 0.2
    assert abs(ndcg_spark - ndcg_local) <= 0.05 * ndcg_local


@pytest.mark.slow
def test_fit_spark_from_interactions_and_from_an_export(spark, hetrec_store, tmp_path):
    with Store(hetrec_store, read_only=True) as store:
        data = load_interactions(store)
        export_events(store, tmp_path / "events", interactions=data)
    model, same = fit_spark(data, {"factors": 8, "iterations": 2}, spark=spark)
    assert same is data and model.user_factors_.shape == (len(data.users), 8)
    model, back = fit_spark(str(tmp_path / "events"), {"factors": 8, "iterations": 2}, spark=spark)
    assert (back.user_items != data.user_items).nnz == 0 and list(back.items) == list(data.items)
    assert model.item_factors_.shape == (len(data.items), 8)
    with pytest.raises(InputError) as info:
        fit_spark(tmp_path / "nowhere", {}, spark=spark)
    assert info.value.setting == "events"
