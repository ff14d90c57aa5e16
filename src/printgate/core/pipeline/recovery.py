"""Work whose worker died: tasks ``running`` with a stale heartbeat, and ``pending`` tasks whose
queue message was lost (a Redis restart). The database is the record; Redis is only transport."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.jobs import service
from printgate.core.models import Job, Step, Task

log = logging.getLogger("printgate.recovery")


def _phase_of(session: Session, task: Task) -> str:
    pending = session.exec(
        select(Step).where(Step.task_id == task.id, col(Step.status).in_(["pending", "running"]))
        .order_by(col(Step.position))
    ).first()
    return pending.phase if pending else "intake"


def _is_queued(job_id: str, taken_before: datetime) -> bool:
    """True when the queue still holds a live message for this (pending) task, so it must not be doubled.

    A message a worker took is live only for a moment while the task stays ``pending``: the worker marks
    the task ``running`` as it starts. One taken before ``taken_before`` by a worker that never did was
    taken by a worker killed in between (found by the fault-injection bench); RQ itself would give up on
    it only after the job's whole timeout. It is taken off RQ's started list and counts as lost.
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob
    from rq.registry import StartedJobRegistry

    from printgate.core.queue import get_redis

    redis = get_redis()
    try:
        message = RQJob.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = str(message.get_status()).removeprefix("JobStatus.").lower()
    if status == "started":
        started = message.started_at
        if started is not None and as_utc(started) < taken_before:
            StartedJobRegistry(message.origin, connection=redis).remove_executions(message)
            log.warning("queue message %s was taken by a worker that stopped before starting it", job_id)
            return False
        return True
    if status == "queued":
        # The message's record says queued, but only an id in the queue's list (or in the list a worker
        # moves it to as it takes it) is ever run: a record whose id is in neither was lost between them
        # (a worker or Redis killed mid-way; found by the fault-injection bench) and is sent again.
        from rq import Queue

        queue = Queue(message.origin, connection=redis)
        return queue.get_job_position(job_id) is not None or redis.lpos(queue.intermediate_queue_key, job_id) is not None
    return status in ("deferred", "scheduled")


def sweep(*, requeue_pending: bool = False) -> dict[str, int]:
    """Re-queue or fail orphaned tasks. Safe to run from several processes at once."""
    settings = get_settings()
    stale_before = utcnow() - timedelta(seconds=settings.stale_task_s)
    counts = {"requeued": 0, "failed": 0, "pending": 0}
    with Session(get_engine(), expire_on_commit=False) as session:
        running = session.exec(select(Task).where(Task.status == "running")).all()
        for task in running:
            if task.heartbeat_at is not None and as_utc(task.heartbeat_at) > stale_before:
                continue
            phase = _phase_of(session, task)
            for step in session.exec(select(Step).where(Step.task_id == task.id, Step.status == "running")).all():
                step.status = "pending"
                session.add(step)
            if task.attempts > settings.task_retries:
                for step in session.exec(select(Step).where(Step.task_id == task.id, Step.status == "pending")).all():
                    step.status = "error"
                    step.outcome = "fail"
                    step.reason = "The worker processing this file stopped repeatedly (timeout or crash); gave up"
                    step.ended_at = utcnow()
                    session.add(step)
                    break
                task.status = "running"
                service.refresh_task(session, task)
                session.commit()
                job = session.get(Job, task.job_id)
                if job is not None:
                    (service.after_processing if phase == "processing" else service.after_task_change)(session, job.id)
                counts["failed"] += 1
                log.warning("task %s failed after %s attempts", task.id, task.attempts)
            else:
                task.status = "pending"
                task.heartbeat_at = None
                session.add(task)
                session.commit()
                service.enqueue_task(session, task, phase)
                counts["requeued"] += 1
                log.warning("task %s re-queued after its worker stopped", task.id)
        pending_query = select(Task).where(Task.status == "pending")
        if not requeue_pending:  # periodic sweeps look only at tasks that have waited a while
            pending_query = pending_query.where(col(Task.updated_at) < stale_before)
        for task in session.exec(pending_query).all():
            job = session.get(Job, task.job_id)
            if job is None or job.deleted_at is not None:
                continue
            if not session.exec(select(Step).where(Step.task_id == task.id, Step.status == "pending")).first():
                continue
            phase = _phase_of(session, task)
            if _is_queued(service.rq_job_id(task, phase), stale_before):
                continue
            service.enqueue_task(session, task, phase)
            counts["pending"] += 1
    return counts

