"""A job's status is committed before its ``job.completed`` event is written (another transaction,
after the status signal): a worker killed between the two left a terminal job whose webhook never
came, with no delivery row to retry (found by bench/fault_injection.py). The webhooks sweep writes
such a lost event once, and never a second one beside an event that was written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, col, select

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.webhooks.models import OutboundDelivery, WebhookEvent
from printgate.webhooks.outbound import resend_lost_completions
from tests.conftest import Instance, b64
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint


def _completed_events(job_id: str) -> list[WebhookEvent]:
    with Session(get_engine()) as session:
        return list(session.exec(select(WebhookEvent).where(WebhookEvent.job_id == job_id,
                                                            WebhookEvent.type == "job.completed")).all())


def _finished_job(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> str:
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201, created.text
    instance.drain()
    return str(created.json()["job"]["id"])


def test_a_lost_job_completed_is_written_once_by_the_sweep(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    create_endpoint(client, auth, receiver.url, events=["job.completed"])
    job_id = _finished_job(client, auth, instance, pdf_file)
    [written] = _completed_events(job_id)
    assert written.dedupe_key and job_id in written.dedupe_key
    later = utcnow() + timedelta(minutes=1)
    assert resend_lost_completions(now=later) == 0  # written by the signal's path: nothing to do

    with Session(get_engine()) as session:  # what a worker killed between the two commits leaves
        session.execute(delete(OutboundDelivery).where(col(OutboundDelivery.event_id) == written.id))
        session.execute(delete(WebhookEvent).where(col(WebhookEvent.id) == written.id))
        session.commit()
    receiver.requests.clear()
    assert resend_lost_completions(now=utcnow()) == 0  # just finalized: the signal's path may still be on it
    assert resend_lost_completions(now=later) == 1
    assert resend_lost_completions(now=later) == 0  # once
    instance.drain()
    [again] = _completed_events(job_id)
    assert again.dedupe_key == written.dedupe_key
    bodies = receiver.bodies("job.completed")
    assert [b["data"]["id"] for b in bodies] == [job_id]
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert bodies[0]["data"]["status"] == job["status"]


def test_jobs_nobody_listens_to_are_left_alone(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    create_endpoint(client, auth, receiver.url, events=["order.captured"])  # not job.completed
    job_id = _finished_job(client, auth, instance, pdf_file)
    assert _completed_events(job_id) == []
    assert resend_lost_completions(now=utcnow() + timedelta(minutes=1)) == 0
    assert _completed_events(job_id) == []
