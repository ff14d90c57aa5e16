"""Creating jobs and moving them through their lifecycle. Routes and workers both call this."""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from printgate.core import library, outbox, signals, tasks
from printgate.core.clock import iso, utcnow
from printgate.core.config import get_settings
from printgate.core.db import complete_row, insert_loaded
from printgate.core.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge
from printgate.core.filetypes import EXTENSIONS, sniff_head
from printgate.core.ids import new_id
from printgate.core.jobs.states import (
    JOB_TERMINAL,
    RUN_TERMINAL,
    JobStatus,
    ReviewDecision,
    RunStatus,
    StepView,
    TaskView,
    WorkflowPhase,
    job_can_proceed,
    job_outcome,
    job_status,
    task_outcome,
)
from printgate.core.models import Artifact, Job, Step, Task, Upload
from printgate.core.storage import get_storage

log = logging.getLogger(__name__)

STEP_TYPES = (
    "preflight", "autofix", "repreflight", "validate", "previews", "optimize", "convert", "upscale",
    "removebg", "deliver", "proof", "split_pages",
)
# Steps that only look at the file run on the latency queue.
INTAKE_STEPS = frozenset({"preflight", "validate", "previews"})


@dataclass
class SourceSpec:
    """One source of a submission, already validated for shape by the API layer."""

    steps: list[dict[str, Any]]
    url: str | None = None
    headers: dict[str, str] | None = None
    data: bytes | None = None
    file_ref: str | None = None
    name: str | None = None
    mime_type: str | None = None
    profile_id: str | None = None
    params: dict[str, Any] | None = None
    slot: str | None = None
    client_ref: str | None = None
    on_fail: str | None = None
    phase: str = "intake"


@dataclass
class JobSpec:
    kind: str
    sources: list[SourceSpec]
    mode: str = "live"
    channel: str | None = "api"
    rule_id: str | None = None
    workflow_id: str | None = None
    on_fail: str = "reject"
    customer_id: str | None = None
    customer_email: str | None = None
    order_id: str | None = None
    meta_data: dict[str, Any] | None = None
    webhook: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)


def decode_inline_file(value: str) -> bytes:
    """``file`` sources are base64, optionally as a data: URL."""
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    limit = get_settings().max_inline_file_bytes
    if len(value) > limit * 4 // 3 + 16:
        raise PayloadTooLarge(f"Inline file is larger than {limit} bytes; upload it with POST /uploads and use fileRef")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("sources[].file must be base64") from exc


def claim_upload(session: Session, account_id: str, file_ref: str) -> Upload:
    """The caller's completed upload ``file_ref``; 403 if it is someone else's, 400 if still empty."""
    upload = session.get(Upload, file_ref)
    if upload is None or upload.account_id != account_id:
        raise Forbidden("A referenced fileRef is not owned by the caller")
    if upload.status != "uploaded" and get_storage().exists(upload.key):
        # Direct-to-S3 uploads never pass through printgate: completion is seen on first use.
        upload.status = "uploaded"
        upload.size_bytes = get_storage().size(upload.key)
        session.add(upload)
    if upload.status != "uploaded":
        raise BadRequest(f"Upload {file_ref} has not been completed: POST the file to the upload URL first")
    return upload


def _url_file_name(url: str) -> str | None:
    """The last segment of a URL's path, percent-decoded (``.../Business%20Card.pdf?v=2`` ->
    ``Business Card.pdf``); None when the path ends in ``/`` or is empty."""
    segment = unquote(urlsplit(url).path.rsplit("/", 1)[-1]).replace("\\", "/").rsplit("/", 1)[-1]
    segment = "".join(ch for ch in segment if ch.isprintable()).strip()
    return segment if segment not in ("", ".", "..") else None


