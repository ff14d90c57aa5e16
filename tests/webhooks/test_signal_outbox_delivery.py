"""Every job and order event survives a process that dies between the change's commit and its
announcement (issue 14): the change owes the signal in its own transaction (``printgate.core.outbox``),
the outbox sweep delivers it after the grace period, exactly once, and a redelivered signal writes no
second event and no second delivery."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from printgate.core import outbox, signals
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.jobs import service
from printgate.core.models import Job, SignalOwed, Task
from printgate.webhooks.models import OutboundDelivery, WebhookEvent
from tests.conftest import Instance, b64
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint


class Killed(BaseException):
    """The process dies here (kill -9): nothing after this point runs, nothing catches it."""


@pytest.fixture
def die_before(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``die_before(signal)``: the first delivery of ``signal`` kills the process before any listener."""
    real = signals.deliver

    def arm(target: str) -> None:
        armed = [True]

        def deliver(signal: str, kwargs: dict[str, Any], **options: Any) -> Any:
            if signal == target and armed:
                armed.clear()
                raise Killed(signal)
            return real(signal, kwargs, **options)

        monkeypatch.setattr(signals, "deliver", deliver)

    return arm


@pytest.fixture
def listening(client: TestClient, auth: dict[str, str], receiver: Receiver) -> Iterator[None]:
    create_endpoint(client, auth, receiver.url, events=["*"])
    yield


def _job(client: TestClient, auth: dict[str, str], pdf_file: Path, **extra: Any) -> str:
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}], **extra})
    assert created.status_code == 201, created.text
    return str(created.json()["job"]["id"])


