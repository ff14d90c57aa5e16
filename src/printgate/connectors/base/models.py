"""Connector tables: which store is linked to which account, and where each store order stands.

- ``StoreConnection``: one linked store (a Shopify shop, a WooCommerce site...). Credentials are a
  Fernet token (``printgate.core.crypto``), never plaintext.
- ``OrderSync``: one store order's progress through the connector pipeline, step by step, so a
  merchant sees where it stands (``GET /stores/{id}/orders``).
- ``ConnectorNonce``: single-use ``state`` values of install flows.
- ``ComplianceRecord``: what a privacy request (export / redact / shop erase) did, for the merchant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from printgate.connectors.base.states import (  # noqa: F401  (the tables' states, importable from here as before)
    ORDER_FINAL,
    ORDER_OPEN,
    ORDER_STEPS,
    ConnectionStatus,
    SyncStatus,
)
from printgate.core.clock import utcnow


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


class StoreConnection(SQLModel, table=True):
    __tablename__ = "store_connection"

    id: str = Field(primary_key=True)  # store_...
    account_id: str = Field(index=True)
    platform: str = Field(index=True)  # shopify | woocommerce | opencart | prestashop
    # Shopify: the permanent ``*.myshopify.com`` domain; others: the store's base URL.
    shop: str = Field(index=True)
    name: str | None = None
    status: str = ConnectionStatus.PENDING  # a ConnectionStatus
    credentials: str | None = None  # Fernet token of a JSON object (tokens, keys)
    scopes: str | None = None
    token_expires_at: datetime | None = None
    # Extra secrets that verify incoming webhooks (besides the app's own), newest first.
    webhook_secrets: str | None = None  # Fernet token of a JSON list
    settings: dict[str, Any] | None = _json()
    installed_at: datetime | None = None
    uninstalled_at: datetime | None = None
    erase_after: datetime | None = None
    erased_at: datetime | None = None
    last_reconciled_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    # One row per account and shop: a row never changes account (migration 0004).
    __table_args__ = (UniqueConstraint("account_id", "platform", "shop", name="uq_store_connection_account_shop"),
                      Index("ix_store_connection_platform_shop", "platform", "shop"))


class OrderSync(SQLModel, table=True):
    __tablename__ = "order_sync"

    id: str = Field(primary_key=True)  # osync_...
    connection_id: str = Field(index=True)
    account_id: str = Field(index=True)
    platform: str
    external_id: str
    name: str | None = None  # the merchant-facing order name ("#1001")
    status: str = SyncStatus.RECEIVED  # a SyncStatus (states.py): a step name, or cancelled | no_jobs | failed
    financial_status: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    order_id: str | None = None  # core Order.id once attached
    steps: dict[str, Any] | None = _json()
    # [{lineId, productId, name, quantity, sku, jobId, workflowId, verified, reason, attached, processed}]
    lines: list[Any] | None = _json()
    files: list[Any] | None = _json()  # what was delivered/written back
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = Field(default=None, index=True)
    cancelled_at: datetime | None = None
    written_back_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        UniqueConstraint("connection_id", "external_id", name="uq_order_sync_external"),
        Index("ix_order_sync_account_created", "account_id", "created_at"),
    )


class ConnectorNonce(SQLModel, table=True):
    __tablename__ = "connector_nonce"

    nonce: str = Field(primary_key=True)
    platform: str
    shop: str
    account_id: str | None = None
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ComplianceRecord(SQLModel, table=True):
    __tablename__ = "compliance_record"

    id: str = Field(primary_key=True)  # cmp_...
    account_id: str = Field(index=True)
    connection_id: str = Field(index=True)
    kind: str  # data_request | customer_redact | shop_redact
    customer_id: str | None = None
    customer_email: str | None = None
    request: dict[str, Any] | None = _json()
    result: dict[str, Any] | None = _json()
    created_at: datetime = Field(default_factory=utcnow)
