"""Run one task's steps for one phase. This is what an RQ worker executes.

Every way a step can go wrong ends in a recorded ``error`` with a readable reason, so a job never
stays in ``processing``: handled errors here, a dead worker through ``printgate.core.pipeline.recovery``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from sqlmodel import Session, col, select

from printgate.core import signals
from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.errors import StepNotAvailable, UnreadableFile
from printgate.core.filetypes import sniff
from printgate.core.ids import new_id
from printgate.core.jobs import service
from printgate.core.jobs.states import cannot_run_status
from printgate.core.models import Artifact, Job, Step, Task
from printgate.core.pipeline.context import StepContext, StepResult
from printgate.core.pipeline.fetch import fetch_url
from printgate.core.pipeline.steps import COMPATIBLE, STEPS
from printgate.core.storage import get_storage

log = logging.getLogger("printgate.pipeline")


class Heartbeat:
    """Touch ``task.heartbeat_at`` while the task runs, from a thread, so a long step keeps it fresh."""

    def __init__(self, task_id: str, every_s: float = 10.0) -> None:
        self.task_id = task_id
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{task_id}")

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with Session(get_engine()) as session:
                    task = session.get(Task, self.task_id)
                    if task is None:
                        return
                    task.heartbeat_at = utcnow()
                    session.add(task)
                    session.commit()
            except Exception as exc:  # the DB may be briefly locked; next beat retries
                log.debug("heartbeat failed: %s", exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def _materialize(session: Session, job: Job, task: Task, workdir: Path) -> Path:
    """Return a local path to the task's source file, fetching a URL source first."""
    storage = get_storage()
    source = session.exec(select(Artifact).where(Artifact.task_id == task.id, Artifact.role == "source")).first()
    if source is None:
        if not task.source or not task.source.startswith(("http://", "https://")):
            raise UnreadableFile("The task has no source file")
        path = workdir / "source"
        size = fetch_url(task.source, task.source_headers, path)
        name = task.name or Path(task.source.split("?", 1)[0]).name or "source"
        key = f"s/{job.account_id}/{job.id}/{task.id}/{service._safe_name(name)}"
        storage.put_file(key, path)
        source = Artifact(id=new_id("art"), account_id=job.account_id, job_id=job.id, task_id=task.id,
                          role="source", key=key, size_bytes=size, file_name=name)
        session.add(source)
        task.name = task.name or name
    path = storage.local_path(source.key)
    if not path.exists():
        raise UnreadableFile("The uploaded file is missing from storage")
    if task.file_type is None:
        task.file_type, task.mime_type = sniff(path)
        source.mime_type = source.mime_type or task.mime_type
        session.add(source)
    session.add(task)
    session.commit()
    if task.file_type == "pdf":
        _guard_page_count(path)
    # Work on a private copy: steps must never modify what is stored.
    local = workdir / f"input{Path(source.file_name or '').suffix or ''}"
    shutil.copyfile(path, local)
    return local


MAX_PAGES = 10_000


