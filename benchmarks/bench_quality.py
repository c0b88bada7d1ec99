"""Ranking quality on Last.fm HetRec 2011: tastemaker's shipped defaults against implicit and baselines.

Protocol (the foundation issue's): per-user random 20% holdout of artists (users with >= 5),
already-listened artists filtered, full ranking, binary relevance; nDCG@10 and recall@10,
mean and spread over several split seeds.

implicit is given the same log confidence it is best with here (c = 1 + log(1 + r/10), the
published grid-search optimum at 512 factors) and, to be generous, its regularisation is chosen
on the test split itself.

    python benchmarks/bench_quality.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import hetrec_plays  # noqa: E402

from tastemaker.cf import EASE, ImplicitALS, ItemKNN, Popularity, SGDMatrixFactorization, confidence  # noqa: E402
from tastemaker.cf._base import MatrixFactorizationBase  # noqa: E402
from tastemaker.evaluation import evaluate, random_holdout  # noqa: E402


class _Factors(MatrixFactorizationBase):
    """Wraps factors learned by another library so the same evaluation code scores them."""

    def __init__(self, user_factors=None, item_factors=None):
        self.user_factors = user_factors
        self.item_factors = item_factors

    def fit(self, user_items, show_progress=True, callback=None):
        self.user_factors_ = np.ascontiguousarray(self.user_factors, np.float32)
        self.item_factors_ = np.ascontiguousarray(self.item_factors, np.float32)
        self.n_users_, self.n_items_ = user_items.shape
        return self


def implicit_als(train, factors, regularization, alpha, epsilon, iterations=15):
    import warnings

    warnings.filterwarnings("ignore", message="OpenBLAS is configured")
    from implicit.cpu.als import AlternatingLeastSquares

    C = train.copy()
    C.data = confidence(C.data, alpha, epsilon, "log")
    model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=1.0,
                                    iterations=iterations, random_state=0, num_threads=2)
    with threadpool_limits(1, "blas"):
        model.fit(C, show_progress=False)
    return _Factors(model.user_factors, model.item_factors).fit(train)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = ap.parse_args()
    plays = hetrec_plays()
    results: dict[str, list[tuple[float, float]]] = {}

    def record(name, model, train, test):
        m = evaluate(model, train, test, ks=(10,))
        results.setdefault(name, []).append((m["ndcg@10"], m["recall@10"]))
        print(f"  {name:55s} ndcg@10 {m['ndcg@10']:.4f}", flush=True)

    for seed in args.seeds:
        print(f"split seed {seed}")
        train, test = random_holdout(plays, test_fraction=0.2, min_items=5, random_state=seed)
        record("tastemaker ImplicitALS() - shipped defaults", ImplicitALS(random_state=0).fit(train, False), train, test)
        record("tastemaker SGDMatrixFactorization() - defaults",
               SGDMatrixFactorization(random_state=0).fit(train, False), train, test)
        record("EASE()", EASE().fit(train, False), train, test)
        record("ItemKNN()", ItemKNN().fit(train, False), train, test)
        record("Popularity()", Popularity().fit(train, False), train, test)
        record("implicit ALS, its defaults on log counts (100 f, reg 0.01, c = 1 + log(1 + r))",
               implicit_als(train, 100, 0.01, 1.0, 1.0), train, test)
        best = None
        for reg in (1.0, 3.0, 10.0, 30.0):
            model = implicit_als(train, 512, reg, 1.0, 10.0)
            score = evaluate(model, train, test, ks=(10,))["ndcg@10"]
            if best is None or score > best[0]:
                best = (score, reg, model)
        record(f"implicit ALS, best tuning (512 f, c = 1 + log(1 + r/10), reg {best[1]:g} picked on test)",
               best[2], train, test)

    print()
    print(f"Last.fm HetRec 2011, 20% per-user holdout, full ranking; mean ± std over split seeds {args.seeds}")
    print()
    print("| model | nDCG@10 | recall@10 |")
    print("|---|---|---|")
    for name, vals in sorted(results.items(), key=lambda kv: -np.mean([v[0] for v in kv[1]])):
        nd = np.array([v[0] for v in vals])
        rc = np.array([v[1] for v in vals])
        print(f"| {name} | {nd.mean():.4f} ± {nd.std():.4f} | {rc.mean():.4f} ± {rc.std():.4f} |")


if __name__ == "__main__":
    main()
