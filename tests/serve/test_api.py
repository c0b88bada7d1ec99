"""The read side of the API on HetRec: ids, names, explanations, search, error codes."""

from __future__ import annotations

import pytest


def test_health_reports_the_model_version(read_client, hetrec_built):
    body = read_client.get("/health").json()
    assert body["status"] == "ok"
    assert body["model_version"] == read_client.app.state.engine.snapshot.bundle.version
    assert (body["users"], body["items"]) == (1892, 17632)
    assert body["writes_enabled"] is False and body["live_users"] == 0
    assert body["model_dir"] == str(hetrec_built[1]) and body["hybrid"] is True and body["index"] == "exact"


def test_recommendations_have_names_and_leave_out_played_items(read_client):
    body = read_client.get("/users/2/recommendations", params={"n": 7}).json()
    assert body["user_id"] == "2" and body["live"] is False
    items = body["items"]
    assert len(items) == 7
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    played = {i["item_id"] for i in read_client.get("/users/2", params={"n": 100}).json()["top_items"]}
    assert len(played) == 50  # HetRec keeps each listener's 50 top artists
    assert not played & {i["item_id"] for i in items}
    engine = read_client.app.state.engine
    names = dict(zip(engine.snapshot.bundle.items.ids.tolist(), engine.snapshot.bundle.item_names.tolist()))
    assert all(i["name"] == names[i["item_id"]] for i in items)
    assert all(i["because"] == [] for i in items)


def test_explained_recommendations_name_the_listened_items(read_client):
    items = read_client.get("/users/2/recommendations", params={"n": 3, "explain": "true"}).json()["items"]
    played = {i["item_id"] for i in read_client.get("/users/2", params={"n": 100}).json()["top_items"]}
    for item in items:
        assert 1 <= len(item["because"]) <= 3
        assert {b["item_id"] for b in item["because"]} <= played
        assert all(0 < b["share"] <= 1 for b in item["because"])


def test_explanation_of_one_item(read_client):
    body = read_client.get("/users/2/explanations/289", params={"n": 4}).json()
    assert body["name"] == "Britney Spears"
    assert len(body["contributions"]) == 4
    shares = [c["share"] for c in body["contributions"]]
    assert shares == sorted(shares, reverse=True)


def test_similar_items_leave_out_the_item(read_client):
    body = read_client.get("/items/289/similar", params={"n": 5}).json()
    assert body["name"] == "Britney Spears"
    ids = [i["item_id"] for i in body["items"]]
    assert len(ids) == 5 and "289" not in ids


def test_search_finds_names_most_listened_first(read_client):
    items = read_client.get("/items", params={"search": "RADIOHEAD"}).json()["items"]
    assert items[0]["name"] == "Radiohead" and items[0]["item_id"] == "154"
    many = read_client.get("/items", params={"search": "the", "n": 20}).json()["items"]
    assert len(many) == 20
    listeners = [i["listeners"] for i in many]
    assert listeners == sorted(listeners, reverse=True)
    assert read_client.get("/items", params={"search": "no such artist at all"}).json()["items"] == []


def test_users_are_listed_in_pages(read_client):
    first = read_client.get("/users", params={"limit": 3}).json()
    assert first["total"] == 1892 and first["users"] == ["10", "100", "1001"]
    last = read_client.get("/users", params={"limit": 3, "offset": 1891}).json()
    assert len(last["users"]) == 1


@pytest.mark.parametrize("path", [
    "/users/nosuchuser/recommendations", "/users/nosuchuser", "/users/nosuchuser/explanations/289",
    "/users/2/explanations/nosuchitem", "/items/nosuchitem/similar",
    "/items/Radiohead/similar",  # names are not ids
])  # fmt: skip
def test_unknown_ids_are_404_with_a_message(read_client, path):
    response = read_client.get(path)
    assert response.status_code == 404
    assert "unknown" in response.json()["detail"]


@pytest.mark.parametrize("query", ["n=0", "n=-1", "n=abc", "n=100000", "explain=maybe"])
def test_malformed_queries_are_422(read_client, query):
    response = read_client.get(f"/users/2/recommendations?{query}")
    assert response.status_code == 422
    assert response.json()["detail"]


def test_openapi_documents_responses_and_errors(read_client):
    spec = read_client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/users/{user_id}/recommendations", "/items/{item_id}/similar", "/items", "/health",
                 "/users/{user_id}/explanations/{item_id}", "/events"):
        assert path in paths
    recs = paths["/users/{user_id}/recommendations"]["get"]
    assert recs["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorMessage")
    assert {"401", "403", "404", "413", "422", "503"} <= set(paths["/events"]["post"]["responses"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert all(op.get("description") for p in paths.values() for op in p.values())


def test_web_app_is_served(read_client):
    page = read_client.get("/")
    assert page.status_code == 200 and "<title>tastemaker</title>" in page.text
    assert read_client.get("/static/app.js").status_code == 200
