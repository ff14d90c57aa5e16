"""Which store row speaks for a shop, and when an account may connect it.

A shop (Shopify domain, store URL) can have one row per account that linked it, and a row never
changes account: linking only ever creates or revives the caller's own row, so another account's
order history and compliance records stay where they are, and a link answers the same whether or
not another account has the shop pending, uninstalled or disconnected. Connecting needs proof of
control of the shop (Shopify OAuth or token exchange, WooCommerce keys the store issued), and at most
one account has a shop connected at a time: inbound traffic that names only the shop goes to that
row. A link answers the same whatever other accounts have; connecting over another account's
connected shop is refused once the caller is about to connect it (after OAuth, or before
WooCommerce keys are tried, so printgate cannot be used to test keys against someone's store).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from printgate.connectors.base.models import StoreConnection
from printgate.connectors.base.states import ConnectionStatus
from printgate.core.errors import Forbidden

Ranked = TypeVar("Ranked", bound="RankedRow")


def rows_for_shop(session: Session, platform: str, shop: str) -> list[StoreConnection]:
    return list(session.exec(select(StoreConnection).where(
        StoreConnection.platform == platform, StoreConnection.shop == shop)
        .order_by(col(StoreConnection.created_at), col(StoreConnection.id))).all())


def own_row(session: Session, account_id: str, platform: str, shop: str) -> StoreConnection | None:
    return session.exec(select(StoreConnection).where(
        StoreConnection.account_id == account_id, StoreConnection.platform == platform,
        StoreConnection.shop == shop)).first()


def current_row(session: Session, platform: str, shop: str) -> StoreConnection | None:
    """The row a shop's own traffic (webhooks, admin links) belongs to: the connected one; else the
    one installed last (an uninstalled shop still gets its compliance requests); else the newest."""
    return current_of(rows_for_shop(session, platform, shop))


class RankedRow(Protocol):
    """The columns :func:`current_of` ranks a shop's rows by (a full row, or a narrow select of them)."""

    @property
    def status(self) -> str: ...
    @property
    def installed_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


def current_of(rows: Sequence[Ranked]) -> Ranked | None:
    """:func:`current_row` of a shop's rows already read, oldest first (as :func:`rows_for_shop` orders them)."""
    if not rows:
        return None
    connected = [r for r in rows if r.status == ConnectionStatus.CONNECTED]
    if connected:
        return connected[0]
    installed = [r for r in rows if r.installed_at is not None]
    if installed:
        return max(installed, key=lambda r: (r.installed_at or r.created_at, r.created_at))
    return max(rows, key=lambda r: (r.updated_at, r.created_at))


def connected_elsewhere(session: Session, account_id: str, platform: str, shop: str) -> StoreConnection | None:
    return next((r for r in rows_for_shop(session, platform, shop)
                 if r.status == ConnectionStatus.CONNECTED and r.account_id != account_id), None)


def ensure_not_connected_elsewhere(session: Session, account_id: str, platform: str, shop: str) -> None:
    """One connected account per shop: checked when linking and again once control is proved."""
    if connected_elsewhere(session, account_id, platform, shop) is not None:
        raise Forbidden("This shop is connected to another printgate account: disconnect it there (or uninstall "
                        "the app) first")
