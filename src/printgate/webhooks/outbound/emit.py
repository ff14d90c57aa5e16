"""Emitting: core's signals become one event row and one delivery row per receiver, in one
transaction, then one queue message per delivery (``printgate.webhooks.outbound.delivery.deliver``)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from printgate.core.clock import as_utc, utcnow
from printgate.core.ids import new_id
from printgate.core.jobs.dialect import DEFAULT_DIALECT, DIALECTS
from printgate.core.jobs.states import JOB_TERMINAL, files_final
from printgate.core.models import Job, Order
from printgate.webhooks import _queue, events
from printgate.webhooks.models import OutboundDelivery, WebhookEndpoint, WebhookEvent
from printgate.webhooks.outbound.delivery import attempt_budget_s, deliver, new_session, rq_id
from printgate.webhooks.outbound.payloads import (
    Shaper,
    dialect_payloads,
    dumps,
    envelope,
    filecheck_completed,
    filecheck_created,
    order_data,
    order_jobs,
)
from printgate.webhooks.settings import get_webhook_settings
from printgate.webhooks.signing import FILECHECK_SIGNATURE_HEADER

log = logging.getLogger("printgate.webhooks.outbound")

# Headers a job's submitter may not set on its webhook (printgate owns them).
RESERVED_HEADERS = frozenset({"host", "content-length", "content-type", "transfer-encoding", "connection",
                              "webhook-id", "webhook-timestamp", "webhook-signature",
                              FILECHECK_SIGNATURE_HEADER})

def _endpoints_for(session: Session, account_id: str, event_type: str) -> list[WebhookEndpoint]:
    rows = session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == account_id, WebhookEndpoint.enabled == True,  # noqa: E712
    ).order_by(col(WebhookEndpoint.created_at))).all()
    return [ep for ep in rows if events.subscribed(ep.events, event_type)
            and (ep.format != "filecheck" or event_type in (events.JOB_CREATED, events.JOB_COMPLETED))]

def _job_webhook_dialect(job: Job) -> str:
    """The dialect of the request that submitted the job (``printgate.core.api.routes.jobs._webhook``)."""
    dialect = (job.webhook or {}).get("statusDialect") if isinstance(job.webhook, dict) else None
    return dialect if dialect in DIALECTS else DEFAULT_DIALECT

def _job_webhook(job: Job) -> tuple[str, dict[str, str]] | None:
    hook = job.webhook or {}
    url = hook.get("url") if isinstance(hook, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    raw_headers = hook.get("headers") or {}
    headers = {str(k): str(v) for k, v in raw_headers.items() if str(k).lower() not in RESERVED_HEADERS} \
        if isinstance(raw_headers, dict) else {}
    return url, headers


def emit(session: Session, event_type: str, account_id: str, data: Any, *,
         endpoints: list[WebhookEndpoint], filecheck_body: Any = None,
         job_webhook: tuple[str, dict[str, str]] | None = None, job_id: str | None = None,
         order_id: str | None = None, dedupe_key: str | None = None, shaper: Shaper | None = None,
         job_webhook_dialect: str = DEFAULT_DIALECT) -> list[str]:
    """Write the event and its deliveries in one transaction, then queue one message per delivery.

    ``data`` and ``filecheck_body`` are in the default (lifecycle) status dialect; ``shaper`` gives
    them in another, for receivers that speak it. Returns the delivery ids (empty when
    ``dedupe_key`` was already used).
    """
    if event_type not in events.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: add it to printgate.webhooks.events")
    now = utcnow()
    max_attempts = len(get_webhook_settings().retry_schedule) + 1
    event = WebhookEvent(id=new_id("evt"), account_id=account_id, type=event_type,
                         payload=envelope(event_type, data, now),
                         filecheck_payload=dumps(filecheck_body) if filecheck_body is not None else None,
                         job_id=job_id, order_id=order_id, dedupe_key=dedupe_key, created_at=now)
    own_payload = dialect_payloads(event_type, now, shaper)
    deliveries = [
        OutboundDelivery(id=new_id("whd"), event_id=event.id, account_id=account_id, event_type=event_type,
                         endpoint_id=ep.id, kind="endpoint", url=ep.url, max_attempts=max_attempts,
                         payload=own_payload(ep.status_dialect, ep.format),
                         next_attempt_at=now, created_at=now, updated_at=now)
        for ep in endpoints if ep.format != "filecheck" or filecheck_body is not None
    ]
    if job_webhook is not None and filecheck_body is not None:
        deliveries.append(OutboundDelivery(
            id=new_id("whd"), event_id=event.id, account_id=account_id, event_type=event_type, kind="job",
            url=job_webhook[0], headers=job_webhook[1] or None, max_attempts=max_attempts,
            payload=own_payload(job_webhook_dialect, "filecheck"), next_attempt_at=now,
            created_at=now, updated_at=now))
    session.add(event)
    session.add_all(deliveries)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if dedupe_key is not None:
            return []  # already sent for this subject
        raise
    timeout = attempt_budget_s()
    for delivery in deliveries:
        _queue.schedule(deliver, delivery.id, job_id=rq_id(delivery.id, 1), timeout=timeout)
    return [d.id for d in deliveries]


def _emit_job_event(session: Session, job: Job, event_type: str, *,
                    filecheck: Callable[[dict[str, Any], list[WebhookEndpoint]], Any] | None = None,
                    to_job_webhook: bool = False, dedupe_key: str | None = None) -> None:
    """The one path of a ``job.*`` event: its receivers, and the job as ``GET /jobs/{id}`` shapes it in
    each receiver's status dialect. ``filecheck`` makes Filecheck's body from that wire (given the
    receivers); ``to_job_webhook`` also sends it to the job's own ``webhook``. Nothing when nobody listens."""
    from printgate.core.wire import job_wire

    endpoints = _endpoints_for(session, job.account_id, event_type)
    hook = _job_webhook(job) if to_job_webhook else None
    if not endpoints and hook is None:
        return

    def shaped(dialect: str) -> tuple[Any, Any]:
        wire = job_wire(session, job, dialect=dialect)
        return wire, filecheck(wire, endpoints) if filecheck is not None else None

    wire, body = shaped(DEFAULT_DIALECT)
    emit(session, event_type, job.account_id, wire, endpoints=endpoints, filecheck_body=body, job_webhook=hook,
         job_id=job.id, dedupe_key=dedupe_key, shaper=shaped, job_webhook_dialect=_job_webhook_dialect(job))


