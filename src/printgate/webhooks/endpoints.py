"""Merchants' webhook endpoints: create, change, rotate, enable, delete; and their wire shapes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from sqlalchemy import update
from sqlmodel import Session, col, select

from printgate.core import crypto
from printgate.core.clock import iso, utcnow
from printgate.core.errors import BadRequest, Conflict, NotFound, parse_body
from printgate.core.ids import new_id
from printgate.core.jobs.dialect import DEFAULT_DIALECT, DIALECTS
from printgate.webhooks import events
from printgate.webhooks.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint
from printgate.webhooks.outbound.states import DeliveryStatus, moving
from printgate.webhooks.settings import get_webhook_settings
from printgate.webhooks.signing import SignatureError, _whsec_key, new_whsec

FORMATS = ("printgate", "filecheck")


class UpdateEndpoint(BaseModel):
    """``PATCH /webhook-endpoints/{id}``: printgate's own body, unknown keys refused. Only the keys
    given change. ``url``, ``events``, ``format`` and ``statusDialect`` are checked by the functions
    below, whose messages say what they want."""

    model_config = ConfigDict(extra="forbid")
    url: Any = None
    events: Any = None
    description: StrictStr | None = Field(None, max_length=500)
    enabled: StrictBool = True
    format: Any = "printgate"
    statusDialect: Any = None


class CreateEndpoint(UpdateEndpoint):
    """``POST /webhook-endpoints``: the endpoint's fields, and its ``secret`` when the caller brings one."""

    secret: Any = None


class RotateSecret(BaseModel):
    """``POST /webhook-endpoints/{id}/rotate-secret``: the new secret, or none to have one made."""

    model_config = ConfigDict(extra="forbid")
    secret: Any = None


# --- wire ------------------------------------------------------------------------------------------

def endpoint_wire(ep: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ep.id, "url": ep.url, "description": ep.description, "events": ep.events or [events.ALL],
        "format": ep.format, "statusDialect": ep.status_dialect, "enabled": ep.enabled, "disabledReason": ep.disabled_reason,
        "disabledAt": iso(ep.disabled_at), "failureCount": ep.failure_count, "failingSince": iso(ep.failing_since),
        "lastSuccessAt": iso(ep.last_success_at), "createdAt": iso(ep.created_at), "updatedAt": iso(ep.updated_at),
        "secretHint": f"whsec_…{(ep.signing_secret() or '')[-4:]}",
        "previousSecretExpiresAt": iso(ep.previous_secret_expires_at) if ep.previous_secret else None,
    }
    if with_secret:
        out["secret"] = ep.signing_secret()
    return out


def attempt_wire(a: OutboundAttempt) -> dict[str, Any]:
    return {"number": a.number, "at": iso(a.started_at), "url": a.url, "statusCode": a.status_code,
            "durationMs": a.duration_ms, "responseSnippet": a.response_snippet, "error": a.error,
            "nextRetryAt": iso(a.next_retry_at)}


def delivery_wire(d: OutboundDelivery, attempts: list[OutboundAttempt]) -> dict[str, Any]:
    return {
        "id": d.id, "eventId": d.event_id, "eventType": d.event_type, "endpointId": d.endpoint_id, "kind": d.kind,
        "url": d.url, "status": d.status, "attemptCount": d.attempts, "maxAttempts": d.max_attempts,
        "nextAttemptAt": iso(d.next_attempt_at) if d.status == DeliveryStatus.PENDING else None,
        "lastStatusCode": d.last_status_code, "lastError": d.last_error, "createdAt": iso(d.created_at),
        "completedAt": iso(d.completed_at), "attempts": [attempt_wire(a) for a in attempts],
    }


def deliveries_wire(session: Session, rows: list[OutboundDelivery]) -> list[dict[str, Any]]:
    ids = [d.id for d in rows]
    attempts: dict[str, list[OutboundAttempt]] = {}
    if ids:
        for a in session.exec(select(OutboundAttempt).where(col(OutboundAttempt.delivery_id).in_(ids))
                              .order_by(col(OutboundAttempt.number), col(OutboundAttempt.started_at))).all():
            attempts.setdefault(a.delivery_id, []).append(a)
    return [delivery_wire(d, attempts.get(d.id, [])) for d in rows]


# --- validation ------------------------------------------------------------------------------------

def _url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequest("url: required, an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("url: must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise BadRequest("url: credentials in the URL are not allowed")
    if len(value) > 2000:
        raise BadRequest("url: longer than 2000 characters")
    return value


def _events(value: Any) -> list[str]:
    if value is None:
        return [events.ALL]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise BadRequest("events: a non-empty list of event types (or [\"*\"])")
    bad = events.unknown(value)
    if bad:
        raise BadRequest(f"events: unknown event type(s) {', '.join(bad)}; known: "
                         f"{', '.join(sorted(events.EVENT_TYPES))}, *")
    return sorted(set(value))


def _format(value: Any) -> str:
    if value not in FORMATS:
        raise BadRequest(f"format: one of {', '.join(FORMATS)}")
    return str(value)


def _dialect(value: Any) -> str:
    if value not in DIALECTS:
        raise BadRequest(f"statusDialect: one of {', '.join(DIALECTS)}")
    return str(value)


def _secret(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("whsec_"):
        raise BadRequest("secret: a Standard Webhooks secret, whsec_ followed by base64")
    try:
        key = _whsec_key(value)
    except SignatureError as exc:
        raise BadRequest("secret: whsec_ must be followed by base64") from exc
    if not 24 <= len(key) <= 64:
        raise BadRequest("secret: the key must be 24 to 64 bytes")
    return value


# --- operations ------------------------------------------------------------------------------------

def get_endpoint(session: Session, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    ep = session.get(WebhookEndpoint, endpoint_id)
    if ep is None or ep.account_id != account_id:
        raise NotFound(f"Webhook endpoint not found: {endpoint_id}")
    return ep


def list_endpoints(session: Session, account_id: str) -> list[WebhookEndpoint]:
    return list(session.exec(select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id)
                             .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))).all())


