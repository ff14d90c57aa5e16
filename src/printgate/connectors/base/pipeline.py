"""The connector pipeline, once for every platform.

    received -> verified -> attached -> processing -> delivered -> written_back

``intake`` records a store order (from a webhook or reconciliation) and ``advance`` moves it as far
as it can go right now. Every step is recorded on the ``OrderSync`` row (status, time, error), so
the row is the truth: re-delivered webhooks, reconciliation and retries all call ``advance`` again
and nothing is attached or written twice.

- verify: the line's jobId exists in THIS account (another tenant's job is "not found"), is not
  deleted, can proceed (``printgate.core.jobs.states.job_can_proceed``: with an approved proof where the job's
  workflow required one), and matches the product's workflow when the product requires one.
- attach: ``printgate.core.orders.capture_order`` (idempotent; starts the processing phase on ``order_placed``).
- processing: waits for ``printgate.core.signals.JOB_PROCESSED`` of every attached job.
- deliver: signed links from ``printgate.core.wire.runs_wire`` plus a stable printgate link per file.
- write back: the platform adapter, with backoff (``next_attempt_at``) and a lease so two workers
  never write the same order at once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from printgate.connectors import registry
from printgate.connectors.base.adapter import (
    PAID_STATUSES,
    AdapterError,
    DeliveredFile,
    ExternalLine,
    ExternalOrder,
)
from printgate.connectors.base.lines import SyncLine, read_lines, write_lines
from printgate.connectors.base.models import (
    ORDER_FINAL,
    ORDER_OPEN,
    ORDER_STEPS,
    OrderSync,
    StoreConnection,
    SyncStatus,
)
from printgate.connectors.base.states import ConnectionStatus, OrderStepState, move_sync
from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.ids import new_id
from printgate.core.jobs.states import (
    JOB_TERMINAL,
    JobStatus,
    RunStatus,
    WorkflowPhase,
    files_final,
    proceed_refusal,
)
from printgate.core.models import Artifact, Job, Order, Step
from printgate.core.orders import JOB_ID_KEYS, ItemResult, attach_jobs, capture_order, find_order, item_job_id
from printgate.core.storage import get_storage, sign_token, verify_token

log = logging.getLogger("printgate.connectors")

# Order-level attributes (Shopify cart attributes -> note_attributes) that carry a jobId.
ORDER_JOB_KEYS = ("_printgate_job_id", "printgate Job", "Filecheck Job")

BACKOFF_S = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = 12  # about a day and a half of retries, then the order needs a merchant's look
LEASE_S = 120  # a writer owns a delivered order this long


# --- job ids on lines ----------------------------------------------------------------------------

def line_job_id(platform: str, line: ExternalLine) -> str | None:
    props = line.properties
    for key in registry.line_item_keys(platform):  # the platform's, then core's below
        value = props.get(key)
        if isinstance(value, str) and value.strip().startswith("job_"):
            return value.strip()
    return item_job_id({k: (v.strip() if isinstance(v, str) else v) for k, v in props.items() if k in JOB_ID_KEYS})


def order_job_ids(order: ExternalOrder) -> list[str]:
    for key in ORDER_JOB_KEYS:
        value = order.attributes.get(key)
        if isinstance(value, str):
            ids = [part.strip() for part in value.replace(";", ",").split(",") if part.strip().startswith("job_")]
            if ids:
                return ids
    return []


def job_ids_by_line(platform: str, order: ExternalOrder) -> dict[str, str | None]:
    """Each line's jobId; order-level ids (Filecheck's cart attribute) go to lines without one, in order."""
    found = {line.line_id: line_job_id(platform, line) for line in order.lines}
    spare = [j for j in order_job_ids(order) if j not in found.values()]
    for line in order.lines:
        if not spare:
            break
        if found[line.line_id] is None:
            found[line.line_id] = spare.pop(0)
    return found


# --- recording -----------------------------------------------------------------------------------

def _mark(sync: OrderSync, step: str, status: OrderStepState, error: str | None = None, **extra: Any) -> None:
    steps = dict(sync.steps or {})
    steps[step] = {"status": status, "at": utcnow().isoformat(), "error": error, **extra}
    sync.steps = steps
    sync.updated_at = utcnow()


def _step_done(sync: OrderSync, step: str) -> bool:
    return (sync.steps or {}).get(step, {}).get("status") == OrderStepState.DONE


# Built once: a webhook burst looks an order up per delivery (building the statement cost more than running it).
_SYNC_OF_ORDER = select(OrderSync).where(col(OrderSync.connection_id) == bindparam("connection_id"),
                                         col(OrderSync.external_id) == bindparam("external_id")).limit(1)


def get_sync(session: Session, connection_id: str, external_id: str) -> OrderSync | None:
    return session.exec(_SYNC_OF_ORDER, params={"connection_id": connection_id, "external_id": external_id}).first()


def needs_verification(session: Session, connection_id: str, external_id: str) -> bool:
    """False once an order's lines were verified (or it is finished): skip platform look-ups then."""
    return sync_needs_verification(get_sync(session, connection_id, external_id))


