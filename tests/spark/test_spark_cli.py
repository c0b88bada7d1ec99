"""End to end: ``tastemaker train --engine spark`` then ``batch-recommend`` on the model it wrote."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.cli import main
from tastemaker.recommender import Recommender

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]

N = 10


@pytest.fixture(scope="module")
def trained(spark, hetrec_store, tmp_path_factory):
    """The model file written by the CLI's Spark engine (the session is already up)."""
    model = tmp_path_factory.mktemp("model") / "als.npz"
    code = main(["--db", str(hetrec_store), "--model", str(model), "train", "--engine", "spark",
                 "--master", "local[2]", "--factors", "32", "--iterations", "5"])
    assert code == 0
    return model


def test_the_saved_model_loads_recommends_and_explains(trained):
    rec = Recommender.load(trained)
    assert rec.metadata["engine"] == "spark"
    user = rec.users.ids[0]
    recs = rec.recommend(user, n=5, explain=True)
    assert len(recs) == 5 and all(r.because for r in recs)
    played = set(rec.history[0].indices.tolist())
    assert not played & {rec.items.index(r.item_id) for r in recs}
    assert rec.explain(user, recs[0].item_id).contributions
    assert rec.similar(recs[0].item_id, n=3)


def test_batch_recommend_writes_n_unplayed_items_per_user(trained, tmp_path, capsys):
    import pyarrow.parquet as pq

    out = tmp_path / "recs.parquet"
    code = main(["--model", str(trained), "batch-recommend", "--engine", "spark", "-n", str(N),
                 "--output", str(out), "--master", "local[2]"])
    assert code == 0, capsys.readouterr().err
    table = pq.read_table(out)
    assert table.column_names == ["user_id", "rank", "item_id", "score"]
    rec = Recommender.load(trained)
    users = rec.users.indices(table["user_id"].to_pylist())
    items = rec.items.indices(table["item_id"].to_pylist())
    assert np.all(np.bincount(users, minlength=len(rec.users)) == N)
    assert not np.asarray(rec.history[users, items]).any()  # nothing already played
    # the same top-N as the local model, in the same order
    first = users == 0
    ranks = np.asarray(table["rank"].to_pylist())[first]
    ids, _ = rec.model.recommend(0, rec.history[0], N=N)
    assert items[first][np.argsort(ranks)].tolist() == ids.tolist()