def _guard_page_count(path: Path) -> None:
    """Refuse page bombs before any engine walks them (a 300 KB file can declare 50,000 pages)."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            count = len(pdf.pages)
    except Exception:
        return  # unreadable here: the steps give their own, more specific reason
    if count > MAX_PAGES:
        raise UnreadableFile(f"The file has {count:,} pages; printgate accepts at most {MAX_PAGES:,}")


def _finish_step(session: Session, step: Step, result: StepResult, started: float) -> None:
    step.status = result.status
    step.outcome = result.outcome
    step.reason = result.reason
    step.outputs = result.outputs
    step.runtime_params = result.runtime_params
    step.ended_at = utcnow()
    step.duration_ms = int((time.monotonic() - started) * 1000)
    session.add(step)


def run_task(task_id: str, phase: str = "intake",
             progress: Callable[[str, int | None, int | None], None] | None = None) -> str:
    """Entry point for workers (and for ``printgate check`` inline). Returns the task status.
    ``progress`` hears each step as it starts and how far a long one is (the CLI's bar)."""
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        task = session.get(Task, task_id)
        if task is None:
            return "missing"
        job = session.get(Job, task.job_id)
        if job is None or job.deleted_at is not None:
            return "deleted"
        if task.status in ("done", "skipped", "error"):
            return task.status  # already finished: a duplicate delivery of the queue message
        if task.status == "running" and task.heartbeat_at is not None and (
            utcnow() - as_utc(task.heartbeat_at)
        ).total_seconds() < get_settings().stale_task_s:
            return "busy"  # another worker has it and is alive
        task.status = "running"
        task.attempts += 1
        task.heartbeat_at = utcnow()
        session.add(task)
        session.commit()
        signals.send(signals.JOB_STATUS, job_id=job.id)
        steps = list(session.exec(
            select(Step).where(Step.task_id == task.id, Step.phase == phase).order_by(col(Step.position))
        ).all())
        workdir = Path(tempfile.mkdtemp(prefix=f"printgate-{task.id}-"))
        log.info("task start", extra={"job_id": job.id, "task_id": task.id, "phase": phase})
        try:
            with Heartbeat(task.id, every_s=min(10.0, get_settings().stale_task_s / 3)):
                _run_steps(session, job, task, steps, workdir, progress)
        except (StaleDataError, ObjectDeletedError):
            # The customer removed this file while it was being checked: nothing left to do.
            session.rollback()
            log.info("task removed while running", extra={"job_id": job.id, "task_id": task_id})
            return "removed"
        except Exception:
            # Infrastructure trouble (database, storage), not the file: hand the task back so RQ's
            # retry (with backoff) or the recovery sweep runs it again.
            log.exception("task failed outside its steps; will retry", extra={"job_id": job.id, "task_id": task.id})
            _release(task.id)
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        try:
            service.refresh_task(session, task)
            session.commit()
        except (StaleDataError, ObjectDeletedError):
            session.rollback()
            return "removed"
        log.info("task end", extra={"job_id": job.id, "task_id": task.id, "status": task.status,
                                    "outcome": task.outcome})
        if phase == "processing":
            service.after_processing(session, job.id)
        else:
            service.after_task_change(session, job.id)
        return task.status


def _release(task_id: str) -> None:
    try:
        with Session(get_engine()) as session:
            task = session.get(Task, task_id)
            if task is not None and task.status == "running":
                task.status = "pending"
                task.heartbeat_at = None
                session.add(task)
                for step in session.exec(select(Step).where(Step.task_id == task_id, Step.status == "running")).all():
                    step.status = "pending"
                    session.add(step)
                session.commit()
    except Exception:
        log.exception("could not release task %s; the recovery sweep will", task_id)


def _run_steps(session: Session, job: Job, task: Task, steps: list[Step], workdir: Path,
               progress: Callable[[str, int | None, int | None], None] | None = None) -> None:
    try:
        current = _materialize(session, job, task, workdir)
    except UnreadableFile as exc:
        _fail_remaining(session, steps, exc.reason)
        return
    ctx = StepContext(session=session, job=job, task=task, step=steps[0] if steps else Step(type="none", task_id=task.id, job_id=job.id, id="none"),
                      workdir=workdir, current=current, progress=progress)
    _restore_context(session, ctx, task)
    for index, step in enumerate(steps):
        if step.status in ("done", "skipped", "error"):
            continue
        ctx.step = step
        step.status = "running"
        step.started_at = utcnow()
        session.add(step)
        session.commit()
        started = time.monotonic()
        if progress is not None:
            progress(step.type, None, None)
        try:
            if step.type not in STEPS:
                result = StepResult(status="error", outcome="fail", reason=f"Unknown step type: {step.type}")
            elif (task.file_type or "other") not in COMPATIBLE[step.type] and step.type not in ("preflight", "repreflight"):
                result = _cannot_run(step.type, f"{step.type} does not apply to {task.file_type} files")
            else:
                result = STEPS[step.type](ctx)
        except UnreadableFile as exc:
            result = StepResult(status="error", outcome="fail", reason=exc.reason)
        except StepNotAvailable as exc:
            result = _cannot_run(step.type, str(exc))
        except MemoryError:
            limit = get_settings().job_memory_mb
            result = StepResult(status="error", outcome="fail",
                                reason=f"The file needs more memory than a job may use ({limit} MB) and could not "
                                       f"be processed in the {step.type} step")
        except Exception as exc:
            log.exception("step %s crashed", step.type, extra={"job_id": job.id, "task_id": task.id})
            result = StepResult(status="error", outcome="fail",
                                reason=f"Internal error in the {step.type} step ({type(exc).__name__}); the file could not be processed")
        _finish_step(session, step, result, started)
        session.commit()
        service.refresh_job(session, job)
        session.commit()
        signals.send(signals.JOB_STATUS, job_id=job.id)
        if result.status == "error":
            _fail_remaining(session, steps[index + 1:], "Not run: an earlier step failed", first_is_error=False)
            return


def _cannot_run(step_type: str, reason: str) -> StepResult:
    """A step that cannot run never reports ``pass`` (DECISIONS 1): a check ends ``error``."""
    if cannot_run_status(step_type) == "error":
        return StepResult(status="error", outcome="fail", reason=reason)
    return StepResult(status="skipped", reason=reason)


def _restore_context(session: Session, ctx: StepContext, task: Task) -> None:
    """For the processing phase: continue from the intake's newest output and preflight report.

    Only a preflight's report is one: a ``validate`` step's report (an upload rule's "PDF/A-2b or
    reject") has no preflight findings, and taking it made autofix see nothing to fix."""
    import json

    arts = list(session.exec(select(Artifact).where(Artifact.task_id == task.id).order_by(col(Artifact.created_at))).all())
    preflights = set(session.exec(select(Step.id).where(Step.task_id == task.id,
                                                        col(Step.type).in_(("preflight", "repreflight")))).all())
    report = next((a for a in reversed(arts) if a.role == "report" and a.step_id in preflights), None)
    if report is not None:
        from printgate.core.preflight.report import PreflightReport

        try:
            ctx.report = PreflightReport.from_wire(json.loads(get_storage().local_path(report.key).read_text()))
        except (OSError, ValueError, AttributeError):  # unreadable, or not a JSON object
            ctx.report = None
    newest = next((a for a in reversed(arts) if a.role == "optimizedFile"), None)
    if newest is not None:
        local = ctx.workdir / f"current-{newest.id}{Path(newest.key).suffix}"
        shutil.copyfile(get_storage().local_path(newest.key), local)
        ctx.current = local


def _fail_remaining(session: Session, steps: list[Step], reason: str, *, first_is_error: bool = True) -> None:
    first = first_is_error
    for step in steps:
        if step.status in ("done", "skipped", "error"):
            continue
        step.status = "error" if first else "skipped"
        step.outcome = "fail" if first else None
        step.reason = reason
        step.ended_at = utcnow()
        first = False
        session.add(step)
    session.commit()