def sync_needs_verification(sync: OrderSync | None) -> bool:
    """:func:`needs_verification` for an OrderSync the caller already looked up (None: a new order)."""
    return sync is None or (not _step_done(sync, "verified") and sync.status not in ORDER_FINAL)


class IntakeBatch:
    """Many orders taken in in one transaction that the caller commits (a batch of store webhooks,
    ``printgate.webhooks.inbound``): the batch's OrderSyncs are read in one query (:meth:`load`), new
    ones are inserted by the batch's flush, and an order that is not paid yet, or that verification
    ends (no print lines, every job refused), is left to the caller's one commit. An order waiting
    for a job's verdict, and steps with effects outside the database (attaching jobs, writing
    back), still commit as they go."""

    def __init__(self) -> None:
        self._syncs: dict[tuple[str, str], OrderSync | None] = {}

    def load(self, session: Session, connection_id: str, external_ids: list[str]) -> None:
        """Read these orders' OrderSyncs in one query (the ones not read yet)."""
        wanted = [e for e in dict.fromkeys(external_ids) if (connection_id, e) not in self._syncs]
        if not wanted:
            return
        found = {sync.external_id: sync for sync in session.exec(select(OrderSync).where(
            col(OrderSync.connection_id) == connection_id, col(OrderSync.external_id).in_(wanted)))}
        for external_id in wanted:
            self._syncs[(connection_id, external_id)] = found.get(external_id)

    def get(self, session: Session, connection_id: str, external_id: str) -> OrderSync | None:
        key = (connection_id, external_id)
        if key not in self._syncs:
            self._syncs[key] = get_sync(session, connection_id, external_id)
        return self._syncs[key]

    def created(self, sync: OrderSync) -> None:
        self._syncs[(sync.connection_id, sync.external_id)] = sync


def intake(session: Session, connection: StoreConnection, order: ExternalOrder, *,
           event: str = "webhook") -> OrderSync:
    """Record (or update) a store order and move it along. Safe to call any number of times."""
    return intake_found(session, connection, order, get_sync(session, connection.id, order.external_id),
                        event=event)


def intake_found(session: Session, connection: StoreConnection, order: ExternalOrder, sync: OrderSync | None, *,
                 event: str = "webhook", batch: IntakeBatch | None = None) -> OrderSync:
    """:func:`intake` with the order's OrderSync as the caller just looked it up (None: not recorded
    yet), so a webhook's handler reads it once. What the store said is committed with the first step
    it allows (one commit for a new paid order, not one per change), and at the latest on return;
    within a ``batch``, by the caller's commit when no step with outside effects ran."""
    if sync is None:
        sync = OrderSync(id=new_id("osync"), connection_id=connection.id, account_id=connection.account_id,
                         platform=connection.platform, external_id=order.external_id)
        _mark(sync, "received", OrderStepState.DONE, event=event)
        _describe(sync, connection, order)
        session.add(sync)
        if batch is not None:
            # Inserted with the batch's flush; a concurrent delivery's row (unique constraint) fails
            # the batch, whose deliveries are then handled one by one, this path below.
            batch.created(sync)
        else:
            try:
                session.flush()
            except IntegrityError:  # a concurrent delivery created it first (unique constraint)
                session.rollback()
                sync = get_sync(session, connection.id, order.external_id)
                if sync is None:
                    raise
                _describe(sync, connection, order)
                session.add(sync)
    else:
        _describe(sync, connection, order)
        session.add(sync)
    if order.cancelled:
        cancel(session, sync)
    elif order.paid:
        advance(session, sync, order=order, commit_verdict=batch is None)
    if batch is None and session.in_transaction():  # the steps had nothing to do (or left work after their last commit)
        session.commit()
    return sync


