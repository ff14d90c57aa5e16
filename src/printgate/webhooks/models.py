"""Webhook tables: inbound deliveries from store platforms, outbound endpoints, events, deliveries
and attempts (Saleor's shape: the payload once, one delivery row per endpoint, one row per attempt).

The rows are the record. Redis only carries "work on this id now"; the sweeper rebuilds the queue
from these rows after a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from printgate.core import crypto
from printgate.core.clock import utcnow


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


# --- inbound ---------------------------------------------------------------------------------------

class InboundDelivery(SQLModel, table=True):
    """One accepted webhook from a platform, stored before the platform gets its 200."""

    __tablename__ = "webhook_inbound_delivery"

    id: str = Field(primary_key=True)  # whin_...
    platform: str
    account_id: str | None = Field(default=None, index=True)
    connection_id: str | None = None
    # The platform's own delivery id (Shopify X-Shopify-Webhook-Id, Standard Webhooks webhook-id).
    delivery_id: str
    topic: str | None = None
    headers: dict[str, Any] | None = _json()
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    triggered_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    status: str = "pending"  # pending | processing | done | failed
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_attempt_at: datetime | None = None
    # While ``processing``: when the worker's claim lapses (the sweeper then takes it back).
    locked_until: datetime | None = None
    processed_at: datetime | None = None

    __table_args__ = (
        UniqueConstraint("platform", "delivery_id", name="uq_webhook_inbound_platform_delivery"),
        Index("ix_webhook_inbound_status_next", "status", "next_attempt_at"),
    )


# --- outbound --------------------------------------------------------------------------------------

class WebhookEndpoint(SQLModel, table=True):
    """A merchant's receiver for printgate's events."""

    def signing_secret(self, previous: bool = False) -> str | None:
        """The plain ``whsec_`` secret (the stored column holds it sealed)."""
        stored = self.previous_secret if previous else self.secret
        return crypto.reveal(stored) if stored else None

    def set_signing_secret(self, secret: str) -> None:
        """A new current secret; the current one becomes the previous (both sealed)."""
        self.previous_secret = self.secret
        self.secret = crypto.seal(secret)

    __tablename__ = "webhook_endpoint"

    id: str = Field(primary_key=True)  # we_...
    account_id: str = Field(index=True)
    url: str
    description: str | None = None
    # Event types this endpoint receives; ``["*"]`` for all.
    events: list[str] | None = _json()
    # ``printgate``: ``{"type", "timestamp", "data"}`` for every event type. ``filecheck``: Filecheck's
    # envelope-free bodies (``job.created``, ``job.completed`` only), for receivers written for it.
    format: str = "printgate"
    # The status dialect of job bodies sent here (printgate.core.jobs.dialect): by default that of the request
    # that registered the endpoint (its key's, or the Printgate-Status-Dialect header).
    status_dialect: str = "lifecycle"
    # whsec_..., sealed at rest (``printgate.core.crypto.seal``): read them through ``signing_secret``.
    secret: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    # Consecutive failed attempts (any delivery) and when the current failure streak began.
    failure_count: int = 0
    failing_since: datetime | None = None
    last_success_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookEvent(SQLModel, table=True):
    """An event payload, serialized once so every attempt to every endpoint sends the same bytes."""

    __tablename__ = "webhook_event"

    id: str = Field(primary_key=True)  # evt_...
    account_id: str = Field(index=True)
    type: str
    # Endpoint body: ``{"type", "timestamp", "data"}``.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # Filecheck's envelope-free body (a job's own ``webhook``, ``filecheck``-format endpoints).
    filecheck_payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    job_id: str | None = Field(default=None, index=True)
    order_id: str | None = None
    # Set for events that must fire once per subject (``order.files_ready:ord_...``).
    dedupe_key: str | None = Field(default=None, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class OutboundDelivery(SQLModel, table=True):
    """One event to one receiver: a registered endpoint, or a job's own ``webhook`` URL."""

    __tablename__ = "webhook_delivery"

    id: str = Field(primary_key=True)  # whd_...
    event_id: str = Field(index=True)
    account_id: str = Field(index=True)
    event_type: str
    endpoint_id: str | None = Field(default=None, index=True)  # None for a job webhook
    kind: str = "endpoint"  # endpoint | job
    url: str
    # A job webhook's custom headers (from the submission).
    headers: dict[str, Any] | None = _json()
    # This receiver's own body, when its status dialect is not lifecycle (the event's payloads are).
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = "pending"  # pending | sending | succeeded | failed | cancelled
    attempts: int = 0
    max_attempts: int = 1
    next_attempt_at: datetime | None = None
    locked_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None

    __table_args__ = (Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),)


class OutboundAttempt(SQLModel, table=True):
    """One HTTP attempt of a delivery: what the merchant sees when asking "why did it fail?"."""

    __tablename__ = "webhook_delivery_attempt"

    id: str = Field(primary_key=True)  # wha_...
    delivery_id: str = Field(index=True)
    number: int
    url: str
    started_at: datetime = Field(default_factory=utcnow)
    duration_ms: int | None = None
    status_code: int | None = None
    response_snippet: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_retry_at: datetime | None = None
