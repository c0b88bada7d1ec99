"""Request and response bodies of the API (they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ErrorMessage", "Contribution", "RecommendedItem", "Recommendations", "SimilarItem", "SimilarItems",
    "ExplanationOut", "CatalogueItem", "SearchResults", "UserProfile", "UserList", "Health", "Event",
    "EventBatch", "EventsAccepted", "ListenerState", "error_responses",
]  # fmt: skip

# neither end may be a control or space character (the store trims spaces); spelled out as ranges
# because \s and . differ between the JSON Schema (ECMA), Python and Rust regex engines
_EDGE = "[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200b\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
Id = Annotated[str, Field(min_length=1, max_length=200, pattern=f"^{_EDGE}([\\s\\S]*{_EDGE})?$",
                          description="An external id of the store, e.g. HetRec user '2' or artist '289'; "
                                      "no spaces or control characters at either end.")]


class ErrorMessage(BaseModel):
    """What every 4xx/5xx answer but 422 carries."""

    detail: str = Field(description="What went wrong and how to fix it.",
                        examples=["unknown user 'nosuchuser'; known users look like '10', '100', '1001'"])


class Contribution(BaseModel):
    """A listened item behind a score, with its share of the score (Hu et al. 2008, section 5)."""

    item_id: str
    name: str
    share: float = Field(description="Contribution / score; shares of all listened items sum to 1.")


Signal = Literal["cf", "culture", "audio", "prior", "cold"]
Placement = Literal["culture", "audio-features", "audio"]


class RecommendedItem(BaseModel):
    item_id: str
    name: str
    score: float = Field(description="The score: with blend=hybrid the learned blend (a sum of per-listener "
                                     "standardised signals, see signals); with blend=cf the collaborative score.")
    signals: dict[Signal, float] = Field(default_factory=dict,
                                         description="Each signal's part of the score: cf (collaborative "
                                                     "filtering), culture (cultural vectors), audio, prior and cold "
                                                     "(items nobody has played yet).")
    placed_by: Placement | None = Field(None, description="For an item nobody has played yet: the signal that "
                                                          "placed it; null for items learned from plays.")
    reason: str = Field("", description="One line: 'because you listened to Z', 'tagged like Y', 'sounds like X'.")
    because: list[Contribution] = Field(default_factory=list,
                                        description="The user's items that explain it (with explain=true).")


class Recommendations(BaseModel):
    user_id: str
    model_version: str
    live: bool = Field(description="True if the listener's vector was folded in from live events since "
                                   "the model was trained.")
    blend: Literal["hybrid", "cf"] = Field(description="How the items were ranked.")
    items: list[RecommendedItem]


class SimilarItem(BaseModel):
    item_id: str
    name: str
    score: float = Field(description="by=hybrid: the learned blend of the signals' similarities; by=cf: the "
                                     "cosine of the item factors; by=culture: the cosine of the cultural vectors.")
    signals: dict[Signal, float] = Field(default_factory=dict, description="Each signal's part of the score.")


class SimilarItems(BaseModel):
    item_id: str
    name: str
    model_version: str
    by: Literal["hybrid", "cf", "culture"]
    items: list[SimilarItem]


class ExplanationOut(BaseModel):
    user_id: str
    item_id: str
    name: str
    score: float
    model_version: str
    reason: str = Field(description="One line of why.")
    signals: dict[Signal, float] = Field(default_factory=dict, description="Each signal's part of the score.")
    placed_by: Placement | None = None
    contributions: list[Contribution] = Field(description="The listened items behind the collaborative part.")


class CatalogueItem(BaseModel):
    item_id: str
    name: str
    listeners: int = Field(description="Listeners with plays of it in the model's training data.")


class SearchResults(BaseModel):
    query: str
    items: list[CatalogueItem]


class PlayedItem(BaseModel):
    item_id: str
    name: str
    value: float = Field(description="What the model sees: plays discounted by skips; negative for skips only.")


class UserProfile(BaseModel):
    user_id: str
    model_version: str
    live: bool
    new: bool = Field(description="Created by live events; unknown to the trained model.")
    top_items: list[PlayedItem]


class UserList(BaseModel):
    total: int
    users: list[str]


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str
    trained_at: str | None
    loaded_at: str
    model_dir: str
    users: int
    items: int
    hybrid: bool = Field(description="Recommendations blend cultural vectors and audio with collaborative filtering.")
    index: Literal["voyager", "exact"] = Field(description="How the catalogue is searched.")
    live_users: int = Field(description="Listeners folded in from live events since the model was trained.")
    swaps: int = Field(description="Models swapped in since the server started.")
    reload_error: str | None = Field(description="Why the latest model file could not be loaded (the old one "
                                                 "is still served), or null.")
    writes_enabled: bool


class Event(BaseModel):
    """One listening event."""

    model_config = ConfigDict(extra="forbid")

    user_id: Id
    item_id: Id
    event: Literal["play", "skip", "save"]
    count: float = Field(1.0, gt=0, le=1_000_000, description="How many times (default 1).")


class EventBatch(BaseModel):
    """Several events, written in one transaction (all or none)."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(min_length=1, description="At most TASTEMAKER_MAX_BATCH (default 1000).")


class ListenerState(BaseModel):
    user_id: str
    new: bool = Field(description="These were the listener's first events: they were created.")
    items: int = Field(description="Items in their history now.")


class EventsAccepted(BaseModel):
    accepted: int
    model_version: str
    users: list[ListenerState]


_ERROR_TEXT = {
    401: "No or wrong API token.",
    403: "Writes are disabled (the server has no TASTEMAKER_API_TOKEN).",
    404: "Unknown user or item.",
    409: "The served model cannot answer this (e.g. it has no explanations).",
    413: "Too many events in one batch, or a body over TASTEMAKER_MAX_BODY_BYTES.",
    503: "The store is busy (another process holds it) or missing; retry later.",
}


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error answers a route can give (all but 422 carry ErrorMessage)."""
    return {code: {"model": ErrorMessage, "description": _ERROR_TEXT[code]} for code in codes}
