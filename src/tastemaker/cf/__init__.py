"""Collaborative filtering models, all behind the ``implicit``-compatible recommender contract."""

from tastemaker.cf._base import MatrixFactorizationBase, RecommenderBase, load_model
from tastemaker.cf._confidence import confidence
from tastemaker.cf._registry import ALGORITHMS, FACTOR_ALGORITHMS, make_model
from tastemaker.cf.als import ImplicitALS
from tastemaker.cf.ease import EASE
from tastemaker.cf.itemknn import ItemKNN
from tastemaker.cf.popularity import Popularity
from tastemaker.cf.sgd import SGDMatrixFactorization

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
