"""Outbound retries under backlog: the row decides when an attempt is due, one worker makes it, and
the sweeper adds no second message for a delivery that is not due or already waiting."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.queue import WEBHOOKS, get_queue
from printgate.webhooks import outbound
from printgate.webhooks.models import OutboundDelivery
from tests.conftest import Instance
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint, emit_test_event


def set_due(delivery_id: str, seconds_from_now: float, attempts: int = 1) -> None:
    with Session(get_engine()) as session:
        row = session.get(OutboundDelivery, delivery_id)
        assert row is not None
        row.status, row.attempts = "pending", attempts
        row.next_attempt_at = utcnow() + timedelta(seconds=seconds_from_now)
        session.add(row)
        session.commit()


def row(delivery_id: str) -> OutboundDelivery:
    with Session(get_engine()) as session:
        found = session.get(OutboundDelivery, delivery_id)
        assert found is not None
        return found


def test_deliver_called_before_the_attempt_is_due_sends_nothing(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    get_queue(WEBHOOKS).empty()
    set_due(delivery_id, 600)
    assert outbound.deliver(delivery_id) == "pending"
    assert receiver.requests == []
    assert row(delivery_id).attempts == 1, "no attempt was claimed"
    # Its message was gone: the early call scheduled the due attempt instead of dropping it.
    assert f"{delivery_id}-2" in get_queue(WEBHOOKS).scheduled_job_registry.get_job_ids()
    set_due(delivery_id, -1)
    assert outbound.deliver(delivery_id) == "succeeded"
    assert len(receiver.requests) == 1


def test_two_concurrent_deliver_calls_of_one_due_attempt_send_once(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    get_queue(WEBHOOKS).empty()
    set_due(delivery_id, -5)
    start = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        start.wait()
        results.append(outbound.deliver(delivery_id))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 2
    assert len(receiver.requests) == 1
    final = row(delivery_id)
    assert final.status == "succeeded" and final.attempts == 2


def test_sweeper_enqueues_neither_a_not_yet_due_nor_an_already_queued_delivery(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    later, waiting = (emit_test_event(ep["id"], {"n": n})[0] for n in range(2))
    queue = get_queue(WEBHOOKS)
    queue.empty()
    set_due(later, 3600)  # its message is lost, but the retry is an hour away
    set_due(waiting, -3600)  # due long ago, its message still waiting behind a backlog
    assert outbound._queue.schedule(outbound.deliver, waiting, job_id=f"{waiting}-2")
    assert queue.count == 1
    counts = outbound.sweep(requeue_pending=True)
    assert counts["requeued"] == 0
    assert queue.count == 1 and queue.get_job_ids() == [f"{waiting}-2"]
    assert queue.scheduled_job_registry.get_job_ids() == []
    instance.drain()
    assert len(receiver.requests) == 1 and row(waiting).status == "succeeded"
    assert row(later).status == "pending" and row(later).attempts == 1


def test_sweeper_requeues_a_message_a_dead_worker_took_off_the_queue(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    """Found by bench/fault_injection.py: a webhooks worker killed between taking a message and starting
    it leaves the message marked ``queued`` but in no list; the sweeper must not wait for it forever."""
    from printgate.core.queue import get_redis

    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    queue = get_queue(WEBHOOKS)
    queue.empty()
    set_due(delivery_id, -3600)
    assert outbound._queue.schedule(outbound.deliver, delivery_id, job_id=f"{delivery_id}-2")
    get_redis().lrem(queue.key, 0, f"{delivery_id}-2")  # what a worker's pop does; then the worker dies
    assert outbound._queue.message_status(f"{delivery_id}-2") == "queued" and queue.count == 0
    counts = outbound.sweep(requeue_pending=True)
    assert counts["requeued"] == 1 and queue.get_job_ids() == [f"{delivery_id}-2"]
    instance.drain()
    assert len(receiver.requests) == 1 and row(delivery_id).status == "succeeded"


def test_sweeper_queues_a_scheduled_retry_that_no_scheduler_moved(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    """Found by bench/fault_injection.py: after a kill -9 of serve, the webhooks queue's scheduler lock
    stayed with the dead scheduler and retries went out in one burst when it expired, ~75 s after they
    were due; the sweeper trusted a scheduled message however overdue it was."""
    ep = create_endpoint(client, auth, receiver.url)
    overdue, recent = (emit_test_event(ep["id"], {"n": n})[0] for n in range(2))
    queue = get_queue(WEBHOOKS)
    queue.empty()
    set_due(overdue, -120)  # scheduled for two minutes ago: no scheduler is moving it
    set_due(recent, -1)  # due a second ago: the scheduler gets to it in its own time
    for delivery_id in (overdue, recent):
        assert outbound._queue.schedule(outbound.deliver, delivery_id, job_id=f"{delivery_id}-2", delay_s=3600)
    assert queue.count == 0
    counts = outbound.sweep(requeue_pending=True)
    assert counts["requeued"] == 1
    assert queue.get_job_ids() == [f"{overdue}-2"]
    assert queue.scheduled_job_registry.get_job_ids() == [f"{recent}-2"]
    instance.drain()
    assert len(receiver.requests) == 1 and row(overdue).status == "succeeded"
    assert row(recent).status == "pending" and row(recent).attempts == 1
