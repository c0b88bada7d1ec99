"""Vocabulary: ids ↔ rows."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.data import UnknownIdError, Vocabulary
from tastemaker.errors import InputError


def test_lookups():
    vocab = Vocabulary(["b", "a", "10"], name="user")
    assert len(vocab) == 3 and vocab.ids.dtype.kind == "U"
    assert vocab.index("a") == 1 and vocab.index(10) == 2  # non-strings are looked up as str
    np.testing.assert_array_equal(vocab.indices(["10", "b"]), [2, 0])
    assert vocab.indices([]).shape == (0,)
    assert "a" in vocab and "z" not in vocab and list(vocab) == ["b", "a", "10"]


def test_single_lookups_scan_until_a_table_pays_off():
    vocab = Vocabulary([f"u{i}" for i in range(50)], name="user")
    answers = [vocab.get(f"u{i}") for i in range(0, 50, 3)] + [vocab.get("nobody")]
    assert vocab._lookup is not None  # many lookups: the table was built on the way
    assert answers == list(range(0, 50, 3)) + [None]
    assert Vocabulary(["a", "b"]).get("b") == 1 and Vocabulary(["a", "b"])._lookup is None


def test_unknown_id_is_a_clear_key_error():
    vocab = Vocabulary(["2", "3", "4", "5"], name="user")
    with pytest.raises(UnknownIdError) as info:
        vocab.index("123")
    assert str(info.value) == "unknown user '123'; known users look like '2', '3', '4'"
    assert isinstance(info.value, KeyError) and isinstance(info.value, InputError)
    with pytest.raises(KeyError, match="unknown user '9'"):
        vocab.indices(["2", "9"])
    with pytest.raises(UnknownIdError, match="there are no items"):
        Vocabulary([], name="item").index("x")


def test_duplicates_are_refused_on_first_lookup():
    vocab = Vocabulary(["a", "a"])  # the constructor only stores
    with pytest.raises(ValueError, match="not unique"):
        vocab.index("a")


def test_saves_without_pickle(tmp_path):
    vocab = Vocabulary(["ü", "x"], name="item")
    np.savez(tmp_path / "v.npz", ids=vocab.ids)
    with np.load(tmp_path / "v.npz", allow_pickle=False) as f:
        assert Vocabulary(f["ids"]).index("ü") == 0
