"""One router per resource. A new one is one line in :data:`ROUTERS` (and its module here)."""

from tastemaker.serve.routers import admin, discover_weekly, events, health, home, items, users, web

__all__ = ["ROUTERS"]

ROUTERS = [
    health.router,
    users.router,
    items.router,
    events.router,
    home.router,
    discover_weekly.router,
    admin.router,
    web.router,  # last: the web app's pages and static files
]
