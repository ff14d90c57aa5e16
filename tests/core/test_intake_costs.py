"""What the intake path was made cheaper by must still hold: ids, queueing, pooled connections."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from printgate.core import ids
from printgate.core.db import ping_idle_connections
from tests.conftest import Instance, b64

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _decode(ulid: str) -> int:
    value = 0
    for char in ulid:
        value = value * 32 + CROCKFORD.index(char)
    return value


@pytest.mark.parametrize("millis", [0, 1, 1_733_000_000_123, 2**48 - 1])
def test_new_id_is_milliseconds_then_randomness_in_crockford_base32(millis: int) -> None:
    random = os.urandom(10)
    with mock.patch.object(ids.time, "time", return_value=(millis + 0.5) / 1000), \
            mock.patch.object(ids.os, "urandom", return_value=random):
        value = ids.new_id("job")
    prefix, ulid = value.split("_")
    assert prefix == "job" and len(ulid) == 26 and set(ulid) <= set(CROCKFORD)
    assert _decode(ulid) >> 80 == millis
    assert _decode(ulid) & (2**80 - 1) == int.from_bytes(random, "big")


def test_new_ids_sort_by_creation_millisecond() -> None:
    made = []
    for millis in (1_000, 1_001, 40_000, 1_733_000_000_000):
        with mock.patch.object(ids.time, "time", return_value=(millis + 0.5) / 1000):
            made.append(ids.new_id("task"))
    assert made == sorted(made) and len(set(made)) == len(made)


def test_create_job_queues_each_task_on_the_queue_its_intake_steps_need(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> None:
    from printgate.core.queue import get_queue

    body = {"sources": [
        {"file": b64(pdf_file), "name": "check.pdf", "steps": [{"type": "preflight"}]},
        {"file": b64(pdf_file), "name": "fix.pdf", "steps": [{"type": "preflight"}, {"type": "autofix"}]},
    ]}
    response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 201, response.text
    check, fix = (task["id"] for task in response.json()["job"]["tasks"])
    assert get_queue("intake").job_ids == [f"{check}-intake-0"]
    assert get_queue("processing").job_ids == [f"{fix}-intake-0"]
    instance.drain()
    job = client.get(f"/jobs/{response.json()['job']['id']}", headers=auth).json()["job"]
    assert [step["status"] for task in job["tasks"] for step in task["steps"]] == ["done", "done", "done"]


def _engine(tmp_path: Path, idle_s: float):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_s)
    return engine


def _cut(engine) -> None:  # type: ignore[no-untyped-def]
    """Close the pooled connection under the pool's feet, as a database restart does."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.close()  # back in the pool, then gone


