"""Full-ranking offline evaluation of fitted recommenders, and side-by-side comparisons."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from tastemaker.cf._base import check_user_items
from tastemaker.cf._history import binarise
from tastemaker.evaluation._metrics import (
    ACCURACY_METRICS, accuracy_metrics, catalogue_coverage, mean_pairwise_dissimilarity, mean_self_information,
    relevance, self_information, unit_vectors,
)

__all__ = ["evaluate", "compare", "ComparisonTable", "BEYOND_ACCURACY_METRICS"]

#: model-independent metrics reported beside the accuracy ones
BEYOND_ACCURACY_METRICS = ("coverage", "novelty", "diversity")


def evaluate(model, train, test, ks=(5, 10, 20), batch_size: int = 1000,
             show_progress: bool = False) -> dict[str, float]:
    """Score a fitted model by ranking the whole catalogue for every test user.

    Every user with at least one positive ``test`` entry gets a top-``max(ks)`` list over all
    items from the model's batched ``recommend``, with the items of their ``train`` row (plays and
    skips) filtered out. Metrics are averaged over those users (see ``tastemaker.evaluation``'s
    metric functions for the definitions); diversity uses the cosine of the items' columns of
    binarised ``train``, so it compares models on the same footing.

    Parameters
    ----------
    model : RecommenderBase
        A model fitted on ``train``.
    train, test : csr_matrix
        The two halves of a split, of the same shape.
    ks : sequence of int
        Cut-offs.
    batch_size : int
        Users ranked per call; memory is ``batch_size * n_items`` float32 scores.
    show_progress : bool
        Show a progress bar over the batches.

    Returns
    -------
    dict
        ``"<metric>@<k>"`` -> mean, for metrics ``precision``, ``recall``, ``ndcg``, ``map``, ``mrr``,
        ``hit_rate``, ``coverage``, ``novelty`` and ``diversity``, plus ``"users"``: how many users
        were evaluated.
    """
    ks = _check_ks(ks)
    train = check_user_items(train, name="train")
    test = check_user_items(test, name="test", n_items=train.shape[1])
    if test.shape != train.shape:
        raise ValueError(f"train {train.shape} and test {test.shape} must have the same shape")
    n_items = getattr(model, "n_items_", None)
    if n_items is not None and n_items != train.shape[1]:
        raise ValueError(f"the model knows {n_items} items but train has {train.shape[1]} columns: fit it on train")
    rows = np.repeat(np.arange(test.shape[0]), np.diff(test.indptr))
    users = np.unique(rows[test.data > 0])
    unit, nonzero = unit_vectors(binarise(train).T.tocsr())
    info = self_information(train)
    per_user: dict[str, list[np.ndarray]] = {}
    lists = []
    bar = tqdm(total=len(users), desc=f"evaluating {type(model).__name__}", unit="user", disable=not show_progress)
    for start in range(0, len(users), batch_size):
        batch = users[start:start + batch_size]
        ids, _ = model.recommend(batch, train[batch], N=max(ks), filter_already_liked_items=True)
        lists.append(ids)
        hits, n_rel = relevance(ids, test[batch], max(ks))
        for k in ks:
            values = accuracy_metrics(hits, n_rel, k)
            values["novelty"] = mean_self_information(ids, info, k)
            values["diversity"] = mean_pairwise_dissimilarity(ids, unit, nonzero, k)
            for name, v in values.items():
                per_user.setdefault(f"{name}@{k}", []).append(v)
        bar.update(len(batch))
    bar.close()
    all_ids = np.concatenate(lists) if lists else np.full((0, max(ks)), -1, dtype=np.int64)
    out: dict[str, float] = {}
    for k in ks:
        for name in ACCURACY_METRICS + BEYOND_ACCURACY_METRICS:
            if name == "coverage":
                out[f"{name}@{k}"] = catalogue_coverage(all_ids, train.shape[1], k)
                continue
            values = np.concatenate(per_user.get(f"{name}@{k}", [np.empty(0)]))
            valid = values[~np.isnan(values)]
            out[f"{name}@{k}"] = float(valid.mean()) if valid.size else float("nan")
    out["users"] = float(len(users))
    return out


@dataclass
class ComparisonTable:
    """Results of :func:`compare`: one row per model.

    Attributes
    ----------
    ks : tuple of int
        The cut-offs evaluated.
    rows : list of dict
        ``{"model": name, "fit_seconds": ..., "eval_seconds": ..., "<metric>@<k>": ...}``.
    """

    ks: tuple[int, ...]
    rows: list[dict] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        """Model names, in order."""
        return [row["model"] for row in self.rows]

    def value(self, model: str, metric: str, k: int) -> float:
        """One figure, e.g. ``table.value("EASE", "ndcg", 10)``."""
        for row in self.rows:
            if row["model"] == model:
                return row[f"{metric}@{k}"]
        raise KeyError(f"no model named {model!r}; have {self.models}")

    def default_k(self) -> int:
        """The cut-off closest to 10, the one summaries show."""
        return min(self.ks, key=lambda k: (abs(k - 10), k))

    def to_markdown(self, k: int | None = None,
                    metrics=ACCURACY_METRICS + BEYOND_ACCURACY_METRICS) -> str:
        """All models side by side at one cut-off (the one closest to 10 by default), with timings."""
        k = self.default_k() if k is None else k
        if k not in self.ks:
            raise ValueError(f"k={k} was not evaluated; have {self.ks}")
        header = ["model", *(f"{m}@{k}" for m in metrics), "fit s", "eval s"]
        body = [[row["model"], *(_fmt(row[f"{m}@{k}"]) for m in metrics),
                 f"{row['fit_seconds']:.1f}", f"{row['eval_seconds']:.1f}"] for row in self.rows]
        return _markdown(header, body)

    def per_k_markdown(self, metric: str = "ndcg") -> str:
        """One metric for every model (rows) at every cut-off (columns)."""
        header = ["model", *(f"{metric}@{k}" for k in self.ks)]
        body = [[row["model"], *(_fmt(row[f"{metric}@{k}"]) for k in self.ks)] for row in self.rows]
        return _markdown(header, body)


def compare(models: dict, train, test, ks=(5, 10, 20), batch_size: int = 1000,
            show_progress: bool = True) -> ComparisonTable:
    """Fit every model on ``train`` and evaluate it on ``test`` with :func:`evaluate`.

    Parameters
    ----------
    models : dict of str to RecommenderBase
        Name -> unfitted (or refittable) model; fitted in place.
    train, test : csr_matrix
        The two halves of a split.
    ks : sequence of int
        Cut-offs.
    batch_size : int
        Users ranked per call.
    show_progress : bool
        Show the models' own progress bars while fitting, and one while evaluating.

    Returns
    -------
    ComparisonTable
    """
    ks = _check_ks(ks)
    table = ComparisonTable(ks=ks)
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(train, show_progress=show_progress)
        fitted = time.perf_counter()
        metrics = evaluate(model, train, test, ks=ks, batch_size=batch_size, show_progress=show_progress)
        table.rows.append({"model": name, "fit_seconds": fitted - started,
                           "eval_seconds": time.perf_counter() - fitted, **metrics})
    return table


def _check_ks(ks) -> tuple[int, ...]:
    ks = tuple(sorted({int(k) for k in np.atleast_1d(ks)}))
    if not ks or ks[0] < 1:
        raise ValueError(f"ks must be positive cut-offs, got {ks}")
    return ks


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _markdown(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines) + "\n"
