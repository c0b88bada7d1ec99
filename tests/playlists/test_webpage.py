"""The Discover Weekly page end to end: a real `tastemaker serve` on loopback, headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tastemaker.bundle import ModelBundle
from tastemaker.data import Store
from tastemaker.playlists import DiscoverWeekly, discover_weekly

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
def server(hetrec_files, tmp_path):
    httpx = pytest.importorskip("httpx")
    db, root = tmp_path / "store.duckdb", tmp_path / "models"
    shutil.copy(hetrec_files[0], db)
    shutil.copytree(hetrec_files[1], root)
    bundle = ModelBundle.load(root)
    with Store(db) as store:
        discover_weekly(store, bundle, "2026-W47", user_ids=["2"], generator=DiscoverWeekly(size=12))
        discover_weekly(store, bundle, "2026-W48", user_ids=["2"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TASTEMAKER_API_TOKEN": "t", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "tastemaker", "--db", str(db), "--model", str(root), "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--reload-interval", "0"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("tastemaker serve did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_page_shows_the_weeks_playlists(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        page = browser.new_page()
        page.goto(f"{server}/")
        page.click("nav a[href='/discover-weekly']")
        page.fill("#dw-user", "2")
        page.click("#dw-form button[type=submit]")
        page.wait_for_selector("#dw-items li")
        assert page.locator("#dw-items li").count() == 30
        assert page.locator("#dw-title").inner_text() == "for 2, 2026-W48"
        assert page.locator("#dw-items li.reason-explore").count() == 3
        assert "Because you listened to" in page.locator("#dw-items").inner_text()
        page.select_option("#dw-week", "2026-W47")
        page.wait_for_function("document.querySelector('#dw-title').textContent.includes('W47')")
        assert page.locator("#dw-items li").count() == 12
        page.fill("#dw-user", "nosuchuser")
        page.click("#dw-form button[type=submit]")
        page.wait_for_selector("#dw-status.error")
        assert "unknown user" in page.locator("#dw-status").inner_text()
        browser.close()
