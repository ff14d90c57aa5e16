"""What the intake path was made cheaper by must still hold: ids, queueing, pooled connections."""

from __future__ import annotations

import os
from pathlib import Path
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
