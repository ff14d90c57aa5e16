"""Delivering: the queue entry point (one attempt per message, recorded), backoff with jitter,
the failing endpoint's breaker, a merchant's manual retry, and the sweep that re-queues lost
messages and purges old rows."""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from rq import get_current_job
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from printgate.core.clock import as_utc, iso, utcnow
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.webhooks import _queue
from printgate.webhooks.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint, WebhookEvent
from printgate.webhooks.outbound.states import DELIVERY_FINISHED, DeliveryStatus, move_delivery, moving
from printgate.webhooks.outbound.transport import (
    Outcome,
    account_default_endpoint,
    endpoint_secrets,
    post,
    signature_headers,
)
from printgate.webhooks.settings import get_webhook_settings

log = logging.getLogger("printgate.webhooks.outbound")

def new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def attempt_budget_s() -> int:
    settings = get_webhook_settings()
    return int((settings.connect_timeout_s + settings.timeout_s) * (settings.max_redirects + 1)) + 30


def rq_id(delivery_id: str, attempt: int) -> str:
    return f"{delivery_id}-{attempt}"

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
    with new_session() as session:
        claimed = session.execute(
            update(OutboundDelivery)
            .where(col(OutboundDelivery.id) == delivery_id,
                   col(OutboundDelivery.status).in_(moving([DeliveryStatus.PENDING], DeliveryStatus.SENDING)),
                   col(OutboundDelivery.attempts) < col(OutboundDelivery.max_attempts),
                   or_(col(OutboundDelivery.next_attempt_at).is_(None), col(OutboundDelivery.next_attempt_at) <= now))
            .values(status=DeliveryStatus.SENDING, attempts=col(OutboundDelivery.attempts) + 1, next_attempt_at=None,
                    locked_until=now + timedelta(seconds=attempt_budget_s() + 30), updated_at=now)
        )
        session.commit()
        delivery = session.get(OutboundDelivery, delivery_id)
        if delivery is None:
            return "missing"
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None \
                    and delivery.attempts < delivery.max_attempts:
                _ensure_scheduled(delivery_id, delivery.attempts + 1, as_utc(delivery.next_attempt_at), now)
            return delivery.status
        event = session.get(WebhookEvent, delivery.event_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
        if event is None or (delivery.kind == "endpoint" and (endpoint is None or not endpoint.enabled)):
            reason = "event missing" if event is None else (
                "endpoint deleted" if endpoint is None else f"endpoint disabled: {endpoint.disabled_reason}")
            _finish(session, delivery, DeliveryStatus.CANCELLED, None, reason)
            return DeliveryStatus.CANCELLED
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
    job_id = rq_id(delivery_id, attempt)
    current = get_current_job()
    if current is None or current.id != job_id:
        if _queue.is_queued(job_id):
            return
    else:
        job_id = f"{job_id}-due{int(due.timestamp())}"  # this message is the one that came early
        if _queue.is_queued(job_id):
            return
    _queue.schedule(deliver, delivery_id, job_id=job_id, delay_s=max(1.0, (due - now).total_seconds()),
                    timeout=attempt_budget_s())


def _finish(session: Session, delivery: OutboundDelivery, status: DeliveryStatus, code: int | None,
            error: str | None) -> None:
    delivery.status = move_delivery(delivery.status, status)
    delivery.locked_until = None
    delivery.last_status_code = code
    delivery.last_error = error
    delivery.completed_at = utcnow()
    delivery.updated_at = utcnow()
    session.add(delivery)
    session.commit()


def _record(delivery_id: str, attempt: int, outcome: Outcome) -> str:
    now = utcnow()
    with new_session() as session:
        delivery = session.get(OutboundDelivery, delivery_id)
        if delivery is None:
            return "missing"
        if delivery.status != DeliveryStatus.SENDING or delivery.attempts != attempt:
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
            status = DeliveryStatus.SUCCEEDED
            if endpoint is not None:
                session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id).values(
                    failure_count=0, failing_since=None, last_success_at=now))
        else:
            disabled = endpoint is not None and _count_failure(session, endpoint, now, outcome)
            delay = None if disabled or attempt >= delivery.max_attempts else backoff_s(attempt)
            status = DeliveryStatus.FAILED if delay is None else DeliveryStatus.PENDING
            if disabled:
                record.error = f"{outcome.error}; endpoint disabled"
        delivery.status = move_delivery(delivery.status, status)
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
        _queue.schedule(deliver, delivery_id, job_id=rq_id(delivery_id, attempt + 1), delay_s=delay,
                        timeout=attempt_budget_s())
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
            moving(DELIVERY_FINISHED, DeliveryStatus.PENDING)))
        .values(status=DeliveryStatus.PENDING, max_attempts=col(OutboundDelivery.attempts) + 1, next_attempt_at=now,
                completed_at=None, updated_at=now)
    )
    session.commit()
    session.refresh(delivery)
    if result.rowcount == 1:  # type: ignore[attr-defined]
        _queue.schedule(deliver, delivery.id, job_id=rq_id(delivery.id, delivery.attempts + 1),
                        timeout=attempt_budget_s())
    return delivery


