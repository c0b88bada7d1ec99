"""Latency of ``GET /users/{id}/recommendations`` under a fixed request rate, and the ceiling.

The server (``tastemaker serve``, its own process) and the load generator (this script's child
process, open-loop: request i is due at ``start + i / rate`` whether or not earlier answers have
come back, and its latency counts from that due time, so a stalled server cannot hide its queue)
talk over loopback. Every request asks a random listener's top 10 with played items filtered and
names. The ceiling is the throughput of a closed loop with many connections.

    python benchmarks/bench_serve.py                       # HetRec and the Last.fm-360K-scale model
    python benchmarks/bench_serve.py --models hetrec --rate 500 --seconds 10 --runs 3

The 360K-scale model (358,868 x 160,112, 64 factors, ``_datasets.lastfm360k_model``) is served
from a bundle with a Voyager index (what `train --index auto` picks there), built once into ``benchmarks/results/serve-360k/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _datasets import CACHE, HETREC  # noqa: E402


# --- models to serve ------------------------------------------------------------------------------
def hetrec_bundle(folder: Path) -> tuple[Path, Path]:
    """HetRec ingested and trained by the shipped pipeline (`tastemaker train`: ALS with 128
    factors, cultural vectors, the learned blend, and the exact index it picks under 50,000 items)."""
    from tastemaker.data import Store, ingest_hetrec
    from tastemaker.pipeline import TrainingPipeline

    db, root = folder / "hetrec.duckdb", folder / "models"
    if not (root / "CURRENT").exists():
        with Store(db) as store:
            ingest_hetrec(store, HETREC, progress=False)
        TrainingPipeline().run(db, root)
    return db, root


def lastfm360k_bundle(folder: Path) -> tuple[Path, Path]:
    """The 360K-scale ALS model (64 factors) as a served bundle with a Voyager index (collaborative
    filtering alone: the matrix has no tags; ``bench_e2e_360k.py`` serves the full pipeline's model)."""
    import scipy.sparse as sp

    from _datasets import lastfm360k_model
    from tastemaker.bundle import ModelBundle
    from tastemaker.cf import ImplicitALS
    from tastemaker.data import Store, Vocabulary
    from tastemaker.hybrid import Blend

    db, root = folder / "empty.duckdb", folder / "models"
    if (root / "CURRENT").exists():
        return db, root
    Store(db).connect().close()  # the server writes live events here; the model needs no store
    user_factors, item_factors, counts = lastfm360k_model()
    model = ImplicitALS(factors=user_factors.shape[1], random_state=0)
    model.user_factors_, model.item_factors_ = user_factors, item_factors
    model.n_users_, model.n_items_ = counts.shape
    model._mean_user_nnz_ = counts.nnz / counts.shape[0]
    model._mean_item_nnz_ = counts.nnz / counts.shape[1]
    model._after_load()
    users = Vocabulary([f"u{i}" for i in range(counts.shape[0])], name="user")
    items = Vocabulary([f"a{i}" for i in range(counts.shape[1])], name="item")
    names = np.array([f"Artist {i}" for i in range(counts.shape[1])])
    bundle = ModelBundle(model, users, items, names, sp.csr_matrix(counts),
                         metadata={"trained_at": "2026-01-01T00:00:00+00:00"})
    bundle.set_blend(Blend({"cf": 1.0}, standardise=False).fit(bundle.blocks()))
    t = time.perf_counter()
    bundle.build_index("voyager")
    print(f"built the Voyager index in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    bundle.save(root)
    return db, root


MODELS = {"hetrec": hetrec_bundle, "360k": lastfm360k_bundle}


# --- the server -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, model: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TASTEMAKER_API_TOKEN": "bench"}
    proc = subprocess.Popen([sys.executable, "-m", "tastemaker", "--db", str(db), "--model", str(model), "serve",
                             "--port", str(port), "--log-level", "warning", "--reload-interval", "0"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"tastemaker serve exited: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start within 300s")


# --- the load generator (a second process) ----------------------------------------------------------
class Connection:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def _open(port: int) -> Connection:
    return Connection(*await asyncio.open_connection("127.0.0.1", port))


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


async def open_loop(port: int, paths: list[str], rate: float, seconds: float, max_connections: int = 256) -> dict:
    """Requests at a fixed rate; latency from each request's due time. At most ``max_connections``
    are open; a request due while all are busy waits for one (and the wait counts)."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(32):
        idle.put_nowait(await _open(port))
    opened = 32
    latencies, errors = [], {}
    n = int(rate * seconds)
    clock = time.perf_counter  # uvloop's loop.time() counts whole milliseconds
    start = clock() + 0.05

    async def one(i: int) -> None:
        nonlocal opened
        due = start + i / rate
        try:
            if idle.empty() and opened < max_connections:
                opened += 1
                conn = await _open(port)
            else:
                conn = await idle.get()
            status = await conn.get(_request(paths[i % len(paths)]))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            opened -= 1
            return
        latencies.append(clock() - due)
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
        idle.put_nowait(conn)

    tasks = []
    for i in range(n):
        delay = start + i / rate - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    elapsed = clock() - start
    ms = np.array(latencies) * 1000
    return {"requests": n, "errors": sum(errors.values()), "error_kinds": errors, "achieved": n / elapsed,
            "p50": float(np.percentile(ms, 50)), "p90": float(np.percentile(ms, 90)),
            "p99": float(np.percentile(ms, 99)), "max": float(ms.max())}


async def closed_loop(port: int, paths: list[str], connections: int, seconds: float) -> dict:
    """As fast as the server answers, ``connections`` requests in flight."""
    done, errors = 0, 0
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    async def worker(k: int) -> None:
        nonlocal done, errors
        conn = await _open(port)
        i = k
        while loop.time() < end:
            if await conn.get(_request(paths[i % len(paths)])) != 200:
                errors += 1
            done += 1
            i += connections

    start = loop.time()
    await asyncio.gather(*(worker(k) for k in range(connections)))
    return {"requests": done, "errors": errors, "throughput": done / (loop.time() - start)}


def _generator(kind: str, port: int, paths: list[str], arg: float, seconds: float, out) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    coro = open_loop(port, paths, arg, seconds) if kind == "open" else closed_loop(port, paths, int(arg), seconds)
    started = time.process_time()
    result = asyncio.run(coro)
    result["generator_cpu_ms"] = (time.process_time() - started) * 1000 / max(result["requests"], 1)
    out.send(result)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generate(kind: str, server_pid: int, port: int, paths: list[str], arg: float, seconds: float) -> dict:
    """One run from a fresh generator process; adds the server's CPU milliseconds per request
    (what the machine's load does not change much, unlike latencies on a shared machine)."""
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_generator, args=(kind, port, paths, arg, seconds, child))
    proc.start()
    before = cpu_seconds(server_pid)
    result = parent.recv()
    result["server_cpu_ms"] = (cpu_seconds(server_pid) - before) * 1000 / max(result["requests"], 1)
    proc.join()
    return result


# --- main -------------------------------------------------------------------------------------------
def user_paths(root: Path, n: int = 20_000, seed: int = 0) -> list[str]:
    """``n`` request paths for random listeners of the model's current version."""
    version = (root / "CURRENT").read_text().strip()
    users = np.load(root / version / "users.npy", allow_pickle=False)
    rng = random.Random(seed)
    return [f"/users/{users[rng.randrange(len(users))]}/recommendations?n=10" for _ in range(n)]


HEADERS = ["model", "target req/s", "achieved", "requests", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms",
           "ceiling req/s", "server CPU ms/req"]


def measure(name: str, db: Path, root: Path, rate: float, seconds: float, runs: int, connections: int = 32,
            hey: bool = False) -> tuple[list[str], dict]:
    """Serve the model at ``root`` and load it: ``runs`` open-loop runs at ``rate`` and closed-loop
    ceilings; optionally also `hey` (an outside load generator) at the same rate. One table row
    (medians) and the raw runs."""
    paths = user_paths(root)
    proc, port = start_server(db, root)
    try:
        generate("open", proc.pid, port, paths, rate, 2)  # warm-up
        open_runs = [generate("open", proc.pid, port, paths, rate, seconds) for _ in range(runs)]
        ceilings = [generate("closed", proc.pid, port, paths, connections, seconds / 2) for _ in range(runs)]
        outside = [run_hey(port, paths, rate, seconds) for _ in range(runs)] if hey else []
    finally:
        proc.terminate()
        proc.wait()
    med = {k: statistics.median(r[k] for r in open_runs) for k in ("p50", "p90", "p99", "max", "achieved")}
    spread = {k: (min(r[k] for r in open_runs), max(r[k] for r in open_runs)) for k in ("p50", "p99")}
    row = [name, f"{rate:g}", f"{med['achieved']:.0f}", str(sum(r["requests"] for r in open_runs)),
           str(sum(r["errors"] for r in open_runs) + sum(c["errors"] for c in ceilings)),
           f"{med['p50']:.2f}", f"{med['p90']:.2f}", f"{med['p99']:.2f} ({spread['p99'][0]:.2f}-{spread['p99'][1]:.2f})",
           f"{med['max']:.1f}", f"{statistics.median(c['throughput'] for c in ceilings):.0f}",
           f"{statistics.median(r['server_cpu_ms'] for r in open_runs + ceilings):.2f}"]
    return row, {"model": name, "runs": open_runs, "ceilings": ceilings, "hey": outside}


def run_hey(port: int, paths: list[str], rate: float, seconds: float, workers: int = 10) -> dict:
    """`hey` (Debian's package) at ``rate`` requests/s for ``seconds`` against one listener's
    recommendations: p50/p99 from its own histogram, from outside this script's event loop."""
    import re
    import shutil

    if shutil.which("hey") is None:
        raise SystemExit("--hey needs the hey load generator (apt-get install hey)")
    url = f"http://127.0.0.1:{port}{paths[0]}"
    out = subprocess.run(["hey", "-z", f"{seconds:g}s", "-c", str(workers), "-q", f"{rate / workers:g}", url],
                         capture_output=True, text=True, check=True).stdout
    lat = {int(m.group(1)): float(m.group(2)) * 1000 for m in re.finditer(r"(\d+)%+ in ([\d.]+) secs", out)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    codes = dict((int(a), int(b)) for a, b in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    return {"p50": lat.get(50), "p99": lat.get(99), "achieved": rps, "codes": codes}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="hetrec,360k", help="Comma-separated: hetrec, 360k.")
    parser.add_argument("--rate", type=float, default=500, help="Requests per second (open loop).")
    parser.add_argument("--seconds", type=float, default=10, help="Length of each run.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per model; medians are reported.")
    parser.add_argument("--connections", type=int, default=32, help="Closed-loop connections (ceiling).")
    parser.add_argument("--hey", action="store_true", help="Also load the server with hey, an outside generator.")
    args = parser.parse_args(argv)

    rows, outside = [], []
    for name in args.models.split(","):
        folder = CACHE / f"serve-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        db, root = MODELS[name](folder)
        row, raw = measure(name, db, root, args.rate, args.seconds, args.runs, args.connections, args.hey)
        rows.append(row)
        outside += [(name, h) for h in raw["hey"]]
        print(json.dumps(raw), file=sys.stderr)
    print(f"\nGET /users/{{id}}/recommendations?n=10 (random users, played items filtered, names), "
          f"median (min-max) of {args.runs} runs of {args.seconds:g}s; server and load generator on {os.cpu_count()} "
          f"cores, load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| " + " | ".join(HEADERS) + " |")
    print("|" + "---|" * len(HEADERS))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if outside:
        print("\nhey (outside load generator, one listener's URL):\n")
        print("| model | target req/s | achieved | p50 ms | p99 ms | status codes |")
        print("|---|---|---|---|---|---|")
        for name, h in outside:
            print(f"| {name} | {args.rate:g} | {h['achieved']:.0f} | {h['p50']:.2f} | {h['p99']:.2f} | {h['codes']} |")


if __name__ == "__main__":
    main()