def _describe(sync: OrderSync, connection: StoreConnection, order: ExternalOrder) -> None:
    """What the store says about the order now; its lines until they were verified."""
    sync.name = order.name or sync.name
    sync.financial_status = order.status
    customer = order.customer or {}
    sync.customer_id = str(customer["id"]) if customer.get("id") is not None else sync.customer_id
    sync.customer_email = customer.get("email") or sync.customer_email
    if not _step_done(sync, "verified"):
        ids = job_ids_by_line(connection.platform, order)
        sync.lines = write_lines(
            SyncLine(line_id=line.line_id, product_id=line.product_id, name=line.name, quantity=line.quantity,
                     sku=line.sku, total=line.total, job_id=ids.get(line.line_id), workflow_id=line.workflow_id)
            for line in order.lines
        )
        sync.updated_at = utcnow()



# --- signed order calls from the store side -----------------------------------------------------

def capture_call(session: Session, connection: StoreConnection, order_id: str,
                 body: dict[str, Any]) -> list[ItemResult]:
    """A store's own signed order call (``printgate.connectors.signed_calls`` found the store).

    Captured now, as the store's call describes the order, so the answer lists what happened to
    each line's job; its intake (the platform's enrichment, then :func:`intake`) is queued. The store
    retries a call with the same ``webhook-id``: capture and intake are idempotent.
    """
    from printgate.core.queue import WEBHOOKS, enqueue

    order, results = capture_order(session, connection.account_id, order_id, body, store_id=connection.id)
    enqueue(WEBHOOKS, intake_call, order.id, connection.id, timeout=300)
    return results


def intake_call(order_id: str, store_id: str) -> str | None:
    """RQ entry point: an order a store's signed call captured, into the pipeline. The OrderSync id."""
    from printgate.core.db import session_scope

    with session_scope() as session:
        order = session.get(Order, order_id)
        connection = session.get(StoreConnection, store_id)
        if order is None or connection is None or order.account_id != connection.account_id:
            return None
        calls = registry.spec_for(connection.platform).order_calls
        if calls is None or not calls.accepts(connection):
            return None  # disconnected or erased since the call came in
        external = calls.to_order(order, connection)
        if calls.intake is not None:
            calls.intake(session, connection, external)
        else:
            intake(session, connection, external, event=calls.event)
        sync = get_sync(session, connection.id, external.external_id)
        return sync.id if sync is not None else None


# --- the steps -----------------------------------------------------------------------------------

WAIT_FOR_JOB_S = 60  # a job still being checked when the order is paid: look again this much later


def _verify(session: Session, sync: OrderSync, now: datetime) -> None:
    lines = read_lines(sync.lines)
    with_jobs = [line for line in lines if line.job_id]
    if not with_jobs:
        _mark(sync, "verified", OrderStepState.SKIPPED, "no line carries a printgate jobId")
        sync.status = move_sync(sync.status, SyncStatus.NO_JOBS)
        sync.lines = write_lines(lines)
        return
    for line in with_jobs:
        job = session.get(Job, line.job_id)
        reason = None
        if job is None or job.account_id != sync.account_id or job.deleted_at is not None:
            reason = "job not found for this account"
        elif job.status not in JOB_TERMINAL:
            reason = ("waiting: the job waits for the shop's review" if job.status == JobStatus.REVIEW
                      else f"waiting: job is still {job.status}")
        elif (refusal := proceed_refusal(job.status, job.params)) is not None:
            reason = f"job cannot proceed ({refusal})"
        elif line.workflow_id and job.workflow_id and job.workflow_id != line.workflow_id:
            reason = f"job was made with workflow {job.workflow_id}, the product needs {line.workflow_id}"
        elif line.workflow_id and not job.workflow_id:
            reason = f"the product needs workflow {line.workflow_id}; the job has none"
        line.verified = reason is None
        line.set_reason(reason)
    sync.lines = write_lines(lines)
    waiting = [str(line.job_id) for line in with_jobs if (line.reason or "").startswith("waiting")]
    if waiting:  # not a verdict yet: retry_due looks again
        _mark(sync, "verified", OrderStepState.WAITING, f"jobs still being checked: {', '.join(waiting)}")
        sync.next_attempt_at = now + timedelta(seconds=WAIT_FOR_JOB_S)
        return
    bad = [f"{line.job_id}: {line.reason}" for line in with_jobs if not line.verified]
    if len(bad) == len(with_jobs):
        _mark(sync, "verified", OrderStepState.ERROR, "; ".join(bad))
        sync.status = move_sync(sync.status, SyncStatus.FAILED)
        sync.last_error = "; ".join(bad)
        return
    _mark(sync, "verified", OrderStepState.DONE, "; ".join(bad) or None)
    sync.status = move_sync(sync.status, SyncStatus.VERIFIED)
    sync.next_attempt_at = None


