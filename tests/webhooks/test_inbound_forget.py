"""Dropping the messages a drained batch made needless (issue 17): a batch of up to DRAIN_BATCH rows
of which only a few ever had a message (the receiver queues one per stored batch) costs the worker
one Redis command, not one list scan per row; only messages still waiting on the list are dropped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis.connection import AbstractConnection
from rq.job import Job

from printgate.core.queue import WEBHOOKS, get_queue, get_redis
from printgate.webhooks import _queue, inbound
from tests.conftest import Instance
from tests.webhooks.test_inbound import PLATFORM, Handler, handled_accounts, handler, rows, signed

__all__ = ["handler"]  # the fixture, shared with test_inbound


@contextmanager
def _redis_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """While inside: the name of every command this process sends to Redis (pipelined ones too)."""
    sent: list[str] = []
    send_one, pack_many = AbstractConnection.send_command, AbstractConnection.pack_commands

    def one(self: AbstractConnection, *args: Any, **kwargs: Any) -> Any:
        if str(args[0]).upper() != "PING":  # a connection's health check is not the caller's command
            sent.append(str(args[0]).upper())
        return send_one(self, *args, **kwargs)

    def many(self: AbstractConnection, commands: Any) -> Any:
        sent.extend(str(command[0]).upper() for command in commands)
        return pack_many(self, commands)

    with monkeypatch.context() as patch:
        patch.setattr(AbstractConnection, "send_command", one)
        patch.setattr(AbstractConnection, "pack_commands", many)
        yield sent


def _store_batch(count: int, prefix: str) -> None:
    items = [inbound.Incoming(PLATFORM, signed(body, f"{prefix}-{n}"), body)
             for n, body in enumerate(f'{{"n": {n}}}'.encode() for n in range(count))]
    assert all(isinstance(result, inbound.Accepted) for result in inbound._accept_many(items))


def test_forgetting_a_batch_is_one_command_and_drops_only_waiting_messages(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = get_queue(WEBHOOKS)
    assert _queue.schedule_many(inbound.process_delivery, [("row_a", "row_a-1"), ("row_b", "row_b-1"),
                                                           ("row_kept", "row_kept-1")])
    assert _queue.schedule(inbound.process_delivery, "row_later", job_id="row_later-2", delay_s=600)
    ids = [f"row_{n}-1" for n in range(100)] + ["row_a-1", "row_b-1", "row_later-2"]
    with _redis_commands(monkeypatch) as sent:
        _queue.forget_waiting(ids)
    assert len(sent) == 1 and "LREM" not in sent, sent  # the old way: an LREM per id, then a DEL per dropped one
    assert queue.get_job_ids() == ["row_kept-1"], "the waiting ones named are gone, the other stays"
    redis = get_redis()
    assert not redis.exists(Job.key_for("row_a-1")) and not redis.exists(Job.key_for("row_b-1"))
    # a message scheduled for a retry is not on the list: it stays whole for RQ's scheduler
    assert "row_later-2" in queue.scheduled_job_registry.get_job_ids()
    assert redis.exists(Job.key_for("row_later-2"))


def test_a_drain_drops_the_other_batches_messages_in_one_command(
        instance: Instance, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ("f", "g", "h"):  # three stored batches: a message each, for its newest row
        _store_batch(20, prefix)
    queue = get_queue(WEBHOOKS)
    assert queue.count == 3
    newest = rows()[-1]
    with _redis_commands(monkeypatch) as sent:
        assert inbound.process_delivery(newest.id) == "done"
    assert {row.status for row in rows()} == {"done"} and len(handled_accounts()) == 60
    assert "LREM" not in sent and len(sent) <= 2, sent
    # the older batches' messages are gone; the newest's own is the one a worker would be running
    assert queue.get_job_ids() == [inbound._rq_id(newest.id, 1)]


def test_a_failed_drop_loses_nothing(instance: Instance, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ("p", "q"):
        _store_batch(5, prefix)
    newest = rows()[-1]
    with monkeypatch.context() as patch:
        patch.setattr(_queue, "get_redis", lambda: (_ for _ in ()).throw(ConnectionError("redis is gone")))
        assert inbound.process_delivery(newest.id) == "done"  # the drop failed: logged, the batch stands
    assert {row.status for row in rows()} == {"done"} and len(handled_accounts()) == 10
    left = [job_id for job_id in get_queue(WEBHOOKS).get_job_ids() if job_id != inbound._rq_id(newest.id, 1)]
    assert len(left) == 1
    row_id = left[0].rsplit("-", 1)[0]
    assert inbound.process_delivery(row_id) == "done" and len(handled_accounts()) == 10  # a no-op
