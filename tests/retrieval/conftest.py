"""Fixtures of the retrieval tests (helpers live in retrieval_support.py)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)
