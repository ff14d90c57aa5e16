"""What a room plugs into, handed to its ``install`` by the composition root (``printgate.app``).

Nothing registers itself on import: the root calls each room's ``install(wiring)`` once per
process, in the API (with the FastAPI app) and in a worker (without one). A room that is missing
fails there, at start-up, as an ImportError in the root; a listener, sweep or route is attached
in one visible call instead of as a side effect of some import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI

from printgate.core import periodic, signals


@dataclass
class Wiring:
    """The process being wired. ``app`` is None in a worker and in the command line's inline runs."""

    app: FastAPI | None = None
    _routers: list[int] = field(default_factory=list)

    def listen(self, signal: str, listener: Callable[..., Any]) -> None:
        """Call ``listener(**kwargs)`` on every ``signals.send(signal, ...)`` in this process."""
        signals.connect(signal, listener)

    def every(self, name: str, fn: Callable[[], object], every_s: float,
              on_startup: Callable[[], object] | None = None) -> None:
        """Run ``fn`` every ``every_s`` seconds, on one process of the fleet (``printgate.core.periodic``)."""
        periodic.register(name, fn, every_s, on_startup=on_startup)

    def route(self, router: APIRouter) -> None:
        """Serve the router's paths (API processes only; a router shared by two rooms is added once)."""
        if self.app is None or id(router) in self._routers:
            return
        self._routers.append(id(router))
        self.app.include_router(router)

    def middleware(self, layers: Sequence[Any]) -> None:
        """ASGI layers outside the app's routing (the webhooks room's fast path)."""
        if self.app is None:
            return
        for layer in layers:
            self.app.add_middleware(layer)

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """A figure of the room's on ``/metrics``, read at each scrape (API processes only)."""
        if self.app is None:
            return
        from printgate.core.api.routes import ops

        ops.add_gauge(name, help_text, read)

    def mount(self, mounter: Callable[[FastAPI], None]) -> None:
        """A room that serves files or sub-apps (the widget's static files)."""
        if self.app is not None:
            mounter(self.app)