def _attach(session: Session, sync: OrderSync, order: ExternalOrder | None) -> None:
    lines = read_lines(sync.lines)
    items = [line.order_item() for line in lines if line.verified]
    existing = find_order(session, sync.account_id, sync.external_id, sync.platform)
    if existing is not None and existing.source != sync.platform:
        # The store's own order call described this order (the WordPress plugin's ``wp``): it keeps
        # that description (our item list holds just the print lines); the jobs are attached to it.
        core_order = existing
        existing.store_id = sync.connection_id
        existing.updated_at = utcnow()
        session.add(existing)
        session.commit()
        results = attach_jobs(session, existing, items, order.customer if order is not None else None)
    else:
        body: dict[str, Any] = {"source": sync.platform, "status": "paid", "items": items}
        if order is not None:
            body.update({"currency": order.currency, "total": order.total, "customer": order.customer,
                         "shippingAddress": order.shipping_address, "status": order.status or "paid"})
        core_order, results = capture_order(session, sync.account_id, sync.external_id, body,
                                            store_id=sync.connection_id)
    by_job = {r.job_id: r for r in results}
    for line in lines:
        result = by_job.get(line.job_id or "")
        if result is not None and line.verified:
            line.attached = result.attached
            if not result.attached:
                line.set_reason(result.reason)
    sync.lines = write_lines(lines)
    sync.order_id = core_order.id
    attached = [line for line in lines if line.attached]
    if not attached:
        error = "; ".join(f"{line.job_id}: {line.reason}" for line in lines if line.job_id)
        _mark(sync, "attached", OrderStepState.ERROR, error)
        sync.status = move_sync(sync.status, SyncStatus.FAILED)
        sync.last_error = error
        return
    _mark(sync, "attached", OrderStepState.DONE)
    sync.status = move_sync(sync.status, SyncStatus.ATTACHED)


def _job_processed(job: Job) -> bool:
    return files_final(job.kind, job.status, job.wf_phase)


def _processing(session: Session, sync: OrderSync) -> bool:
    """True when every attached job finished processing."""
    from printgate.core.jobs.service import maybe_start_processing

    lines = read_lines(sync.lines)
    waiting = []
    for line in lines:
        if not line.attached or not line.job_id:
            continue
        job = session.get(Job, line.job_id)
        if job is None:
            line.processed = False
            continue
        if job.kind == "workflow" and job.wf_phase in (WorkflowPhase.INTAKE_DONE, None):
            maybe_start_processing(session, job, reason="order_placed")
            session.refresh(job)
        line.processed = _job_processed(job)
        line.set_wf_phase(job.wf_phase)
        if not line.processed:
            waiting.append(job.id)
    sync.lines = write_lines(lines)
    if waiting:
        _mark(sync, "processing", OrderStepState.RUNNING, waiting=waiting)
        sync.status = move_sync(sync.status, SyncStatus.PROCESSING)
        return False
    _mark(sync, "processing", OrderStepState.DONE)
    sync.status = move_sync(sync.status, SyncStatus.PROCESSING)
    return True


def file_link(connection_id: str, job_id: str, run_id: str) -> str:
    """printgate's stable link to a run's output: re-signs a fresh download URL on every click."""
    settings = get_settings()
    exp = str(int(time.time()) + settings.retention_days * 86400)
    sig = sign_token(settings.effective_signing_secret, "store-file", connection_id, job_id, run_id, exp)
    return f"{settings.public_url.rstrip('/')}/stores/{connection_id}/files/{job_id}/{run_id}?exp={exp}&sig={sig}"


def check_file_link(connection_id: str, job_id: str, run_id: str, exp: str, sig: str) -> bool:
    try:
        if int(exp) < time.time():
            return False
    except ValueError:
        return False
    return verify_token(get_settings().effective_signing_secret, sig, "store-file", connection_id, job_id, run_id, exp)