def _finished_job(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> str:
    job_id = _job(client, auth, pdf_file)
    instance.drain()
    return job_id


def _account(job_id: str) -> str:
    with Session(get_engine()) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.account_id


def _events(event_type: str, *, job_id: str | None = None, order_id: str | None = None) -> list[WebhookEvent]:
    with Session(get_engine()) as session:
        query = select(WebhookEvent).where(WebhookEvent.type == event_type)
        if job_id:
            query = query.where(WebhookEvent.job_id == job_id)
        if order_id:
            query = query.where(WebhookEvent.order_id == order_id)
        return list(session.exec(query).all())


def _deliveries(event_ids: list[str]) -> int:
    with Session(get_engine()) as session:
        return len(session.exec(select(OutboundDelivery).where(col(OutboundDelivery.event_id).in_(event_ids))).all())


def _owed(signal: str, subject: dict[str, str]) -> list[SignalOwed]:
    """The outbox rows of ``signal`` about ``subject`` (its kwargs)."""
    with Session(get_engine()) as session:
        rows = session.exec(select(SignalOwed).where(SignalOwed.signal == signal)).all()
        return [row for row in rows if subject.items() <= (row.kwargs or {}).items()]


# Each case: make the change that owes the signal (the process dies right after its commit) and
# return (the event type it becomes, how to find its events).

def _created(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
             kill: Callable[[], None]) -> tuple[str, dict[str, str]]:
    from printgate.core.jobs.service import JobSpec, SourceSpec

    account_id = _account(_job(client, auth, pdf_file))  # the account, and a job created normally
    spec = JobSpec(kind="preflight", sources=[SourceSpec(steps=[{"type": "preflight"}], data=pdf_file.read_bytes(),
                                                          name="artwork.pdf")])
    with Session(get_engine(), expire_on_commit=False) as session:
        kill()
        with pytest.raises(Killed):
            service.create_job(session, account_id, spec, start=False)
        [job_id] = [i for i in session.exec(select(Job.id)).all() if _events("job.created", job_id=i) == []]
    return "job.created", {"job_id": job_id}


def _completed(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
               kill: Callable[[], None]) -> tuple[str, dict[str, str]]:
    from printgate.core.pipeline import runner
    from printgate.core.queue import get_queue

    job_id = _job(client, auth, pdf_file)
    get_queue("intake").empty()  # this test's "worker" runs the task itself
    with Session(get_engine()) as session:
        [task_id] = session.exec(select(Task.id).where(Task.job_id == job_id)).all()
    kill()
    with pytest.raises(Killed):
        runner.run_task(task_id, "intake")
    return "job.completed", {"job_id": job_id}


def _processed(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
               kill: Callable[[], None]) -> tuple[str, dict[str, str]]:
    job_id = _finished_job(client, auth, instance, pdf_file)
    kill()
    with Session(get_engine(), expire_on_commit=False) as session, pytest.raises(Killed):
        service.after_processing(session, job_id)
    return "job.processed", {"job_id": job_id}


def _reviewed(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
              kill: Callable[[], None]) -> tuple[str, dict[str, str]]:
    job_id = _finished_job(client, auth, instance, pdf_file)
    with Session(get_engine(), expire_on_commit=False) as session:  # held for review, as onFail would
        job = session.get(Job, job_id)
        assert job is not None
        job.status = "review"
        session.add(job)
        session.commit()
        kill()
        with pytest.raises(Killed):
            service.review_job(session, job, "approve", "looks fine", reviewer="key_test")
    return "job.reviewed", {"job_id": job_id}


def _captured(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
              kill: Callable[[], None]) -> tuple[str, dict[str, str]]:
    from printgate.core.orders import capture_order

    job_id = _finished_job(client, auth, instance, pdf_file)
    kill()
    with Session(get_engine(), expire_on_commit=False) as session, pytest.raises(Killed):
        capture_order(session, _account(job_id), "1001", {"status": "paid", "items": [{"jobId": job_id}]})
    from printgate.core.models import Order

    with Session(get_engine()) as session:
        order = session.exec(select(Order).where(Order.external_id == "1001")).one()
    return "order.captured", {"order_id": order.id}


CASES = {signals.JOB_CREATED: _created, signals.JOB_COMPLETED: _completed, signals.JOB_PROCESSED: _processed,
         signals.JOB_REVIEWED: _reviewed, signals.ORDER_CAPTURED: _captured}


@pytest.mark.parametrize("signal", list(CASES))
def test_a_signal_lost_with_its_process_is_delivered_once_by_the_sweep(
        signal: str, client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver,
        listening: None, pdf_file: Path, die_before: Callable[[str], None]) -> None:
    event_type, subject = CASES[signal](client, auth, instance, pdf_file, lambda: die_before(signal))

    # What the dead process left: the change is committed, its event was never written, the debt was.
    assert _events(event_type, **subject) == []
    [owed] = _owed(signal, subject)
    assert owed.done_at is None and owed.failed_at is None and owed.attempts == 0

    assert outbox.sweep(now=utcnow())["delivered"] == 0  # within the grace: the process may still be on it
    later = utcnow() + timedelta(seconds=outbox.GRACE_S + 1)
    assert outbox.sweep(now=later)["delivered"] >= 1
    [event] = _events(event_type, **subject)
    deliveries = _deliveries([event.id])
    assert deliveries == 1
    [owed] = _owed(signal, subject)
    assert owed.done_at is not None and owed.attempts == 1
    assert outbox.sweep(now=later)["delivered"] == 0  # done: not again

    # A redelivery of the same row (its "done" never recorded) writes no second event or delivery.
    with Session(get_engine()) as session:
        session.execute(update(SignalOwed).where(col(SignalOwed.id) == owed.id)
                        .values(done_at=None, delivered_to=None))
        session.commit()
    assert outbox.sweep(now=later + timedelta(minutes=5))["delivered"] >= 1
    assert [e.id for e in _events(event_type, **subject)] == [event.id]
    assert _deliveries([event.id]) == deliveries

    instance.drain()
    # The receiver got it once (the order is this test's only one; of jobs, the one whose process died).
    got = [b for b in receiver.bodies(event_type) if "job_id" not in subject or b["data"]["id"] == subject["job_id"]]
    assert len(got) == 1