def source_name(source: SourceSpec, position: int, upload: Upload | None = None) -> str:
    """The file name a task (and its Run) goes by: never null, as clients show and save it by that name.

    Filecheck's Run ``name`` is "file name" (API.md §5.5), a non-null string in its SDK's ``Run`` type, and
    its plugins read it (and ``source.name``) to name the downloaded file. In order: the ``name`` the
    client sent; for a ``url`` source, the URL path's last segment, percent-decoded; for a ``fileRef``, the
    file name the upload carried; otherwise ``file-{n}`` (``n`` = the source's 1-based position in the
    submission) with the extension of the file's type: sniffed from the bytes of a base64 source (its
    content, not a declared ``mimeType``, decides, as everywhere in printgate), else the declared or
    uploaded ``mimeType``'s; none when the type is unknown (a ``url`` whose path ends in ``/``).
    """
    if source.name:
        return source.name
    if source.url and (from_url := _url_file_name(source.url)):
        return from_url
    if upload is not None and upload.file_name:
        return upload.file_name
    mime = source.mime_type or (upload.mime_type if upload is not None else None)
    if source.data is not None:
        sniffed = sniff_head(source.data)[1]
        mime = sniffed if sniffed in EXTENSIONS else mime
    return f"file-{position + 1}{EXTENSIONS.get(mime or '', '')}"


@dataclass
class _SourceRows:
    """The rows one source becomes: its task, its stored source file (if any) and its steps."""

    task: dict[str, Any]
    artifact: dict[str, Any] | None
    steps: list[dict[str, Any]]


def _source_rows(session: Session, job_id: str, account_id: str, source: SourceSpec, position: int) -> _SourceRows:
    """Build the rows of ``source`` (every column: ``db.complete_row``) and store an inline file's bytes."""
    upload = claim_upload(session, account_id, source.file_ref) if source.data is None and source.file_ref \
        else None
    task_id, name = new_id("task"), source_name(source, position, upload)
    task = complete_row(Task, {
        "id": task_id, "job_id": job_id, "account_id": account_id, "position": position, "name": name,
        "slot": source.slot, "source": source.url or source.name, "source_headers": source.headers,
        "file_ref": source.file_ref, "client_ref": source.client_ref, "profile_id": source.profile_id,
        "params": {**(source.params or {}), **({"onFail": source.on_fail} if source.on_fail else {})} or None,
    })
    artifact = None
    if source.data is not None:
        key = f"s/{account_id}/{job_id}/{task_id}/{_safe_name(name)}"
        size = get_storage().put_bytes(key, source.data, source.mime_type)
        artifact = {"key": key, "size_bytes": size, "mime_type": source.mime_type}
    elif upload is not None:
        artifact = {"key": upload.key, "size_bytes": upload.size_bytes, "mime_type": upload.mime_type}
    if artifact is not None:
        artifact = complete_row(Artifact, {**artifact, "id": new_id("art"), "account_id": account_id,
                                           "job_id": job_id, "task_id": task_id, "role": "source",
                                           "file_name": name})
    steps = [complete_row(Step, {"id": new_id("step"), "task_id": task_id, "job_id": job_id, "position": index,
                                 "type": step["type"], "label": step.get("label"), "params": step.get("params"),
                                 "phase": step.get("phase", source.phase)})
             for index, step in enumerate(source.steps)]
    return _SourceRows(task, artifact, steps)


def add_task(session: Session, job: Job, source: SourceSpec, position: int) -> Task:
    """One more file for an existing job (the widget's), through the ORM: its caller changes it further."""
    rows = _source_rows(session, job.id, job.account_id, source, position)
    task = Task(**rows.task)
    session.add(task)
    if rows.artifact is not None:
        session.add(Artifact(**rows.artifact))
    session.flush()  # rows have no ORM relationships: flush parents before children (FKs)
    session.add_all([Step(**step) for step in rows.steps])
    return task


def _safe_name(name: str | None) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in (name or "source"))[:120]
    return cleaned.strip("._") or "source"


@dataclass
class JobRows:
    """A job with its files, steps and stored files, as read or as just written (the answer's shape
    needs nothing else)."""

    job: Job
    tasks: list[Task]
    steps: list[Step]
    artifacts: list[Artifact]


_CREATED = "printgate.jobs.created"  # Session.info key: the rows of the job the session created last


