"""The live status stream's two paths, in process: Redis pub/sub (how a change made by another
process arrives) and the periodic re-read of the job row (when a message is lost)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlmodel import Session

from printgate.core.api.routes import element
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.events import publish_status
from printgate.core.jobs import intake
from printgate.core.keys import authenticate
from printgate.core.models import Job
from tests.conftest import Instance, make_key


class _Connected:
    async def is_disconnected(self) -> bool:
        return False


def _change_job(job_id: str, status: str) -> None:
    """What a worker does: commit a new state (here without telling anyone)."""
    with Session(get_engine()) as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status = status
        job.modified_at = utcnow()
        session.add(job)
        session.commit()


async def _collect(job_id: str, caller: Any, after_snapshot: Any, wait_s: float) -> list[dict[str, Any]]:
    stream = element._status_stream(_Connected(), caller, job_id)  # type: ignore[arg-type]
    got: list[dict[str, Any]] = []

    async def read() -> None:
        async for chunk in stream:
            if chunk.startswith("event: status"):
                got.append(json.loads(chunk.split("data: ", 1)[1]))
                if len(got) == 1:
                    await asyncio.get_running_loop().run_in_executor(None, after_snapshot)
                else:
                    return

    try:
        await asyncio.wait_for(read(), timeout=wait_s)
    except TimeoutError:
        pass
    finally:
        await stream.aclose()
    return got


@pytest.fixture
def caller_and_job(instance: Instance) -> tuple[Any, str]:
    key = make_key("acme", kind="publishable")
    with Session(get_engine(), expire_on_commit=False) as session:
        caller = authenticate(session, key)
        job = intake.create_intake_job(session, caller, "wf_default")
    return caller, job.id


def test_a_published_change_arrives_at_once(caller_and_job: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    caller, job_id = caller_and_job
    monkeypatch.setattr(element, "RECHECK_S", 3600.0)  # only pub/sub can deliver the change

    def change_and_publish() -> None:
        _change_job(job_id, "incomplete")
        publish_status(job_id, {"jobId": job_id})

    got = asyncio.run(_collect(job_id, caller, change_and_publish, wait_s=5))
    assert [g["status"] for g in got] == ["idle", "incomplete"]


def test_a_lost_message_is_covered_by_the_re_read(
        caller_and_job: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    caller, job_id = caller_and_job
    monkeypatch.setattr(element, "RECHECK_S", 0.5)
    got = asyncio.run(_collect(job_id, caller, lambda: _change_job(job_id, "incomplete"), wait_s=5))
    assert [g["status"] for g in got] == ["idle", "incomplete"]


def test_without_the_re_read_an_unpublished_change_stays_unseen(
        caller_and_job: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The control for the first test: the change alone, unpublished, does not reach the stream."""
    caller, job_id = caller_and_job
    monkeypatch.setattr(element, "RECHECK_S", 3600.0)
    got = asyncio.run(_collect(job_id, caller, lambda: _change_job(job_id, "incomplete"), wait_s=3))
    assert [g["status"] for g in got] == ["idle"]
