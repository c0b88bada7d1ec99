"""Hyper-parameter search on a validation split: exhaustive grid or seeded random draws."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from tastemaker.cf._base import check_random_state
from tastemaker.evaluation._evaluate import BEYOND_ACCURACY_METRICS, evaluate
from tastemaker.evaluation._metrics import ACCURACY_METRICS

__all__ = ["grid_search", "random_search", "SearchResult"]


@dataclass
class SearchResult:
    """What a search found.

    Attributes
    ----------
    best_params : dict
        The parameters of the best model (the first tried, among ties).
    best_score : float
        Its ``metric@k`` on the validation split.
    metric : str
        What was maximised, e.g. ``"ndcg@10"``.
    results : list of dict
        Every candidate in the order tried: ``{"params": ..., "score": ..., "metrics": ...}``.
    """

    best_params: dict
    best_score: float
    metric: str
    results: list[dict] = field(default_factory=list)


def grid_search(make_model: Callable[..., object], grid: Mapping[str, Sequence], train, validation,
                metric: str = "ndcg", k: int = 10, batch_size: int = 1000,
                show_progress: bool = True) -> SearchResult:
    """Fit and score a model for every combination of ``grid``; keep the best by ``metric@k``.

    Parameters
    ----------
    make_model : callable
        ``make_model(**params)`` returns an unfitted model.
    grid : dict of str to list
        Values to try for each parameter.
    train, validation : csr_matrix
        A split of the training data (never the test set).
    metric : str
        One of ``precision``, ``recall``, ``ndcg``, ``map``, ``mrr``, ``hit_rate`` (maximised).
    k : int
        Cut-off of the metric.
    batch_size : int
        Users ranked per call.
    show_progress : bool
        Show a progress bar over the candidates.

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> from tastemaker.cf.ease import EASE
    >>> result = grid_search(EASE, {"regularization": [50.0, 100.0, 200.0]}, train, validation)  # doctest: +SKIP
    >>> result.best_params  # doctest: +SKIP
    {'regularization': 100.0}
    """
    names = list(grid)
    for name in names:
        if isinstance(grid[name], (str, bytes)) or not len(grid[name]):
            raise ValueError(f"grid[{name!r}] must be a non-empty list of values")
    candidates = [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]
    return _search(make_model, candidates, train, validation, metric, k, batch_size, show_progress)


def random_search(make_model: Callable[..., object], distributions: Mapping[str, object], train, validation,
                  n_iter: int = 10, metric: str = "ndcg", k: int = 10, random_state=0,
                  batch_size: int = 1000, show_progress: bool = True) -> SearchResult:
    """Fit and score ``n_iter`` models with parameters drawn at random; keep the best.

    Parameters
    ----------
    make_model : callable
        ``make_model(**params)`` returns an unfitted model.
    distributions : dict
        Per parameter, either a list of values (drawn uniformly) or an object with an
        ``rvs(random_state=...)`` method, such as a frozen ``scipy.stats`` distribution
        (``scipy.stats.loguniform(10, 1000)``).
    train, validation : csr_matrix
        A split of the training data.
    n_iter : int
        How many candidates.
    metric, k, batch_size, show_progress
        As in :func:`grid_search`.
    random_state : int, Generator or None
        Seed of the draws: the same seed tries the same candidates.

    Returns
    -------
    SearchResult
    """
    if n_iter < 1:
        raise ValueError(f"n_iter must be >= 1, got {n_iter}")
    rng = check_random_state(random_state)
    candidates = [{name: _draw(name, dist, rng) for name, dist in distributions.items()} for _ in range(n_iter)]
    return _search(make_model, candidates, train, validation, metric, k, batch_size, show_progress)


def _draw(name: str, dist, rng: np.random.Generator):
    if hasattr(dist, "rvs"):
        value = dist.rvs(random_state=rng)
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(dist, (str, bytes)) or not isinstance(dist, Sequence) or not len(dist):
        raise ValueError(f"distributions[{name!r}] must be a non-empty list or have an rvs() method")
    return dist[int(rng.integers(len(dist)))]


def _search(make_model, candidates: list[dict], train, validation, metric: str, k: int,
            batch_size: int, show_progress: bool) -> SearchResult:
    if metric not in ACCURACY_METRICS:
        hint = " (beyond-accuracy metrics are not objectives)" if metric in BEYOND_ACCURACY_METRICS else ""
        raise ValueError(f"metric must be one of {ACCURACY_METRICS}, got {metric!r}{hint}")
    key = f"{metric}@{k}"
    results = []
    best = None
    bar = tqdm(candidates, desc=f"search {key}", unit="model", disable=not show_progress)
    for params in bar:
        model = make_model(**params)
        model.fit(train, show_progress=False)
        metrics = evaluate(model, train, validation, ks=(k,), batch_size=batch_size)
        results.append({"params": params, "score": metrics[key], "metrics": metrics})
        if best is None or metrics[key] > best["score"]:
            best = results[-1]
            bar.set_postfix({"best": f"{best['score']:.4f}"})
    bar.close()
    return SearchResult(best_params=dict(best["params"]), best_score=best["score"], metric=key, results=results)
