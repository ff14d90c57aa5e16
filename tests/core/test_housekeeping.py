"""Retention and the periodic scheduler."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

import printgate.core.pipeline.recovery  # noqa: F401  (registers its sweeps)
from printgate.core import periodic
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.models import Artifact, Job, Upload
from printgate.core.retention import purge
from printgate.core.storage import get_storage
from tests.conftest import Instance, b64


def test_old_jobs_lose_their_files(client: TestClient, auth: dict[str, str], instance: Instance,
                                   pdf_file: Path) -> None:
    old = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    new = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]}).json()["job"]
    instance.drain()
    with Session(get_engine()) as session:
        job = session.get(Job, old["id"])
        assert job is not None
        job.created_at = utcnow() - timedelta(days=40)
        session.add(job)
        session.commit()
        old_keys = [a.key for a in session.exec(select(Artifact).where(Artifact.job_id == old["id"])).all()]
    assert old_keys and all(get_storage().exists(k) for k in old_keys)
    assert purge()["expired"] == 1
    assert not any(get_storage().exists(k) for k in old_keys)
    body = client.get(f"/jobs/{old['id']}", headers=auth).json()["job"]
    assert body["expiresAt"] is not None and body["tasks"][0]["originalArtifact"] is None
    kept = client.get(f"/jobs/{new['id']}", headers=auth).json()["job"]
    assert kept["expiresAt"] is None and kept["tasks"][0]["originalArtifact"] is not None
    assert purge()["expired"] == 0


def test_abandoned_uploads_are_removed(client: TestClient, auth: dict[str, str]) -> None:
    upload = client.post("/uploads", headers=auth, json={}).json()
    with Session(get_engine()) as session:
        row = session.get(Upload, upload["fileRef"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(hours=2)
        session.add(row)
        session.commit()
    assert purge()["uploads"] == 1
    with Session(get_engine()) as session:
        assert session.exec(select(Upload).where(Upload.id == upload["fileRef"])).first() is None


def test_periodic_tasks_run_once_per_interval(instance: Instance) -> None:
    calls: list[int] = []
    periodic.register("test.counter", lambda: calls.append(1), every_s=60)
    try:
        assert "test.counter" in periodic.run_due(now=1_000_000.0)
        assert "test.counter" not in periodic.run_due(now=1_000_001.0)  # interval not passed
        periodic._tasks["test.counter"].last_run = 0  # another process: the Redis lock still holds
        assert "test.counter" not in periodic.run_due(now=1_000_100.0)
        assert calls == [1]
        assert {"recovery.sweep", "retention.purge"} <= set(periodic.registered())
    finally:
        periodic._tasks.pop("test.counter", None)
