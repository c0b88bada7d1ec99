"""The weekly job's heavy steps, local against Spark (``local[N]``): training, quality, batch top-N
and Discover Weekly for every listener.

1. **Quality** (HetRec 2011, the ``bench_quality`` protocol: per-user random 20% holdout of artists,
   users with >= 5, played artists filtered, full ranking, binary relevance; split seeds
   ``--seeds``): nDCG@10 and training time of Spark MLlib ALS (``SparkALS``, what ``train --engine
   spark`` fits), of local ALS with the same objective (``local_als``: what the spark engine's
   weigh step retrains) and of the shipped local default (``ImplicitALS()``, reg_exponent 0.75).
   Spark's time is its whole ``fit`` (Parquet export, blocks, collecting the factors).
2. **The weekly job on HetRec**: the training pipeline with each engine (seconds per step); on the
   Spark-trained bundle, every listener's hybrid top-30 (``recommend_batch`` vs ``batch_recommend``)
   and Discover Weekly (``playlists.discover_weekly`` vs ``spark.discover_weekly``), with how many
   listeners get identical rows. ``--weigh-on-spark`` also runs the pipeline with its validation
   retrain on Spark, to compare the blend weights the two retrains choose.
3. **Scale** (``--scale``): training time and peak memory on the Last.fm-360K-scale power-law matrix
   (358,868 x 160,112, ~17M non-zeros), as before; peak memory is the largest resident set of this
   process and its children (the JVM), sampled from ``/proc`` every 0.2 s. Then, on a bundle of the
   cached 64-factor model of that matrix with a seeded 64-dimensional cultural block (blend weight
   0.5): what computing every listener's hybrid query vector on the driver would cost (time, and
   bytes to stage against the user factors the executors get), and the hybrid top-30 of
   ``--scale-users`` listeners, local exact against Spark.

    python benchmarks/bench_spark.py [--threads 2] [--seeds 0 1 2] [--weigh-on-spark] [--scale]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import HETREC, hetrec_plays, lastfm360k_model, lastfm360k_scale  # noqa: E402

from tastemaker.cf import ImplicitALS  # noqa: E402


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux ``/proc``)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, StopIteration):
            continue
    return total


class PeakRSS:
    """Context manager sampling the process tree's resident set; ``.peak`` in bytes."""

    def __enter__(self):
        self.peak, self._stop = _tree_rss(os.getpid()), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _tree_rss(os.getpid()))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(os.getpid()))


def _mean_sd(values) -> str:
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}" if len(values) > 1 else f"{values[0]:.4f}"


