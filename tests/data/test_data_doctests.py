"""The examples in the data layer's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tastemaker.data.store", "tastemaker.data.vocab", "tastemaker.data.interactions"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
