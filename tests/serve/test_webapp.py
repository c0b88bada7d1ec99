"""The web app end to end: a real `tastemaker serve` on loopback, driven in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from serve_support import ROOT, TOKEN, start_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                     "(`make test` installs it)"),
]


@pytest.fixture
def server(paths):
    proc, url = start_server(*paths, "--reload-interval", "0")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def rec_ids(page) -> list[str]:
    return page.locator("#recs li").evaluate_all("els => els.map(e => e.dataset.item)")


def test_create_a_listener_play_and_see_the_recommendations_change(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/#token={TOKEN}")
    expect(page.locator("#model")).to_contain_text("model ")
    assert page.evaluate("localStorage.getItem('tastemaker-token')") == TOKEN
    assert "token" not in page.url  # taken out of the address bar

    # a new listener has no recommendations until their first play
    page.click("#new-listener")
    expect(page.locator("#status")).to_contain_text("new listener")
    user = page.input_value("#listener")
    assert user.startswith("web-")

    page.fill("#search", "radiohead")
    page.click("#search-form button")
    first = page.locator("#results li").first
    expect(first.locator(".name")).to_have_text("Radiohead")
    first.locator("button.play").click()
    expect(page.locator("#status")).to_contain_text("played Radiohead (listener created)")
    expect(page.locator("#recs li")).to_have_count(10)
    expect(page.locator("#recs li").first.locator(".because")).to_contain_text("Radiohead")
    before = rec_ids(page)
    version = page.locator("#recs").get_attribute("data-version")

    # play the top recommendation: it leaves the list and the list is re-ranked
    top = page.locator("#recs li").first
    top_name = top.locator(".name").inner_text()
    top.locator("button.play").click()
    expect(page.locator("#recs")).not_to_have_attribute("data-version", version)
    expect(page.locator("#status")).to_contain_text(f"played {top_name}")
    after = rec_ids(page)
    assert before[0] not in after and after != before
    expect(page.locator("#recs li.fresh")).not_to_have_count(0)
    expect(page.locator("#history")).to_contain_text(top_name)

    # skip one, and look at similar artists
    version = page.locator("#recs").get_attribute("data-version")
    page.locator("#recs li").nth(1).locator("button.skip").click()
    expect(page.locator("#recs")).not_to_have_attribute("data-version", version)
    page.locator("#recs li").first.locator("button.like").click()
    expect(page.locator("#similar li")).to_have_count(8)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webapp.png"), full_page=True)


def test_a_known_listener_and_a_missing_token(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?user=2")
    expect(page.locator("#recs li")).to_have_count(10)
    expect(page.locator("#recs li").first.locator(".name")).not_to_be_empty()
    # each recommendation says why, and what its score is made of (the blend's signals)
    expect(page.locator("#recs li .because")).to_have_count(10)
    expect(page.locator("#recs li").first.locator(".signals")).to_contain_text(re.compile(r"cf \d+%"))
    expect(page.locator("#history li").first).to_contain_text(re.compile(r"\d"))
    page.locator("#recs li").first.locator("button.play").click()
    expect(page.locator("#status")).to_contain_text("paste the token above")
