"""Offline quality of Discover Weekly against plain top-30 ALS on HetRec's holdout.

Protocol (as ``bench_quality.py``): Last.fm HetRec 2011 from the shared copy, a per-user random
20% holdout of artists (users with >= 5), split seeds 0, 1, 2; ALS with tastemaker's defaults is
trained on the rest. Both methods give every user 30 artists they have not played in train.
Discover Weekly blends in the cultural vectors of the store's tags (``load_signals``), as
``tastemaker discover-weekly`` does; HetRec has no audio features.

Metrics over users with held-out artists, mean ± std over seeds:

* hit share = precision@30: share of the playlist the user plays in the held-out data;
* recall@30; catalogue coverage (share of artists in at least one playlist);
* novelty: mean self-information ``-log2(share of train users who played it)``;
* diversity: intra-list diversity, 1 - mean pairwise cosine, over the artists' tag vectors
  (HetRec user tags) and over the ALS item factors; distinct tags per playlist.

    .venv/bin/python benchmarks/bench_discover_weekly_quality.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _datasets import HETREC  # noqa: E402


def evaluate(lists: np.ndarray, test, train, tag_vectors, factors) -> dict[str, float]:
    from tastemaker.evaluation import (catalogue_coverage, intra_list_diversity, novelty, precision_at_k,
                                       recall_at_k)

    k = lists.shape[1]
    has_test = np.asarray((test > 0).sum(axis=1)).ravel() > 0
    return {
        "hit share@30": float(np.nanmean(precision_at_k(lists[has_test], test[has_test], k))),
        "recall@30": float(np.nanmean(recall_at_k(lists[has_test], test[has_test], k))),
        "coverage": catalogue_coverage(lists, train.shape[1], k),
        "novelty": float(np.nanmean(novelty(lists, train, k))),
        "ILD tags": float(np.nanmean(intra_list_diversity(lists, tag_vectors, k))),
        "ILD factors": float(np.nanmean(intra_list_diversity(lists, factors, k))),
        "tags/list": float(np.mean([len(np.unique(tag_vectors[row[row >= 0]].indices)) for row in lists])),
    }


def run(seed: int, store) -> dict[str, dict[str, float]]:
    from tastemaker.cf import ImplicitALS
    from tastemaker.data import load_interactions
    from tastemaker.evaluation import random_holdout
    from tastemaker.playlists import DiscoverWeekly, load_side_data, load_signals
    from tastemaker.recommender import Recommender

    data = load_interactions(store)
    train, test = random_holdout(data.user_items, test_fraction=0.2, min_items=5, random_state=seed)
    model = ImplicitALS(random_state=0).fit(train, show_progress=False)
    rec = Recommender(model, data.users, data.items, data.item_names, sp.csr_matrix(train),
                      {"version": f"holdout-{seed}"})
    side = load_side_data(store, rec, signals=load_signals(store, rec))
    cf_only = load_side_data(store, rec)
    tag_vectors = sp.csr_matrix(side.item_tags > 0, dtype=np.float32)
    top30, _ = rec.recommend_batch(30, exact=True)
    week = "2026-W48"
    variants = {
        "ALS top-30": top30,
        "Discover Weekly (CF + culture, as the command)": DiscoverWeekly().generate(rec, side, week).items,
        "DW, CF only (no culture)": DiscoverWeekly().generate(rec, cf_only, week).items,
        "DW, no exploration": DiscoverWeekly(explore=0).generate(rec, side, week).items,
        "DW, no tag penalty": DiscoverWeekly(tag_penalty=0).generate(rec, side, week).items,
        "DW, no popularity penalty": DiscoverWeekly(popularity_penalty=0).generate(rec, side, week).items,
    }
    return {name: evaluate(np.asarray(lists, np.int64), test, train, tag_vectors, model.item_factors_)
            for name, lists in variants.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--hetrec", default=str(HETREC))
    args = parser.parse_args(argv)
    from tastemaker.data import Store, ingest_hetrec

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "hetrec.duckdb") as store:
        ingest_hetrec(store, args.hetrec, progress=False)
        results = [run(int(s), store) for s in args.seeds.split(",")]
    metrics = list(results[0]["ALS top-30"])
    print(f"HetRec 2011, 20% holdout per user, seeds {args.seeds}: mean ± std")
    print("| method | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for name in results[0]:
        cells = []
        for m in metrics:
            values = np.array([r[name][m] for r in results])
            cells.append(f"{values.mean():.4f} ± {values.std():.4f}" if m != "tags/list"
                         else f"{values.mean():.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
