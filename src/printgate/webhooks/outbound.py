"""Outbound events: printgate tells merchants' servers what happened.

Payloads
--------
Registered endpoints (``/webhook-endpoints``, format ``printgate``) receive every event type in one
envelope::

    {"type": "job.completed", "timestamp": "2026-07-29T10:15:41.000Z", "data": {...}}

``data`` is the job exactly as ``GET /jobs/{id}`` returns it (``printgate.core.wire.job_wire``, with its
``summary``) for ``job.*`` events, and the order (``order_data``) for ``order.*`` events, plus
``jobs`` with each job's deliverables for ``order.files_ready``.

Filecheck sends no envelope (API.md §9) and clients infer the event from the body's shape. So a
job's own ``webhook`` (``{url, headers}`` from the submission), called once the job reaches a
terminal status, and endpoints registered with ``format: "filecheck"`` receive Filecheck's bodies:
``job.completed`` = the job summary spread + ``tasks`` (sdk-fixtures/webhook.job-completed.json),
``job.created`` = ``{id, status, channel, ruleId, customerId, orderId, taskCount, created}``.

Status dialect
--------------
A job's status in a body is spoken in the receiver's dialect (``printgate.core.jobs.dialect``): an endpoint's
``statusDialect`` (by default that of the request that registered it: its key's, or the
``Printgate-Status-Dialect`` header), and for a job's own ``webhook`` the dialect of the request that
submitted the job. The event keeps the lifecycle bodies; a receiver in another dialect gets its own
body on its delivery row, shaped and serialized once per dialect. Same event, same ``webhook-id``.

Signing
-------
Every request carries Standard Webhooks headers: ``webhook-id`` (the event id, the same on every
retry and every endpoint), ``webhook-timestamp`` (of this attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``). For 24 h after a secret rotation the
previous secret signs too, as a second space-separated ``v1,`` signature. Every signed request also
carries ``x-filecheck-signature`` (DECISIONS.md 11): the bare hex HMAC-SHA256 of the raw body keyed with
the same endpoint secret string, which is what Filecheck's SDK ``constructEvent`` verifies
(``signing.filecheck_signature`` says why that key). That header holds one value, so only the current
secret signs it. A job's own webhook is signed with the account's default secret: that of its oldest
endpoint, if it has one.

Delivery
--------
On a core signal, one transaction writes the event (payload serialized once) and one
``webhook_delivery`` row per receiver; then one queue message per delivery (Saleor's model).
Each attempt is recorded (status code, duration, response snippet, error, next retry). Failures
retry with exponential backoff and jitter for about 41 h (``PRINTGATE_WEBHOOK_RETRY_SCHEDULE``).
An endpoint that keeps failing (``disable_after_failures`` consecutive attempts spanning at least
``disable_after_s``) is disabled with a reason until the merchant enables it again. Redirects are
followed only to the same origin and only as 307/308 (which keep the POST). Rows are the record:
:func:`sweep` re-queues deliveries whose message was lost and takes back those of dead workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from rq import get_current_job
from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from printgate.core import net
from printgate.core.clock import as_utc, epoch_ms, iso, utcnow
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.core.jobs.dialect import DEFAULT_DIALECT, DIALECTS
from printgate.core.jobs.states import JOB_TERMINAL, files_final
from printgate.core.models import Job, Order
from printgate.webhooks import _queue, events
from printgate.webhooks.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint, WebhookEvent
from printgate.webhooks.settings import get_webhook_settings
from printgate.webhooks.signing import FILECHECK_SIGNATURE_HEADER, filecheck_signature, standard_sign

log = logging.getLogger("printgate.webhooks.outbound")

# Headers a job's submitter may not set on its webhook (printgate owns them).
RESERVED_HEADERS = frozenset({"host", "content-length", "content-type", "transfer-encoding", "connection",
                              "webhook-id", "webhook-timestamp", "webhook-signature",
                              FILECHECK_SIGNATURE_HEADER})


# --- payloads --------------------------------------------------------------------------------------

def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def envelope(event_type: str, data: Any, at: datetime) -> str:
    return _dumps({"type": event_type, "timestamp": iso(at), "data": data})


def filecheck_completed(wire: dict[str, Any]) -> dict[str, Any]:
    """Filecheck's ``job.completed`` body from ``job_wire``: the summary spread + ``tasks``."""
    refs = {ref["taskId"]: {"bucket": ref["bucket"], "key": ref["key"]}
            for ref in (wire.get("summary") or {}).get("sourceRefs", [])}
    tasks = [{**task, "sourceRef": task.get("sourceRef") or refs.get(task["id"])} for task in wire["tasks"]]
    return {**(wire.get("summary") or {}), "tasks": tasks}


