"""The examples in the retrieval docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tastemaker.retrieval", "tastemaker.retrieval._exact"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
