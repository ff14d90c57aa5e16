"""The ``webhooks`` queue: run-now or run-later messages keyed by ``{row id}-{attempt}``.

Messages are only transport: each carries a row id, and the row decides whether there is work.
A message enqueued twice is harmless (the second finds the row already claimed or finished).
Inbound store deliveries go in at the front (``front=True``): a backlog of outbound retries to slow
merchant endpoints never delays a store's order webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rq import Queue

from printgate.core.queue import WEBHOOKS, get_queue, get_redis
from printgate.webhooks._group import GroupRunner

log = logging.getLogger("printgate.webhooks")

_LIVE = frozenset({"queued", "started", "deferred", "scheduled"})


FAILURE_TTL = 7 * 24 * 3600


def schedule(func: Callable[[str], object], row_id: str, *, job_id: str, delay_s: float = 0.0, timeout: int = 120,
             front: bool = False) -> bool:
    """Queue ``func(row_id)`` (ahead of waiting messages when ``front``); return False (and log) when
    Redis is unreachable: the sweeper retries."""
    try:
        queue = get_queue(WEBHOOKS)
        if delay_s > 0:
            queue.enqueue_in(timedelta(seconds=delay_s), func, row_id, job_id=job_id, job_timeout=timeout,
                             result_ttl=60, failure_ttl=FAILURE_TTL, at_front=front)
        else:
            _group.submit((queue.name, Queue.prepare_data(func, args=(row_id,), job_id=job_id, timeout=timeout,
                                                          result_ttl=60, failure_ttl=FAILURE_TTL,
                                                          at_front=front)))
        return True
    except Exception as exc:  # the row is the record; losing the message only delays the work
        log.warning("could not queue %s(%s): %s; the sweeper will pick it up", func, row_id, exc)
        return False


def unschedule(job_id: str) -> None:
    """Take a message out of the scheduled registry (its scheduler is not moving it): the caller queues
    it now instead, and a scheduler that comes back finds nothing to move twice."""
    get_queue(WEBHOOKS).scheduled_job_registry.remove(job_id)


def schedule_many(func: Callable[[str], object], messages: list[tuple[str, str]], *, timeout: int = 120, front: bool = False) -> bool:
    """Queue ``func(row_id)`` now for each ``(row_id, job_id)`` in one pipeline (the caller already
    batched them); False (and a log line) when Redis is unreachable: the sweeper retries."""
    try:
        _enqueue_batch([(WEBHOOKS, Queue.prepare_data(func, args=(row_id,), job_id=job_id, timeout=timeout,
                                                      result_ttl=60, failure_ttl=FAILURE_TTL, at_front=front))
                        for row_id, job_id in messages])
        return True
    except Exception as exc:  # the rows are the record; losing the messages only delays the work
        log.warning("could not queue %s for %d rows: %s; the sweeper will pick them up", func, len(messages), exc)
        return False


def _enqueue_batch(items: list[tuple[str, Any]]) -> list[None]:
    by_queue: dict[str, list[Any]] = {}
    seen: set[str] = set()
    for name, data in items:
        if data.job_id in seen:
            continue  # the same message twice in one batch (RQ refuses that): once is enough
        seen.add(data.job_id)
        by_queue.setdefault(name, []).append(data)
    for name, datas in by_queue.items():
        get_queue(name).enqueue_many(datas)
    return [None] * len(items)


# Concurrent requests in one process share one Redis pipeline (see ``printgate.webhooks._group``).
_group: GroupRunner[tuple[str, Any], None] = GroupRunner(_enqueue_batch)


def forget_waiting(job_ids: list[str]) -> None:
    """Take these messages off the queue and drop them, in one Redis call: their rows were handled by
    another message's batch. Best effort: a message left behind finds its row done (a no-op).

    Most ids of a drained batch never had a message (the receiver queues one per stored batch, for
    its newest row), so an id without a message hash costs one key lookup on the server, not a scan
    of the queue's list; only a message taken off the list is dropped (one scheduled for a retry
    stays whole for RQ's scheduler, and finds its row done)."""
    if not job_ids:
        return
    try:
        from rq.job import Job

        queue = get_queue(WEBHOOKS)
        get_redis().eval(_FORGET_WAITING, 1, queue.key, Job.redis_job_namespace_prefix, *job_ids)
    except Exception as exc:
        log.warning("could not drop %d handled messages: %s; each will find its row done", len(job_ids), exc)


# KEYS[1]: the queue's list; ARGV[1]: RQ's message-hash prefix; ARGV[2..]: message ids. Runs in Redis
# as one command: nothing sees a message half dropped.
_FORGET_WAITING = """
local dropped = 0
for i = 2, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('EXISTS', key) == 1 and redis.call('LREM', KEYS[1], 1, ARGV[i]) == 1 then
    redis.call('DEL', key)
    dropped = dropped + 1
  end
end
return dropped
"""


def message_status(job_id: str) -> str | None:
    """The RQ status of the message with this id (``queued``, ``scheduled``, ``started``, ...), or None."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        status = Job.fetch(job_id, connection=get_redis()).get_status()
    except NoSuchJobError:
        return None
    return str(getattr(status, "value", status))


def waiting_ids() -> set[str]:
    """The ids of the messages in the queue's list (one read for a whole sweep). A message whose RQ
    status says ``queued`` but that is not here was taken by a worker that died before starting it."""
    return set(get_queue(WEBHOOKS).get_job_ids())


def is_queued(job_id: str) -> bool:
    """True when a live message with this id is waiting, scheduled or running."""
    return message_status(job_id) in _LIVE


def taker_stopped(job_id: str) -> bool:
    """True when the worker that took this message is known to have stopped: its registration in Redis
    is gone, or it ran on this host under a pid that no longer runs. False when it cannot be told (the
    message itself is gone, say with a Redis restart): a lease's expiry decides then."""
    import os
    import socket

    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    redis = get_redis()
    try:
        message = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = message.get_status()
    if str(getattr(status, "value", status)) != "started" or not message.worker_name:
        return False
    info = {(k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in (redis.hgetall(f"rq:worker:{message.worker_name}") or {}).items()}
    if not info:
        return True  # a worker's registration lapses only once it stopped heartbeating
    pid = int(info["pid"]) if info.get("pid", "").isdigit() else 0
    if info.get("hostname") != socket.gethostname() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False

