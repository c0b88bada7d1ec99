"""Retrieval at Last.fm-360K scale: Voyager HNSW against exact search, bare and filtered.

The model is ImplicitALS (tastemaker's defaults, 64 factors) on the seeded 358,868 x 160,112
power-law matrix (``_datasets.lastfm360k_model``, cached). For a seeded sample of users the
exact top 10 is the reference; every approximate configuration reports recall@10 against it and
queries per second, single (one query per call, what a request does) and batch (one call, the
given threads):

- bare: Voyager's own ``query`` for the top 10, no filtering (the index alone);
- filtered: ``VoyagerIndex.search`` with the user's history left out (over-fetch, exact
  rescoring, refill), against the exact filtered top 10 -- what ``Recommender`` serves.

Then the top 10 for all 358,868 users through the default index and by exact search (time and
recall), and exact single-query speed by catalogue size (why ``--index auto`` switches to
Voyager at 50,000 items). Timings are medians of ``--runs`` runs.

    python benchmarks/bench_retrieval.py --threads 2 --runs 3
    python benchmarks/bench_retrieval.py --spaces ip --efs 32 --no-all-users   # quick
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import CACHE, lastfm360k_model  # noqa: E402

from tastemaker.retrieval import ExactIndex, VoyagerIndex  # noqa: E402
from tastemaker.retrieval._voyager import DEFAULTS, SIMILAR_DEFAULTS  # noqa: E402

K = 10


def timed(fn, runs: int):
    """Median seconds of ``runs`` calls, and the last result."""
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(np.intersect1d(a[a >= 0], b)) for a, b in zip(found, truth)]
    return float(np.sum(hits) / truth.size)


def singles(fn, n: int, runs: int) -> float:
    """Queries per second of ``fn(i)`` called once per query, median over runs."""
    fn(0)
    seconds, _ = timed(lambda: [fn(i) for i in range(n)], runs)
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="timing runs (median)")
    ap.add_argument("--queries", type=int, default=2000, help="sampled users for recall and batch speed")
    ap.add_argument("--single", type=int, default=500, help="queries timed one call at a time")
    ap.add_argument("--spaces", nargs="*", default=["ip", "euclidean"], choices=["ip", "euclidean", "cosine"])
    ap.add_argument("--orders", nargs="+", default=[DEFAULTS["order"]], choices=["norm-desc", "norm-asc", "id"])
    ap.add_argument("--M", type=int, default=DEFAULTS["M"])
    ap.add_argument("--ef-construction", type=int, default=DEFAULTS["ef_construction"])
    ap.add_argument("--efs", type=int, nargs="+", default=[10, 20, DEFAULTS["ef"], 64])
    ap.add_argument("--all-users", action=argparse.BooleanOptionalAction, default=True,
                    help="top 10 for every user through the default index and exactly")
    ap.add_argument("--exact-runs", type=int, default=1, help="runs of the all-users exact search (slow)")
    ap.add_argument("--similar", action=argparse.BooleanOptionalAction, default=True,
                    help="item -> similar items: the cosine index against exact cosine")
    ap.add_argument("--users", type=int, help="only the first USERS users in the all-users part (smoke tests)")
    args = ap.parse_args()
    T = args.threads

    X, Y, C = lastfm360k_model(args.factors)
    print(f"model: {X.shape[0]:,} users x {Y.shape[0]:,} items, {Y.shape[1]} factors; {C.nnz:,} played "
          f"(mean history {C.nnz / C.shape[0]:.0f}); {T} threads; {platform.processor() or platform.machine()}")
    rng = np.random.default_rng(0)
    users = np.sort(rng.choice(X.shape[0], args.queries, replace=False))
    Q, H = X[users], C[users]
    played = [H.indices[H.indptr[i]:H.indptr[i + 1]] for i in range(len(users))]
    S = min(args.single, len(users))

    exact = ExactIndex(Y)
    t_bare, (truth_bare, _) = timed(lambda: exact.search(Q, K, num_threads=T), args.runs)
    t_filt, (truth_filt, _) = timed(lambda: exact.search(Q, K, exclude=H, num_threads=T), args.runs)
    rows = [dict(index="exact", space="-", order="-", ef="-", build_s=0.0, bare_recall=1.0,
                 bare_single_qps=singles(lambda i: exact.search(Q[i], K), S, args.runs),
                 bare_batch_qps=len(Q) / t_bare, filt_recall=1.0,
                 filt_single_qps=singles(lambda i: exact.search(Q[i], K, exclude=played[i]), S, args.runs),
                 filt_batch_qps=len(Q) / t_filt)]
    default_index = None
    for space in args.spaces:
        for order in args.orders:
            t = time.perf_counter()
            index = VoyagerIndex(Y, space=space, M=args.M, ef_construction=args.ef_construction, order=order,
                                 num_threads=T)
            build = time.perf_counter() - t
            print(f"built {space}/{order} (M={args.M}, ef_construction={args.ef_construction}) in {build:.1f}s",
                  flush=True)
            qv = index._query_vectors(Q)
            for ef in args.efs:
                index.ef = index.graph.ef = ef
                tb, (found, _) = timed(lambda: index.graph.query(qv, k=K, num_threads=T, query_ef=ef), args.runs)
                tf, (found_f, _) = timed(lambda: index.search(Q, K, exclude=H, num_threads=T), args.runs)
                row = dict(index="voyager", space=space, order=order, ef=ef, build_s=build,
                           bare_recall=recall(found.astype(np.int64), truth_bare),
                           bare_single_qps=singles(lambda i: index.graph.query(qv[i], k=K, query_ef=ef), S, args.runs),
                           bare_batch_qps=len(Q) / tb, filt_recall=recall(found_f, truth_filt),
                           filt_single_qps=singles(lambda i: index.search(Q[i], K, exclude=played[i]), S, args.runs),
                           filt_batch_qps=len(Q) / tf)
                rows.append(row)
                print(_line(row), flush=True)
            if space == DEFAULTS["space"] and order == DEFAULTS["order"]:
                index.ef = index.graph.ef = DEFAULTS["ef"]
                default_index = index

    print(f"\nrecall@{K} against exact search and queries/s ({len(Q):,} sampled users; single: one call per "
          f"query, {S} queries; batch: one call, {T} threads); median of {args.runs} runs\n")
    print("| index | space | insert order | ef | build (s) | bare recall@10 | bare single q/s | bare batch q/s "
          "| filtered recall@10 | filtered single q/s | filtered batch q/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['index']} | {r['space']} | {r['order']} | {r['ef']} | {r['build_s']:.0f} | {r['bare_recall']:.4f} "
              f"| {r['bare_single_qps']:,.0f} | {r['bare_batch_qps']:,.0f} | {r['filt_recall']:.4f} "
              f"| {r['filt_single_qps']:,.0f} | {r['filt_batch_qps']:,.0f} |")

    sizes = []
    for n in (17_632, 50_000, Y.shape[0]):
        small = ExactIndex(Y[:n])
        hist = [p[p < n] for p in played]
        sizes.append((n, 1e3 / singles(lambda i: small.search(Q[i], K, exclude=hist[i]), S, args.runs)))
    print("\nexact single query (filtered) by catalogue size: "
          + ", ".join(f"{n:,} items {ms:.2f} ms" for n, ms in sizes))

    similar = None
    if args.similar:
        similar = similar_items(Y, rng, args, S)

    everyone = None
    if args.all_users and default_index is not None:
        X, C = (X[: args.users], C[: args.users]) if args.users else (X, C)
        t_ann, (ann_ids, _) = timed(lambda: default_index.search(X, K, exclude=C, num_threads=T), args.runs)
        t_ex, (ex_ids, _) = timed(lambda: exact.search(X, K, exclude=C, num_threads=T), args.exact_runs)
        everyone = dict(users=X.shape[0], ann_s=t_ann, exact_s=t_ex, recall=recall(ann_ids, ex_ids),
                        complete=float((ann_ids >= 0).all(axis=1).mean()))
        print(f"\ntop {K} for all {X.shape[0]:,} users, history filtered ({T} threads):\n")
        print("| search | time (s) | users/s | recall@10 vs exact | users with 10 |")
        print("|---|---|---|---|---|")
        print(f"| Voyager ({DEFAULTS['space']}, M={args.M}, ef={DEFAULTS['ef']}) | {t_ann:.1f} | "
              f"{X.shape[0] / t_ann:,.0f} | {everyone['recall']:.4f} | {everyone['complete']:.2%} |")
        print(f"| exact (blocked products + heap top-k) | {t_ex:.1f} | {X.shape[0] / t_ex:,.0f} | 1.0000 | "
              f"{float((ex_ids >= 0).all(axis=1).mean()):.2%} |")
    out = CACHE / f"retrieval-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(dict(args=vars(args), rows=rows, exact_by_size_ms=sizes, all_users=everyone,
                                   similar=similar), indent=1))
    print(f"\nresults: {out}")


def similar_items(Y: np.ndarray, rng, args, S: int) -> dict:
    """The cosine index (item -> similar items) against exact cosine, the item itself left out.

    Items with (nearly) parallel factors tie, and exact search breaks ties by the lower id, so
    besides recall by id this reports recall by score: found items scoring at least the exact
    10th cosine (minus 1e-6) count as hits.
    """
    T = args.threads
    items = np.sort(rng.choice(Y.shape[0], args.queries, replace=False))
    own = [[i] for i in items]
    exact = ExactIndex(Y, "cosine")
    _, (truth, truth_scores) = timed(lambda: exact.search(Y[items], K, exclude=own, num_threads=T), 1)
    t = time.perf_counter()
    index = VoyagerIndex(Y, "cosine", **SIMILAR_DEFAULTS, num_threads=T)
    build = time.perf_counter() - t
    tb, (found, scores) = timed(lambda: index.search(Y[items], K, exclude=own, num_threads=T), args.runs)
    single = singles(lambda i: index.search(Y[items[i]], K, exclude=own[i]), S, args.runs)
    by_score = float(np.mean(np.minimum((scores >= truth_scores[:, -1:] - 1e-6).sum(axis=1), K) / K))
    result = dict(build_s=build, recall=recall(found, truth), recall_by_score=by_score, single_qps=single,
                  batch_qps=len(items) / tb)
    print(f"\nsimilar items (cosine index, M={index.M}, ef_construction={index.ef_construction}, ef={index.ef}, "
          f"{len(items):,} sampled items): recall@10 "
          f"{result['recall']:.4f} by id, {by_score:.4f} by score; {single:,.0f} single, "
          f"{result['batch_qps']:,.0f} batch q/s; built in {build:.0f}s")
    return result


def _line(r: dict) -> str:
    return (f"  ef={r['ef']}: bare recall {r['bare_recall']:.4f} ({r['bare_single_qps']:,.0f} single, "
            f"{r['bare_batch_qps']:,.0f} batch q/s); filtered recall {r['filt_recall']:.4f} "
            f"({r['filt_single_qps']:,.0f} single, {r['filt_batch_qps']:,.0f} batch q/s)")


if __name__ == "__main__":
    main()
