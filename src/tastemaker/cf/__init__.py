"""Collaborative filtering models, all behind the ``implicit``-compatible recommender contract."""

from tastemaker.cf._base import MatrixFactorizationBase, RecommenderBase, load_model
from tastemaker.cf._confidence import confidence
from tastemaker.cf.als import ImplicitALS

__all__ = [
    "ImplicitALS",
    "MatrixFactorizationBase",
    "RecommenderBase",
    "confidence",
    "load_model",
]
