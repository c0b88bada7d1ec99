"""The catalogue: search by name, and similar items."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from tastemaker.serve.dependencies import SnapshotDep
from tastemaker.serve.schemas import CatalogueItem, SearchResults, SimilarItem, SimilarItems, error_responses

router = APIRouter(prefix="/items", tags=["items"])


@router.get("", response_model=SearchResults, summary="Search the catalogue")
async def search(snapshot: SnapshotDep,
           search: Annotated[str, Query(max_length=200, description="Part of a name, any case.")] = "",
           n: Annotated[int, Query(ge=1, le=200, description="How many items.")] = 20) -> SearchResults:
    """Items whose name contains ``search``, most listeners first (all items without ``search``)."""
    return SearchResults(query=search, items=[CatalogueItem(item_id=i, name=m, listeners=c)
                                              for i, m, c in snapshot.bundle.search(search, n)])


@router.get("/{item_id}/similar", response_model=SimilarItems, responses=error_responses(404),
            summary="Items similar to an item")
async def similar(item_id: Annotated[str, Path(description="An item's external id, e.g. HetRec artist '289'.",
                                         max_length=200)],
            snapshot: SnapshotDep, n: Annotated[int, Query(ge=1, le=200, description="How many items.")] = 10,
            by: Annotated[Literal["hybrid", "cf", "culture"], Query(
                description="hybrid: the learned blend of every signal; cf: the cosine of the item factors; "
                            "culture: the cosine of the cultural vectors (tags and texts).")] = "hybrid",
            ) -> SimilarItems:
    """The nearest items, the item itself left out."""
    col = snapshot.col(item_id)
    bundle = snapshot.bundle
    items = bundle.similar(col if by != "culture" else item_id, n, by=by)
    return SimilarItems(item_id=item_id, name=bundle.name(col), model_version=snapshot.version, by=by,
                        items=[SimilarItem(item_id=s.item_id, name=s.name, score=s.score, signals=s.signals)
                               for s in items])
