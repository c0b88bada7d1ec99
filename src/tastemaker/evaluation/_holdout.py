"""Models compared on a per-user holdout, by name: what ``tastemaker evaluate`` and the demo run."""

from __future__ import annotations

import itertools
from pathlib import Path

from tastemaker.evaluation._evaluate import ComparisonTable, compare
from tastemaker.evaluation._report import write_report
from tastemaker.evaluation._search import grid_search
from tastemaker.evaluation._split import random_holdout

__all__ = ["holdout_comparison", "SEARCH_GRID", "EASE_MAX_ITEMS"]

#: the hyper-parameter grid the ALS search tries on a validation split
SEARCH_GRID = {"factors": [64, 128, 256], "regularization": [3.0, 10.0, 30.0], "alpha": [1.0, 2.0],
               "epsilon": [3.0, 10.0]}
#: EASE solves a dense items x items system: past this many items it is left out
EASE_MAX_ITEMS = 30_000


def holdout_comparison(user_items, algorithms, ks=(5, 10, 20), test_fraction: float = 0.2, min_items: int = 5,
                       seed: int = 0, search: bool = False, out=None, title: str = "Model comparison",
                       show_progress: bool = True) -> tuple[ComparisonTable, Path | None, list[str]]:
    """Hold out ``test_fraction`` of each user's items, fit every model (by name, see
    :data:`tastemaker.cf.ALGORITHMS`), compare them and, given ``out``, write a report.

    With ``search``, ALS is also tuned over :data:`SEARCH_GRID` on a validation split of the
    training part (never the test part) and the best setting is evaluated as ``als (tuned)``.

    Returns
    -------
    table : ComparisonTable
    report : Path or None
        The report's ``report.md``.
    notes : list of str
        What was left out or chosen, for a person to read.
    """
    from tastemaker.cf import make_model

    train, test = random_holdout(user_items, test_fraction=test_fraction, min_items=min_items, random_state=seed)
    notes: list[str] = []
    models = {}
    for name in algorithms:
        if name == "ease" and min(train.shape) > EASE_MAX_ITEMS:
            notes.append(f"left out EASE: {train.shape[1]:,} items is too many for its dense solve")
            continue
        models[name] = make_model(name)
    if search:
        sub_train, validation = random_holdout(train, test_fraction=test_fraction, min_items=min_items,
                                               random_state=seed + 1)
        n = len(list(itertools.product(*SEARCH_GRID.values())))
        result = grid_search(lambda **p: make_model("als", p), SEARCH_GRID, sub_train, validation,
                             show_progress=show_progress)
        notes.append(f"searched {n} ALS settings on a validation split: best {result.best_params} "
                     f"(ndcg@10 {result.best_score:.4f})")
        models["als (tuned)"] = make_model("als", result.best_params)
    table = compare(models, train, test, ks=ks, show_progress=show_progress)
    report = write_report(table, out, title=title) if out else None
    return table, report, notes
