"""Listeners: their recommendations, profile and explanations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from tastemaker.serve.dependencies import SnapshotDep
from tastemaker.serve.schemas import (Contribution, ExplanationOut, PlayedItem, RecommendedItem, Recommendations,
                                      UserList, UserProfile, error_responses)

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[str, Path(description="The listener's external id, e.g. HetRec user '2'.", max_length=200)]
ItemId = Annotated[str, Path(description="An item's external id, e.g. HetRec artist '289'.", max_length=200)]


@router.get("", response_model=UserList, summary="List listeners")
async def list_users(snapshot: SnapshotDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
               offset: Annotated[int, Query(ge=0)] = 0) -> UserList:
    """Listener ids: the model's, in id order, then those created by live events."""
    known = snapshot.bundle.users.ids
    new = sorted(u for u, live in list(snapshot.live.items()) if live.new)
    total = len(known) + len(new)
    page = known[offset:offset + limit].tolist()
    if len(page) < limit:
        start = max(0, offset - len(known))
        page += new[start:start + limit - len(page)]
    return UserList(total=total, users=page)


@router.get("/{user_id}", response_model=UserProfile, responses=error_responses(404), summary="A listener")
async def get_user(user_id: UserId, snapshot: SnapshotDep,
             n: Annotated[int, Query(ge=0, le=100, description="How many top items.")] = 10) -> UserProfile:
    """The listener's most played items (live events included)."""
    query = snapshot.query(user_id)
    live = snapshot.live_user(user_id)
    return UserProfile(user_id=user_id, model_version=snapshot.version, live=live is not None,
                       new=bool(live and live.new),
                       top_items=[PlayedItem(item_id=i, name=m, value=v)
                                  for i, m, v in snapshot.bundle.top_items(query, n)])


@router.get("/{user_id}/recommendations", response_model=Recommendations, responses=error_responses(404),
            summary="Recommendations for a listener")
async def recommendations(user_id: UserId, snapshot: SnapshotDep,
                          n: Annotated[int, Query(ge=1, le=500, description="How many items.")] = 10,
                          explain: Annotated[bool, Query(description="Add the listened items behind each.")] = False,
                          blend: Annotated[Literal["hybrid", "cf"], Query(
                              description="hybrid: the learned blend of collaborative filtering, cultural vectors "
                                          "and audio; cf: collaborative filtering alone.")] = "hybrid",
                          ) -> Response:
    """Top-``n`` items the listener has not played, with names, the signals behind each and one line
    of why; live events are already folded in."""
    recs = snapshot.bundle.recommend(snapshot.query(user_id), n=n, explain=explain, blend=blend)
    items = [RecommendedItem(item_id=r.item_id, name=r.name, score=r.score, signals=r.signals,
                             placed_by=r.placed_by, reason=r.reason,
                             because=[Contribution(item_id=i, name=m, share=s) for i, m, s in r.because])
             for r in recs]
    body = Recommendations(user_id=user_id, model_version=snapshot.version, live=user_id in snapshot.live,
                           blend=blend, items=items)
    # the hot path: serialised once here, not validated a second time against response_model
    return Response(body.model_dump_json(), media_type="application/json")


@router.get("/{user_id}/explanations/{item_id}", response_model=ExplanationOut, responses=error_responses(404, 409),
            summary="Why an item scores as it does for a listener")
async def explanation(user_id: UserId, item_id: ItemId, snapshot: SnapshotDep,
                n: Annotated[int, Query(ge=1, le=100, description="How many contributions.")] = 10,
                ) -> ExplanationOut:
    """The listener's items that contribute most to the item's score, with their shares."""
    exp = snapshot.bundle.explain(snapshot.query(user_id), snapshot.col(item_id), n)
    return ExplanationOut(user_id=user_id, item_id=exp.item_id, name=exp.name, score=exp.score,
                          model_version=snapshot.version, reason=exp.reason, signals=exp.signals,
                          placed_by=exp.placed_by,
                          contributions=[Contribution(item_id=i, name=m, share=s) for i, m, s in exp.contributions])
