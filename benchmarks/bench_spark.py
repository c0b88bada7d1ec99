"""Local ALS against Spark MLlib ALS (``local[2]``) on the Last.fm-360K-scale matrix.

Both engines get the same hyper-parameters and the same log confidence; Spark's time per
iteration is its whole ``fit`` (including reading the Parquet ratings and building blocks, and
collecting the factors to the driver) divided by the iterations. Peak memory is the largest
resident set of this process plus its children (the JVM) seen while each engine ran, sampled
from ``/proc`` every 0.2 s.

    python benchmarks/bench_spark.py [--factors 64] [--iterations 3] [--driver-memory 8g]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import lastfm360k_scale  # noqa: E402

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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="local engine threads (Spark: local[N])")
    ap.add_argument("--driver-memory", default="8g")
    args = ap.parse_args()
    params = dict(factors=args.factors, regularization=10.0, alpha=1.0, epsilon=10.0, iterations=args.iterations)
    m = lastfm360k_scale()
    print(f"matrix {m.shape[0]:,} x {m.shape[1]:,}, {m.nnz:,} non-zeros; {params}", flush=True)
    rows = []

    with PeakRSS() as mem:
        t = time.perf_counter()
        ImplicitALS(**params, reg_exponent=1.0, num_threads=args.threads, random_state=0).fit(m, show_progress=False)
        total = time.perf_counter() - t
    rows.append((f"local ImplicitALS ({args.threads} threads)", total, mem.peak))
    print(f"local: {total:.1f}s, peak {mem.peak / 2**30:.2f} GiB", flush=True)

    from tastemaker.spark import SparkALS, export_matrix, spark_session

    master = f"local[{args.threads}]"
    with PeakRSS() as mem:
        spark = spark_session(master, app_name="tastemaker-bench", spark_driver_memory=args.driver_memory)
        with tempfile.TemporaryDirectory() as tmp:
            export_matrix(m, tmp)
            model = SparkALS(**params, num_blocks=2 * args.threads, random_state=0).fit(tmp, spark, shape=m.shape)
        spark.stop()
    rows.append((f"Spark MLlib ALS ({master})", model.spark_seconds_, mem.peak))
    print(f"spark: {model.spark_seconds_:.1f}s, peak {mem.peak / 2**30:.2f} GiB", flush=True)

    print(f"\n| engine | iterations | s / iteration | total s | peak RSS (GiB) |\n|---|---|---|---|---|")
    for name, seconds, peak in rows:
        print(f"| {name} | {args.iterations} | {seconds / args.iterations:.1f} | {seconds:.1f} | {peak / 2**30:.2f} |")


if __name__ == "__main__":
    main()
