"""The receiver's Shopify shop lookup (issue 17): one narrow read per receiver batch, a connection's
extra secrets decrypted once per ciphertext and key set, and nothing stale: rotated or removed
secrets, a removed connection, a shop moved to another account and rotated encryption keys all
count from the very next batch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from printgate.connectors.base.models import StoreConnection
from printgate.core import crypto, db
from printgate.core.clock import utcnow
from printgate.core.errors import NotFound, Unauthorized
from printgate.core.ids import new_id
from printgate.webhooks import inbound
from tests.connectors.conftest import SHOP, fixture_order, webhook_headers
from tests.fakes.shopify_store import FakeShopify


def _connection(account_id: str = "acct_a", status: str = "connected", secrets: list[str] | None = None) -> str:
    with db.session_scope() as session:
        row = StoreConnection(id=new_id("store"), account_id=account_id, platform="shopify", shop=SHOP,
                              status=status, installed_at=utcnow(),
                              webhook_secrets=crypto.encrypt(secrets) if secrets is not None else None)
        session.add(row)
        session.commit()
        return row.id


def _update(connection_id: str, **values: Any) -> None:
    with db.session_scope() as session:
        row = session.get(StoreConnection, connection_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


def _deliver(secret: str) -> inbound.Accepted:
    """One delivery signed with ``secret``, received alone (so its own receiver batch)."""
    order = fixture_order()
    order["id"] = int(new_id("n")[-8:], 36) % 10**9
    body = json.dumps(order).encode()
    return inbound.accept("shopify", webhook_headers("orders/create", body, secret=secret), body)


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_extra_secrets_are_decrypted_once_across_batches_without_an_orm_session(
        instance: Any, shopify_env: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> None:
    connection_id = _connection(secrets=[f"extra-{new_id('s')}"])
    with db.session_scope() as session:
        secret = crypto.decrypt(session.exec(select(StoreConnection.webhook_secrets).where(
            StoreConnection.id == connection_id)).one())[0]
    decryptions = _counting(monkeypatch, crypto, "decrypt")
    sessions = _counting(monkeypatch, db, "session_scope")
    accepted = [_deliver(secret) for _ in range(3)]
    assert all(a.id and not a.duplicate for a in accepted)
    assert len(decryptions) == 1  # three batches, one ciphertext: decrypted once
    assert sessions == []  # read on a pooled connection, no ORM session per batch


def test_rotated_or_removed_extra_secret_counts_at_once(instance: Any, shopify_env: FakeShopify) -> None:
    connection_id = _connection(secrets=["first-extra"])
    assert _deliver("first-extra").id
    _update(connection_id, webhook_secrets=crypto.encrypt(["second-extra"]))
    assert _deliver("second-extra").id
    with pytest.raises(Unauthorized):
        _deliver("first-extra")
    _update(connection_id, webhook_secrets=None)
    with pytest.raises(Unauthorized):
        _deliver("second-extra")
    assert _deliver("pgtest-client-secret").id  # the app's own secret still verifies


def test_removed_or_moved_connection_counts_at_once(instance: Any, shopify_env: FakeShopify) -> None:
    first = _connection(account_id="acct_a")
    accepted = _deliver("pgtest-client-secret")
    assert _stored_connection(accepted) == first
    _update(first, status="uninstalled", uninstalled_at=utcnow())
    second = _connection(account_id="acct_b")  # another account installs the shop
    assert _stored_connection(_deliver("pgtest-client-secret")) == second
    with db.session_scope() as session:
        for row in session.exec(select(StoreConnection)).all():
            session.delete(row)
        session.commit()
    with pytest.raises(NotFound):
        _deliver("pgtest-client-secret")


def test_encryption_key_rotated_out_is_not_served_from_the_cache(
        instance: Any, shopify_env: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", Fernet.generate_key().decode())
    _connection(secrets=["keyed-extra"])
    assert _deliver("keyed-extra").id
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", Fernet.generate_key().decode())  # the old key is gone
    with pytest.raises(crypto.CredentialsError):
        _deliver("keyed-extra")


def _stored_connection(accepted: inbound.Accepted) -> str | None:
    from printgate.webhooks.models import InboundDelivery

    with db.session_scope() as session:
        row = session.get(InboundDelivery, accepted.id)
        assert row is not None
        return row.connection_id
