"""The home page end to end: a real `tastemaker serve`, driven in headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tastemaker.data import Store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TOKEN = "home-web-token"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
def server(paths):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("uvicorn")
    db, model = paths
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TASTEMAKER_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "tastemaker", "--db", str(db), "--model", str(model), "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--reload-interval", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"tastemaker serve exited: {proc.stdout.read()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("tastemaker serve did not start within 60 s")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_open_the_home_page_and_stream_a_card(server, paths):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/home?user=2#token={TOKEN}")
        sync_api.expect(page.locator("#home-meta")).to_contain_text("BaRT eps=0.1")
        shelves = page.locator(".shelf h3").all_inner_texts()
        assert len(shelves) == 4 and any(s.startswith("Because you listened to") for s in shelves)
        assert page.locator("nav a.current").inner_text() == "Home"
        first = page.locator(".shelf li").first
        item = first.get_attribute("data-item")
        first.locator("button").click()
        sync_api.expect(page.locator("#home-status")).to_contain_text("streamed")
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / "home.png"), full_page=True)
        browser.close()
    with Store(paths[0], read_only=True) as store:
        assert store.con.execute("SELECT item_id FROM bandit_streams").fetchall() == [(item,)]
