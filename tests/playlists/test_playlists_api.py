"""GET /users/{id}/discover-weekly and the web page, on a HetRec store with two stored weeks."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tastemaker.playlists import DiscoverWeekly, discover_weekly  # noqa: E402
from tastemaker.serve import Settings, create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(hetrec_files, tmp_path_factory):
    """An app over a copy of the HetRec store with two stored weeks (tests only read)."""
    import shutil

    from tastemaker.bundle import ModelBundle
    from tastemaker.data import Store

    folder = tmp_path_factory.mktemp("dw-api")
    db, root = folder / "store.duckdb", folder / "models"
    shutil.copy(hetrec_files[0], db)
    shutil.copytree(hetrec_files[1], root)
    bundle = ModelBundle.load(root)
    with Store(db) as store:  # closed before serving: the server opens it read-only
        discover_weekly(store, bundle, "2026-W47", user_ids=["2", "3"], generator=DiscoverWeekly(size=10))
        discover_weekly(store, bundle, "2026-W48", user_ids=["2"])
    with TestClient(create_app(Settings(db_path=db, model_root=root, reload_interval=0))) as client:
        yield client


def test_newest_week_by_default(client):
    body = client.get("/users/2/discover-weekly").json()
    assert body["week"] == "2026-W48" and body["weeks"] == ["2026-W48", "2026-W47"]
    assert [i["position"] for i in body["items"]] == list(range(1, 31))
    assert all(i["explanation"] and i["name"] and i["reason"] in ("because", "fans", "tagged", "explore")
               for i in body["items"])


def test_a_given_week(client):
    body = client.get("/users/2/discover-weekly", params={"week": "2026w47"}).json()
    assert body["week"] == "2026-W47" and len(body["items"]) == 10
    assert client.get("/users/3/discover-weekly").json()["week"] == "2026-W47"


def test_errors(client):
    bad = client.get("/users/2/discover-weekly", params={"week": "2026-W99"})
    assert bad.status_code == 422 and "2026-W99" in bad.json()["detail"]
    missing = client.get("/users/2/discover-weekly", params={"week": "2026-W40"})
    assert missing.status_code == 404 and "tastemaker discover-weekly --week 2026-W40" in missing.json()["detail"]
    assert client.get("/users/4/discover-weekly").status_code == 404  # known listener, nothing stored
    assert "unknown user" in client.get("/users/nosuchuser/discover-weekly").json()["detail"]


def test_page_and_nav(client):
    page = client.get("/discover-weekly")
    assert page.status_code == 200 and "/static/discover-weekly.js" in page.text
    assert "/discover-weekly" in client.get("/static/common.js").text
    assert client.get("/static/discover-weekly.js").status_code == 200
    assert "/users/{user_id}/discover-weekly" in client.get("/openapi.json").json()["paths"]


def test_feedback_is_stored_for_the_next_model(hetrec_files, tmp_path):
    import shutil

    from tastemaker.data import Store, load_interactions

    db, root = tmp_path / "store.duckdb", tmp_path / "models"
    shutil.copy(hetrec_files[0], db)
    shutil.copytree(hetrec_files[1], root)
    app = create_app(Settings(db_path=db, model_root=root, api_token="t", reload_interval=0))
    auth = {"Authorization": "Bearer t"}
    with TestClient(app) as client:
        url = "/users/2/discover-weekly/feedback"
        assert client.post(url, json={"item_id": "289", "event": "skip"}).status_code == 401
        answers = [client.post(url, headers=auth, json=body).json()["counts_as"]
                   for body in ({"item_id": "289", "event": "play", "duration_ms": 9000},
                                {"item_id": "300", "event": "play", "duration_ms": 95000},
                                {"item_id": "301", "event": "save"})]
        assert answers == ["skip", "play", "save"]
        assert client.post(url, headers=auth, json={"item_id": "nosuchitem", "event": "save"}).status_code == 404
        assert client.post("/users/nosuchuser/discover-weekly/feedback", headers=auth,
                           json={"item_id": "289", "event": "save"}).status_code == 404
        assert client.post(url, headers=auth, json={"item_id": "289", "event": "like"}).status_code == 422
    with Store(db, read_only=True) as store:
        data = load_interactions(store, user_ids=["2"])
    row = {i: data.user_items[0, data.items.index(i)] for i in ("289", "300", "301")}
    assert row == {"289": -1.0, "300": 1.0, "301": 5.0}