# --- 1. quality -----------------------------------------------------------------------------------
def quality(spark, seeds, threads: int) -> None:
    from tastemaker.evaluation import evaluate, random_holdout
    from tastemaker.spark import SparkALS, local_als

    plays = hetrec_plays()
    engines = {
        "Spark MLlib ALS (SparkALS(), what `train --engine spark` fits)":
            lambda train: SparkALS(random_state=0).fit(train, spark),
        "local ALS, Spark's objective (local_als(): the spark engine's weigh retrain)":
            lambda train: ImplicitALS(**{**local_als({}, random_state=0).get_params(), "num_threads": threads})
            .fit(train, False),
        "local ALS, shipped default (ImplicitALS(), reg_exponent 0.75)":
            lambda train: ImplicitALS(random_state=0, num_threads=threads).fit(train, False),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
    for seed in seeds:
        train, test = random_holdout(plays, test_fraction=0.2, min_items=5, random_state=seed)
        for name, fit in engines.items():
            t = time.perf_counter()
            model = fit(train)
            seconds = time.perf_counter() - t
            ndcg = evaluate(model, train, test, ks=(10,))["ndcg@10"]
            results[name].append((ndcg, seconds))
            print(f"  seed {seed} {name}: ndcg@10 {ndcg:.4f} in {seconds:.1f}s", flush=True)
    print(f"\n| HetRec, {len(seeds)} split seeds | nDCG@10 | train s (mean) |\n|---|---|---|")
    for name, rows in results.items():
        print(f"| {name} | {_mean_sd([r[0] for r in rows])} | {statistics.mean(r[1] for r in rows):.1f} |")


# --- 2. the weekly job on HetRec ------------------------------------------------------------------
def weekly(spark, threads: int, weigh_on_spark: bool, work: Path) -> None:
    import pyarrow.parquet as pq

    from tastemaker.data import Store, ingest_hetrec
    from tastemaker.pipeline import TrainingPipeline, TrainSettings
    from tastemaker.playlists import discover_weekly
    from tastemaker.spark import batch_recommend
    from tastemaker.spark import discover_weekly as spark_discover_weekly

    db = work / "hetrec.duckdb"
    with Store(db) as store:
        ingest_hetrec(store, HETREC, progress=False)
    steps = {}
    bundles = {}
    for engine in ("local", "spark"):
        t = time.perf_counter()
        result = TrainingPipeline(TrainSettings(engine=engine)).run(db)
        steps[engine] = {**result.seconds, "all": time.perf_counter() - t}
        bundles[engine] = result.bundle
        print(f"  pipeline ({engine}): {steps[engine]}; weights {result.bundle.metadata['blend']['weights']}", flush=True)
    if weigh_on_spark:
        _weigh_on_spark(spark, db)
    print("\n| pipeline step (s) | " + " | ".join(steps["local"]) + " |\n|---|" + "---|" * len(steps["local"]))
    for engine, row in steps.items():
        print(f"| {engine} | " + " | ".join(f"{row[k]:.1f}" for k in steps["local"]) + " |")

    bundle = bundles["spark"]
    n = 30
    t = time.perf_counter()
    want, _ = bundle.recommend_batch(n, exact=True, num_threads=threads)
    local_batch = time.perf_counter() - t
    spark_batch = []
    for _ in range(2):  # the first run starts the Python workers
        t = time.perf_counter()
        batch_recommend(spark, bundle, work / "recs.parquet", n=n)
        spark_batch.append(time.perf_counter() - t)
    table = pq.read_table(work / "recs.parquet")
    got = np.full_like(want, -1)
    got[bundle.users.indices(table["user_id"].to_pylist()), table["rank"].to_numpy() - 1] = \
        bundle.items.indices(table["item_id"].to_pylist())
    same_batch = int((got == want).all(axis=1).sum())

    lists = {}
    seconds = {"local": [], "spark": []}
    for engine in ("local", "spark"):
        path = work / f"dw-{engine}.duckdb"
        shutil.copy(db, path)
        with Store(path) as store:
            for week in ("2026-W48", "2026-W49"):
                t = time.perf_counter()
                if engine == "local":
                    out = discover_weekly(store, bundle, week)
                else:
                    out = spark_discover_weekly(spark, store, bundle, week)
                seconds[engine].append(time.perf_counter() - t)
                lists.setdefault(week, {})[engine] = out
    same = {}
    for week, pair in lists.items():
        a, b = pair["local"], pair["spark"]
        same[week] = int(((a.items == b.items).all(axis=1) & (a.reasons == b.reasons).all(axis=1)
                          & (a.anchors == b.anchors).all(axis=1)).sum())
    users = len(bundle.users)
    print(f"\n| every HetRec listener ({users:,}), Spark-trained bundle | local | Spark local[{threads}] | "
          f"identical rows |\n|---|---|---|---|")
    print(f"| hybrid top-{n} (exact) | {local_batch:.1f} s | {spark_batch[1]:.1f} s (first run {spark_batch[0]:.1f} s) "
          f"| {same_batch:,} of {users:,} listeners |")
    for k, week in enumerate(lists):
        print(f"| Discover Weekly {week} (stored) | {seconds['local'][k]:.1f} s | {seconds['spark'][k]:.1f} s "
              f"| {same[week]:,} of {users:,} playlists |")


def _weigh_on_spark(spark, db) -> None:
    """The pipeline once more, its validation retrain on Spark instead of local ALS (a stand-in
    patched in for this measurement only)."""
    import tastemaker.pipeline._weigh as weigh_module
    from tastemaker.pipeline import TrainingPipeline, TrainSettings
    from tastemaker.spark import SparkALS, spark_params

    class SparkRetrain:
        def __init__(self, params):
            self.params = params

        def fit(self, user_items, show_progress=False):
            model = SparkALS(**spark_params(self.params), random_state=0).fit(user_items, spark)
            self.user_factors_, self.item_factors_ = model.user_factors_, model.item_factors_
            return self

    original = weigh_module._validation_model
    weigh_module._validation_model = lambda settings: SparkRetrain(settings.params)
    try:
        result = TrainingPipeline(TrainSettings(engine="spark")).run(db)
    finally:
        weigh_module._validation_model = original
    meta = result.bundle.metadata["blend"]
    print(f"  pipeline (spark, weigh retrained on Spark): weigh {result.seconds['weigh']:.1f}s; weights "
          f"{meta['weights']}; validation {meta.get('best')}", flush=True)


# --- 3. scale -------------------------------------------------------------------------------------
def scale(threads: int, factors: int, iterations: int, driver_memory: str) -> None:
    from tastemaker.spark import SparkALS, export_matrix, spark_session

    params = dict(factors=factors, regularization=10.0, alpha=1.0, epsilon=10.0, iterations=iterations)
    m = lastfm360k_scale()
    print(f"matrix {m.shape[0]:,} x {m.shape[1]:,}, {m.nnz:,} non-zeros; {params}", flush=True)
    rows = []
    with PeakRSS() as mem:
        t = time.perf_counter()
        ImplicitALS(**params, reg_exponent=1.0, num_threads=threads, random_state=0).fit(m, show_progress=False)
        total = time.perf_counter() - t
    rows.append((f"local ImplicitALS ({threads} threads)", total, mem.peak))
    master = f"local[{threads}]"
    with PeakRSS() as mem:
        spark = spark_session(master, app_name="tastemaker-bench", spark_driver_memory=driver_memory)
        with tempfile.TemporaryDirectory() as tmp:
            export_matrix(m, tmp)
            trainer = SparkALS(**params, num_blocks=2 * threads, random_state=0)
            trainer.fit(tmp, spark, shape=m.shape)
        spark.stop()
    rows.append((f"Spark MLlib ALS ({master})", trainer.fit_seconds_, mem.peak))
    print(f"\n| engine | iterations | s / iteration | total s | peak RSS (GiB) |\n|---|---|---|---|---|")
    for name, seconds, peak in rows:
        print(f"| {name} | {iterations} | {seconds / iterations:.1f} | {seconds:.1f} | {peak / 2**30:.2f} |")


def scale_batch(spark, threads: int, n_users: int, work: Path) -> None:
    import pyarrow.parquet as pq

    from tastemaker.bundle import ModelBundle
    from tastemaker.data import Vocabulary
    from tastemaker.hybrid import Blend
    from tastemaker.spark import batch_recommend

    X, Y, counts = lastfm360k_model(64)
    # the cached factors as a fitted model, the way a saved one is read back
    model = ImplicitALS._from_state(
        {"class": "ImplicitALS", "params": {"factors": 64},
         "scalars": {"n_users_": X.shape[0], "n_items_": Y.shape[0],
                     "_mean_user_nnz_": counts.nnz / X.shape[0], "_mean_item_nnz_": counts.nnz / Y.shape[0]}},
        {"user_factors_": X, "item_factors_": Y})
    rng = np.random.default_rng(5)
    culture = rng.standard_normal((Y.shape[0], 64)).astype(np.float32)
    culture[rng.random(Y.shape[0]) < 0.15] = 0  # undescribed items
    users = Vocabulary(np.char.add("u", np.arange(X.shape[0]).astype(str)), name="user")
    items = Vocabulary(np.char.add("i", np.arange(Y.shape[0]).astype(str)), name="item")
    bundle = ModelBundle(model, users, items, items.ids, counts, signals={"culture": culture})
    bundle.set_blend(Blend({"cf": 1.0, "culture": 0.5}).fit(bundle.blocks()))
    blend, blocks = bundle._blend(), bundle.blocks()
    t = time.perf_counter()
    dim = 0
    for start in range(0, X.shape[0], 50_000):
        chunk = slice(start, start + 50_000)
        Q, _ = blend.query_matrix(blend.query_parts(X[chunk], counts[chunk], blocks))
        dim = Q.shape[1]
    driver = time.perf_counter() - t
    print(f"  driver: every listener's query vector ({X.shape[0]:,} x {dim}) in {driver:.1f}s; staging them: "
          f"{X.shape[0] * dim * 4 / 2**20:.0f} MiB against {X.nbytes / 2**20:.0f} MiB of user factors", flush=True)
    rows = np.arange(n_users)
    t = time.perf_counter()
    want, _ = bundle.recommend_batch(30, user_rows=rows, exact=True, num_threads=threads)
    local = time.perf_counter() - t
    t = time.perf_counter()
    batch_recommend(spark, bundle, work / "recs.parquet", n=30, user_rows=rows)
    remote = time.perf_counter() - t
    table = pq.read_table(work / "recs.parquet")
    got = np.full((len(bundle.users), 30), -1, np.int64)
    got[bundle.users.indices(table["user_id"].to_pylist()), table["rank"].to_numpy() - 1] = \
        bundle.items.indices(table["item_id"].to_pylist())
    same = int((got[rows] == want).all(axis=1).sum())
    print(f"\n| 360K scale, hybrid top-30 (cf + culture, exact) | local ({threads} threads) | Spark local[{threads}] "
          f"| identical rows |\n|---|---|---|---|")
    print(f"| {n_users:,} listeners | {local:.1f} s | {remote:.1f} s | {same:,} of {n_users:,} |")
    print(f"| driver-side query vectors, all {X.shape[0]:,} listeners | {driver:.1f} s | (in the executors) | |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="local threads; Spark runs local[N]")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-weekly", action="store_true")
    ap.add_argument("--weigh-on-spark", action="store_true")
    ap.add_argument("--scale", action="store_true", help="also the 360K-scale training run (several minutes)")
    ap.add_argument("--scale-users", type=int, default=20_000, help="(scale) listeners in the batch comparison")
    ap.add_argument("--factors", type=int, default=64, help="(scale) factors")
    ap.add_argument("--iterations", type=int, default=3, help="(scale) iterations")
    ap.add_argument("--driver-memory", default="8g")
    args = ap.parse_args()
    from tastemaker.spark import spark_session

    spark = spark_session(f"local[{args.threads}]", app_name="tastemaker-bench", spark_driver_memory=args.driver_memory)
    if not args.skip_quality:
        quality(spark, args.seeds, args.threads)
    if not args.skip_weekly:
        with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
            weekly(spark, args.threads, args.weigh_on_spark, Path(tmp))
    if args.scale:
        with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
            scale_batch(spark, args.threads, args.scale_users, Path(tmp))
    spark.stop()
    if args.scale:
        scale(args.threads, args.factors, args.iterations, args.driver_memory)


if __name__ == "__main__":
    main()
