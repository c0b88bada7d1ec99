"""End to end: ``tastemaker train --engine spark`` writes a normal bundle; ``recommend``, ``similar``,
``explain`` and ``batch-recommend`` work on it unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.bundle import ModelBundle
from tastemaker.cli import main

from spark_support import read_top

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]

N = 10


def test_the_bundle_is_a_normal_hybrid_bundle(spark_models):
    bundle = ModelBundle.load(spark_models)
    assert bundle.metadata["engine"] == "spark"
    assert bundle.cf.reg_exponent == 1.0 and bundle.cf.factors == 16
    assert bundle.hybrid and set(bundle.metadata["blend"]["weights"]) > {"cf"}  # weighed like a local training
    assert [name for name, _ in bundle.metadata["pipeline"]["steps"]] == ["read", "train", "signals", "place",
                                                                        "weigh", "index"]
    user = bundle.users.ids[0]
    recs = bundle.recommend(user, n=5, explain=True)
    assert len(recs) == 5 and all(r.reason for r in recs)
    assert not set(bundle.history[0].indices.tolist()) & {bundle.items.index(r.item_id) for r in recs}
    assert bundle.explain(user, recs[0].item_id).signals


@pytest.mark.parametrize("args", [["recommend", "2", "-n", "3"], ["similar", "Radiohead", "-n", "3"],
                                  ["explain", "2", "Radiohead"], ["recommend", "2", "--blend", "cf"]])
def test_the_commands_work_unchanged(spark_models, args, capsys):
    assert main(["--model", str(spark_models), *args]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("blend", ["hybrid", "cf"])
def test_batch_recommend_writes_the_bundles_top_n(spark, spark_models, tmp_path, blend, capsys):
    out = tmp_path / "recs.parquet"
    code = main(["--model", str(spark_models), "batch-recommend", "-n", str(N), "--blend", blend,
                 "--output", str(out), "--master", "local[2]"])
    assert code == 0, capsys.readouterr().err
    bundle = ModelBundle.load(spark_models, index=False)
    items, scores = read_top(bundle, out, N)
    want, want_scores = bundle.recommend_batch(N, blend=blend, exact=True)
    assert np.array_equal(items, want)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)
