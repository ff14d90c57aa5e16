"""Job status fan-out over Redis pub/sub, so any API process can stream any job's status."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


def channel(job_id: str) -> str:
    return f"printgate:job:{job_id}"


def publish_status(job_id: str, payload: dict[str, Any]) -> None:
    """Best effort: a missed message is covered by the stream's initial read and polling."""
    from printgate.core.queue import get_redis

    try:
        get_redis().publish(channel(job_id), json.dumps(payload, default=str))
    except Exception as exc:
        log.warning("could not publish status for %s: %s", job_id, exc)


def subscribe_status(job_id: str, timeout_s: float = 15.0) -> Iterator[dict[str, Any] | None]:
    """Yield payloads as they are published; ``None`` after ``timeout_s`` of silence (heartbeat)."""
    from printgate.core.queue import get_redis

    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel(job_id))
    try:
        while True:
            message = pubsub.get_message(timeout=timeout_s)
            if message is None:
                yield None
                continue
            try:
                yield json.loads(message["data"])
            except (ValueError, TypeError):
                continue
    finally:
        pubsub.close()
