"""Announce every job change on Redis pub/sub (``printgate.core.room`` makes it the listener of
``job.status``); live streams wake on it."""

from __future__ import annotations

from sqlmodel import Session

from printgate.core.clock import iso
from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.events import publish_status
from printgate.core.models import Job


def publish(job_id: str, **_: object) -> None:
    """A small wake-up message; subscribers read the job themselves (one query, not a payload per step)."""
    if not get_settings().redis_url:
        return  # inline runs (printgate check) have no subscribers
    with Session(get_engine(), expire_on_commit=False) as session:
        job = session.get(Job, job_id)
        if job is not None:
            publish_status(job_id, {"jobId": job.id, "status": job.status, "wfPhase": job.wf_phase,
                                    "modifiedAt": iso(job.modified_at)})

