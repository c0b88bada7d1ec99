"""The whole system at Last.fm-360K scale, through the real commands.

A seeded event log the size of Last.fm-360K (358,868 listeners, 160,112 artists, ~17M play rows,
tags for 85% of the artists; ``_datasets.lastfm360k_event_log``) is written to Parquet once; then,
on a fresh store, every step runs as its own ``tastemaker`` process, timed, with its peak memory
(the child's maximum resident set, from ``wait4``; the weekly job also records its peak after each
step, so the table shows which step raised it):

1. ``tastemaker ingest events events.parquet`` and ``tastemaker ingest tags tags.parquet``;
2. ``tastemaker pipeline`` (the weekly job: train, place, weigh, index, Discover Weekly for every
   listener, BaRT, swap), with each step's time as the job recorded it;
3. ``tastemaker terms``, ``tastemaker similar --by culture`` and ``tastemaker recommend`` on the
   model it saved (median of 3 runs each, a fresh process each time: what a person waits);
4. ``tastemaker serve`` on that model under 500 requests/s (``bench_serve.measure``: open loop,
   3 runs of 10 s, and ``hey`` as an outside load generator when it is installed).

Targets on 2 cores: ingest <= 3 min, the whole weekly pipeline <= 10 min, peak RSS <= 4 GB, each
command <= 1 s, p99 <= 15 ms at 500 requests/s.

    python benchmarks/bench_e2e_360k.py                 # everything (about 20 minutes)
    python benchmarks/bench_e2e_360k.py --skip-serve --work e2e-work
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _datasets import lastfm360k_event_log  # noqa: E402

TARGETS = {"ingest": 180.0, "pipeline": 600.0, "rss_gb": 4.0, "command": 1.0, "p99_ms": 15.0}
WEEK = "2026-W49"


def run(args: list[str], env: dict, log: Path) -> dict:
    """One ``tastemaker`` process: wall seconds, peak RSS (GiB), exit code; output to ``log``."""
    with open(log, "a") as out:
        out.write(f"\n$ tastemaker {' '.join(args)}\n")
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "tastemaker", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"tastemaker {' '.join(args)} failed ({proc.returncode}); see {log}")
    return {"seconds": wall, "rss_gb": usage.ru_maxrss / 2**20, "cpu": usage.ru_utime + usage.ru_stime}


def step_times(db: Path) -> list[tuple[str, float, dict]]:
    """The weekly job's steps as it recorded them: ``(step, seconds, detail)``."""
    from tastemaker.data import Store

    with Store(db, read_only=True) as store:
        rows = store.con.execute("SELECT step, detail FROM pipeline_runs WHERE week = ? ORDER BY finished_at",
                                 [WEEK]).fetchall()
    return [(step, json.loads(detail).get("seconds", 0.0), json.loads(detail)) for step, detail in rows]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="Folder for the store and models (default: a temporary one).")
    parser.add_argument("--skip-serve", action="store_true", help="Leave out the serving measurement.")
    parser.add_argument("--keep", action="store_true", help="Keep the store and model afterwards.")
    parser.add_argument("--reuse", action="store_true",
                        help="Measure only the commands and serving, on the store and model --work already holds "
                             "(from an earlier run of this script); the step table then shows that run's steps.")
    args = parser.parse_args(argv)

    files = lastfm360k_event_log()
    work = args.work or Path(tempfile.mkdtemp(prefix="tastemaker-e2e-"))
    if args.reuse and not (work / "models" / "CURRENT").exists():
        raise SystemExit(f"--reuse needs a work folder with a model from an earlier run; {work} has none")
    if work.exists() and not args.reuse:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    db, models, log = work / "tastemaker.duckdb", work / "models", work / "commands.log"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TASTEMAKER_")},
           "TASTEMAKER_DB": str(db), "PYTHONPATH": str(ROOT / "src"), "TASTEMAKER_API_TOKEN": "bench"}
    results: dict[str, dict] = {}
    print(f"work folder {work}; command output in {log}", flush=True)
    if args.reuse:
        saved = json.loads((work / "results.json").read_text())
        results.update({k: saved[k] for k in ("ingest events", "ingest tags", "pipeline")})
    else:
        results["ingest events"] = run(["ingest", "events", str(files["events"])], env, log)
        results["ingest tags"] = run(["ingest", "tags", str(files["tags"])], env, log)
        for name in ("ingest events", "ingest tags"):
            print(f"{name}: {results[name]['seconds']:.1f}s, peak {results[name]['rss_gb']:.2f} GiB", flush=True)
        results["pipeline"] = run(["pipeline", "--week", WEEK], env, log)
        (work / "results.json").write_text(json.dumps(results))
    print(f"pipeline: {results['pipeline']['seconds']:.1f}s, peak {results['pipeline']['rss_gb']:.2f} GiB", flush=True)
    steps = step_times(db)

    from tastemaker.bundle import ModelBundle

    bundle = ModelBundle.load(models, index=False)
    user = str(bundle.users.ids[123])
    item = str(bundle.culture.items_.ids[45])  # an item with tags, so that terms and culture have an answer
    meta = bundle.metadata
    commands = {"terms": ["terms", item], "similar --by culture": ["similar", item, "--by", "culture"],
                "recommend": ["recommend", user], "similar": ["similar", item]}
    latency = {}
    for name, cmd in commands.items():
        runs = [run(cmd, env, log) for _ in range(3)]
        latency[name] = {"median": statistics.median(r["seconds"] for r in runs),
                         "min": min(r["seconds"] for r in runs), "max": max(r["seconds"] for r in runs),
                         "rss_gb": max(r["rss_gb"] for r in runs)}
        print(f"{name}: {latency[name]['median']:.2f}s", flush=True)

    serve_row = None
    if not args.skip_serve:
        from bench_serve import HEADERS, measure

        serve_row, raw = measure("360k pipeline model", db, models, 500, 10, 3, hey=shutil.which("hey") is not None)
        results["serve"] = raw

    ingest_s = results["ingest events"]["seconds"] + results["ingest tags"]["seconds"]
    peak = max(r["rss_gb"] for k, r in results.items() if k != "serve")
    print(f"\n## End to end at Last.fm-360K scale ({os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end)\n")
    print(f"Store: {meta['users']:,} listeners x {meta['items']:,} items, {meta['interactions']:,} interactions; "
          f"model {bundle.version} ({type(bundle.cf).__name__}, blend {meta.get('blend', {}).get('weights')}, "
          f"index {bundle.metadata.get('pipeline', {}).get('settings', {}).get('index')})\n")
    print("| step | seconds | peak RSS GiB | target |")
    print("|---|---|---|---|")
    print(f"| ingest events ({files['events'].stat().st_size / 2**20:,.0f} MiB Parquet) | "
          f"{results['ingest events']['seconds']:.1f} | {results['ingest events']['rss_gb']:.2f} | |")
    print(f"| ingest tags | {results['ingest tags']['seconds']:.1f} | {results['ingest tags']['rss_gb']:.2f} | |")
    print(f"| **ingest, both** | **{ingest_s:.1f}** | | <= {TARGETS['ingest']:.0f} |")
    for step, seconds, detail in steps:
        inner, peaks = detail.get("steps"), detail.get("steps_peak_gib") or {}
        extra = (" (" + ", ".join(f"{k} {v:.0f}s" + (f" to {peaks[k]:.2f} GiB" if k in peaks else "")
                                  for k, v in inner.items()) + ")") if isinstance(inner, dict) else ""
        step_peak = f"{detail['peak_gib']:.2f}" if "peak_gib" in detail else ""
        print(f"| pipeline: {step}{extra} | {seconds:.1f} | {step_peak} | |")
    print(f"| **pipeline, whole** | **{results['pipeline']['seconds']:.1f}** | {results['pipeline']['rss_gb']:.2f} "
          f"| <= {TARGETS['pipeline']:.0f} |")
    print(f"| peak RSS of any step | | **{peak:.2f}** | <= {TARGETS['rss_gb']:.0f} |")
    for name, lat in latency.items():
        print(f"| `tastemaker {' '.join(commands[name][:1] + commands[name][2:])}` | {lat['median']:.2f} "
              f"({lat['min']:.2f}-{lat['max']:.2f}) | {lat['rss_gb']:.2f} | <= {TARGETS['command']:.0f} |")
    if serve_row is not None:
        print("\n| " + " | ".join(HEADERS) + " |")
        print("|" + "---|" * len(HEADERS))
        print("| " + " | ".join(serve_row) + " |")
        for h in results["serve"]["hey"]:
            print(f"\nhey at 500 req/s: achieved {h['achieved']:.0f}, p50 {h['p50']:.2f} ms, p99 {h['p99']:.2f} ms, "
                  f"codes {h['codes']}")
    if not args.keep and args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
