"""Import the optional rooms (webhooks, connectors) so their signal listeners and routes register."""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

ROOM_MODULES = (
    "printgate.core.jobs.live",
    "printgate.webhooks.outbound",
    "printgate.connectors.registry",
)


def load() -> None:
    for name in ROOM_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # room not built yet
            raise