def filecheck_created(job: Job, wire: dict[str, Any], task_count: int) -> dict[str, Any]:
    """Filecheck's ``job.created`` body (API.md §9: ``taskCount`` marks it), status as in ``wire``."""
    return {"id": job.id, "status": wire["status"], "channel": job.channel, "ruleId": job.rule_id,
            "customerId": job.customer_id, "orderId": job.order_id, "taskCount": task_count,
            "created": epoch_ms(job.created_at)}


def order_data(session: Session, order: Order) -> dict[str, Any]:
    jobs = _order_jobs(session, order)
    return {
        "id": order.id, "orderId": order.external_id, "source": order.source, "status": order.status,
        "currency": order.currency, "total": order.total, "customer": order.customer, "items": order.items,
        "shippingAddress": order.shipping_address, "storeId": order.store_id, "createdAt": iso(order.created_at),
        "updatedAt": iso(order.updated_at), "jobIds": [job.id for job in jobs],
    }


def _order_jobs(session: Session, order: Order) -> list[Job]:
    return list(session.exec(select(Job).where(
        Job.account_id == order.account_id, Job.order_id == order.external_id, col(Job.deleted_at).is_(None),
    ).order_by(col(Job.created_at))).all())


# --- emitting --------------------------------------------------------------------------------------

def _endpoints_for(session: Session, account_id: str, event_type: str) -> list[WebhookEndpoint]:
    rows = session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == account_id, WebhookEndpoint.enabled == True,  # noqa: E712
    ).order_by(col(WebhookEndpoint.created_at))).all()
    return [ep for ep in rows if events.subscribed(ep.events, event_type)
            and (ep.format != "filecheck" or event_type in (events.JOB_CREATED, events.JOB_COMPLETED))]


# A receiver's data and Filecheck body in a status dialect: ``dialect -> (data, filecheck_body)``.
Shaper = Callable[[str], tuple[Any, Any]]


def _job_webhook_dialect(job: Job) -> str:
    """The dialect of the request that submitted the job (``printgate.core.api.routes.jobs._webhook``)."""
    dialect = (job.webhook or {}).get("statusDialect") if isinstance(job.webhook, dict) else None
    return dialect if dialect in DIALECTS else DEFAULT_DIALECT


def _dialect_payloads(event_type: str, at: datetime, shaper: Shaper | None) -> Callable[[str, str], str | None]:
    """A receiver's own body, ``(dialect, format) -> body``, or None where the event's bodies serve
    (the default dialect): each other dialect is shaped and serialized once per event."""
    done: dict[str, tuple[str, str | None]] = {}

    def payload(dialect: str, fmt: str) -> str | None:
        if shaper is None or dialect == DEFAULT_DIALECT:
            return None
        if dialect not in done:
            data, filecheck_body = shaper(dialect)
            done[dialect] = (envelope(event_type, data, at),
                             _dumps(filecheck_body) if filecheck_body is not None else None)
        printgate_body, filecheck_only = done[dialect]
        return filecheck_only if fmt == "filecheck" else printgate_body

    return payload


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
                         filecheck_payload=_dumps(filecheck_body) if filecheck_body is not None else None,
                         job_id=job_id, order_id=order_id, dedupe_key=dedupe_key, created_at=now)
    own_payload = _dialect_payloads(event_type, now, shaper)
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
    timeout = _attempt_budget_s()
    for delivery in deliveries:
        _queue.schedule(deliver, delivery.id, job_id=_rq_id(delivery.id, 1), timeout=timeout)
    return [d.id for d in deliveries]