def create_endpoint(session: Session, account_id: str, body: Any, *,
                    default_dialect: str = DEFAULT_DIALECT) -> WebhookEndpoint:
    """``default_dialect``: the status dialect of the request registering it, unless the body says."""
    given = parse_body(CreateEndpoint, body)
    enabled = given.enabled
    dialect = given.statusDialect if "statusDialect" in given.model_fields_set else default_dialect
    ep = WebhookEndpoint(
        id=new_id("we"), account_id=account_id, url=_url(given.url), events=_events(given.events),
        description=given.description, format=_format(given.format), status_dialect=_dialect(dialect),
        secret=crypto.seal(_secret(given.secret) if given.secret is not None else new_whsec()), enabled=enabled,
        disabled_reason=None if enabled else "disabled by the merchant", disabled_at=None if enabled else utcnow(),
    )
    session.add(ep)
    session.commit()
    return ep


def update_endpoint(session: Session, ep: WebhookEndpoint, body: Any) -> WebhookEndpoint:
    given = parse_body(UpdateEndpoint, body)
    named = given.model_fields_set
    if "url" in named:
        ep.url = _url(given.url)
    if "events" in named:
        ep.events = _events(given.events)
    if "description" in named:
        ep.description = given.description
    if "format" in named:
        ep.format = _format(given.format)
    if "statusDialect" in named:
        ep.status_dialect = _dialect(given.statusDialect)
    if "enabled" in named:
        if given.enabled:
            _enable(ep)
        elif ep.enabled:
            ep.enabled = False
            ep.disabled_reason = "disabled by the merchant"
            ep.disabled_at = utcnow()
    ep.updated_at = utcnow()
    session.add(ep)
    session.commit()
    return ep


def _enable(ep: WebhookEndpoint) -> None:
    ep.enabled = True
    ep.disabled_reason = None
    ep.disabled_at = None
    ep.failure_count = 0
    ep.failing_since = None


def enable_endpoint(session: Session, ep: WebhookEndpoint) -> WebhookEndpoint:
    _enable(ep)
    ep.updated_at = utcnow()
    session.add(ep)
    session.commit()
    return ep


def rotate_secret(session: Session, ep: WebhookEndpoint, body: Any) -> WebhookEndpoint:
    """New secret now; the old one keeps signing (a second ``v1,`` signature) for the overlap."""
    given = parse_body(RotateSecret, body)
    new = _secret(given.secret) if given.secret is not None else new_whsec()
    if new == ep.signing_secret():
        raise Conflict("The new secret is the current one")
    ep.set_signing_secret(new)
    ep.previous_secret_expires_at = utcnow() + timedelta(seconds=get_webhook_settings().rotation_overlap_s)
    ep.updated_at = utcnow()
    session.add(ep)
    session.commit()
    return ep


def delete_endpoint(session: Session, ep: WebhookEndpoint) -> None:
    """Remove the endpoint; its unsent deliveries are cancelled (their history stays visible by id)."""
    now = utcnow()
    session.execute(update(OutboundDelivery).where(
        col(OutboundDelivery.endpoint_id) == ep.id,
        col(OutboundDelivery.status).in_(moving([DeliveryStatus.PENDING], DeliveryStatus.CANCELLED)),
    ).values(status=DeliveryStatus.CANCELLED, last_error="endpoint deleted", completed_at=now, updated_at=now))
    session.delete(ep)
    session.commit()


def send_test_event(session: Session, ep: WebhookEndpoint, *, sent_by: str) -> str:
    """One ``webhook.test`` event to this endpoint only, signed and logged as any delivery is;
    returns the delivery's id. A disabled endpoint is a 409: enable it first."""
    from printgate.webhooks.outbound import emit

    if not ep.enabled:
        raise Conflict("The endpoint is disabled: enable it first")
    data = {"endpointId": ep.id, "sentBy": sent_by, "message": "A test event from printgate."}
    filecheck_body = {"event": events.WEBHOOK_TEST, **data} if ep.format == "filecheck" else None
    [delivery_id] = emit(session, events.WEBHOOK_TEST, ep.account_id, data, endpoints=[ep],
                         filecheck_body=filecheck_body)
    return delivery_id


def endpoint_deliveries(session: Session, ep: WebhookEndpoint, *, limit: int = 50,
                        starting_after: str | None = None, status: str | None = None) -> list[OutboundDelivery]:
    query = select(OutboundDelivery).where(OutboundDelivery.endpoint_id == ep.id)
    if status:
        query = query.where(OutboundDelivery.status == status)
    if starting_after:
        query = query.where(col(OutboundDelivery.id) < starting_after)  # ids sort by time
    return list(session.exec(query.order_by(col(OutboundDelivery.id).desc()).limit(limit)).all())


def get_delivery(session: Session, account_id: str, delivery_id: str) -> OutboundDelivery:
    d = session.get(OutboundDelivery, delivery_id)
    if d is None or d.account_id != account_id:
        raise NotFound(f"Webhook delivery not found: {delivery_id}")
    return d
