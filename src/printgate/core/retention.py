"""Retention: files and jobs are not kept forever (``PRINTGATE_RETENTION_DAYS``, default 30).

Jobs older than the retention period lose their files (sources, outputs, previews, reports) and
are marked expired; soft-deleted jobs lose their files after a day's grace; uploads that were never
completed are removed an hour after they expired.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from printgate.core.clock import utcnow
from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.models import Artifact, Job, Upload
from printgate.core.storage import get_storage

log = logging.getLogger("printgate.retention")

DELETED_GRACE = timedelta(days=1)
UPLOAD_GRACE = timedelta(hours=1)


def _purge_job_files(session: Session, job: Job) -> int:
    storage = get_storage()
    arts = session.exec(select(Artifact).where(Artifact.job_id == job.id)).all()
    for prefix in (f"a/{job.account_id}/{job.id}", f"s/{job.account_id}/{job.id}"):
        storage.delete_prefix(prefix)
    for art in arts:
        if art.key.startswith("u/"):
            storage.delete_prefix(art.key)
    session.exec(delete(Artifact).where(col(Artifact.job_id) == job.id))  # type: ignore[call-overload]
    return len(arts)


def purge(*, now_days: int | None = None, batch: int = 200) -> dict[str, int]:
    settings = get_settings()
    days = settings.retention_days if now_days is None else now_days
    now = utcnow()
    counts = {"expired": 0, "deleted": 0, "uploads": 0}
    with Session(get_engine(), expire_on_commit=False) as session:
        old = session.exec(
            select(Job).where(col(Job.created_at) < now - timedelta(days=days), col(Job.expires_at).is_(None),
                              col(Job.deleted_at).is_(None)).limit(batch)
        ).all()
        for job in old:
            _purge_job_files(session, job)
            job.expires_at = now
            job.modified_at = now
            session.add(job)
            counts["expired"] += 1
        gone = session.exec(
            select(Job).where(col(Job.deleted_at) < now - DELETED_GRACE, col(Job.expires_at).is_(None)).limit(batch)
        ).all()
        for job in gone:
            _purge_job_files(session, job)
            job.expires_at = now
            session.add(job)
            counts["deleted"] += 1
        stale_uploads = session.exec(
            select(Upload).where(Upload.status == "pending", col(Upload.expires_at) < now - UPLOAD_GRACE).limit(batch)
        ).all()
        for upload in stale_uploads:
            get_storage().delete_prefix(upload.key)
            session.delete(upload)
            counts["uploads"] += 1
        session.commit()
    if any(counts.values()):
        log.info("retention purge: %s", counts)
    return counts
