"""What a platform must provide so the shared pipeline can run its orders.

The pipeline (``printgate.connectors.base.pipeline``) never speaks a platform's wire format: an adapter turns
the platform's order into an ``ExternalOrder`` and writes the delivered files back. WooCommerce,
OpenCart and PrestaShop implement the same protocol and register in ``printgate.connectors.registry``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from printgate.connectors.base.models import OrderSync, StoreConnection

# Normalised order statuses that mean "the customer paid": the pipeline proceeds on these.
PAID_STATUSES = frozenset({"paid", "partially_paid", "processing", "completed"})


class WebhookRejected(Exception):
    """A webhook failed verification (bad/missing signature, stale, unknown store): answer 401."""


class AdapterError(Exception):
    """A call to the platform failed. ``retryable`` says whether backing off and retrying may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class ExternalLine:
    line_id: str
    product_id: str | None
    name: str | None
    quantity: int = 1
    sku: str | None = None
    # Every key/value the platform carries on the line (properties, meta), flattened.
    properties: dict[str, Any] = field(default_factory=dict)
    # The workflow the product requires (per-product setting), when the platform knows one.
    workflow_id: str | None = None
    total: str | None = None


@dataclass
class ExternalOrder:
    external_id: str
    name: str | None
    status: str | None  # the platform's payment/order status, normalised: pending | paid | cancelled | ...
    lines: list[ExternalLine]
    currency: str | None = None
    total: str | None = None
    customer: dict[str, Any] | None = None  # {id, name, email, phone}
    shipping_address: dict[str, Any] | None = None
    # Order-level attributes (Shopify note_attributes / cart attributes), flattened.
    attributes: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False
    updated_at: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.status in PAID_STATUSES


@dataclass
class DeliveredFile:
    """One print-ready file of one line, as written back to the store."""

    line_id: str
    job_id: str
    run_id: str
    name: str | None
    status: str | None
    outcome: str | None
    download_url: str | None  # short-lived signed URL (runs_wire)
    link: str | None  # printgate's stable link that re-signs on each click
    expires_in: int | None = None

    def wire(self) -> dict[str, Any]:
        return {"lineId": self.line_id, "jobId": self.job_id, "runId": self.run_id, "name": self.name,
                "status": self.status, "outcome": self.outcome, "downloadUrl": self.download_url,
                "link": self.link, "expiresIn": self.expires_in}


class PlatformAdapter(Protocol):
    """One instance per connection (``adapter_for(connection)`` in the registry)."""

    platform: str
    connection: StoreConnection

    def fetch_recent_orders(self, session: Session, since: datetime) -> list[ExternalOrder]:
        """Orders created or updated since ``since`` (reconciliation of lost webhooks)."""
        ...

    def enrich_order(self, session: Session, order: ExternalOrder) -> ExternalOrder:
        """Fill what the webhook body lacks (e.g. per-product workflow ids). May return ``order``."""
        ...

    def write_back(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile]) -> dict[str, Any]:
        """Put the files on the store's order page. Idempotent: may be called again after a failure."""
        ...

    def cancel_hint(self, session: Session, order_sync: OrderSync) -> None:
        """Optional: tell the store that printing stopped for a cancelled order."""
        ...


def flatten_pairs(pairs: Any) -> dict[str, Any]:
    """``[{name|key, value}]`` (Shopify properties, note_attributes, Woo meta_data) -> a dict."""
    out: dict[str, Any] = {}
    if isinstance(pairs, Mapping):
        return dict(pairs)
    for pair in pairs or []:
        if not isinstance(pair, Mapping):
            continue
        key = pair.get("name", pair.get("key"))
        if isinstance(key, str) and key not in out:
            out[key] = pair.get("value")
    return out