def create_job(session: Session, account_id: str, spec: JobSpec, *, start: bool = True) -> Job:
    """Create the job and its rows in one commit (with the ``job.created`` it owes), then queue its files.

    The rows go in as one INSERT per table (``db.insert_loaded``) and come back as the objects written:
    the files are queued from them, and ``just_created`` hands them to the 201's shaping, without
    reading anything back.
    """
    job_id = new_id("job")
    params = spec.params or None
    if spec.kind == "workflow" and spec.workflow_id:
        # The job's copy of its workflow's gate policy: later edits of the workflow leave it alone.
        workflow = library.find_item(session, "workflow", spec.workflow_id, account_id) or {}
        required = bool((workflow.get("softProof") or {}).get("approvalRequired"))
        params = {**(params or {}), "proofRequired": required}
    job_row = complete_row(Job, {
        "id": job_id, "account_id": account_id, "kind": spec.kind, "mode": spec.mode, "channel": spec.channel,
        "rule_id": spec.rule_id, "workflow_id": spec.workflow_id, "on_fail": spec.on_fail,
        "customer_id": spec.customer_id, "customer_email": spec.customer_email, "order_id": spec.order_id,
        "meta_data": spec.meta_data, "webhook": spec.webhook, "context": spec.context, "params": params,
        "status": (JobStatus.PROCESSING if spec.sources else JobStatus.IDLE).value,
    })
    sources = [_source_rows(session, job_id, account_id, source, position)
               for position, source in enumerate(spec.sources)]
    [job] = insert_loaded(session, Job, [job_row])  # parents before children (foreign keys)
    tasks = insert_loaded(session, Task, [rows.task for rows in sources])
    artifacts = insert_loaded(session, Artifact, [rows.artifact for rows in sources if rows.artifact is not None])
    steps = insert_loaded(session, Step, [step for rows in sources for step in rows.steps])
    # The account too: a listener with nobody to tell for that account need not read the job.
    outbox.owe(session, signals.JOB_CREATED, job_id=job.id, account_id=account_id)
    session.commit()
    outbox.dispatch_owed(session)
    if start:
        enqueue_tasks([(task, [s for s in steps if s.task_id == task.id and s.phase == "intake"])
                       for task in tasks if task.status == RunStatus.PENDING], "intake")
    session.info[_CREATED] = JobRows(job, tasks, steps, artifacts)
    return job


def just_created(session: Session, job: Job) -> JobRows | None:
    """The rows ``create_job`` wrote for ``job`` in this session (once), else None."""
    rows = session.info.pop(_CREATED, None)
    return rows if isinstance(rows, JobRows) and rows.job is job else None


def queue_for(steps: list[Step]) -> str:
    from printgate.core.queue import INTAKE, PROCESSING

    return INTAKE if steps and all(s.type in INTAKE_STEPS for s in steps) else PROCESSING


def rq_job_id(task: Task, phase: str) -> str:
    return f"{task.id}-{phase}-{task.attempts}"


def enqueue_task(session: Session, task: Task, phase: str, *, steps: list[Step] | None = None) -> None:
    """Queue the task's ``phase``; ``steps``: that phase's steps when the caller holds them already."""
    if steps is None:
        steps = list(session.exec(select(Step).where(Step.task_id == task.id, Step.phase == phase)).all())
    enqueue_tasks([(task, steps)], phase)


def enqueue_tasks(items: list[tuple[Task, list[Step]]], phase: str) -> None:
    """Queue each task's ``phase`` (given with that phase's steps), all in one Redis round trip.

    Redis unreachable is not the caller's error: the tasks are recorded (the database is the record,
    Redis only transport), they stay pending and the recovery sweep queues them once Redis answers.
    Raising here answered the caller 500 for a job that existed and would run (found by the
    fault-injection bench).
    """
    if not items:
        return
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from printgate.core.queue import ORDERS, enqueue, get_redis

    settings = get_settings()
    try:
        with get_redis().pipeline() as pipeline:
            for task, steps in items:
                queue = queue_for(steps) if phase == "intake" else ORDERS
                timeout = settings.intake_timeout_s if queue == "intake" else settings.job_timeout_s
                enqueue(queue, tasks.run_task, task.id, phase, job_id=rq_job_id(task, phase), timeout=timeout,
                        retries=settings.task_retries, pipeline=pipeline)
            pipeline.execute()
    except (RedisConnectionError, RedisTimeoutError) as exc:
        log.warning("queue unreachable (%s): task(s) %s stay pending until the recovery sweep queues them",
                    exc, ", ".join(task.id for task, _ in items))