def _attempt_budget_s() -> int:
    settings = get_webhook_settings()
    return int((settings.connect_timeout_s + settings.timeout_s) * (settings.max_redirects + 1)) + 30


def _rq_id(delivery_id: str, attempt: int) -> str:
    return f"{delivery_id}-{attempt}"


def _session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def on_job_created(job_id: str, **_: Any) -> None:
    from printgate.core.jobs.service import tasks_of
    from printgate.core.wire import job_wire

    with _session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        endpoints = _endpoints_for(session, job.account_id, events.JOB_CREATED)
        if not endpoints:
            return
        task_count = len(tasks_of(session, job.id))
        wants_filecheck = any(ep.format == "filecheck" for ep in endpoints)

        def shaped(dialect: str) -> tuple[Any, Any]:
            wire = job_wire(session, job, dialect=dialect)
            return wire, filecheck_created(job, wire, task_count) if wants_filecheck else None

        wire, body = shaped(DEFAULT_DIALECT)
        emit(session, events.JOB_CREATED, job.account_id, wire, endpoints=endpoints, filecheck_body=body,
             job_id=job.id, shaper=shaped)


def on_job_completed(job_id: str, **_: Any) -> None:
    from printgate.core.wire import job_wire

    with _session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status not in JOB_TERMINAL:
            return
        endpoints = _endpoints_for(session, job.account_id, events.JOB_COMPLETED)
        hook = _job_webhook(job)
        if not endpoints and hook is None:
            return

        def shaped(dialect: str) -> tuple[Any, Any]:
            wire = job_wire(session, job, dialect=dialect)
            return wire, filecheck_completed(wire)

        wire, body = shaped(DEFAULT_DIALECT)
        emit(session, events.JOB_COMPLETED, job.account_id, wire, endpoints=endpoints, filecheck_body=body,
             job_webhook=hook, job_id=job.id, shaper=shaped, job_webhook_dialect=_job_webhook_dialect(job))


def on_job_reviewed(job_id: str, **_: Any) -> None:
    """A merchant decided on a job held for review: the job, with its ``review`` (who, when, note)."""
    from printgate.core.wire import job_wire

    with _session() as session:
        job = session.get(Job, job_id)
        if job is None or not (job.params or {}).get("review"):
            return
        endpoints = _endpoints_for(session, job.account_id, events.JOB_REVIEWED)
        if endpoints:
            reviewed_at = job.params["review"].get("reviewedAt")  # type: ignore[index]
            emit(session, events.JOB_REVIEWED, job.account_id, job_wire(session, job), endpoints=endpoints,
                 job_id=job.id, dedupe_key=f"{events.JOB_REVIEWED}:{job.id}:{reviewed_at}",
                 shaper=lambda dialect: (job_wire(session, job, dialect=dialect), None))


def on_job_processed(job_id: str, **_: Any) -> None:
    from printgate.core.wire import job_wire

    with _session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        endpoints = _endpoints_for(session, job.account_id, events.JOB_PROCESSED)
        if endpoints:
            emit(session, events.JOB_PROCESSED, job.account_id, job_wire(session, job), endpoints=endpoints,
                 job_id=job.id, shaper=lambda dialect: (job_wire(session, job, dialect=dialect), None))
        if job.order_id:
            order = session.exec(select(Order).where(Order.account_id == job.account_id,
                                                     Order.external_id == job.order_id)).first()
            if order is not None:
                _maybe_files_ready(session, order)


def on_order_captured(order_id: str, **_: Any) -> None:
    with _session() as session:
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
    jobs = _order_jobs(session, order)
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



