"""In-process signals between rooms: core announces job events; webhooks and connectors listen.

Listeners are connected by each room's ``install`` (``printgate.app`` calls them). A failing listener
is logged and never breaks the job that sent the signal. Every signal but ``JOB_STATUS`` is owed
through the outbox (``printgate.core.outbox``): written with the change, delivered after its commit,
delivered again by a sweep if that never finished, so listeners must be idempotent; they get the
outbox row's id as ``signal_id``, one id per event instance.
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


def listener_name(listener: Callable[..., Any]) -> str:
    """A listener's stable name (``module.qualname``): what the outbox records as delivered."""
    qualname = getattr(listener, "__qualname__", None) or type(listener).__qualname__  # a callable object: its class
    return f"{getattr(listener, '__module__', '?')}.{qualname}"


def send(signal: str, **kwargs: Any) -> None:
    """Call every listener now; a failure is logged (``JOB_STATUS``: live status, nothing owed)."""
    deliver(signal, kwargs)


def deliver(signal: str, kwargs: dict[str, Any], *, skip: frozenset[str] = frozenset()
            ) -> tuple[list[str], list[tuple[str, str]]]:
    """Call the listeners not named in ``skip``; return the names that took the signal and the
    ``(name, error)`` of those that raised (logged here, the outbox retries them)."""
    took: list[str] = []
    failed: list[tuple[str, str]] = []
    for listener in list(_listeners[signal]):
        name = listener_name(listener)
        if name in skip:
            continue
        try:
            listener(**kwargs)
        except Exception as exc:
            log.exception("listener %s for %s failed", name, signal)
            failed.append((name, f"{type(exc).__name__}: {exc}"[:500]))
        else:
            took.append(name)
    return took, failed