def enqueue_job(session: Session, job: Job, phase: str) -> None:
    tasks = session.exec(select(Task).where(Task.job_id == job.id).order_by(col(Task.position))).all()
    for task in tasks:
        if task.status == RunStatus.PENDING:
            enqueue_task(session, task, phase)


def get_job(session: Session, account_id: str, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.account_id != account_id or job.deleted_at is not None:
        raise NotFound(f"Job not found: {job_id}")
    return job


def tasks_of(session: Session, job_id: str, *, fresh: bool = False) -> list[Task]:
    """The job's files in order. ``fresh`` re-reads rows this session already holds: a long-lived
    session (a worker's, with ``expire_on_commit=False``) would otherwise see its first copy forever."""
    query = select(Task).where(Task.job_id == job_id).order_by(col(Task.position))
    if fresh:
        query = query.execution_options(populate_existing=True)
    return list(session.exec(query).all())


def steps_of(session: Session, task_ids: list[str]) -> list[Step]:
    if not task_ids:
        return []
    return list(session.exec(
        select(Step).where(col(Step.task_id).in_(task_ids)).order_by(col(Step.task_id), col(Step.position))
    ).all())


def _rule_min_files(session: Session, job: Job) -> int:
    if not job.rule_id or job.kind != "workflow":
        return 1 if job.kind == "workflow" else 0
    rule = library.find_item(session, "rule", job.rule_id, job.account_id) or {}
    card = rule.get("cardinality") or {}
    return int(card.get("min", 1))


def refresh_task(session: Session, task: Task, phase: str | None = None) -> Task:
    """Recompute a task's status/outcome from its steps (the steps are the record)."""
    steps = [s for s in steps_of(session, [task.id]) if phase is None or s.phase == phase or s.status != RunStatus.PENDING]
    views = [StepView(s.type, s.status, s.outcome) for s in steps]
    if any(s.status == RunStatus.ERROR for s in steps):
        task.status = RunStatus.ERROR
        task.reason = next((s.reason for s in steps if s.status == RunStatus.ERROR), task.reason)
    elif steps and all(s.status in RUN_TERMINAL for s in steps):
        task.status = RunStatus.DONE if any(s.status == RunStatus.DONE for s in steps) else RunStatus.SKIPPED
    task.outcome = task_outcome(views) if task.status in RUN_TERMINAL else task.outcome
    if task.status == RunStatus.DONE and task.outcome == "fail":
        # A judging step that says why the file failed (validation: which standard, which clauses).
        task.reason = next((s.reason for s in reversed(steps) if s.outcome == "fail" and s.reason), None)
    task.updated_at = utcnow()
    session.add(task)
    return task


def _lock_job_row(session: Session, job_id: str) -> None:
    """Take the job row's write lock, held until the commit, before its tasks are read.

    The status is derived from the tasks, which other transactions change too: a worker read the tasks
    just before the API attached a file and wrote its verdict just after, storing "rejected", final,
    beside the new file still pending. With the lock first, the later of the two reads the other's tasks.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Job.id).where(Job.id == job_id).with_for_update(key_share=True))  # FOR NO KEY UPDATE
    else:  # SQLite: a write takes the database's write lock; this one changes nothing
        session.execute(update(Job).where(col(Job.id) == job_id).values(modified_at=Job.modified_at)
                        .execution_options(synchronize_session=False))


def refresh_job(session: Session, job: Job) -> tuple[str, str]:
    """Recompute the job's status; return ``(old_status, new_status)``. Reaching a terminal status
    owes ``job.completed`` in the caller's transaction (``outbox.dispatch_owed`` after its commit)."""
    _lock_job_row(session, job.id)
    # Re-read what others committed before the lock: a copy loaded earlier would both misreport the
    # old status and hide a change, since an attribute set to the value it was loaded with is not
    # written ("processing" over a "rejected" committed meanwhile stayed "rejected").
    session.flush()
    session.refresh(job)
    old = job.status
    tasks = tasks_of(session, job.id, fresh=True)
    views = [TaskView(t.status, t.outcome, (t.params or {}).get("onFail", job.on_fail)) for t in tasks]
    if job.wf_phase in (WorkflowPhase.PROCESSING, WorkflowPhase.PROCESSING_DONE) and old in JOB_TERMINAL:
        new = old  # the intake verdict stands; processing progress is wfPhase
    else:
        review = ((job.params or {}).get("review") or {}).get("decision")
        new = job_status(views, min_files=_rule_min_files(session, job), review=review)
    job.status = new
    job.outcome = job_outcome(views)
    if new == JobStatus.REJECTED:
        failing = next((t for t in tasks if t.status == RunStatus.ERROR and t.reason), None)
        judged = next((t.reason for t in tasks if t.outcome == "fail" and t.reason), None)
        job.reason = failing.reason if failing else judged or "One or more files did not pass preflight"
        if review == ReviewDecision.REJECT and failing is None:
            job.reason = "The shop reviewed the file and rejected it"
    elif new == JobStatus.REVIEW:
        job.reason = "A file did not pass preflight and waits for the shop's review"
    elif new in (JobStatus.READY, JobStatus.PARTIAL):
        job.reason = None
    if job.kind == "workflow" and new == JobStatus.REVIEW:
        job.wf_phase = WorkflowPhase.MANUAL_REVIEW
    elif job.wf_phase == WorkflowPhase.MANUAL_REVIEW and new != JobStatus.REVIEW and new not in JOB_TERMINAL:
        job.wf_phase = None  # the files changed: checked again from the start
    if new in JOB_TERMINAL and job.finalized_at is None:
        job.finalized_at = utcnow()
    if new in JOB_TERMINAL and old not in JOB_TERMINAL:
        outbox.owe(session, signals.JOB_COMPLETED, job_id=job.id)
    if new not in JOB_TERMINAL:
        job.finalized_at = None
    job.modified_at = utcnow()
    session.add(job)
    return old, new


def after_task_change(session: Session, job_id: str) -> None:
    """Called by the runner after each step and at the end of a task: status, signals, triggers."""
    job = session.get(Job, job_id)
    if job is None:
        return
    old, new = refresh_job(session, job)
    session.commit()
    _announce(session, job, old, new)


def _announce(session: Session, job: Job, old: str, new: str) -> None:
    """After a committed status change: live status, the owed signals (the verdict's), the workflow's
    next phase."""
    signals.send(signals.JOB_STATUS, job_id=job.id)
    outbox.dispatch_owed(session)
    if new in JOB_TERMINAL and old not in JOB_TERMINAL and job.kind == "workflow":
        job.wf_phase = WorkflowPhase.INTAKE_DONE
        session.add(job)
        session.commit()
        maybe_start_processing(session, job, reason="uploads_accepted")


def review_job(session: Session, job: Job, decision: str, note: str | None, reviewer: str) -> Job:
    """A merchant's decision on a job held in ``review`` (``onFail: manual_review``).

    Recorded on the job with who and when; approve makes it ``partial`` (it proceeds, flagged),
    reject makes it ``rejected``. Announced as ``job.reviewed``, then as any verdict.
    """
    if decision not in tuple(ReviewDecision):
        raise BadRequest("decision must be one of approve, reject")
    _lock_job_row(session, job.id)
    session.refresh(job)
    if job.status != JobStatus.REVIEW:
        raise Conflict(f"Job is not waiting for a review (status {job.status})")
    job.params = {**(job.params or {}), "review": {"decision": decision, "note": note, "reviewedBy": reviewer,
                                                  "reviewedAt": iso(utcnow())}}
    session.add(job)
    outbox.owe(session, signals.JOB_REVIEWED, job_id=job.id)  # before the verdict refresh_job owes
    old, new = refresh_job(session, job)
    session.commit()
    _announce(session, job, old, new)
    return job


def forget_review(job: Job) -> None:
    """A changed file set is checked (and, if it fails again, reviewed) afresh."""
    if job.params and "review" in job.params:
        job.params = {k: v for k, v in job.params.items() if k != "review"}


def maybe_start_processing(session: Session, job: Job, *, reason: str) -> bool:
    """Start the workflow's processing phase if ``reason`` matches its trigger (or is explicit)."""
    if job.kind != "workflow" or not job_can_proceed(job.status, job.params):
        return False
    if job.wf_phase not in (WorkflowPhase.INTAKE_DONE, WorkflowPhase.MANUAL_REVIEW, None):
        return False
    workflow = library.find_item(session, "workflow", job.workflow_id or "", job.account_id) or {}
    trigger = workflow.get("trigger", "order_placed")
    explicit = reason in ("manual", "api")
    if not explicit and reason != trigger:
        return False
    if trigger == "proof_approved" and reason == "uploads_accepted":
        return False
    start_processing(session, job, workflow)
    return True


def start_processing(session: Session, job: Job, workflow: dict[str, Any]) -> None:
    processing = workflow.get("processing") or {}
    for task in tasks_of(session, job.id):
        if task.outcome == "fail" and (task.params or {}).get("onFail", job.on_fail) == "reject":
            continue
        existing = session.exec(select(Step).where(Step.task_id == task.id, Step.phase == "processing")).first()
        if existing is None:
            base = len(steps_of(session, [task.id]))
            for index, step in enumerate(processing.get(task.file_type or "pdf", [])):
                session.add(Step(id=new_id("step"), task_id=task.id, job_id=job.id, position=base + index,
                                 type=step["type"], params=step.get("params"), phase="processing"))
        task.status = RunStatus.PENDING
        session.add(task)
    job.wf_phase = WorkflowPhase.PROCESSING
    job.modified_at = utcnow()
    session.add(job)
    session.commit()
    for task in tasks_of(session, job.id):
        if task.status == RunStatus.PENDING:
            enqueue_task(session, task, "processing")
    signals.send(signals.JOB_STATUS, job_id=job.id)


def after_processing(session: Session, job_id: str) -> None:
    job = session.get(Job, job_id)
    if job is None:
        return
    tasks = tasks_of(session, job.id)
    if any(t.status not in RUN_TERMINAL for t in tasks):
        signals.send(signals.JOB_STATUS, job_id=job.id)
        return
    failed = [t for t in tasks if t.status == RunStatus.ERROR]
    job.wf_phase = "processing_failed" if failed else "processing_done"
    if failed:
        job.reason = f"Processing failed: {failed[0].reason}"
    else:
        # The workflow's Merge stage: one PDF or one ZIP of every file's output (or nothing to do).
        from printgate.core.processing.merge import MergeFailed, merge_job

        try:
            merge_job(session, job, tasks_of(session, job.id, fresh=True))
        except MergeFailed as exc:
            job.wf_phase = "processing_failed"
            job.reason = f"Processing failed: the outputs could not be merged: {exc}"
        except Exception as exc:  # never leave the job in processing: say it, keep the files
            session.rollback()
            log.exception("merge crashed", extra={"job_id": job.id})
            job.wf_phase = "processing_failed"
            job.reason = f"Processing failed: internal error while merging the outputs ({type(exc).__name__})"
    job.modified_at = utcnow()
    session.add(job)
    outbox.owe(session, signals.JOB_PROCESSED, job_id=job.id)
    session.commit()
    signals.send(signals.JOB_STATUS, job_id=job.id)
    outbox.dispatch_owed(session)


def delete_job(session: Session, job: Job) -> list[str]:
    """Soft-delete: the job disappears from the API at once; files are removed by retention."""
    job.deleted_at = utcnow()
    job.modified_at = utcnow()
    session.add(job)
    session.commit()
    return [t.id for t in tasks_of(session, job.id)]
