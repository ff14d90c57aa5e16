"""Publish the Element status payload whenever a job changes (listener of ``job.status``)."""

from __future__ import annotations

import os

from sqlmodel import Session

from core import signals
from core.config import get_settings
from core.db import get_engine
from core.events import publish_status
from core.models import Job


def _publish(job_id: str, **_: object) -> None:
    if not (get_settings().redis_url or os.environ.get("REDIS_URL")):
        return  # inline runs (printgate check) have no subscribers
    from core.wire import status_payload

    with Session(get_engine(), expire_on_commit=False) as session:
        job = session.get(Job, job_id)
        if job is not None:
            publish_status(job_id, status_payload(session, job))


signals.connect(signals.JOB_STATUS, _publish)