# --- signing secrets -------------------------------------------------------------------------------

def endpoint_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    now = now or utcnow()
    out = [endpoint.signing_secret() or ""]
    previous = endpoint.signing_secret(previous=True)
    if previous and endpoint.previous_secret_expires_at and as_utc(endpoint.previous_secret_expires_at) > now:
        out.append(previous)
    return out


def account_default_endpoint(session: Session, account_id: str) -> WebhookEndpoint | None:
    """The endpoint whose secret signs the account's per-job webhooks: its oldest one."""
    return session.exec(select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id)
                        .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))).first()


def signature_headers(secrets_: list[str], msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Both header sets, so a Standard Webhooks verifier and Filecheck's SDK each accept the request.

    ``secrets_`` is current first (``endpoint_secrets``). ``webhook-signature`` lists one ``v1,`` per
    secret; ``x-filecheck-signature`` is a single hex digest the SDK compares whole, so it comes from the
    current secret only: the one the merchant was given last.
    """
    signature = " ".join(standard_sign(secret, msg_id, timestamp, body) for secret in secrets_)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature,
            FILECHECK_SIGNATURE_HEADER: filecheck_signature(secrets_[0], body)}


# --- one attempt ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    duration_ms: int = 0
    snippet: str | None = None
    error: str | None = None
    url: str = ""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def post(url: str, headers: dict[str, str], body: bytes) -> Outcome:
    """POST once (plus same-origin 307/308 hops); never raises."""
    settings = get_webhook_settings()
    started = time.monotonic()
    target = url
    try:
        timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
        with net.client(timeout=timeout) as client:
            for _hop in range(settings.max_redirects + 1):
                net.check_url(target)  # and again, pinned, when the connection is made
                with client.stream("POST", target, content=body, headers=headers) as resp:
                    snippet = _read_snippet(resp, settings.response_snippet_bytes, settings.timeout_s)
                    code = resp.status_code
                    location = resp.headers.get("location")
                if code in (307, 308) and location:
                    nxt = urljoin(target, location)
                    if _origin(nxt) != _origin(target):
                        return _done(False, started, target, code, snippet,
                                     f"redirect to another origin not followed: {nxt}")
                    target = nxt
                    continue
                if 300 <= code < 400:
                    return _done(False, started, target, code, snippet,
                                 f"HTTP {code} redirect not followed{f' (to {location})' if location else ''}: "
                                 "point the endpoint at the final URL")
                ok = 200 <= code < 300
                return _done(ok, started, target, code, snippet, None if ok else f"HTTP {code}")
            return _done(False, started, target, None, None, "too many redirects")
    except net.Refused as exc:
        return _done(False, started, target, None, None, f"refused: {exc}")
    except httpx.TimeoutException as exc:
        return _done(False, started, target, None, None, f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return _done(False, started, target, None, None, f"{type(exc).__name__}: {exc}")


def _read_snippet(resp: httpx.Response, limit: int, max_seconds: float) -> str:
    """The start of the answer, for the delivery log; never more than ``limit`` bytes or ``max_seconds``."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + max_seconds
    for chunk in resp.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:limit].decode("utf-8", "replace")


def _done(ok: bool, started: float, url: str, code: int | None, snippet: str | None, error: str | None) -> Outcome:
    return Outcome(ok=ok, status_code=code, duration_ms=int((time.monotonic() - started) * 1000),
                   snippet=snippet, error=error, url=url)


def backoff_s(attempt: int) -> float | None:
    """Delay before attempt ``attempt + 1``, jittered; None when the schedule is exhausted."""
    settings = get_webhook_settings()
    if attempt > len(settings.retry_schedule):
        return None
    base = float(settings.retry_schedule[attempt - 1])
    return max(0.0, base * (1 + random.uniform(-settings.retry_jitter, settings.retry_jitter)))


# --- the queue entry point ---------------------------------------------------------------------------

