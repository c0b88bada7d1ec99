"""The home screen: shelves of cards chosen by BaRT, impressions logged, streams reported back."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from tastemaker.data import Store
from tastemaker.serve._engine import Engine, Snapshot
from tastemaker.serve.dependencies import EngineDep, SettingsDep, SnapshotDep, require_token
from tastemaker.serve.routers.web import STATIC
from tastemaker.serve.schemas import error_responses

router = APIRouter(tags=["home"])

UserId = Annotated[str, Path(description="The listener's external id, e.g. HetRec user '2'.", max_length=200)]


class CardOut(BaseModel):
    item_id: str
    name: str
    explanation: str = Field(description="Why the card is here, e.g. 'Because you listened to Air'.")
    score: float = Field(description="The policy's score (BaRT: the reward model's logit; cold start: the model's blended score).")
    propensity: float = Field(description="Probability this card was picked for its place on the shelf.")
    position: int = Field(description="0-based position on the shelf.")


class ShelfOut(BaseModel):
    key: str = Field(description="because:<item id> | tag:<tag> | friends | new")
    type: Literal["because", "tag", "friends", "new"]
    title: str
    propensity: float = Field(description="Probability this shelf was picked for its row.")
    cards: list[CardOut]


class HomeOut(BaseModel):
    page_id: str = Field(description="Names this page in the logs; report streams of its cards with it.")
    user_id: str
    policy: str
    policy_version: str = Field(description="The BaRT reward model's version ('cold': the model's scores, no BaRT "
                                            "model trained yet).")
    epsilon: float
    logged: bool
    model_version: str
    shelves: list[ShelfOut]


class StreamIn(BaseModel):
    page_id: str = Field(max_length=64)
    item_id: str = Field(max_length=200)


class StreamAccepted(BaseModel):
    page_id: str
    item_id: str
    recorded: bool = True


_cache: dict[str, tuple] = {}
_cache_lock = threading.Lock()


def _bart_key(settings) -> tuple:
    from tastemaker.home import default_bart_path

    path = default_bart_path(settings.model_root)
    try:
        st = path.stat()
        return (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), None, None)


def _screen(engine: Engine, snapshot: Snapshot, settings, store: Store):
    """The HomeScreen of this snapshot and BaRT file (built once: reading tags and friends takes a while)."""
    from tastemaker.home import HomeScreen

    key = (id(snapshot), _bart_key(settings))
    with _cache_lock:
        hit = _cache.get("screen")
        if hit is not None and hit[0] == key and hit[1] is snapshot:
            return hit[2]
    path = key[1][0] if key[1][1] is not None else None
    screen = HomeScreen.from_store(store, snapshot.bundle, path)
    with _cache_lock:
        _cache["screen"] = (key, snapshot, screen)
    return screen


@router.get("/users/{user_id}/home", response_model=HomeOut, responses=error_responses(404, 503),
            summary="A listener's home screen")
def get_home(user_id: UserId, snapshot: SnapshotDep, engine: EngineDep, settings: SettingsDep,
             device: Annotated[Literal["mobile", "desktop", "web", "other"], Query()] = "web",
             country: Annotated[str | None, Query(max_length=8, description="Country code of the request.")] = None,
             log: Annotated[bool, Query(description="Log the impressions (turn off for previews).")] = True,
             ) -> HomeOut:
    """Shelves ("Because you listened to X", "More of your top tag Y", "Popular with your friends",
    "New for you") of cards chosen epsilon-greedily by BaRT; every card shown is logged with the
    probability it had of being chosen, so BaRT can learn from it (`tastemaker bandit train`)."""
    from tastemaker.bandit import Context

    snapshot.bundle.users.index(user_id)  # 404 before touching the store
    with engine.store(read_only=not log) as store:
        screen = _screen(engine, snapshot, settings, store)
        home = screen.build(store, user_id, Context.now(device, country), log=log)
    return HomeOut(page_id=home.page_id, user_id=user_id, policy=home.policy, policy_version=home.policy_version,
                   epsilon=home.epsilon, logged=home.logged, model_version=snapshot.version,
                   shelves=[ShelfOut(key=s.key, type=s.type, title=s.title, propensity=s.propensity,
                                     cards=[CardOut(item_id=c.item_id, name=c.name, explanation=c.explanation,
                                                    score=c.score, propensity=c.propensity, position=c.col)
                                            for c in s.cards])
                            for s in home.shelves])


@router.post("/users/{user_id}/home/streams", response_model=StreamAccepted, status_code=status.HTTP_201_CREATED,
             dependencies=[Depends(require_token)], responses=error_responses(401, 403, 404, 409, 503),
             summary="Report a stream of a home-screen card")
def post_stream(user_id: UserId, body: StreamIn, engine: EngineDep, settings: SettingsDep) -> StreamAccepted:
    """The listener streamed a card of a home page they were served: BaRT's reward, and a `play`
    event in the store (it reaches the recommendations at the next fold-in or training).
    404 for an unknown page; 409 for a page of another listener or an item the page did not show."""
    from tastemaker.home import HomeScreen

    with engine.store() as store:
        known = store.con.execute("SELECT count(*) FROM bandit_pages WHERE page_id = ?", [body.page_id]).fetchone()[0]
        if not known:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown home page {body.page_id!r}")
        HomeScreen.stream(store, user_id, body.page_id, body.item_id)
    return StreamAccepted(page_id=body.page_id, item_id=body.item_id)


@router.get("/home", include_in_schema=False)
def home_page() -> FileResponse:
    """The web app's home screen page."""
    return FileResponse(STATIC / "home.html")
