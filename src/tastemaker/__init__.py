"""tastemaker: an open music recommender.

The package is laid out in the direction the data flows:

``tastemaker.data``        the DuckDB event store, ingestion, vocabularies and matrices
``tastemaker.cf``          collaborative filtering models (implicit ALS, SGD MF, baselines)
``tastemaker.evaluation``  splitters, metrics, hyper-parameter search and reports
``tastemaker.testing``     the recommender contract test-suite every model passes
``tastemaker.cli``         the ``tastemaker`` command

Heavy parts are imported lazily, so ``import tastemaker`` stays fast.
"""

from tastemaker.errors import InputError, TastemakerError

__version__ = "0.1.0"

__all__ = ["InputError", "TastemakerError", "__version__"]
