import pytest

from tastemaker.cf import ImplicitALS
from tastemaker.testing import RecommenderContractTests


class TestImplicitALSCG(RecommenderContractTests):
    def make_model(self):
        return ImplicitALS(factors=8, regularization=10.0, iterations=15, random_state=0, num_threads=2)


class TestImplicitALSCholesky(RecommenderContractTests):
    def make_model(self):
        return ImplicitALS(factors=8, regularization=10.0, iterations=15, solver="cholesky", random_state=0)
