"""The receiver's WooCommerce store lookup (issue 17): one narrow read per receiver batch on a pooled
connection, a store's webhook secrets decrypted once per ciphertext and key set, and nothing stale:
a rotated secret, a removed store and rotated encryption keys all count from the very next batch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet

from printgate.connectors.base.models import StoreConnection
from printgate.core import crypto, db
from printgate.core.errors import NotFound, Unauthorized
from printgate.webhooks import inbound
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    WooTraffic,
    connect_store,
    order_with_jobs,
    wc_headers,
    webhook_secret,
    woo_fixture,
    woo_server_fixture,
    woo_traffic_fixture,
)

_order_ids = iter(range(5000, 6000))


def _deliver(store: dict[str, Any], secret: str, *, by_url: bool = True) -> inbound.Accepted:
    """One order delivery signed with ``secret``, received alone (its own receiver batch); addressed
    to ``/webhooks/woocommerce/{id}`` or, with ``by_url=False``, found by ``X-WC-Webhook-Source``."""
    body = json.dumps(order_with_jobs({}, order_id=next(_order_ids))).encode()
    headers = wc_headers("order.updated", body, secret, source=store["shop"])
    return inbound.accept("woocommerce", headers, body, store["id"] if by_url else None)


def _set_secrets(store_id: str, secrets: list[str] | None) -> None:
    with db.session_scope() as session:
        row = session.get(StoreConnection, store_id)
        assert row is not None
        row.webhook_secrets = crypto.encrypt(secrets) if secrets is not None else None
        session.add(row)
        session.commit()


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_secrets_are_decrypted_once_across_batches_without_an_orm_session(
        client: Any, auth: dict[str, str], woo: FakeWooCommerce, woo_traffic: WooTraffic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = connect_store(client, woo, auth)["store"]
    secret = webhook_secret(store["id"])
    decryptions = _counting(monkeypatch, crypto, "decrypt")
    sessions = _counting(monkeypatch, db, "session_scope")
    accepted = [_deliver(store, secret), _deliver(store, secret), _deliver(store, secret, by_url=False)]
    assert all(a.id and not a.duplicate for a in accepted)
    assert len(decryptions) == 1  # three batches, one ciphertext: decrypted once
    assert sessions == []  # read on a pooled connection, no ORM session per batch


@pytest.mark.parametrize("by_url", [True, False])
def test_a_rotated_or_removed_secret_counts_at_once(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                                    woo_traffic: WooTraffic, by_url: bool) -> None:
    store = connect_store(client, woo, auth)["store"]
    first = webhook_secret(store["id"])
    assert _deliver(store, first, by_url=by_url).id
    _set_secrets(store["id"], ["rotated-secret"])
    assert _deliver(store, "rotated-secret", by_url=by_url).id  # the new secret at once
    with pytest.raises(Unauthorized):
        _deliver(store, first, by_url=by_url)  # the old one no more
    _set_secrets(store["id"], None)
    with pytest.raises(Unauthorized):
        _deliver(store, "rotated-secret", by_url=by_url)


@pytest.mark.parametrize("by_url", [True, False])
def test_a_removed_store_is_refused_at_once(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                            woo_traffic: WooTraffic, by_url: bool) -> None:
    store = connect_store(client, woo, auth)["store"]
    secret = webhook_secret(store["id"])
    assert _deliver(store, secret, by_url=by_url).id
    with db.session_scope() as session:
        row = session.get(StoreConnection, store["id"])
        assert row is not None
        session.delete(row)
        session.commit()
    with pytest.raises(NotFound):
        _deliver(store, secret, by_url=by_url)


def test_another_platforms_connection_id_is_not_a_woocommerce_store(
        client: Any, auth: dict[str, str], woo: FakeWooCommerce, woo_traffic: WooTraffic) -> None:
    store = connect_store(client, woo, auth)["store"]
    secret = webhook_secret(store["id"])
    with db.session_scope() as session:
        row = session.get(StoreConnection, store["id"])
        assert row is not None
        row.platform = "shopify"
        session.add(row)
        session.commit()
    with pytest.raises(NotFound):
        _deliver(store, secret)


def test_an_encryption_key_rotated_out_is_not_served_from_the_cache(
        client: Any, auth: dict[str, str], woo: FakeWooCommerce, woo_traffic: WooTraffic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", Fernet.generate_key().decode())
    store = connect_store(client, woo, auth)["store"]
    _set_secrets(store["id"], ["keyed-secret"])
    assert _deliver(store, "keyed-secret").id
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", Fernet.generate_key().decode())  # the old key is gone
    with pytest.raises(crypto.CredentialsError):
        _deliver(store, "keyed-secret")