def deliver(delivery_id: str) -> str:
    """Make the next attempt of one delivery and record it; returns the delivery's new status.

    The row owns "due": an attempt is claimed only when the delivery is ``pending`` and its
    ``next_attempt_at`` has come, by one conditional UPDATE that also takes the lease
    (``status = sending``, ``locked_until``). Two messages for one attempt, or a message that
    arrives early, send nothing; an early one makes sure the due attempt is still scheduled.
    """
    now = utcnow()
    with _session() as session:
        claimed = session.execute(
            update(OutboundDelivery)
            .where(col(OutboundDelivery.id) == delivery_id, col(OutboundDelivery.status) == "pending",
                   col(OutboundDelivery.attempts) < col(OutboundDelivery.max_attempts),
                   or_(col(OutboundDelivery.next_attempt_at).is_(None), col(OutboundDelivery.next_attempt_at) <= now))
            .values(status="sending", attempts=col(OutboundDelivery.attempts) + 1, next_attempt_at=None,
                    locked_until=now + timedelta(seconds=_attempt_budget_s() + 30), updated_at=now)
        )
        session.commit()
        delivery = session.get(OutboundDelivery, delivery_id)
        if delivery is None:
            return "missing"
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            if delivery.status == "pending" and delivery.next_attempt_at is not None \
                    and delivery.attempts < delivery.max_attempts:
                _ensure_scheduled(delivery_id, delivery.attempts + 1, as_utc(delivery.next_attempt_at), now)
            return delivery.status
        event = session.get(WebhookEvent, delivery.event_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
        if event is None or (delivery.kind == "endpoint" and (endpoint is None or not endpoint.enabled)):
            reason = "event missing" if event is None else (
                "endpoint deleted" if endpoint is None else f"endpoint disabled: {endpoint.disabled_reason}")
            _finish(session, delivery, "cancelled", None, reason)
            return "cancelled"
        if delivery.kind == "job":
            default = account_default_endpoint(session, delivery.account_id)
            secrets_ = endpoint_secrets(default, now) if default else []
            raw = event.filecheck_payload or event.payload
        else:
            assert endpoint is not None
            secrets_ = endpoint_secrets(endpoint, now)
            raw = event.filecheck_payload if endpoint.format == "filecheck" and event.filecheck_payload \
                else event.payload
        body = (delivery.payload or raw).encode()  # a receiver in another status dialect has its own
        headers = {"content-type": "application/json", "user-agent": get_webhook_settings().user_agent,
                   **(delivery.headers or {})}
        if secrets_:
            headers.update(signature_headers(secrets_, event.id, body, int(time.time())))
        else:
            headers.update({"webhook-id": event.id, "webhook-timestamp": str(int(time.time()))})
        attempt, url = delivery.attempts, delivery.url
    outcome = post(url, headers, body)
    return _record(delivery_id, attempt, outcome)


def _ensure_scheduled(delivery_id: str, attempt: int, due: datetime, now: datetime) -> None:
    """An early message: leave the due attempt to its scheduled message, or schedule one if it is gone."""
    job_id = _rq_id(delivery_id, attempt)
    current = get_current_job()
    if current is None or current.id != job_id:
        if _queue.is_queued(job_id):
            return
    else:
        job_id = f"{job_id}-due{int(due.timestamp())}"  # this message is the one that came early
        if _queue.is_queued(job_id):
            return
    _queue.schedule(deliver, delivery_id, job_id=job_id, delay_s=max(1.0, (due - now).total_seconds()),
                    timeout=_attempt_budget_s())


def _finish(session: Session, delivery: OutboundDelivery, status: str, code: int | None, error: str | None) -> None:
    delivery.status = status
    delivery.locked_until = None
    delivery.last_status_code = code
    delivery.last_error = error
    delivery.completed_at = utcnow()
    delivery.updated_at = utcnow()
    session.add(delivery)
    session.commit()


def _record(delivery_id: str, attempt: int, outcome: Outcome) -> str:
    now = utcnow()
    with _session() as session:
        delivery = session.get(OutboundDelivery, delivery_id)
        if delivery is None:
            return "missing"
        if delivery.status != "sending" or delivery.attempts != attempt:
            # The sweeper took this attempt back meanwhile: keep the record, leave the state alone.
            session.add(OutboundAttempt(id=new_id("wha"), delivery_id=delivery_id, number=attempt, url=outcome.url,
                                        duration_ms=outcome.duration_ms, status_code=outcome.status_code,
                                        response_snippet=outcome.snippet, error=outcome.error))
            session.commit()
            return delivery.status
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
        record = OutboundAttempt(id=new_id("wha"), delivery_id=delivery_id, number=attempt, url=outcome.url,
                                 started_at=now - timedelta(milliseconds=outcome.duration_ms),
                                 duration_ms=outcome.duration_ms, status_code=outcome.status_code,
                                 response_snippet=outcome.snippet, error=outcome.error)
        delay: float | None = None
        if outcome.ok:
            status = "succeeded"
            if endpoint is not None:
                session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id).values(
                    failure_count=0, failing_since=None, last_success_at=now))
        else:
            disabled = endpoint is not None and _count_failure(session, endpoint, now, outcome)
            delay = None if disabled or attempt >= delivery.max_attempts else backoff_s(attempt)
            status = "failed" if delay is None else "pending"
            if disabled:
                record.error = f"{outcome.error}; endpoint disabled"
        delivery.status = status
        delivery.locked_until = None
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.updated_at = now
        if delay is not None:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            record.next_retry_at = delivery.next_attempt_at
        else:
            delivery.completed_at = now
        session.add(record)
        session.add(delivery)
        session.commit()
    if delay is not None:
        _queue.schedule(deliver, delivery_id, job_id=_rq_id(delivery_id, attempt + 1), delay_s=delay,
                        timeout=_attempt_budget_s())
    log.log(logging.DEBUG if outcome.ok else logging.INFO, "delivery %s attempt %s -> %s (%s)", delivery_id,
            attempt, status, outcome.error or outcome.status_code)
    return status


