"""Discover Weekly for every listener of the Last.fm-360K-scale model, against exact top-30 in implicit.

Target: all 358,868 listeners of the 360K-scale model (64 factors, 160,112 items) get
their 30-item playlist, with filtering, diversity and explanations, in <= 60 s on 2 cores. The
reference in the same run is exact top-30 through ``implicit``'s batch ``recommend`` (filtering
played items only: no diversity, no explanations).

The model is ``_datasets.lastfm360k_model(64)`` (tastemaker ALS on the seeded power-law matrix).
That matrix has no artists or tags, so this script GENERATES them, seeded and tied to the model
so that they behave like real side data: 300 tags, each a random direction in factor space, an
item carrying the 3 whose directions it is closest to; 12,000 artists, each item's artist drawn
from 40 per strongest tag (about 13 items each, similar items share artists, so the per-artist
cap can bind). Popularity is the real one from the matrix.

The factors become a model bundle (:class:`~tastemaker.bundle.ModelBundle`, no content signals:
the matrix has none, so its blend is collaborative filtering alone) with a Voyager index, saved
once in ``benchmarks/results/`` and loaded (memory-mapped) as ``tastemaker discover-weekly``
loads it. Stages timed (medians over ``--runs``): candidates (``bundle.recommend_batch``: the
Voyager HNSW batch search over the blend's item vectors, ``--candidates`` per user, played items
excluded), compiled re-ranking (filter, score, per-artist cap, tag coverage, exploration,
explanation anchors), and, separately, storing the playlists with their rendered one-line
explanations in a DuckDB store. The index build is a one-off per model (saved with the bundle)
and reported apart. Candidate recall against exact search is measured on a sample of users.

    .venv/bin/python benchmarks/bench_discover_weekly.py                # full run (~6 min)
    .venv/bin/python benchmarks/bench_discover_weekly.py --quick        # 50,000 users, no reference

(The first run builds and saves the bundle's Voyager indexes, a few minutes on 2 cores.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _datasets import CACHE, lastfm360k_model  # noqa: E402


def side_data(item_factors: np.ndarray, counts: sp.csr_matrix, seed: int = 7, n_tags: int = 300,
              tags_per_item: int = 3, artists_per_tag: int = 40):
    """Seeded tags and artists tied to the item factors (see the module docstring)."""
    from tastemaker.playlists import SideData

    rng = np.random.default_rng(seed)
    n_items, f = item_factors.shape
    directions = rng.standard_normal((n_tags, f)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    unit = item_factors / np.maximum(np.linalg.norm(item_factors, axis=1, keepdims=True), 1e-12)
    tags = np.empty((n_items, tags_per_item), np.int64)
    weights = np.empty((n_items, tags_per_item), np.float32)
    for start in range(0, n_items, 20_000):
        sims = unit[start:start + 20_000] @ directions.T
        top = np.argpartition(-sims, tags_per_item, axis=1)[:, :tags_per_item]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        tags[start:start + 20_000] = np.take_along_axis(top, order, axis=1)
        weights[start:start + 20_000] = tags_per_item - np.arange(tags_per_item)
    item_tags = sp.csr_matrix((weights.ravel(), tags.ravel(), np.arange(0, n_items * tags_per_item + 1,
                                                                         tags_per_item)), shape=(n_items, n_tags))
    artist = (tags[:, 0] * artists_per_tag + rng.integers(0, artists_per_tag, n_items)).astype(np.int32)
    _, artist = np.unique(artist, return_inverse=True)
    popularity = np.diff(counts.tocsc().indptr).astype(np.int32)
    return SideData.from_arrays(popularity, artist=artist.astype(np.int32), item_tags=item_tags,
                                tag_names=np.asarray([f"tag{t}" for t in range(n_tags)]))


def bundle_with_index(user_factors, item_factors, counts, threads: int):
    """The factors as a model bundle with a Voyager index, saved once under ``benchmarks/results``
    and loaded from there; returns the bundle and the index build time (0 when it was loaded)."""
    from tastemaker.bundle import ModelBundle
    from tastemaker.cf import ImplicitALS
    from tastemaker.data import Vocabulary
    from tastemaker.retrieval import factors_digest

    root = CACHE / f"bundle-360k-{factors_digest(item_factors)[:12]}"
    if (root / "CURRENT").exists():
        bundle = ModelBundle.load(root)
        print(f"loaded the bundle and its {bundle.index.kind} index from {root.name}")
        return bundle, 0.0
    # built the way a saved model is read back: nothing outside ImplicitALS writes its state
    model = ImplicitALS._from_state({"class": "ImplicitALS", "params": {"factors": int(user_factors.shape[1])},
                                     "scalars": {"n_users_": int(counts.shape[0]), "n_items_": int(counts.shape[1])}},
                                    {"user_factors_": user_factors, "item_factors_": item_factors})
    users = Vocabulary(np.char.add("u", np.arange(counts.shape[0]).astype(str)), name="user")
    items = Vocabulary(np.char.add("i", np.arange(counts.shape[1]).astype(str)), name="item")
    names = np.char.add("Item ", np.arange(counts.shape[1]).astype(str))
    bundle = ModelBundle(model, users, items, names, counts.tocsr(), metadata={"store": "bench-360k"})
    t = time.perf_counter()
    bundle.build_index("voyager", num_threads=threads)
    build = time.perf_counter() - t
    print(f"built the Voyager indexes over {counts.shape[1]:,} items in {build:.1f}s (once per model; saved)")
    bundle.save(root)
    return ModelBundle.load(root), build


def implicit_top30(user_factors, item_factors, counts, threads: int) -> tuple[float, float]:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    model = AlternatingLeastSquares(factors=user_factors.shape[1], num_threads=threads)
    model.user_factors, model.item_factors = user_factors, item_factors
    users = np.arange(counts.shape[0])
    with threadpool_limits(threads, "blas"):
        t, c = time.perf_counter(), time.process_time()
        model.recommend(users, counts, N=30, filter_already_liked_items=True)
        return time.perf_counter() - t, time.process_time() - c


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed Discover Weekly runs (median)")
    parser.add_argument("--reference-runs", type=int, default=1, help="timed implicit runs (~2 min each)")
    parser.add_argument("--candidates", type=int, default=60, help="CF candidates per user")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--users", type=int, default=0, help="only the first N users (0: all)")
    parser.add_argument("--quick", action="store_true", help="50,000 users, one run, no implicit reference")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.runs, args.reference_runs = args.users or 50_000, 1, 0

    from tastemaker.playlists import DiscoverWeekly, save_playlists
    from tastemaker.data import Store

    uf, itf, counts = lastfm360k_model(64)
    bundle, build = bundle_with_index(uf, itf, counts, args.threads)
    n_users = min(args.users or counts.shape[0], counts.shape[0])
    users = None if n_users == counts.shape[0] else bundle.users.ids[:n_users]  # the first n: rows 0..n-1
    t = time.perf_counter()
    side = side_data(itf, counts)
    print(f"generated side data ({side.item_tags.shape[1]:,} tags, {len(side.artist_names):,} artists) in {time.perf_counter() - t:.1f}s")

    gen = DiscoverWeekly(candidates=args.candidates, num_threads=args.threads)
    totals, cpus, stages, lists = [], [], [], None
    for run in range(args.runs + 1):  # run 0 compiles the kernels and warms the index
        t, c = time.perf_counter(), time.process_time()
        lists = gen.generate(bundle, side, "2026-W48", user_ids=users if run else bundle.users.ids[:2000])
        if run:
            totals.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            stages.append(lists.seconds)
            print(f"run {run}: {totals[-1]:.1f}s (CPU {cpus[-1]:.1f}s) "
                  + ", ".join(f"{k} {v:.1f}s" for k, v in lists.seconds.items()), flush=True)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "dw.duckdb") as store:
        t = time.perf_counter()
        rows = save_playlists(store, lists)
        store_s = time.perf_counter() - t
        sample = store.con.execute("SELECT user_id, position, item_id, explanation FROM discover_weekly "
                                   "WHERE user_id = 'u0' ORDER BY position LIMIT 4").fetchall()
    print(f"stored {rows:,} playlist items with their explanations in {store_s:.1f}s; u0 starts: {sample}")

    # checks: 30 each, nothing played, per-artist cap, tag spread, exploration share
    valid = lists.items >= 0
    full = float((valid.sum(axis=1) == 30).mean())
    hist = counts.tocsr()
    probe = np.random.default_rng(0).choice(n_users, size=min(2000, n_users), replace=False)
    played = sum(len(np.intersect1d(lists.items[u], hist[u].indices)) for u in probe)
    cap = max(np.bincount(side.artist[lists.items[u][lists.items[u] >= 0]]).max() for u in probe)
    tags = np.mean([len(np.unique(side.item_tags[lists.items[u]].indices)) for u in probe])
    exact_ids, _ = bundle.recommend_batch(30, user_rows=probe, exact=True, num_threads=args.threads)
    exact_cap = max(np.bincount(side.artist[row]).max() for row in exact_ids)
    exact_tags = np.mean([len(np.unique(side.item_tags[row].indices)) for row in exact_ids])
    cand_ann, _ = bundle.recommend_batch(args.candidates, user_rows=probe, num_threads=args.threads)
    cand_exact, _ = bundle.recommend_batch(args.candidates, user_rows=probe, exact=True, num_threads=args.threads)
    recall = np.mean([len(np.intersect1d(a, b)) / len(b) for a, b in zip(cand_ann, cand_exact)])
    q = uf[probe]
    score_ratio = float(np.mean(np.einsum("uf,ukf->uk", q, itf[cand_ann]).sum(1)
                                / np.einsum("uf,ukf->uk", q, itf[cand_exact]).sum(1)))

    ref = [implicit_top30(uf[:n_users], itf, counts[:n_users], args.threads) for _ in range(args.reference_runs)]
    med, cpu = statistics.median(totals), statistics.median(cpus)
    per_stage = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    print()
    print(f"{n_users:,} users x {itf.shape[0]:,} items, 64 factors, {args.threads} threads, "
          f"{args.candidates} candidates/user; medians of {args.runs} run(s); load average now "
          f"{os.getloadavg()[0]:.1f} (CPU s / {args.threads} is the wall time on {args.threads} free cores)")
    print("| method | wall s | CPU s | users/s | max per artist | distinct tags / list |")
    print("|---|---|---|---|---|---|")
    print(f"| Discover Weekly: bundle candidates (Voyager) + compiled re-rank + explanations | {med:.1f} | {cpu:.1f} | "
          f"{n_users / med:,.0f} | {cap} | {tags:.1f} |")
    print(f"| ↳ candidates (Voyager, k={args.candidates}) / re-rank+explain | "
          f"{per_stage['candidates']:.1f} / {per_stage['rerank']:.1f} | | | | |")
    print(f"| ↳ + storing {rows:,} rows with rendered explanations (DuckDB) | {med + store_s:.1f} | | "
          f"{n_users / (med + store_s):,.0f} | | |")
    if ref:
        r, rc = statistics.median(x[0] for x in ref), statistics.median(x[1] for x in ref)
        print(f"| implicit 0.7.3 `recommend` exact top-30 (filter played only) | {r:.1f} | {rc:.1f} | "
              f"{n_users / r:,.0f} | {exact_cap} | {exact_tags:.1f} |")
        print(f"\nspeed-up over implicit: {r / med:.1f}x wall, {rc / cpu:.1f}x CPU")
    print(f"\nfull playlists: {full:.2%}; played items given (2,000 sampled users): {played}; "
          f"Voyager candidates vs exact: recall@{args.candidates} {recall:.3f}, score sum ratio {score_ratio:.3f}; "
          f"index build {build:.1f}s")


if __name__ == "__main__":
    main()