def _deliver(session: Session, sync: OrderSync) -> list[DeliveredFile]:
    from printgate.core.wire import runs_wire

    files: list[DeliveredFile] = []
    for line in read_lines(sync.lines):
        if not line.attached or not line.job_id:
            continue
        job = session.get(Job, line.job_id)
        if job is None:
            continue
        wire = runs_wire(session, job)
        for run in wire["runs"]:
            split = run.get("hasOutput") and not run.get("mergedInto")
            pages = page_outputs(session, run["id"]) if split else []
            if len(pages) > 1:  # split_pages: every page is a file of its own, not just the last one
                files.extend(_page_files(sync.connection_id, str(line.line_id), job.id, run, pages))
                continue
            files.append(DeliveredFile(
                line_id=str(line.line_id), job_id=job.id, run_id=run["id"], name=run.get("name"),
                status=run.get("status"), outcome=run.get("outcome"), download_url=run.get("downloadUrl"),
                link=file_link(sync.connection_id, job.id, run["id"]) if run.get("hasOutput") else None,
                expires_in=run.get("expiresIn"),
            ))
    sync.files = [f.wire() for f in files]
    _mark(sync, "delivered", OrderStepState.DONE, files=len(files))
    sync.status = move_sync(sync.status, SyncStatus.DELIVERED)
    return files


def page_outputs(session: Session, run_id: str) -> list[Artifact]:
    """A run's page files (``split_pages``), in page order; empty for a run with one output."""
    return list(session.exec(select(Artifact).where(Artifact.task_id == run_id, Artifact.role == "output",
                                                    Artifact.kind == "page").order_by(col(Artifact.page))).all())


def page_file_id(run_id: str, page: int | None) -> str:
    """The delivered file id of one page of a run (``{runId}.p{page}``): a file link addresses it."""
    return f"{run_id}.p{page}"


def page_output(session: Session, job_id: str, file_id: str) -> Artifact | None:
    """The page file a ``page_file_id`` names, when it belongs to ``job_id``."""
    run_id, _, page = file_id.rpartition(".p")
    if not run_id or not page.isdigit():
        return None
    return next((a for a in page_outputs(session, run_id) if a.page == int(page) and a.job_id == job_id), None)


def _page_files(connection_id: str, line_id: str, job_id: str, run: dict[str, Any],
                pages: list[Artifact]) -> list[DeliveredFile]:
    storage = get_storage()
    expires = get_settings().download_expires_s
    return [DeliveredFile(
        line_id=line_id, job_id=job_id, run_id=page_file_id(run["id"], art.page), name=art.file_name,
        status=run.get("status"), outcome=run.get("outcome"),
        download_url=storage.download_url(art.key, expires_in=expires, file_name=art.file_name),
        link=file_link(connection_id, job_id, page_file_id(run["id"], art.page)), expires_in=expires,
    ) for art in pages]


def _files_of(sync: OrderSync) -> list[DeliveredFile]:
    return [DeliveredFile(line_id=f["lineId"], job_id=f["jobId"], run_id=f["runId"], name=f.get("name"),
                          status=f.get("status"), outcome=f.get("outcome"), download_url=f.get("downloadUrl"),
                          link=f.get("link"), expires_in=f.get("expiresIn"))
            for f in sync.files or []]


def _claim(session: Session, sync: OrderSync, now: datetime) -> bool:
    """Take the write-back lease (compare-and-set on ``next_attempt_at``)."""
    result = session.execute(
        update(OrderSync)
        .where(col(OrderSync.id) == sync.id, col(OrderSync.status) == SyncStatus.DELIVERED,
               or_(col(OrderSync.next_attempt_at).is_(None), col(OrderSync.next_attempt_at) <= now))
        .values(next_attempt_at=now + timedelta(seconds=LEASE_S))
    )
    session.commit()
    session.refresh(sync)
    return bool(getattr(result, "rowcount", 0) == 1)