def _per_signal(event_type: str, signal_id: str | None) -> str | None:
    """One event per delivery of core's signal (the outbox row's id): a redelivered signal whose
    first delivery got through writes nothing more."""
    return f"{event_type}:{signal_id}" if signal_id else None


def on_job_created(job_id: str, signal_id: str | None = None, account_id: str | None = None, **_: Any) -> None:
    from printgate.core.jobs.service import tasks_of

    with new_session() as session:
        if account_id is not None and not _endpoints_for(session, account_id, events.JOB_CREATED):
            return  # nobody listens (the usual case): the signal names the account, the job need not be read
        job = session.get(Job, job_id)
        if job is None:
            return
        new_job = job  # bound for the closure, never None

        def filecheck(wire: dict[str, Any], endpoints: list[WebhookEndpoint]) -> Any:
            if not any(ep.format == "filecheck" for ep in endpoints):
                return None
            return filecheck_created(new_job, wire, len(tasks_of(session, new_job.id)))

        _emit_job_event(session, job, events.JOB_CREATED, filecheck=filecheck,
                        dedupe_key=_per_signal(events.JOB_CREATED, signal_id))


def on_job_completed(job_id: str, **_: Any) -> None:
    with new_session() as session:
        job = session.get(Job, job_id)
        if job is not None and job.status in JOB_TERMINAL:
            _emit_completed(session, job)


def _emit_completed(session: Session, job: Job) -> None:
    _emit_job_event(session, job, events.JOB_COMPLETED, to_job_webhook=True,
                    filecheck=lambda wire, _endpoints: filecheck_completed(wire), dedupe_key=_completed_key(job))


def _completed_key(job: Job) -> str | None:
    """Once per time the job reaches a terminal status (``finalized_at`` marks each one): a signal
    delivered again by core's outbox writes no second event."""
    if job.finalized_at is None:
        return None
    return f"{events.JOB_COMPLETED}:{job.id}:{as_utc(job.finalized_at).strftime('%Y%m%dT%H%M%S.%f')}"


def on_job_reviewed(job_id: str, **_: Any) -> None:
    """A merchant decided on a job held for review: the job, with its ``review`` (who, when, note)."""
    with new_session() as session:
        job = session.get(Job, job_id)
        review = (job.params or {}).get("review") if job is not None else None
        if job is not None and review:
            _emit_job_event(session, job, events.JOB_REVIEWED,
                            dedupe_key=f"{events.JOB_REVIEWED}:{job.id}:{review.get('reviewedAt')}")


def on_job_processed(job_id: str, signal_id: str | None = None, **_: Any) -> None:
    with new_session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        _emit_job_event(session, job, events.JOB_PROCESSED, dedupe_key=_per_signal(events.JOB_PROCESSED, signal_id))
        if job.order_id:
            order = session.exec(select(Order).where(Order.account_id == job.account_id,
                                                     Order.external_id == job.order_id)).first()
            if order is not None:
                _maybe_files_ready(session, order)


def on_order_captured(order_id: str, **_: Any) -> None:
    with new_session() as session:
        order = session.get(Order, order_id)
        if order is None:
            return
        endpoints = _endpoints_for(session, order.account_id, events.ORDER_CAPTURED)
        if endpoints:
            data = order_data(session, order)
            # One event per state of the order: a store repeating the same order call (or the plugin's
            # call and the connector pipeline capturing the same order) is not announced twice.
            facts = {k: v for k, v in data.items() if k not in ("createdAt", "updatedAt")}
            digest = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:24]
            emit(session, events.ORDER_CAPTURED, order.account_id, data, endpoints=endpoints, order_id=order.id,
                 dedupe_key=f"{events.ORDER_CAPTURED}:{order.id}:{digest}")
        _maybe_files_ready(session, order)


def _settled(job: Job) -> bool:
    """True when a job will produce no more files (``files_final``, the one answer)."""
    return files_final(job.kind, job.status, job.wf_phase)


def _maybe_files_ready(session: Session, order: Order) -> None:
    from printgate.core.wire import job_wire

    key = f"{events.ORDER_FILES_READY}:{order.id}"
    endpoints = _endpoints_for(session, order.account_id, events.ORDER_FILES_READY)
    if not endpoints or session.exec(select(WebhookEvent.id).where(WebhookEvent.dedupe_key == key)).first():
        return
    jobs = order_jobs(session, order)
    if not jobs or not all(_settled(job) for job in jobs):
        return
    order_body = order_data(session, order)

    def shaped(dialect: str) -> tuple[Any, Any]:
        files = []
        for job in jobs:
            wire = job_wire(session, job, dialect=dialect)
            files.append({"jobId": job.id, "status": wire["status"], "outcome": wire["outcome"],
                          "canProceed": wire["canProceed"], "deliverables": wire["deliverables"]})
        return {**order_body, "jobs": files}, None

    emit(session, events.ORDER_FILES_READY, order.account_id, shaped(DEFAULT_DIALECT)[0],
         endpoints=endpoints, order_id=order.id, dedupe_key=key, shaper=shaped)
