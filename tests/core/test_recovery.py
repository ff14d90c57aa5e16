"""A worker that dies mid-task never leaves a job in processing: the sweep re-queues or fails it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.models import Step, Task
from printgate.core.pipeline.recovery import sweep
from tests.conftest import Instance, b64


def _simulate_dead_worker(attempts: int) -> str:
    """What a SIGKILLed work horse leaves behind: task and step 'running', heartbeat going stale."""
    with Session(get_engine()) as session:
        task = session.exec(select(Task)).one()
        task.status = "running"
        task.attempts = attempts
        task.heartbeat_at = utcnow() - timedelta(minutes=5)
        session.add(task)
        step = session.exec(select(Step).where(Step.task_id == task.id)).first()
        assert step is not None
        step.status = "running"
        session.add(step)
        session.commit()
        return task.id


def test_stale_task_is_requeued_and_completes(client: TestClient, auth: dict[str, str], instance: Instance,
                                              pdf_file: Path) -> None:
    job = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    from printgate.core.queue import get_redis

    get_redis().flushdb()  # the queue message died with the worker too
    _simulate_dead_worker(attempts=1)
    counts = sweep()
    assert counts["requeued"] == 1
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["status"] in ("ready", "partial", "rejected")
    assert body["tasks"][0]["steps"][0]["status"] == "done"


def test_task_that_keeps_killing_workers_is_rejected(client: TestClient, auth: dict[str, str], instance: Instance,
                                                     pdf_file: Path) -> None:
    job = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    _simulate_dead_worker(attempts=99)
    counts = sweep()
    assert counts["failed"] == 1
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["status"] == "rejected"
    assert "stopped repeatedly" in body["reason"]


def test_lost_queue_messages_are_resent(client: TestClient, auth: dict[str, str], instance: Instance,
                                        pdf_file: Path) -> None:
    job = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    from printgate.core.queue import get_redis

    get_redis().flushdb()  # Redis lost everything (e.g. restarted without persistence)
    assert sweep(requeue_pending=True)["pending"] == 1
    assert sweep(requeue_pending=True)["pending"] == 0  # no duplicate while the message is queued
    instance.drain()
    assert client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]["status"] != "processing"


def _taken_by_a_worker(taken_minutes_ago: float) -> str:
    """What a worker killed between taking the queue message and starting the task leaves: RQ says the
    message is started, the task is still pending with no attempt."""
    from rq import Queue
    from rq.executions import Execution
    from rq.job import Job as RQJob
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    from printgate.core.jobs import service
    from printgate.core.queue import get_redis

    with Session(get_engine()) as session:
        task = session.exec(select(Task)).one()
        assert task.status == "pending" and task.attempts == 0
        message_id = service.rq_job_id(task, "intake")
    redis = get_redis()
    message = RQJob.fetch(message_id, connection=redis)
    Queue(message.origin, connection=redis).remove(message)
    message.set_status(JobStatus.STARTED)
    message.started_at = utcnow() - timedelta(minutes=taken_minutes_ago)
    message.save()
    with redis.pipeline() as pipe:
        Execution.create(message, ttl=600, pipeline=pipe, worker_name="gone")
        pipe.execute()
    assert StartedJobRegistry(message.origin, connection=redis).get_job_ids() == [message_id]
    return message_id


def test_a_message_taken_by_a_worker_that_died_before_starting_is_resent(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> None:
    job = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    _taken_by_a_worker(taken_minutes_ago=5)
    assert sweep(requeue_pending=True)["pending"] == 1
    from rq.registry import StartedJobRegistry

    from printgate.core.queue import get_redis

    assert StartedJobRegistry("intake", connection=get_redis()).get_job_ids() == []
    instance.drain()
    assert client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]["status"] != "processing"


def test_a_message_a_worker_has_just_taken_is_left_to_it(client: TestClient, auth: dict[str, str],
                                                         instance: Instance, pdf_file: Path) -> None:
    client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    _taken_by_a_worker(taken_minutes_ago=0)
    assert sweep(requeue_pending=True)["pending"] == 0  # its worker marks the task running in a moment


def test_a_message_whose_id_left_the_queue_is_resent(client: TestClient, auth: dict[str, str], instance: Instance,
                                                     pdf_file: Path) -> None:
    """The record of a queue message says queued, but its id is in no list a worker reads (lost between
    the two by a kill -9): the fault-injection bench left such jobs in processing for good."""
    from rq import Queue

    from printgate.core.queue import get_redis

    job = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    queue = Queue("intake", connection=get_redis())
    [message_id] = queue.get_job_ids()
    assert sweep(requeue_pending=True)["pending"] == 0  # queued for real: left alone
    get_redis().lrem(queue.key, 0, message_id)
    assert queue.fetch_job(message_id).get_status() == "queued"  # type: ignore[union-attr]
    assert sweep(requeue_pending=True)["pending"] == 1
    instance.drain()
    assert client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]["status"] != "processing"


def test_a_job_created_while_redis_is_down_is_answered_and_runs_once_it_is_back(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The job is recorded before its queue message is sent: with Redis unreachable the API answered 500
    for a job that existed (and a client's retry made a second one). It is answered 201 and stays
    pending; the recovery sweep queues it once Redis answers."""
    import os

    from printgate.core.config import reset_settings
    from printgate.core.queue import reset_redis
    from tests.support import free_port

    working = os.environ["REDIS_URL"]
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    reset_settings()
    reset_redis()
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    with Session(get_engine()) as session:
        [task] = session.exec(select(Task).where(Task.job_id == job_id)).all()
        assert task.status == "pending" and task.attempts == 0

    monkeypatch.setenv("REDIS_URL", working)
    reset_settings()
    reset_redis()
    assert sweep(requeue_pending=True)["pending"] == 1
    instance.drain()
    body = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert body["status"] in ("ready", "partial", "rejected")
    assert body["tasks"][0]["steps"][0]["status"] == "done"
