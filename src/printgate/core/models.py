"""Database tables. One family per concept; the wire shape lives in ``printgate.core.wire``, not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from printgate.core.clock import utcnow


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


class Account(SQLModel, table=True):
    """A tenant. Every other row belongs to exactly one account (built-in library rows to none)."""

    id: str = Field(primary_key=True)
    name: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    kind: str  # secret | publishable
    mode: str  # live | test
    name: str | None = None
    # sha256 of the full key; the key itself is shown once and never stored.
    key_hash: str = Field(index=True, unique=True)
    hint: str  # "sk_test_…abc4", for listings
    # How this key's callers hear a job's status: lifecycle | filecheck (printgate.core.jobs.dialect).
    status_dialect: str = "lifecycle"
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class Job(SQLModel, table=True):
    id: str = Field(primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    kind: str = "jobs"  # jobs | preflight | fix | optimize | validate | previews | workflow
    status: str = "processing"
    outcome: str | None = None
    reason: str | None = None
    channel: str | None = "api"
    mode: str = "live"
    rule_id: str | None = None
    workflow_id: str | None = None
    wf_phase: str | None = None
    on_fail: str = "reject"
    customer_id: str | None = None
    customer_email: str | None = None
    order_id: str | None = Field(default=None, index=True)
    order_status: str | None = None
    meta_data: dict[str, Any] | None = _json()
    webhook: dict[str, Any] | None = _json()
    context: dict[str, Any] | None = _json()
    params: dict[str, Any] | None = _json()
    created_at: datetime = Field(default_factory=utcnow, index=True)
    modified_at: datetime = Field(default_factory=utcnow)
    finalized_at: datetime | None = None
    expires_at: datetime | None = None
    deleted_at: datetime | None = None

    __table_args__ = (Index("ix_job_account_created", "account_id", "created_at", "id"),)


class Task(SQLModel, table=True):
    """One source file of a job."""

    id: str = Field(primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True)
    account_id: str = Field(index=True)
    position: int = 0
    status: str = "pending"
    outcome: str | None = None
    reason: str | None = None
    name: str | None = None
    slot: str | None = None
    file_type: str | None = None
    mime_type: str | None = None
    source: str | None = None  # the URL it was fetched from, or the file name hint
    source_headers: dict[str, Any] | None = _json()
    file_ref: str | None = None
    client_ref: str | None = None
    profile_id: str | None = None
    params: dict[str, Any] | None = _json()
    attempts: int = 0
    # Set while a worker runs the task; a stale heartbeat means the worker died.
    heartbeat_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Step(SQLModel, table=True):
    id: str = Field(primary_key=True)
    task_id: str = Field(foreign_key="task.id", index=True)
    job_id: str = Field(index=True)
    position: int = 0
    type: str
    phase: str = "intake"  # intake | processing
    label: str | None = None
    status: str = "pending"
    outcome: str | None = None
    reason: str | None = None
    params: dict[str, Any] | None = _json()
    runtime_params: dict[str, Any] | None = _json()
    outputs: list[Any] | None = _json()
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: int | None = None


class Artifact(SQLModel, table=True):
    id: str = Field(primary_key=True)
    account_id: str = Field(index=True)
    job_id: str | None = Field(default=None, index=True)
    task_id: str | None = Field(default=None, index=True)
    step_id: str | None = None
    role: str  # source | output | optimizedFile | report | preview | thumbnail | proof
    kind: str = "file"
    key: str
    mime_type: str | None = None
    size_bytes: int | None = None
    file_name: str | None = None
    page: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Upload(SQLModel, table=True):
    id: str = Field(primary_key=True)  # upload_...
    account_id: str = Field(index=True)
    key: str
    status: str = "pending"  # pending | uploaded
    mime_type: str | None = None
    max_bytes: int
    size_bytes: int | None = None
    file_name: str | None = None
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class Order(SQLModel, table=True):
    """A store order captured through ``POST /orders/{id}`` or a connector."""

    id: str = Field(primary_key=True)  # ord_...
    account_id: str = Field(index=True)
    external_id: str
    source: str = "api"
    status: str | None = None
    currency: str | None = None
    total: str | None = None
    customer: dict[str, Any] | None = _json()
    items: list[Any] | None = _json()
    shipping_address: dict[str, Any] | None = _json()
    store_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "source", "external_id", name="uq_order_external"),)


class LibraryItem(SQLModel, table=True):
    """Workflows, upload rules, preflight profiles, optimize presets and connectors (bindings).

    ``account_id`` is NULL for the built-in catalog (wire ``source: "store"``); a tenant's row with
    the same id shadows the built-in one (``source: "domain"``).
    """

    __tablename__ = "library_item"

    pk: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # workflow | rule | profile | preset | connector
    id: str = Field(index=True)
    account_id: str | None = Field(default=None, index=True)
    name: str
    enabled: bool = True
    body: dict[str, Any] | None = _json()
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("kind", "account_id", "id", name="uq_library_item"),)


class SignalOwed(SQLModel, table=True):
    """A signal a committed change still owes its listeners (the outbox, ``printgate.core.outbox``).

    Written in the transaction that makes the change, so a process killed right after the commit, or
    a listener that raised, leaves this row behind instead of losing the event; the sweep delivers it.
    """

    __tablename__ = "signal_outbox"

    id: str = Field(primary_key=True)  # sig_...
    signal: str
    kwargs: dict[str, Any] | None = _json()
    # Listeners (``module.qualname``) that already took it: a redelivery skips them.
    delivered_to: list[str] | None = _json()
    attempts: int = 0
    # When the sweep may take it: the grace after the commit, then the backoff after each failure.
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    failed_at: datetime | None = None  # gave up after the last attempt: kept for an operator

    __table_args__ = (Index("ix_signal_outbox_due", "done_at", "failed_at", "next_attempt_at"),)
