"""Offline quality of Discover Weekly against plain top-30 ALS on HetRec's holdout.

Protocol (as ``bench_quality.py``): Last.fm HetRec 2011 from the shared copy, a per-user random
20% holdout of artists (users with >= 5), split seeds 0, 1, 2. For every seed the held-out
plays are deleted from a copy of the store and the training pipeline runs on it exactly as
``tastemaker train`` does (ALS with tastemaker's defaults, the cultural vectors of the store's
tags, artists whose plays were all held out placed by their tags, the blend weighed on a
validation split of the training data): one model bundle. Every method gives every user 30
artists they have not played in train:

* ALS top-30: the bundle's collaborative filtering alone (``blend="cf"``, placed artists left
  out: plain ALS cannot rank what nobody played);
* hybrid top-30: the bundle's learned blend, no re-ranking;
* Discover Weekly as the command makes it (candidates from the bundle's hybrid ranking), and
  ablations. HetRec has no audio features.

Metrics over users with held-out artists, mean ± std over seeds:

* hit share = precision@30: share of the playlist the user plays in the held-out data;
* recall@30 (every held-out artist counts, also those the model never saw);
* catalogue coverage (share of HetRec's artists in at least one playlist);
* novelty: mean self-information ``-log2(share of train users who played it)``;
* diversity: intra-list diversity, 1 - mean pairwise cosine, over the artists' tag vectors
  (HetRec user tags) and over the ALS item factors; distinct tags per playlist.

    .venv/bin/python benchmarks/bench_discover_weekly_quality.py                # seeds 0, 1, 2
    .venv/bin/python benchmarks/bench_discover_weekly_quality.py --seeds 3,4,5  # for tuning
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _datasets import HETREC  # noqa: E402

WEEK = "2026-W48"


def evaluate(lists: np.ndarray, test, train, n_catalogue: int, tag_vectors, factors) -> dict[str, float]:
    from tastemaker.evaluation import (catalogue_coverage, intra_list_diversity, novelty, precision_at_k,
                                       recall_at_k)

    k = lists.shape[1]
    has_test = np.asarray((test > 0).sum(axis=1)).ravel() > 0
    return {
        "hit share@30": float(np.nanmean(precision_at_k(lists[has_test], test[has_test], k))),
        "recall@30": float(np.nanmean(recall_at_k(lists[has_test], test[has_test], k))),
        "coverage": catalogue_coverage(lists, n_catalogue, k),
        "novelty": float(np.nanmean(novelty(lists, train, k))),
        "ILD tags": float(np.nanmean(intra_list_diversity(lists, tag_vectors, k))),
        "ILD factors": float(np.nanmean(intra_list_diversity(lists, factors, k))),
        "tags/list": float(np.mean([len(np.unique(tag_vectors[row[row >= 0]].indices)) for row in lists])),
    }


def holdout_store(full_db: Path, folder: Path, seed: int):
    """A copy of the store without the held-out plays of split ``seed``; returns its path and the
    held-out ``(user_ids, item_ids, counts)``."""
    from tastemaker.data import Store, load_interactions
    from tastemaker.evaluation import random_holdout

    with Store(full_db, read_only=True) as store:
        data = load_interactions(store)
    _, test = random_holdout(data.user_items, test_fraction=0.2, min_items=5, random_state=seed)
    test = sp.coo_matrix(test)
    held = (data.users.ids[test.row], data.items.ids[test.col], test.data)
    db = folder / f"train-{seed}.duckdb"
    shutil.copy(full_db, db)
    _tm_held = {"user_id": held[0].astype(object), "item_id": held[1].astype(object)}  # noqa: F841 (DuckDB scans it)
    with Store(db) as store, store.transaction() as con:
        con.execute("DELETE FROM events e USING _tm_held h WHERE e.user_id = h.user_id AND e.item_id = h.item_id")
    return db, held, data.user_items.shape[1]


def run(seed: int, full_db: Path, folder: Path, generators: dict | None = None) -> dict[str, dict[str, float]]:
    from tastemaker.data import Store
    from tastemaker.pipeline import TrainingPipeline, TrainSettings
    from tastemaker.playlists import DiscoverWeekly, load_side_data

    started = time.perf_counter()
    db, (held_users, held_items, held_counts), n_catalogue = holdout_store(full_db, folder, seed)
    bundle = TrainingPipeline(TrainSettings(random_state=0)).run(db).bundle
    # the held-out plays over the bundle's rows and columns; artists it never saw get columns of their own
    rows = bundle.users.indices(held_users.tolist())
    table = {i: c for c, i in enumerate(bundle.items.ids.tolist())}
    unseen = sorted({i for i in held_items.tolist() if i not in table})
    table.update({i: bundle.n_items + k for k, i in enumerate(unseen)})
    cols = np.asarray([table[i] for i in held_items.tolist()], dtype=np.int64)
    test = sp.csr_matrix((held_counts, (rows, cols)), shape=(len(bundle.users), bundle.n_items + len(unseen)))
    with Store(db, read_only=True) as store:
        side = load_side_data(store, bundle)
    tag_vectors = sp.csr_matrix(side.item_tags > 0, dtype=np.float32)
    placed = np.flatnonzero(bundle.placed_codes > 0)
    als, _ = bundle.recommend_batch(30, blend="cf", filter_items=placed, exact=True)
    hybrid, _ = bundle.recommend_batch(30, blend="hybrid", exact=True)
    variants = {"ALS top-30": als, "hybrid top-30 (the bundle's blend, no re-ranking)": hybrid}
    generators = generators or {
        "Discover Weekly (hybrid candidates, as the command)": DiscoverWeekly(),
        "DW, CF candidates (--blend cf)": DiscoverWeekly(blend="cf"),
        "DW, no exploration": DiscoverWeekly(explore=0),
        "DW, no tag penalty": DiscoverWeekly(tag_penalty=0),
        "DW, no popularity penalty": DiscoverWeekly(popularity_penalty=0),
    }
    for name, gen in generators.items():
        variants[name] = gen.generate(bundle, side, WEEK).items
    out = {name: evaluate(np.asarray(lists, np.int64), test, bundle.history, n_catalogue, tag_vectors,
                          bundle.cf.item_factors_) for name, lists in variants.items()}
    weights = {k: v for k, v in bundle.blend.weights_.items() if k != "cf" and v}
    print(f"seed {seed}: {time.perf_counter() - started:.0f}s; {len(placed)} artists placed by their tags; "
          f"blend {weights}", file=sys.stderr)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--hetrec", default=str(HETREC))
    args = parser.parse_args(argv)
    from tastemaker.data import Store, ingest_hetrec

    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "hetrec.duckdb"
        with Store(full) as store:
            ingest_hetrec(store, args.hetrec, progress=False)
        results = [run(int(s), full, Path(tmp)) for s in args.seeds.split(",")]
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
