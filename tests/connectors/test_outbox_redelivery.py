"""The connector pipeline's signal listeners under redelivery (issue 14): core's outbox delivers a
``job.processed`` / ``job.completed`` again when its first delivery was not recorded as done, and
the store order they move is still written back once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from printgate.connectors.base import pipeline
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.base.states import ConnectionStatus
from printgate.core import outbox, signals
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.core.jobs import service
from printgate.core.models import Job, SignalOwed
from tests.conftest import Instance, b64


class CountingAdapter:
    """A store that takes every write-back and remembers each."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write_back(self, session: Session, sync: OrderSync, files: list[Any]) -> dict[str, Any]:
        self.written.append(sync.external_id)
        return {"ok": True}


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> CountingAdapter:
    adapter = CountingAdapter()
    monkeypatch.setattr(pipeline.registry, "adapter_for", lambda connection: adapter)
    return adapter


def _attached_order(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> tuple[str, str]:
    """A finished job on store order 1042, attached and waiting for its processing (as the pipeline
    leaves it); returns (job id, sync id)."""
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201, created.text
    instance.drain()
    job_id = created.json()["job"]["id"]
    done = {"status": "done", "at": utcnow().isoformat(), "error": None}
    with Session(get_engine()) as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.order_id = "1042"
        connection = StoreConnection(id=new_id("store"), account_id=job.account_id, platform="opencart",
                                     shop="http://shop.example", status=ConnectionStatus.CONNECTED)
        sync = OrderSync(id=new_id("osync"), connection_id=connection.id, account_id=job.account_id,
                         platform="opencart", external_id="1042", name="#1042", status="attached",
                         financial_status="paid", steps={s: done for s in ("received", "verified", "attached")},
                         lines=[{"lineId": "301", "jobId": job_id, "verified": True, "attached": True}])
        session.add_all([job, connection, sync])
        session.commit()
        return job_id, sync.id


def _redeliver(signal: str, job_id: str) -> None:
    """The row's "done" was never recorded (the process died right after the listeners ran): the sweep
    delivers it again."""
    with Session(get_engine()) as session:
        rows = session.exec(select(SignalOwed).where(SignalOwed.signal == signal)).all()
        [row] = [r for r in rows if (r.kwargs or {}).get("job_id") == job_id]
        session.execute(update(SignalOwed).where(col(SignalOwed.id) == row.id)
                        .values(done_at=None, delivered_to=None, next_attempt_at=utcnow()))
        session.commit()
    assert outbox.sweep(now=utcnow() + timedelta(seconds=1))["delivered"] == 1


def _sync(sync_id: str) -> OrderSync:
    with Session(get_engine()) as session:
        sync = session.get(OrderSync, sync_id)
        assert sync is not None
        return sync


def test_a_redelivered_job_processed_writes_the_order_back_once(
        client: TestClient, auth: dict[str, str], instance: Instance, clean_pdf: Path, store: CountingAdapter) -> None:
    job_id, sync_id = _attached_order(client, auth, instance, clean_pdf)
    with Session(get_engine(), expire_on_commit=False) as session:
        service.after_processing(session, job_id)  # owes job.processed; the listener queues the order's move
    _redeliver(signals.JOB_PROCESSED, job_id)  # before the first move ran: two moves queued
    instance.drain()
    assert store.written == ["1042"], _sync(sync_id)
    assert _sync(sync_id).status == "written_back"

    _redeliver(signals.JOB_PROCESSED, job_id)  # after the write-back: nothing left to move
    instance.drain()
    assert store.written == ["1042"]


def test_a_redelivered_job_completed_does_not_write_the_order_twice(
        client: TestClient, auth: dict[str, str], instance: Instance, clean_pdf: Path, store: CountingAdapter) -> None:
    job_id, sync_id = _attached_order(client, auth, instance, clean_pdf)
    with Session(get_engine()) as session:  # the paid order waits for the job's verdict
        session.execute(update(OrderSync).where(col(OrderSync.id) == sync_id).values(
            status="received", steps={}, next_attempt_at=utcnow() + timedelta(minutes=5)))
        session.commit()
    _redeliver(signals.JOB_COMPLETED, job_id)
    _redeliver(signals.JOB_COMPLETED, job_id)
    instance.drain()
    assert store.written == ["1042"], _sync(sync_id)
    assert _sync(sync_id).status == "written_back"
