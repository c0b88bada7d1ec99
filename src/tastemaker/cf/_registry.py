"""Models by name, for configuration files and the command line."""

from __future__ import annotations

from tastemaker.errors import InputError

__all__ = ["ALGORITHMS", "FACTOR_ALGORITHMS", "MODEL_MODULES", "make_model", "model_class"]

#: model names, the default first
ALGORITHMS = ("als", "sgd", "ease", "itemknn", "popularity")
#: the factor models among them (retrieval indexes, placement and the blend need factors)
FACTOR_ALGORITHMS = ("als", "sgd")
#: model class -> the module that defines it (model files name their class)
MODEL_MODULES = {"ImplicitALS": "tastemaker.cf.als", "SGDMatrixFactorization": "tastemaker.cf.sgd",
                 "EASE": "tastemaker.cf.ease", "ItemKNN": "tastemaker.cf.itemknn",
                 "Popularity": "tastemaker.cf.popularity"}


def model_class(name: str):
    """A model class by its class name (as saved in model files), or None."""
    import importlib

    module = MODEL_MODULES.get(name)
    return None if module is None else getattr(importlib.import_module(module), name)


def make_model(algorithm: str, params: dict | None = None, *, random_state: int = 0):
    """A collaborative model by name (:data:`ALGORITHMS`), with its hyper-parameters (None values
    are left at the model's defaults).

    Raises
    ------
    InputError
        An unknown name (``setting="algorithm"``), or hyper-parameters for a model that takes none.
    """
    from tastemaker.cf.als import ImplicitALS
    from tastemaker.cf.ease import EASE
    from tastemaker.cf.itemknn import ItemKNN
    from tastemaker.cf.popularity import Popularity
    from tastemaker.cf.sgd import SGDMatrixFactorization

    params = {k: v for k, v in (params or {}).items() if v is not None}
    if algorithm == "als":
        return ImplicitALS(random_state=random_state, **params)
    if algorithm == "sgd":
        return SGDMatrixFactorization(random_state=random_state, **params)
    if algorithm not in ALGORITHMS:
        raise InputError(f"unknown algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}", setting="algorithm")
    if params:
        raise InputError(f"{algorithm} takes none of the factor-model settings ({', '.join(sorted(params))})",
                         setting=sorted(params)[0])
    return {"ease": EASE, "itemknn": ItemKNN, "popularity": Popularity}[algorithm]()