def _count_failure(session: Session, endpoint: WebhookEndpoint, now: datetime, outcome: Outcome) -> bool:
    """Add one to the endpoint's failure streak; disable it when the streak is long enough. True if disabled."""
    settings = get_webhook_settings()
    session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id).values(
        failure_count=col(WebhookEndpoint.failure_count) + 1,
        failing_since=func.coalesce(col(WebhookEndpoint.failing_since), now)))
    session.flush()
    session.refresh(endpoint)
    if not endpoint.enabled:
        return True
    since = as_utc(endpoint.failing_since) if endpoint.failing_since else now
    if endpoint.failure_count >= settings.disable_after_failures \
            and (now - since).total_seconds() >= settings.disable_after_s:
        endpoint.enabled = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            f"{endpoint.failure_count} consecutive failed deliveries since {iso(since)} "
            f"(last: {outcome.error or outcome.status_code}); enable the endpoint again once it is fixed")
        endpoint.updated_at = now
        session.add(endpoint)
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason)
        return True
    return False


# --- manual retry and recovery -------------------------------------------------------------------

def retry_delivery(session: Session, delivery: OutboundDelivery) -> OutboundDelivery:
    """One more attempt now, whatever happened before (the merchant asked)."""
    now = utcnow()
    result = session.execute(
        update(OutboundDelivery)
        .where(col(OutboundDelivery.id) == delivery.id, col(OutboundDelivery.status).in_(
            ["failed", "cancelled", "succeeded"]))
        .values(status="pending", max_attempts=col(OutboundDelivery.attempts) + 1, next_attempt_at=now,
                completed_at=None, updated_at=now)
    )
    session.commit()
    session.refresh(delivery)
    if result.rowcount == 1:  # type: ignore[attr-defined]
        _queue.schedule(deliver, delivery.id, job_id=_rq_id(delivery.id, delivery.attempts + 1),
                        timeout=_attempt_budget_s())
    return delivery


