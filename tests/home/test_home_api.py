"""GET /users/{id}/home and POST /users/{id}/home/streams, and the web app's home page."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tastemaker.data import Store  # noqa: E402
from tastemaker.serve import Settings, create_app  # noqa: E402

TOKEN = "home-token"


@pytest.fixture
def client(paths):
    db, model = paths
    settings = Settings(db_path=db, model_root=model, api_token=TOKEN, reload_interval=0)
    with TestClient(create_app(settings)) as c:
        yield c


def test_home_route_logs_impressions_and_takes_streams(client, paths):
    r = client.get("/users/2/home", params={"device": "mobile", "country": "DE"})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["user_id"] == "2" and page["logged"] and page["policy"] == "BaRT eps=0.1"
    assert page["policy_version"] == "cold"
    shelves = page["shelves"]
    assert 1 <= len(shelves) <= 4 and {s["type"] for s in shelves} <= {"because", "tag", "friends", "new"}
    card = shelves[0]["cards"][0]
    assert card["explanation"] == shelves[0]["title"] and 0 < card["propensity"] <= 1
    items = [c["item_id"] for s in shelves for c in s["cards"]]
    assert len(items) == len(set(items))
    r = client.post("/users/2/home/streams", json={"page_id": page["page_id"], "item_id": card["item_id"]})
    assert r.status_code == 401  # writes need the token
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.post("/users/2/home/streams", json={"page_id": page["page_id"], "item_id": card["item_id"]},
                    headers=auth)
    assert r.status_code == 201 and r.json()["recorded"]
    r = client.post("/users/2/home/streams", json={"page_id": "nope", "item_id": card["item_id"]}, headers=auth)
    assert r.status_code == 404 and "unknown home page" in r.json()["detail"]
    r = client.post("/users/2/home/streams", json={"page_id": page["page_id"], "item_id": "1"}, headers=auth)
    assert r.status_code == 409 and "did not show item '1'" in r.json()["detail"]
    r = client.post("/users/3/home/streams", json={"page_id": page["page_id"], "item_id": card["item_id"]},
                    headers=auth)
    assert r.status_code == 409 and "another user" in r.json()["detail"]
    preview = client.get("/users/2/home", params={"log": "false"}).json()
    assert not preview["logged"]
    db, _ = paths
    with Store(db, read_only=True) as store:
        pages = store.con.execute("SELECT count(*), any_value(country) FROM bandit_pages").fetchone()
        streams = store.con.execute("SELECT item_id FROM bandit_streams").fetchall()
    assert pages == (1, "DE") and streams == [(card["item_id"],)]


def test_unknown_user_and_bad_device(client):
    assert client.get("/users/nosuchuser/home").status_code == 404
    assert client.get("/users/2/home", params={"device": "toaster"}).status_code == 422


def test_home_page_is_served_and_in_the_nav(client):
    r = client.get("/home")
    assert r.status_code == 200 and "/static/home.js" in r.text
    assert '{ href: "/home", label: "Home" }' in client.get("/static/common.js").text
    assert "/home/streams" in client.get("/static/home.js").text
