"""Ingest at Last.fm-360K scale: the real commands, as subprocesses, on a fresh store each run.

Each run makes an empty store and runs ``tastemaker --db X ingest events EVENTS`` then
``tastemaker --db X ingest tags TAGS``, then (``--load``) a child that calls
``load_interactions(store)`` as ``tastemaker train`` does first. Per step: wall seconds, CPU
seconds (user + system), peak RSS of that child alone (``os.wait4``), and the store's size after
it. The table gives the median and the min-max over ``--runs``.

Shapes (the data: ``benchmarks/_datasets.lastfm360k_event_log``, generated once and cached):

``parquet``   events.parquet (17M rows, one per user x item of the 360K-scale matrix) + tags.parquet
``csv.gz``    the same 17M events as gzipped CSV with ISO 8601 text times + the same tags
``users10``   the first 10% of the users (1.7M events) and their tags, Parquet

    python benchmarks/bench_ingest.py                          # parquet, 3 runs
    python benchmarks/bench_ingest.py --shapes parquet csv.gz users10 --runs 3 --load
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import CACHE, lastfm360k_event_csv, lastfm360k_event_log  # noqa: E402

SHAPES = ("parquet", "csv.gz", "users10")
TARGET_SECONDS, TARGET_RSS = 180, 4 * 2**30  # events + tags on a 2-core machine; one command's peak
LOAD = """
import sys, time
from tastemaker.data import Store, load_interactions
t = time.perf_counter()
with Store(sys.argv[1], read_only=True) as store:
    data = load_interactions(store)
print(f"loaded {data.user_items.nnz} pairs {data.shape} in {time.perf_counter() - t:.1f}s")
"""


def _script() -> str:
    beside = Path(sys.executable).parent / "tastemaker"
    return str(beside) if beside.is_file() else (shutil.which("tastemaker") or "tastemaker")


def files(shape: str) -> dict[str, Path]:
    """The events and tags files of ``shape``, made (and cached) if missing."""
    paths = lastfm360k_event_log()
    if shape == "parquet":
        return {"events": paths["events"], "tags": paths["tags"]}
    if shape == "csv.gz":
        return {"events": lastfm360k_event_csv(), "tags": paths["tags"]}
    if shape == "users10":
        import duckdb

        out = {"events": paths["directory"] / "users10-events.parquet",
               "tags": paths["directory"] / "users10-tags.parquet"}  # fmt: skip
        if not all(p.exists() for p in out.values()):
            con = duckdb.connect()
            con.execute("SET enable_progress_bar = false")
            cut = "user_id < 'u035887'"  # ids are u000000 .. u358867: the first 10%
            for kind in ("events", "tags"):
                tmp = out[kind].with_suffix(".tmp")
                con.execute(f"COPY (SELECT * FROM read_parquet('{paths[kind]}') WHERE {cut}) TO '{tmp}' "
                            f"(FORMAT parquet, ROW_GROUP_SIZE 1048576)")
                tmp.replace(out[kind])
        return out
    raise ValueError(f"unknown shape {shape!r}; use one of {', '.join(SHAPES)}")


def run_child(argv: list[str]) -> dict:
    """Run ``argv``; its wall seconds, CPU seconds and peak RSS (bytes), from its own rusage."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's usage alone, not all children's
        wall = time.perf_counter() - t
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code:
        last = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip()][-3:]
        raise SystemExit(f"{' '.join(argv)} failed ({code}): " + " | ".join(last))
    return {"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024,
            "out": stdout.strip()}


def store_size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def one_run(shape: str, paths: dict[str, Path], load: bool, workdir: Path) -> dict[str, dict]:
    db = workdir / f"{shape}.duckdb"
    for leftover in (db, db.with_name(db.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + ".tmp"), ignore_errors=True)
    steps = {}
    for kind in ("events", "tags"):
        result = run_child([_script(), "--db", str(db), "ingest", kind, str(paths[kind])])
        result["size"] = store_size(db)
        steps[kind] = result
    if load:
        steps["load_interactions"] = run_child([sys.executable, "-c", LOAD, str(db)])
        steps["load_interactions"]["size"] = store_size(db)
    return steps