def test_a_dead_connection_idle_past_the_limit_is_replaced_at_checkout(tmp_path: Path) -> None:
    engine = _engine(tmp_path, idle_s=0)
    _cut(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 41 + 1")).scalar() == 42
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged_and_a_disconnect_renews_the_pool(tmp_path: Path) -> None:
    engine = _engine(tmp_path, idle_s=3600)
    _cut(engine)
    with pytest.raises(DBAPIError) as failed, engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert failed.value.connection_invalidated
    with engine.connect() as connection:  # the failed use invalidated it: the next one is fresh
        assert connection.execute(text("SELECT 41 + 1")).scalar() == 42
    engine.dispose()


# --- rows written with one INSERT per table, handed back as loaded objects (core.db.insert_loaded) ----------


def test_insert_loaded_rows_read_change_and_refresh_like_rows_the_session_loaded(instance: Instance) -> None:
    from sqlmodel import Session

    from printgate.core.db import complete_row, get_engine, insert_loaded
    from printgate.core.keys import get_or_create_account
    from printgate.core.models import Job

    with Session(get_engine(), expire_on_commit=False) as session:
        account = get_or_create_account(session, "acme")
        [job] = insert_loaded(session, Job, [complete_row(Job, {"id": "job_loaded", "account_id": account.id,
                                                                "meta_data": {"po": "41"}})])
        assert (job.status, job.kind, job.channel, job.meta_data) == ("processing", "jobs", "api", {"po": "41"})
        assert job.created_at is not None and session.get(Job, "job_loaded") is job  # in the identity map
        assert not session.dirty and not session.new  # written already: nothing left for the flush
        session.commit()
        job.status = "rejected"  # a change is tracked and written like any loaded row's
        session.add(job)
        session.commit()
    with Session(get_engine()) as other:
        stored = other.get(Job, "job_loaded")
        assert stored is not None and (stored.status, stored.meta_data) == ("rejected", {"po": "41"})


def test_complete_row_fills_defaults_and_refuses_a_missing_required_column() -> None:
    from printgate.core.db import complete_row
    from printgate.core.models import Step

    row = complete_row(Step, {"id": "step_1", "task_id": "task_1", "job_id": "job_1", "type": "preflight"})
    assert (row["status"], row["phase"], row["position"], row["params"]) == ("pending", "intake", 0, None)
    with pytest.raises(ValueError, match=r"Step\.type"):
        complete_row(Step, {"id": "step_1", "task_id": "task_1", "job_id": "job_1"})


def _without_urls(value: Any) -> Any:
    """The wire without signed URLs (their expiry is bucketed by time) and the live per-read parts."""
    if isinstance(value, dict):
        return {k: _without_urls(v) for k, v in value.items() if k != "downloadUrl"}
    if isinstance(value, list):
        return [_without_urls(v) for v in value]
    return value


def test_the_201_is_shaped_from_the_rows_written_and_equals_the_job_read_back(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> None:
    from sqlalchemy import event

    from printgate.core.db import get_engine

    reads: list[str] = []

    def count_reads(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and any(
                f"FROM {table}" in statement for table in ("task", "step", "artifact")):
            reads.append(statement)

    body = {"metaData": {"po": "7"}, "sources": [
        {"file": b64(pdf_file), "name": "a.pdf", "steps": [{"type": "preflight"}]},
        {"file": b64(pdf_file), "steps": [{"type": "preflight"}, {"type": "autofix", "label": "fix it"}]},
    ]}
    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count_reads)
    try:
        created = client.post("/jobs", headers=auth, json=body)
    finally:
        event.remove(engine, "before_cursor_execute", count_reads)
    assert created.status_code == 201, created.text
    assert reads == []  # the answer came from the rows create_job wrote
    job = created.json()["job"]
    assert [t["name"] for t in job["tasks"]] == ["a.pdf", "file-2.pdf"]
    assert [[s["type"] for s in t["steps"]] for t in job["tasks"]] == [["preflight"], ["preflight", "autofix"]]
    assert all(t["originalArtifact"]["downloadUrl"] for t in job["tasks"])
    read_back = client.get(f"/jobs/{job['id']}", headers=auth)
    assert _without_urls(read_back.json()["job"]) == _without_urls(job)


def test_a_job_of_many_files_is_queued_in_one_redis_round_trip(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path) -> None:
    from redis.client import Pipeline

    from printgate.core.queue import get_queue

    executed: list[int] = []
    original = Pipeline.execute

    def counting_execute(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        executed.append(len(self.command_stack))
        return original(self, *args, **kwargs)

    body = {"sources": [{"file": b64(pdf_file), "name": f"{n}.pdf", "steps": [{"type": "preflight"}]}
                        for n in range(3)]}
    with mock.patch.object(Pipeline, "execute", counting_execute):
        response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 201, response.text
    tasks = [task["id"] for task in response.json()["job"]["tasks"]]
    assert sorted(get_queue("intake").job_ids) == sorted(f"{task}-intake-0" for task in tasks)
    assert len(executed) == 1  # the three enqueues went out together


def test_redis_unreachable_still_answers_201_and_the_files_wait_pending(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    from redis.client import Pipeline
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("Connection refused")

    body = {"sources": [{"file": b64(pdf_file), "name": f"{n}.pdf", "steps": [{"type": "preflight"}]}
                        for n in range(2)]}
    with mock.patch.object(Pipeline, "execute", unreachable), caplog.at_level("WARNING"):
        response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 201, response.text
    job = response.json()["job"]
    assert job["status"] == "processing" and [t["status"] for t in job["tasks"]] == ["pending", "pending"]
    assert all(task["id"] in caplog.text for task in job["tasks"])  # said which files wait for the sweep
