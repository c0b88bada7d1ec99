"""POST /events: auth, validation, the store write, and the fold-in the next request sees."""

from __future__ import annotations

from tastemaker.data import Store
from tastemaker.serve import get_settings


def live_events(db) -> list[tuple]:
    with Store(db, read_only=True) as store:
        return store.con.execute(
            "SELECT user_id, item_id, event, count FROM events WHERE source = 'live' ORDER BY user_id, item_id"
        ).fetchall()


def test_writes_need_the_token(client, paths):
    event = {"user_id": "2", "item_id": "289", "event": "play"}
    missing = client.post("/events", json=event)
    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/events", json=event, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong API token"
    assert live_events(paths[0]) == []


def test_writes_are_refused_without_a_configured_token(client, settings, auth):
    client.app.dependency_overrides[get_settings] = lambda: settings.__class__(**{**settings.__dict__,
                                                                                  "api_token": None})
    response = client.post("/events", json={"user_id": "2", "item_id": "289", "event": "play"}, headers=auth)
    assert response.status_code == 403 and "TASTEMAKER_API_TOKEN" in response.json()["detail"]
    assert client.get("/health").json()["writes_enabled"] is False


def test_a_play_is_stored_and_changes_the_next_answer(client, paths, auth):
    before = client.get("/users/2/recommendations", params={"n": 10}).json()
    top = before["items"][0]
    response = client.post("/events", json={"user_id": "2", "item_id": top["item_id"], "event": "play",
                                            "count": 200}, headers=auth)
    assert response.status_code == 201
    assert response.json()["users"] == [{"user_id": "2", "new": False, "items": 51}]
    after = client.get("/users/2/recommendations", params={"n": 10}).json()
    assert after["live"] is True
    assert top["item_id"] not in {i["item_id"] for i in after["items"]}  # now played
    assert [i["score"] for i in after["items"]] != [i["score"] for i in before["items"][1:]]  # a new vector
    assert live_events(paths[0]) == [("2", top["item_id"], "play", 200.0)]
    history = client.get("/users/2", params={"n": 100}).json()["top_items"]
    assert top["item_id"] in {i["item_id"] for i in history}


def test_skips_push_similar_items_down(client, auth):
    """Skipping an artist (negative evidence) lowers the scores of the artists like it."""
    similar = [i["item_id"] for i in client.get("/items/289/similar", params={"n": 5}).json()["items"]]
    user = "2"

    def scores():
        return {i: client.get(f"/users/{user}/explanations/{i}").json()["score"] for i in similar}

    before = scores()
    batch = {"events": [{"user_id": user, "item_id": "289", "event": "skip", "count": 500}]}
    assert client.post("/events", json=batch, headers=auth).status_code == 201
    after = scores()
    assert all(after[i] < before[i] for i in similar), (before, after)


def test_first_events_create_a_listener(client, paths, auth):
    assert client.get("/users/newcomer/recommendations").status_code == 404
    batch = {"events": [{"user_id": "newcomer", "item_id": "154", "event": "play", "count": 30},  # Radiohead
                        {"user_id": "newcomer", "item_id": "227", "event": "save"}]}  # The Beatles
    response = client.post("/events", json=batch, headers=auth)
    assert response.status_code == 201
    assert response.json()["accepted"] == 2
    assert response.json()["users"] == [{"user_id": "newcomer", "new": True, "items": 2}]
    recs = client.get("/users/newcomer/recommendations", params={"n": 5, "explain": True}).json()
    assert recs["live"] is True and len(recs["items"]) == 5
    assert {"154", "227"}.isdisjoint(i["item_id"] for i in recs["items"])
    assert {b["item_id"] for i in recs["items"] for b in i["because"]} <= {"154", "227"}
    profile = client.get("/users/newcomer").json()
    assert profile["new"] is True and [i["item_id"] for i in profile["top_items"]][:1] == ["154"]
    assert client.get("/users", params={"offset": 1892}).json()["users"] == ["newcomer"]
    again = client.post("/events", json={"user_id": "newcomer", "item_id": "154", "event": "play"}, headers=auth)
    assert again.json()["users"][0]["new"] is False
    assert client.get("/health").json()["live_users"] == 1


MALFORMED = [
    {"user_id": "2", "item_id": "289"},                                   # no event
    {"user_id": "2", "item_id": "289", "event": "like"},                  # unknown event type
    {"user_id": "2", "item_id": "289", "event": "play", "count": -1},
    {"user_id": "2", "item_id": "289", "event": "play", "count": 0},
    {"user_id": "2", "item_id": "289", "event": "play", "count": "many"},
    {"user_id": "", "item_id": "289", "event": "play"},
    {"user_id": " 2", "item_id": "289", "event": "play"},
    {"user_id": "2", "item_id": "289", "event": "play", "colour": "red"},  # unknown field
    {"events": []},
    {"events": [{"user_id": "2", "item_id": "289", "event": "play"}, {"user_id": "2"}]},
    [1, 2, 3],
    "play",
]  # fmt: skip


def test_malformed_events_are_422_and_nothing_is_written(client, paths, auth):
    for body in MALFORMED:
        response = client.post("/events", json=body, headers=auth)
        assert response.status_code == 422, body
    assert live_events(paths[0]) == []


def test_broken_json_is_422(client, auth):
    for body in (b'{"user_id": ', b"\xff%b", b""):
        response = client.post("/events", content=body, headers={**auth, "Content-Type": "application/json"})
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], list)


def test_unknown_items_are_404_and_nothing_is_written(client, paths, auth):
    batch = {"events": [{"user_id": "2", "item_id": "289", "event": "play"},
                        {"user_id": "2", "item_id": "no-such-artist", "event": "play"}]}
    response = client.post("/events", json=batch, headers=auth)
    assert response.status_code == 404 and "no-such-artist" in response.json()["detail"]
    assert live_events(paths[0]) == []


def test_oversized_batches_are_413(client, paths, auth, settings):
    event = {"user_id": "2", "item_id": "289", "event": "play"}
    response = client.post("/events", json={"events": [event] * (settings.max_batch + 1)}, headers=auth)
    assert response.status_code == 413 and "TASTEMAKER_MAX_BATCH" in response.json()["detail"]
    huge = {"events": [{**event, "user_id": "x" * 150}] * 600}  # over max_body_bytes (64 KiB)
    response = client.post("/events", json=huge, headers=auth)
    assert response.status_code == 413 and "TASTEMAKER_MAX_BODY_BYTES" in response.json()["detail"]

    def chunks():
        yield b'{"events": ['
        for _ in range(2000):
            yield b'{"user_id": "2", "item_id": "289", "event": "play"},'
        yield b"]}"

    chunked = client.post("/events", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert live_events(paths[0]) == []
    assert client.post("/events", json={"events": [event] * settings.max_batch}, headers=auth).status_code == 201