def count_rows(path: Path) -> int:
    """Rows of a Parquet file; of events.csv.gz, those of the Parquet file it was written from."""
    import duckdb

    if path.name == "events.csv.gz":
        path = path.with_name("events.parquet")
    return int(duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0])


def _spread(values: list[float], fmt: str = "{:.1f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", nargs="+", choices=SHAPES, default=["parquet"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--load", action="store_true", help="also time load_interactions on each store")
    ap.add_argument("--workdir", type=Path, help="where the stores go (default: a temporary folder)")
    args = ap.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for shape in args.shapes:
        paths = files(shape)
        rows = {"events": count_rows(paths["events"]), "tags": count_rows(paths["tags"])}
        runs = []
        for i in range(args.runs):
            busy = os.getloadavg()[0]  # the machine may be shared: say how busy it was
            steps = one_run(shape, paths, args.load, workdir)
            steps["load_average"] = busy
            runs.append(steps)
            done = ", ".join(f"{k} {v['seconds']:.1f}s (cpu {v['cpu']:.1f}s, rss {v['rss'] / 2**30:.2f} GiB)"
                             for k, v in steps.items() if k != "load_average")  # fmt: skip
            print(f"{shape} run {i + 1}: {done}; load average before {busy:.1f}", flush=True)
        results.append({"shape": shape, "rows": rows, "files": {k: str(v) for k, v in paths.items()},
                         "sizes": {k: v.stat().st_size for k, v in paths.items()}, "runs": runs})  # fmt: skip
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)

    loads = [run["load_average"] for r in results for run in r["runs"]]
    print(f"\n{platform.node()}: {os.cpu_count()} CPUs, load average before the runs "
          f"{min(loads):.1f}–{max(loads):.1f}; {args.runs} runs per shape, each on a fresh store; "
          f"median (min–max)\n")  # fmt: skip
    print("| shape | step | rows | seconds | rows/s | CPU seconds | peak RSS (GiB) | store after (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        steps = ["events", "tags", "events + tags"] + (["load_interactions"] if args.load else [])
        for step in steps:
            if step == "events + tags":
                secs = [run["events"]["seconds"] + run["tags"]["seconds"] for run in r["runs"]]
                cpu = [run["events"]["cpu"] + run["tags"]["cpu"] for run in r["runs"]]
                rss = [max(run["events"]["rss"], run["tags"]["rss"]) for run in r["runs"]]
                size = [run["tags"]["size"] for run in r["runs"]]
                n = r["rows"]["events"] + r["rows"]["tags"]
            else:
                secs = [run[step]["seconds"] for run in r["runs"]]
                cpu = [run[step]["cpu"] for run in r["runs"]]
                rss = [run[step]["rss"] for run in r["runs"]]
                size = [run[step]["size"] for run in r["runs"]]
                n = r["rows"].get(step, r["rows"]["events"])
            print(f"| {r['shape']} | {step} | {n:,} | {_spread(secs)} | {n / median(secs):,.0f} | {_spread(cpu)} | "
                  f"{max(rss) / 2**30:.2f} | {median(size) / 2**20:,.0f} |")
    for r in results:
        worst = max(run["events"]["seconds"] + run["tags"]["seconds"] for run in r["runs"])
        rss = max(max(run["events"]["rss"], run["tags"]["rss"]) for run in r["runs"])
        met = worst <= TARGET_SECONDS and rss <= TARGET_RSS
        print(f"\n{r['shape']}: slowest events + tags {worst:.0f} s (target {TARGET_SECONDS} s), peak RSS "
              f"{rss / 2**30:.2f} GiB (target {TARGET_RSS / 2**30:.0f} GiB): {'met' if met else 'NOT met'}", end="")
    out = CACHE / "bench_ingest.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"\n\nresults: {out}")


if __name__ == "__main__":
    main()
