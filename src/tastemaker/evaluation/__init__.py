"""Offline evaluation: splitters, top-k metrics, full-ranking evaluation, search and reports.

A typical run::

    from tastemaker.cf import EASE, ItemKNN, Popularity
    from tastemaker.evaluation import compare, random_holdout, write_report

    train, test = random_holdout(plays, test_fraction=0.2, min_items=5, random_state=0)
    table = compare({"popularity": Popularity(), "item-kNN": ItemKNN(), "EASE": EASE()}, train, test)
    print(table.to_markdown())
    write_report(table, "reports/hetrec")

Metric functions take ranked id lists (2-D, ``-1`` padded) and return one value per list; relevance
is binary (a positive held-out entry). ``write_report`` imports matplotlib only when called.
"""

from tastemaker.evaluation._evaluate import BEYOND_ACCURACY_METRICS, ComparisonTable, compare, evaluate
from tastemaker.evaluation._metrics import (
    ACCURACY_METRICS,
    average_precision_at_k,
    catalogue_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    precision_at_k,
    recall_at_k,
    reciprocal_rank_at_k,
)
from tastemaker.evaluation._report import write_report
from tastemaker.evaluation._holdout import SEARCH_GRID, holdout_comparison
from tastemaker.evaluation._search import SearchResult, grid_search, random_search
from tastemaker.evaluation._coldstart import cold_start_split
from tastemaker.evaluation._split import leave_k_out, random_holdout, temporal_split

__all__ = [
    # splitters
    "random_holdout", "leave_k_out", "temporal_split", "cold_start_split",
    # metrics
    "precision_at_k", "recall_at_k", "ndcg_at_k", "average_precision_at_k", "reciprocal_rank_at_k",
    "hit_rate_at_k", "catalogue_coverage", "novelty", "intra_list_diversity",
    "ACCURACY_METRICS", "BEYOND_ACCURACY_METRICS",
    # evaluation
    "evaluate", "compare", "ComparisonTable", "holdout_comparison", "SEARCH_GRID",
    # search
    "grid_search", "random_search", "SearchResult",
    # reports
    "write_report",
]