def _purge(session: Session, before: datetime, batch: int = 1000) -> int:
    """Forget finished deliveries older than ``before``, their attempts, and events left without any."""
    old = list(session.exec(select(OutboundDelivery.id, OutboundDelivery.event_id).where(
        col(OutboundDelivery.status).in_(DELIVERY_FINISHED),
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
    with new_session() as session:
        sending = session.exec(select(OutboundDelivery).where(OutboundDelivery.status == DeliveryStatus.SENDING)).all()
        # A lease ends when it expires, or earlier when the worker that took the attempt is known to
        # have stopped (kill -9): its attempt is repeated now, not after the ~2-minute lease.
        stale = [d for d in sending if d.locked_until is not None and (
            as_utc(d.locked_until) < now or _queue.taker_stopped(rq_id(d.id, d.attempts)))]
        reclaimed: list[str] = []
        for delivery in stale:
            result = session.execute(
                update(OutboundDelivery)
                .where(col(OutboundDelivery.id) == delivery.id,
                       col(OutboundDelivery.status).in_(moving([DeliveryStatus.SENDING], DeliveryStatus.PENDING)),
                       col(OutboundDelivery.attempts) == delivery.attempts,
                       col(OutboundDelivery.locked_until) == delivery.locked_until)  # the lease judged
                .values(status=DeliveryStatus.PENDING, locked_until=None, next_attempt_at=now, updated_at=now,
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
            OutboundDelivery.status == DeliveryStatus.PENDING,
            or_(col(OutboundDelivery.next_attempt_at).is_(None), col(OutboundDelivery.next_attempt_at) <= due_before,
                col(OutboundDelivery.id).in_(reclaimed)),
        )).all())
        counts["purged"] = _purge(session, now - timedelta(days=settings.outbound_retention_days))
    # A message a killed worker had taken stays "started" in RQ until RQ's own cleanup: not trusted
    # past the attempt budget (a doubled message is harmless: the claim is conditional).
    overdue = now - timedelta(seconds=attempt_budget_s() + settings.sweep_grace_s)
    waiting: set[str] | None = None
    for delivery_id, attempts, due in pending:
        job_id = rq_id(delivery_id, attempts + 1)
        message = _queue.message_status(job_id)
        long_due = due is not None and as_utc(due) < overdue
        if message in ("scheduled", "deferred"):
            # Waiting its turn: a second copy would only lengthen the backlog. But RQ's scheduler moves a
            # due message within a second or two; one still scheduled past the grace has no scheduler
            # moving it (its lock held by one killed with its worker, seen after a kill -9 of serve), so
            # it is queued now rather than when that lock expires.
            if message == "deferred" or due is None or as_utc(due) >= now - timedelta(seconds=settings.sweep_grace_s):
                continue
            _queue.unschedule(job_id)
        if message == "queued":
            # Waiting in the list: leave it. Marked queued but out of the list for longer than an
            # attempt takes: a worker popped it and died before starting it (seen under kill -9).
            waiting = _queue.waiting_ids() if waiting is None else waiting
            if job_id in waiting or not long_due:
                continue
        if message == "started" and not long_due:
            continue
        if _queue.schedule(deliver, delivery_id, job_id=job_id, timeout=attempt_budget_s()):
            counts["requeued"] += 1
    if any(counts.values()):
        log.info("outbound sweep: %s", counts)
    return counts
