"""In-process signals between rooms: core announces job events; webhooks and connectors listen.

Listeners are connected by each room's ``install`` (``printgate.app`` calls them). A failing listener
is logged and never breaks the job that sent the signal.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

JOB_CREATED = "job.created"
JOB_COMPLETED = "job.completed"  # reached a terminal status (intake verdict for workflow jobs)
JOB_PROCESSED = "job.processed"  # processing phase finished, outputs delivered
JOB_STATUS = "job.status"  # any visible change (drives live status)
JOB_REVIEWED = "job.reviewed"  # a merchant decided on a job held for review (manual_review)
ORDER_CAPTURED = "order.captured"

_listeners: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def connect(signal: str, listener: Callable[..., Any]) -> None:
    if listener not in _listeners[signal]:
        _listeners[signal].append(listener)


def send(signal: str, **kwargs: Any) -> None:
    for listener in list(_listeners[signal]):
        try:
            listener(**kwargs)
        except Exception:
            log.exception("listener %s for %s failed", getattr(listener, "__name__", listener), signal)