def _write_back(session: Session, sync: OrderSync, *, now: datetime | None = None) -> None:

    now = now or utcnow()
    if not _claim(session, sync, now):
        return  # another worker holds it, or its retry is not due yet
    connection = session.get(StoreConnection, sync.connection_id)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        _mark(sync, "written_back", OrderStepState.ERROR, "store is not connected")
        sync.last_error = "store is not connected"
        sync.next_attempt_at = None
        session.add(sync)
        session.commit()
        return
    sync.attempts += 1
    try:
        result = registry.adapter_for(connection).write_back(session, sync, _files_of(sync))
    except AdapterError as exc:
        retry = exc.retryable and sync.attempts < MAX_ATTEMPTS
        delay = BACKOFF_S[min(sync.attempts - 1, len(BACKOFF_S) - 1)]
        sync.last_error = str(exc)
        sync.next_attempt_at = now + timedelta(seconds=delay) if retry else None
        _mark(sync, "written_back", OrderStepState.ERROR, str(exc), attempt=sync.attempts, retry=retry)
        if not retry:
            sync.status = move_sync(sync.status, SyncStatus.FAILED)
        session.add(sync)
        session.commit()
        log.warning("write-back of %s failed (attempt %d): %s", sync.id, sync.attempts, exc)
        return
    sync.status = move_sync(sync.status, SyncStatus.WRITTEN_BACK)
    sync.written_back_at = utcnow()
    sync.next_attempt_at = None
    sync.last_error = None
    _mark(sync, "written_back", OrderStepState.DONE, result=result or {})
    session.add(sync)
    session.commit()


def advance(session: Session, sync: OrderSync, *, order: ExternalOrder | None = None,
            now: datetime | None = None, commit_verdict: bool = True) -> OrderSync:
    """Move ``sync`` as far as it can go now. Idempotent. ``commit_verdict=False``: a verification
    that ends the order (no print lines, every job refused) is left to the caller's commit (an
    :class:`IntakeBatch`'s); one that waits for a job's verdict is committed at once, so the
    verdict's wake-up (:func:`on_job_completed`) finds it."""
    if sync.status in ORDER_FINAL:
        return sync
    if not _step_done(sync, "verified"):
        if sync.financial_status not in PAID_STATUSES:
            return sync  # printing starts once the order is paid
        _verify(session, sync, now or utcnow())
        session.add(sync)
        if commit_verdict or sync.status not in ORDER_FINAL:  # a waiting order is seen by its job's verdict now
            session.commit()
        if not _step_done(sync, "verified"):
            return sync
    if not _step_done(sync, "attached"):
        _attach(session, sync, order)
        session.add(sync)
        session.commit()
        if sync.status == SyncStatus.FAILED:
            return sync
    if not _step_done(sync, "processing"):
        done = _processing(session, sync)
        session.add(sync)
        session.commit()
        if not done:
            return sync
    if not _step_done(sync, "delivered"):
        _deliver(session, sync)
        session.add(sync)
        session.commit()
    _write_back(session, sync, now=now)
    return sync


def advance_by_id(sync_id: str) -> None:
    """RQ entry point."""
    from printgate.core.db import session_scope

    with session_scope() as session:
        sync = session.get(OrderSync, sync_id)
        if sync is not None:
            advance(session, sync)


def retry_due(session: Session, *, now: datetime | None = None) -> int:
    """Retry write-backs whose backoff has elapsed, and orders stuck waiting on processing."""
    now = now or utcnow()
    due = session.exec(select(OrderSync).where(
        col(OrderSync.status).in_(ORDER_OPEN),
        or_(col(OrderSync.status) != SyncStatus.RECEIVED, col(OrderSync.financial_status).in_(PAID_STATUSES)),
        or_(col(OrderSync.next_attempt_at).is_(None), col(OrderSync.next_attempt_at) <= now),
    ).limit(500)).all()
    for sync in due:
        try:
            advance(session, sync, now=now)
        except Exception:
            session.rollback()
            log.exception("advancing %s failed", sync.id)
    return len(due)


# --- cancellation ---------------------------------------------------------------------------------

def cancel(session: Session, sync: OrderSync) -> None:
    """Mark the order cancelled and stop processing its jobs where it has not started yet."""
    from printgate.core.jobs.service import after_processing, rq_job_id, tasks_of

    if sync.status == SyncStatus.CANCELLED:
        return
    stopped = []
    for line in read_lines(sync.lines):
        job = session.get(Job, line.job_id or "") if line.attached else None
        if job is None or job.account_id != sync.account_id:
            continue
        job.order_status = "cancelled"
        session.add(job)
        if job.wf_phase == WorkflowPhase.PROCESSING:
            for task in tasks_of(session, job.id):
                if task.status != RunStatus.PENDING:
                    continue
                _cancel_queued(rq_job_id(task, "processing"))
                for step in session.exec(select(Step).where(Step.task_id == task.id, Step.phase == "processing",
                                                            Step.status == RunStatus.PENDING)).all():
                    step.status = RunStatus.SKIPPED
                    step.reason = "order cancelled"
                    session.add(step)
                task.status = RunStatus.SKIPPED
                task.reason = "order cancelled"
                session.add(task)
                stopped.append(task.id)
            session.commit()
            after_processing(session, job.id)
    session.commit()
    sync.status = move_sync(sync.status, SyncStatus.CANCELLED)
    sync.cancelled_at = utcnow()
    sync.next_attempt_at = None
    _mark(sync, "cancelled", OrderStepState.DONE, stoppedTasks=stopped)
    session.add(sync)
    session.commit()