def _purge(session: Session, before: datetime, batch: int = 1000) -> int:
    """Forget finished deliveries older than ``before``, their attempts, and events left without any."""
    old = list(session.exec(select(OutboundDelivery.id, OutboundDelivery.event_id).where(
        col(OutboundDelivery.status).in_(["succeeded", "failed", "cancelled"]),
        col(OutboundDelivery.created_at) < before).limit(batch)).all())
    if not old:
        return 0
    ids = [row[0] for row in old]
    session.execute(delete(OutboundAttempt).where(col(OutboundAttempt.delivery_id).in_(ids)))
    session.execute(delete(OutboundDelivery).where(col(OutboundDelivery.id).in_(ids)))
    events_ = {row[1] for row in old}
    still_used = set(session.exec(select(OutboundDelivery.event_id).where(
        col(OutboundDelivery.event_id).in_(events_))).all())
    # Events with a dedupe key stay: they are what keeps ``order.files_ready`` once per order.
    session.execute(delete(WebhookEvent).where(col(WebhookEvent.id).in_(events_ - still_used),
                                               col(WebhookEvent.dedupe_key).is_(None)))
    session.commit()
    return len(ids)


def sweep(*, requeue_pending: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Re-queue due deliveries whose message was lost; take back those of workers that died mid-attempt."""
    settings = get_webhook_settings()
    now = now or utcnow()
    counts = {"requeued": 0, "reclaimed": 0, "purged": 0}
    with _session() as session:
        stale = session.exec(select(OutboundDelivery).where(
            OutboundDelivery.status == "sending", col(OutboundDelivery.locked_until) < now)).all()
        reclaimed: list[str] = []
        for delivery in stale:
            result = session.execute(
                update(OutboundDelivery)
                .where(col(OutboundDelivery.id) == delivery.id, col(OutboundDelivery.status) == "sending",
                       col(OutboundDelivery.locked_until) < now)
                .values(status="pending", locked_until=None, next_attempt_at=now, updated_at=now,
                        max_attempts=max(delivery.max_attempts, delivery.attempts + 1))
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                session.add(OutboundAttempt(id=new_id("wha"), delivery_id=delivery.id, number=delivery.attempts,
                                            url=delivery.url, started_at=now, error="the worker making this "
                                            "attempt stopped; the attempt is repeated", next_retry_at=now))
                reclaimed.append(delivery.id)
        session.commit()
        counts["reclaimed"] = len(reclaimed)
        due_before = now if requeue_pending else now - timedelta(seconds=settings.sweep_grace_s)
        pending = list(session.exec(select(
            OutboundDelivery.id, OutboundDelivery.attempts, OutboundDelivery.next_attempt_at).where(
            OutboundDelivery.status == "pending",
            or_(col(OutboundDelivery.next_attempt_at).is_(None), col(OutboundDelivery.next_attempt_at) <= due_before,
                col(OutboundDelivery.id).in_(reclaimed)),
        )).all())
        counts["purged"] = _purge(session, now - timedelta(days=settings.outbound_retention_days))
    # A message a killed worker had taken stays "started" in RQ until RQ's own cleanup: not trusted
    # past the attempt budget (a doubled message is harmless: the claim is conditional).
    overdue = now - timedelta(seconds=_attempt_budget_s() + settings.sweep_grace_s)
    for delivery_id, attempts, due in pending:
        job_id = _rq_id(delivery_id, attempts + 1)
        message = _queue.message_status(job_id)
        if message in ("queued", "scheduled", "deferred"):
            continue  # waiting its turn: a second copy would only lengthen the backlog
        if message == "started" and not (due is not None and as_utc(due) < overdue):
            continue
        if _queue.schedule(deliver, delivery_id, job_id=job_id, timeout=_attempt_budget_s()):
            counts["requeued"] += 1
    if any(counts.values()):
        log.info("outbound sweep: %s", counts)
    return counts

