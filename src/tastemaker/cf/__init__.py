"""Collaborative filtering models, all behind the ``implicit``-compatible recommender contract.

The models load on first use (``from tastemaker.cf import ImplicitALS`` imports ALS and its
compiled kernels then), so a command that only needs a name or two starts fast.
"""

from __future__ import annotations

import importlib

from tastemaker.cf._registry import ALGORITHMS, FACTOR_ALGORITHMS, MODEL_MODULES, make_model

__all__ = [
    "EASE",
    "ImplicitALS",
    "ItemKNN",
    "Popularity",
    "SGDMatrixFactorization",
    "MatrixFactorizationBase",
    "RecommenderBase",
    "confidence",
    "load_model",
    "make_model",
    "ALGORITHMS",
    "FACTOR_ALGORITHMS",
]

_LAZY = {**MODEL_MODULES, "MatrixFactorizationBase": "tastemaker.cf._base", "RecommenderBase": "tastemaker.cf._base",
         "load_model": "tastemaker.cf._base", "confidence": "tastemaker.cf._confidence"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tastemaker.cf' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
