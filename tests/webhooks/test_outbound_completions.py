"""A job's status is committed before its ``job.completed`` event is written (another transaction,
after the status signal): a worker killed between the two left a terminal job whose webhook never
came, with no delivery row to retry (found by bench/fault_injection.py). The terminal transition
now owes the signal in its own commit (``printgate.core.outbox``): the outbox sweep writes such a
lost event once, and never a second one beside an event that was written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from printgate.core import outbox, signals
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.models import SignalOwed
from printgate.webhooks.models import OutboundDelivery, WebhookEvent
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


def _completion_owed(job_id: str) -> SignalOwed:
    with Session(get_engine()) as session:
        rows = session.exec(select(SignalOwed).where(SignalOwed.signal == signals.JOB_COMPLETED)).all()
        [row] = [r for r in rows if (r.kwargs or {}).get("job_id") == job_id]
        return row


def _as_if_killed_after_the_commit(owed: SignalOwed, event: WebhookEvent | None) -> None:
    """What a worker killed between the status commit and the event's leaves: the debt, no event."""
    with Session(get_engine()) as session:
        if event is not None:
            session.execute(delete(OutboundDelivery).where(col(OutboundDelivery.event_id) == event.id))
            session.execute(delete(WebhookEvent).where(col(WebhookEvent.id) == event.id))
        session.execute(update(SignalOwed).where(col(SignalOwed.id) == owed.id).values(
            done_at=None, delivered_to=None, attempts=0, next_attempt_at=utcnow() + timedelta(seconds=outbox.GRACE_S)))
        session.commit()


def test_a_lost_job_completed_is_written_once_by_the_sweep(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    create_endpoint(client, auth, receiver.url, events=["job.completed"])
    job_id = _finished_job(client, auth, instance, pdf_file)
    [written] = _completed_events(job_id)
    assert written.dedupe_key and job_id in written.dedupe_key
    owed = _completion_owed(job_id)
    assert owed.done_at is not None  # delivered right after the commit
    later = utcnow() + timedelta(minutes=1)
    assert outbox.sweep(now=later)["delivered"] == 0  # written by the signal's path: nothing to do

    _as_if_killed_after_the_commit(owed, written)
    receiver.requests.clear()
    assert outbox.sweep(now=utcnow())["delivered"] == 0  # just finalized: the signal's path may still be on it
    assert outbox.sweep(now=later)["delivered"] == 1
    assert outbox.sweep(now=later)["delivered"] == 0  # once
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
    _as_if_killed_after_the_commit(_completion_owed(job_id), None)
    assert outbox.sweep(now=utcnow() + timedelta(minutes=1))["delivered"] == 1  # delivered: nobody wanted it
    assert _completed_events(job_id) == []
