"""Model versions on disk: atomic, versioned, pruned, no pickle, and one clear error for anything
that is not a model this tastemaker can read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tastemaker.bundle import BundleFormatError, ModelBundle, current_version_dir
from tastemaker.bundle._format import KEEP_VERSIONS, MANIFEST, write_version


def test_save_writes_a_new_version_and_points_to_it(tiny, tmp_path):
    bundle = ModelBundle.load(tiny[1])
    root = tmp_path / "models"
    first = bundle.save(root)
    assert (root / "CURRENT").read_text().strip() == first.name == bundle.version
    loaded = ModelBundle.load(root)
    assert loaded.version == bundle.version and "trained_at" in loaded.metadata
    assert [r.item_id for r in loaded.recommend("u003", n=4)] == [r.item_id for r in bundle.recommend("u003", n=4)]
    assert loaded.culture.top_terms("ABBA", 2) == bundle.culture.top_terms("ABBA", 2)
    assert loaded.blend.weights_ == bundle.blend.weights_
    for path in first.glob("*.npy"):  # plain arrays, readable without pickle
        np.load(path, allow_pickle=False)
    second = bundle.save(root)
    assert second != first and current_version_dir(root) == second
    assert not list(root.glob(".staging-*"))


def test_old_versions_are_pruned_but_the_current_one_stays(tiny, tmp_path):
    bundle = ModelBundle.load(tiny[1])
    root = tmp_path / "models"
    made = [bundle.save(root) for _ in range(KEEP_VERSIONS + 2)]
    left = {p for p in root.iterdir() if p.is_dir()}
    assert left == set(made[-KEEP_VERSIONS:]) and current_version_dir(root) == made[-1]


def test_a_crash_while_writing_leaves_the_current_version(tiny, tmp_path, monkeypatch):
    bundle = ModelBundle.load(tiny[1])
    root = tmp_path / "models"
    good = bundle.save(root)

    def boom(path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_version(root, "broken", {}, {"a": np.zeros(3)}, writers={"index.npz": boom})
    assert current_version_dir(root) == good and not (root / "broken").exists()
    assert not list(root.glob(".staging-*"))


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(format_version=99), r"newer tastemaker \(model format 99"),
    (lambda m: m.update(format="something-else"), "not a tastemaker model"),
])
def test_manifests_this_reader_cannot_read(tiny, tmp_path, edit, message):
    root = tmp_path / "models"
    path = ModelBundle.load(tiny[1]).save(root)
    manifest = json.loads((path / MANIFEST).read_text())
    edit(manifest)
    (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleFormatError, match=message):
        ModelBundle.load(root)


def test_missing_and_damaged_parts(tiny, tmp_path):
    root = tmp_path / "models"
    path = ModelBundle.load(tiny[1]).save(root)
    (path / "users.npy").unlink()
    with pytest.raises(BundleFormatError, match="incomplete: users.npy is missing"):
        ModelBundle.load(root)
    (path / MANIFEST).write_text("{not json")
    with pytest.raises(BundleFormatError, match="damaged"):
        ModelBundle.load(root)


def test_no_model_and_an_earlier_single_file_model(tmp_path):
    with pytest.raises(BundleFormatError, match="no model at"):
        ModelBundle.load(tmp_path / "models")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "als.npz").write_bytes(b"PK\x03\x04")
    with pytest.raises(BundleFormatError, match="single-file model of an earlier tastemaker"):
        ModelBundle.load(tmp_path / "models")
    with pytest.raises(BundleFormatError, match="single-file model of an earlier tastemaker"):
        ModelBundle.load(tmp_path / "models" / "als.npz")
    (tmp_path / "models" / "CURRENT").write_text("gone\n")
    with pytest.raises(BundleFormatError, match="names version 'gone'"):
        ModelBundle.load(tmp_path / "models")
