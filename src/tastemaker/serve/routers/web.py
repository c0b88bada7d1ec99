"""The web app's pages (static HTML, CSS and vanilla JavaScript shipped in the package)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

#: the web app's files; ``create_app`` serves them under /static
STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    """The listener page: recommendations, similar artists, search, play and skip."""
    return FileResponse(STATIC / "index.html")


@router.get("/discover-weekly")
def discover_weekly_page() -> FileResponse:
    """A listener's Discover Weekly: the week's playlist with its explanations, and earlier weeks."""
    return FileResponse(STATIC / "discover-weekly.html")
