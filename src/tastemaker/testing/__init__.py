"""The recommender contract, as a reusable test-suite.

Every tastemaker model passes it; your own models can too. Subclass the mixin in a pytest test
module and say how to build the model::

    from tastemaker.testing import RecommenderContractTests

    class TestMyModel(RecommenderContractTests):
        def make_model(self):
            return MyModel(random_state=0)

Set ``solves_checkerboard = False`` for models (like popularity) that cannot separate the two
taste groups of :func:`checkerboard`.
"""

from tastemaker.testing._contract import RecommenderContractTests, checkerboard

__all__ = ["RecommenderContractTests", "checkerboard"]
