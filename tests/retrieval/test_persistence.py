"""Index files: versioned with the model, atomic, no pickle; stale ones refused."""

from __future__ import annotations

import numpy as np
import pytest
from retrieval_support import clustered

from tastemaker.errors import InputError
from tastemaker.retrieval import Retrieval, StaleIndexError

voyager = pytest.importorskip("voyager")


@pytest.fixture(scope="module")
def factors():
    return clustered(800, 8, 1)[0]


@pytest.fixture(scope="module")
def built(factors):
    return Retrieval.build(factors, "voyager", model_version="v1", M=8, ef_construction=32, num_threads=2)


@pytest.mark.parametrize("kind", ["voyager", "exact"])
def test_round_trip_answers_the_same(tmp_path, factors, built, kind):
    retrieval = built if kind == "voyager" else Retrieval.build(factors, "exact", model_version="v1")
    path = tmp_path / "als.index.npz"
    retrieval.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["als.index.npz"]  # no temporary file left
    with np.load(path, allow_pickle=False) as data:  # no pickle inside
        assert "__meta__" in data.files
    loaded = Retrieval.load(path, factors, "v1")
    assert loaded.kind == kind and loaded.recommend.params() == retrieval.recommend.params()
    queries = factors[:20]
    for name in ("recommend", "similar"):
        a = getattr(retrieval, name).search(queries, k=5, exclude=[[i] for i in range(20)])
        b = getattr(loaded, name).search(queries, k=5, exclude=[[i] for i in range(20)])
        np.testing.assert_array_equal(a[0], b[0])


def test_other_model_version_is_refused(tmp_path, factors, built):
    built.save(tmp_path / "i.npz")
    with pytest.raises(StaleIndexError, match="built for model version v1, not v2.*tastemaker index"):
        Retrieval.load(tmp_path / "i.npz", factors, "v2")


def test_changed_or_resized_factors_are_refused(tmp_path, factors, built):
    built.save(tmp_path / "i.npz")
    changed = factors.copy()
    changed[3, 0] += 1.0
    with pytest.raises(StaleIndexError, match="item factors changed"):
        Retrieval.load(tmp_path / "i.npz", changed, "v1")
    with pytest.raises(StaleIndexError, match="800 items x 8 dimensions, the model 801 x 8"):
        Retrieval.load(tmp_path / "i.npz", np.vstack([factors, factors[:1]]), "v1")


@pytest.mark.parametrize("content, message", [
    (b"not an index", "not an .npz archive"),
    (b"PK\x03\x04 cut short", "not a readable tastemaker index"),
])
def test_damaged_files_are_one_clear_error(tmp_path, factors, content, message):
    path = tmp_path / "i.npz"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        Retrieval.load(path, factors, "v1")


def test_a_model_file_is_not_an_index(tmp_path, factors):
    np.savez(tmp_path / "x.npz", __meta__=np.array('{"format": "tastemaker-model"}'))
    with pytest.raises(InputError, match="not a tastemaker index"):
        Retrieval.load(tmp_path / "x.npz", factors, "v1")


def test_a_failed_write_leaves_the_old_index(tmp_path, factors, built, monkeypatch):
    path = tmp_path / "i.npz"
    built.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        built.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["i.npz"]
