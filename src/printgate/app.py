"""The composition root: every room, wired explicitly, once per process.

``create_app`` is what the API serves (``printgate.asgi``); ``wire()`` without an app is what a
worker and ``printgate serve``'s own process do. The rooms are imported here and nowhere else as
a set: a missing or renamed room is an ImportError at start-up, not a feature that quietly vanishes.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from printgate.connectors import room as connectors_room
from printgate.core import room as core_room
from printgate.core.api import ratelimit
from printgate.core.api.app import build_app
from printgate.core.wiring import Wiring
from printgate.webhooks import room as webhooks_room
from printgate.widgets import room as widgets_room

# Order matters for routes only: core's first, then the webhooks' fast path and endpoints, the
# store connectors, and the widget's files last.
ROOMS: tuple[Callable[[Wiring], None], ...] = (
    core_room.install,
    webhooks_room.install,
    connectors_room.install,
    widgets_room.install,
)


def wire(app: FastAPI | None = None) -> Wiring:
    """Install every room into this process (listeners, sweeps, platforms) and, given one, the app.
    Calling it again is harmless: every registration is keyed by what it registers."""
    wiring = Wiring(app)
    for install in ROOMS:
        install(wiring)
    return wiring


def create_app() -> FastAPI:
    app = build_app()
    wire(app)
    ratelimit.limit_path("POST", "/dashboard/login", "signin")  # the widgets room's sign-in form
    return app
