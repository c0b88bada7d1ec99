"""Helpers the serve tests share (a module of its own: conftest modules collide across folders)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tastemaker.pipeline import TrainingPipeline, TrainSettings

HETREC = Path(os.environ.get(
    "TASTEMAKER_HETREC", Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token"


#: a small, quick ALS (the tests check the server, not the model's quality)
SMALL_ALS = dict(factors=32, iterations=6, regularization=1.0, num_threads=1)


def train_small(db, root, seed: int = 0, **settings):
    """The shipped pipeline with a small ALS (blend weighed on a few hundred listeners)."""
    return TrainingPipeline(TrainSettings(params=SMALL_ALS, random_state=seed, validation_users=400,
                                          **settings)).run(db, root)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, model: Path, *extra: str, token: str = TOKEN) -> tuple[subprocess.Popen, str]:
    """``tastemaker serve`` from this checkout on a free loopback port; returns (process, base url)."""
    import httpx

    port = free_port()
    env = {**os.environ, "TASTEMAKER_API_TOKEN": token, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tastemaker", "--db", str(db), "--model", str(model), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tastemaker serve exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"tastemaker serve did not answer on {url} within 60s")