def _cancel_queued(rq_id: str) -> None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RqJob

    from printgate.core.queue import get_redis

    try:
        RqJob.fetch(rq_id, connection=get_redis()).cancel()
    except (NoSuchJobError, Exception):  # not queued any more (running or done): let it finish
        pass


# --- signals ---------------------------------------------------------------------------------------
# Core's outbox may deliver a signal again (its first delivery was not recorded as done): these
# listeners only queue ``advance``, which moves an order from the steps recorded on its row and writes
# back under a lease, so a second delivery moves nothing twice (tests/connectors/test_outbox_redelivery.py).

def on_job_processed(job_id: str, **_: Any) -> None:
    """A job's processing finished: move the orders waiting on it (in the webhooks queue)."""
    from printgate.core.db import session_scope
    from printgate.core.queue import WEBHOOKS, enqueue

    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or not job.order_id:
            return
        # "attached" too: the job may finish before the order's own handler recorded "processing".
        syncs = session.exec(select(OrderSync).where(OrderSync.account_id == job.account_id,
                                                     OrderSync.external_id == job.order_id,
                                                     col(OrderSync.status).in_((SyncStatus.ATTACHED, SyncStatus.PROCESSING)))).all()
        for sync in syncs:
            if any(line.job_id == job_id for line in read_lines(sync.lines)):
                enqueue(WEBHOOKS, advance_by_id, sync.id,
                        job_id=f"osync-{sync.id}-{job_id}", timeout=300)



def on_job_completed(job_id: str, **_: Any) -> None:
    """A job got its verdict: move the paid orders whose verification waits for it now, not at the
    connectors' next tick (``connector_tick_s``, 5 minutes by default). The order is first made due in
    the database, so a wake-up message lost with Redis leaves it to the next tick, not to its backoff."""
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope
    from printgate.core.queue import WEBHOOKS, enqueue

    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        waiting = session.exec(select(OrderSync).where(OrderSync.account_id == job.account_id,
                                                       OrderSync.status == SyncStatus.RECEIVED,
                                                       col(OrderSync.next_attempt_at).is_not(None))).all()
        woken = [sync for sync in waiting if any(line.job_id == job_id for line in read_lines(sync.lines))]
        if not woken:
            return
        now = utcnow()
        for sync in woken:
            if sync.next_attempt_at is not None and sync.next_attempt_at > now:
                sync.next_attempt_at = now
                session.add(sync)
        session.commit()
        for sync in woken:
            enqueue(WEBHOOKS, advance_by_id, sync.id, job_id=f"osync-{sync.id}-{job_id}-verdict", timeout=300)


def sync_wire(sync: OrderSync) -> dict[str, Any]:
    from printgate.core.clock import iso

    return {
        "id": sync.id, "storeId": sync.connection_id, "platform": sync.platform, "orderId": sync.external_id,
        "name": sync.name, "status": sync.status, "financialStatus": sync.financial_status,
        "steps": {name: (sync.steps or {}).get(name, {"status": OrderStepState.PENDING}) for name in
                  ORDER_STEPS}
        | ({"cancelled": (sync.steps or {})["cancelled"]} if "cancelled" in (sync.steps or {}) else {}),
        "lines": sync.lines or [], "files": sync.files or [], "attempts": sync.attempts,
        "lastError": sync.last_error,
        "nextAttemptAt": iso(as_utc(sync.next_attempt_at)) if sync.next_attempt_at else None,
        "createdAt": iso(sync.created_at), "updatedAt": iso(sync.updated_at),
        "writtenBackAt": iso(sync.written_back_at), "cancelledAt": iso(sync.cancelled_at),
    }

