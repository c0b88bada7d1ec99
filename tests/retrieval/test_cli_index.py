"""``tastemaker train --index`` and ``tastemaker index``: the index file next to the model."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.cli import main
from tastemaker.data import Store

pytest.importorskip("voyager")


@pytest.fixture
def tm(tmp_path, capsys, monkeypatch):
    for name in ("TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_HOME"):
        monkeypatch.delenv(name, raising=False)
    db, model = tmp_path / "t.duckdb", tmp_path / "models" / "als.npz"
    rng = np.random.default_rng(0)
    rows = [{"user_id": f"u{u}", "item_id": f"a{i}", "event": "play", "count": float(rng.integers(1, 50)),
             "item_name": f"Artist {i}"}
            for u in range(60) for i in rng.choice(40, 8, replace=False) + 40 * (u % 2)]
    with Store(db) as store:
        store.append_events(rows)

    def run(*args):
        capsys.readouterr()
        code = main(["--db", str(db), "--model", str(model), *map(str, args)])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.index = tmp_path / "models" / "als.index.npz"
    return run


def test_train_builds_the_index_and_recommend_uses_it(tm):
    code, out, _ = tm("train", "--factors", 8, "--regularization", 0.1, "--index", "voyager")
    assert code == 0 and "built voyager index (space=ip, M=16" in out and tm.index.exists()
    code, out, _ = tm("index", "--check")
    assert code == 0 and "voyager index" in out and "matches model" in out
    code, out, err = tm("recommend", "u1", "-n", 3)
    assert code == 0 and out.count("Artist") >= 3 and not err
    code, out, _ = tm("similar", "Artist 3", "-n", 3)
    assert code == 0 and "Artist 3\n" not in out.split("\n", 1)[1]


def test_auto_is_exact_for_small_catalogues_and_none_removes_the_file(tm):
    code, out, _ = tm("train", "--factors", 8, "--regularization", 0.1)
    assert code == 0 and "built exact index" in out and "under 50,000 items" in out
    code, out, _ = tm("train", "--factors", 8, "--regularization", 0.1, "--index", "none")
    assert code == 0 and not tm.index.exists()
    code, out, _ = tm("index", "--check")
    assert code == 0 and "no index" in out


def test_a_stale_index_is_one_warning_and_rebuilt_by_tastemaker_index(tm):
    tm("train", "--factors", 8, "--regularization", 0.1, "--index", "voyager")
    old = tm.index.read_bytes()
    tm("train", "--factors", 8, "--regularization", 0.1, "--iterations", 3, "--index", "none")
    tm.index.write_bytes(old)  # an index of the previous model
    code, out, err = tm("recommend", "u1", "-n", 3)
    assert code == 0 and err.startswith("warning: not using the index") and "stale index" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = tm("index", "--check")
    assert code == 1 and err.startswith("error:") and "tastemaker index" in err
    code, out, _ = tm("index", "--kind", "voyager", "--M", 8, "--ef", 16)
    assert code == 0 and "M=8" in out and "ef=16" in out
    code, _, err = tm("recommend", "u1", "-n", 3)
    assert code == 0 and not err


def test_bad_options(tm):
    code, _, err = tm("train", "--algorithm", "popularity", "--index", "voyager")
    assert code == 2 and "factor model" in err and not tm.index.parent.exists()  # refused before training
    tm("train", "--factors", 8, "--regularization", 0.1, "--index", "none")
    code, _, err = tm("index", "--kind", "exact", "--M", 8)
    assert code == 2 and "--M" in err
    code, _, err = tm("--model", "nowhere.npz", "index")
    assert code == 1 and "no model" in err
