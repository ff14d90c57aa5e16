"""One store platform, declared once: what every other room needs to know of it.

A platform's package has one function returning its :class:`PlatformSpec`; the list of them is
``printgate.connectors.platforms.PLATFORMS``, which the composition root hands to
``printgate.connectors.room.install``. Adding a platform is one folder and one line in that list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session

from printgate.connectors.base.adapter import ExternalOrder, PlatformAdapter
from printgate.connectors.base.models import StoreConnection
from printgate.core.models import Order

AdapterFactory = Callable[[StoreConnection], PlatformAdapter]


@dataclass(frozen=True)
class InboundWebhooks:
    """``POST /webhooks/{platform}[/{connection_id}]``: how to verify a delivery and who handles it."""

    verify: Callable[..., Any]  # printgate.webhooks.inbound.Verifier
    handle: Callable[..., Any]  # (session, InboundDelivery) -> None, run by a worker
    max_age_s: int | None = None  # refuse deliveries older than this (None: the instance default)
    kept_headers: tuple[str, ...] = ()  # extra header prefixes stored on the delivery row


@dataclass(frozen=True)
class OrderCalls:
    """Signed ``POST /orders/{id}`` calls from the store side (a plugin or module), as
    ``printgate.connectors.signed_calls`` verifies them and the pipeline takes them in."""

    secrets: Callable[[StoreConnection], list[str]]  # the store's signing secrets, current first
    accepts: Callable[[StoreConnection], bool]  # may this store's calls still come in (its status)
    to_order: Callable[[Order, StoreConnection], ExternalOrder]  # the captured order, as the pipeline reads it
    # Takes it into the pipeline (the platform's enrichment first); None: ``pipeline.intake``.
    intake: Callable[[Session, StoreConnection, ExternalOrder], object] | None = None
    event: str = "order-call"  # what the OrderSync's ``received`` step records
    # Notes the call on the store (when the plugin was last seen, its reported URL...).
    seen: Callable[[Session, StoreConnection, Mapping[str, str], dict[str, Any]], None] | None = None


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    adapter: AdapterFactory  # the shared pipeline's view of one connected store
    # Line-item properties that carry a jobId, on top of core's (ours first, Filecheck's after).
    line_item_keys: tuple[str, ...] = ()
    webhooks: InboundWebhooks | None = None
    # Signed ``POST /orders/{id}`` calls from the store side (a plugin or module).
    order_calls: OrderCalls | None = None
    routers: tuple[APIRouter, ...] = field(default_factory=tuple)
    # The ``source`` names its orders reach core under, when more than one (one order, one row).
    order_sources: tuple[str, ...] = ()
