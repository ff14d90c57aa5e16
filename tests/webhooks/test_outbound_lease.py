"""A delivery whose attempt was taken by a worker killed with -9 is repeated at the next sweep, not
after its lease (~2 minutes): found by the fault-injection CI test, where a job.completed caught
mid-send by the kill arrived after the test had stopped waiting. A worker still running keeps it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

from fastapi.testclient import TestClient
from rq.job import Job, JobStatus
from sqlmodel import Session

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.queue import get_redis
from printgate.webhooks import outbound
from printgate.webhooks.models import OutboundDelivery
from printgate.webhooks.outbound.delivery import rq_id
from tests.conftest import Instance
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint, emit_test_event


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _taken_by(delivery_id: str, worker_pid: int) -> None:
    """The state a worker leaves when it dies mid-attempt: the row leased to it (sending, lease ahead),
    its RQ message started under its name, and its registration still in Redis."""
    redis = get_redis()
    redis.flushdb()  # the message emit queued: the worker had taken it
    with Session(get_engine()) as session:
        row = session.get(OutboundDelivery, delivery_id)
        assert row is not None
        row.status, row.attempts, row.locked_until = "sending", 1, utcnow() + timedelta(seconds=110)
        session.add(row)
        session.commit()
    message = Job.create(outbound.deliver, args=(delivery_id,), id=rq_id(delivery_id, 1), connection=redis)
    message.worker_name = "webhooks-test"
    message.save()
    message.set_status(JobStatus.STARTED)
    redis.hset("rq:worker:webhooks-test", mapping={"name": "webhooks-test", "hostname": socket.gethostname(),
                                                   "pid": str(worker_pid)})


def _status(delivery_id: str) -> str:
    with Session(get_engine()) as session:
        row = session.get(OutboundDelivery, delivery_id)
        assert row is not None
        return row.status


def test_an_attempt_of_a_killed_worker_is_repeated_at_the_next_sweep(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    _taken_by(delivery_id, _dead_pid())
    assert outbound.sweep()["reclaimed"] == 1
    instance.drain()
    assert _status(delivery_id) == "succeeded"
    assert len(receiver.requests) == 1


def test_an_attempt_of_a_running_worker_keeps_its_lease(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    _taken_by(delivery_id, os.getpid())
    assert outbound.sweep()["reclaimed"] == 0
    assert _status(delivery_id) == "sending"
    get_redis().delete("rq:worker:webhooks-test")  # its registration lapsed: it stopped heartbeating
    assert outbound.sweep()["reclaimed"] == 1
