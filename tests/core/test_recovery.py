"""A worker that dies mid-task never leaves a job in processing: the sweep re-queues or fails it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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
