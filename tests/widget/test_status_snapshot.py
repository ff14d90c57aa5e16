"""The element status payload never mixes a job verdict with a newer file list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from printgate.core.db import get_engine
from printgate.core.jobs import intake, service
from printgate.core.models import Job, Task
from tests.conftest import Instance, make_key
from tests.core.test_orders import intake_job


def test_a_change_committed_between_the_reads_is_not_mixed_in(
        client: TestClient, instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import make_pdf

    pk = make_key("acme", kind="publishable")
    job_id = intake_job(client, instance, pk, make_pdf(tmp_path / "flyer.pdf"))  # no bleed: rejected
    real_status_payload = intake.status_payload
    calls: list[int] = []

    def status_payload_with_a_commit_in_between(session: Session, job: Job) -> dict[str, Any]:
        if not calls:
            # Another process commits while this request builds its payload: the file is back in
            # the queue (as when a second file is attached), so the job is no longer decided.
            with Session(get_engine()) as other:
                task = other.exec(select(Task).where(Task.job_id == job_id)).one()
                task.status, task.outcome = "pending", None
                other.add(task)
                row = other.get(Job, job_id)
                assert row is not None
                service.refresh_job(other, row)
                other.commit()
        calls.append(1)
        return real_status_payload(session, job)

    monkeypatch.setattr(intake, "status_payload", status_payload_with_a_commit_in_between)
    with Session(get_engine()) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "rejected"
        payload = intake.element_status(session, job)
    assert [f["status"] for f in payload["files"]] == ["pending"]
    assert payload["status"] == "processing" and payload["terminal"] is False, payload["status"]
    assert len(calls) == 2, "rebuilt once after the job changed under it"
