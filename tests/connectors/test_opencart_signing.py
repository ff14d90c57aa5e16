"""Registering a store-module shop and verifying its signed order calls (OpenCart; the same code
serves PrestaShop, see test_prestashop_signing.py). Order bodies and signatures come from the
extension's own PHP (``PrintgateOrderBody``, ``PrintgateSigner``) via php-cli."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.connectors.conftest import widget_job
from tests.fakes.opencart_store import php_signed_order, post_order, register_store
from tests.store_modules.test_orders import OC_ORDER, OC_PRODUCTS

SHOP = "https://shop.example/"


def oc_call(secret: str, jobs: dict[str, str] | None = None, status: str = "Processing",
            **sign: Any) -> tuple[bytes, dict[str, str]]:
    return php_signed_order("opencart", secret, order=OC_ORDER, products=OC_PRODUCTS, status=status,
                            jobs=jobs or {"301": "job_01unknownjob0000000000000"}, storeUrl=SHOP, **sign)


def stored(account_store_id: str) -> Any:
    from printgate.connectors.base.models import StoreConnection
    from printgate.core.db import session_scope

    with session_scope() as session:
        return session.get(StoreConnection, account_store_id)


def test_registering_a_store_shows_the_secret_once(client: Any, auth: dict[str, str],
                                                   other_auth: dict[str, str]) -> None:
    from printgate.connectors.store_modules import active_secrets, credentials

    created = register_store(client, auth, "opencart", "https://Shop.Example/index.php", ocVersion=4,
                             name="Print Shop", apiCredentials={"username": "printgate", "key": "k" * 64,
                                                                "orderStatusId": 2})
    store, secret = created["store"], created["webhookSecret"]
    assert store["platform"] == "opencart" and store["shop"] == SHOP and store["status"] == "connected"
    assert store["ocVersion"] == 4 and store["name"] == "Print Shop"
    assert store["callbackUrl"] == SHOP + "index.php?route=extension/printgate/module/printgate.callback"
    assert store["orderUrl"] == "http://testserver/orders/{orderId}"
    assert store["apiCredentials"] == {"configured": True, "username": "printgate", "orderStatusId": 2}
    assert created["module"] == {"apiBaseUrl": "http://testserver", "webhookSecret": secret,
                                 "note": created["module"]["note"]}

    # Never again in plain text: not on reads, not at rest.
    again = client.get(f"/store-modules/stores/{store['id']}", headers=auth)
    assert again.status_code == 200 and secret not in again.text and "k" * 64 not in again.text
    [hint] = again.json()["webhookSecrets"]
    assert hint["current"] is True and hint["hint"].startswith("whsec_…")
    row = stored(store["id"])
    assert secret not in (row.webhook_secrets or "") and "k" * 64 not in (row.credentials or "")
    assert active_secrets(row) == [secret] and credentials(row)["key"] == "k" * 64
    listed = client.get("/stores", headers=auth).json()["data"]
    assert [s["id"] for s in listed] == [store["id"]]

    # The same shop again: 409 for its owner (rotate instead) and for anyone else.
    duplicate = client.post("/store-modules/stores", json={"platform": "opencart", "storeUrl": SHOP}, headers=auth)
    assert duplicate.status_code == 409 and "rotate" in duplicate.json()["message"]
    foreign = client.post("/store-modules/stores", json={"platform": "opencart", "storeUrl": SHOP},
                          headers=other_auth)
    assert foreign.status_code == 409 and "another account" in foreign.json()["message"]
    assert client.get(f"/store-modules/stores/{store['id']}", headers=other_auth).status_code == 404

    for bad, message in (
        ({"platform": "magento", "storeUrl": SHOP}, "platform"),
        ({"platform": "opencart", "storeUrl": "ftp://x"}, "http"),
        ({"platform": "opencart", "storeUrl": "https://x.example/?a=1"}, "query"),
        ({"platform": "opencart", "storeUrl": "https://y.example/", "ocVersion": 2}, "ocVersion"),
        ({"platform": "prestashop", "storeUrl": "https://y.example/", "ocVersion": 3}, "OpenCart"),
        ({"platform": "opencart", "storeUrl": "https://y.example/", "apiCredentials": {"username": "a"}}, "key"),
        ({"platform": "prestashop", "storeUrl": "https://y.example/", "apiCredentials": {"key": "x"}}, "webserviceKey"),
        ({"platform": "opencart", "storeUrl": "https://y.example/", "extra": 1}, "extra: Extra inputs are not permitted"),
        ({"platform": "opencart", "storeUrl": "https://y.example/", "settings": {"apiWriteBack": "x"}}, "apiWriteBack"),
    ):
        response = client.post("/store-modules/stores", json=bad, headers=auth)
        assert response.status_code == 400 and message in response.json()["message"], (bad, response.text)

    # PATCH: version and credentials change; null removes the credentials.
    patched = client.patch(f"/store-modules/stores/{store['id']}", json={"ocVersion": 3, "apiCredentials": None,
                                                                         "settings": {"apiWriteBack": "always"}},
                           headers=auth).json()
    assert patched["ocVersion"] == 3 and patched["apiCredentials"] == {"configured": False}
    assert patched["callbackUrl"] == SHOP + "index.php?route=extension/module/printgate/callback"
    assert patched["settings"] == {"apiWriteBack": "always"}

    # Documented with printgate's own operations.
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/store-modules/stores", "/store-modules/stores/{store_id}",
            "/store-modules/stores/{store_id}/rotate-secret"} <= set(paths)
    assert "webhook secret" in paths["/store-modules/stores"]["post"]["description"]

    # Disconnecting wipes the secrets; linking again issues a new one.
    assert client.delete(f"/stores/{store['id']}", headers=auth).status_code == 200
    relinked = register_store(client, auth, "opencart", SHOP)
    assert relinked["store"]["id"] == store["id"] and relinked["webhookSecret"] != secret


def test_php_signed_call_is_verified_and_attributed_to_its_store(client: Any, auth: dict[str, str],
                                                                 instance: Any) -> None:
    from standardwebhooks import Webhook

    first = register_store(client, auth, "opencart", SHOP)
    second = register_store(client, auth, "opencart", "https://second.example/")
    body, headers = oc_call(second["webhookSecret"])
    # Standard Webhooks' own verifier agrees with the PHP signer.
    assert Webhook(second["webhookSecret"]).verify(body, headers)["orderId"] == "1042"

    captured = post_order(client, auth, "1042", body, headers)
    assert captured.status_code == 200, captured.text
    assert captured.json()["items"][0]["reason"] == "job not found for this account"
    instance.drain()
    # The signature chose the store: the second one has the order, the first does not.
    synced = client.get(f"/stores/{second['store']['id']}/orders/1042", headers=auth)
    assert synced.status_code == 200, synced.text
    assert synced.json()["status"] == "failed" and "job not found" in synced.json()["lastError"]
    assert [line["lineId"] for line in synced.json()["lines"]] == ["301", "302", "303"]
    assert client.get(f"/stores/{first['store']['id']}/orders/1042", headers=auth).status_code == 404
    seen = client.get(f"/store-modules/stores/{second['store']['id']}", headers=auth).json()
    assert seen["lastOrderCallAt"] is not None


def test_forged_stale_and_foreign_calls_are_refused(client: Any, auth: dict[str, str],
                                                    other_auth: dict[str, str], instance: Any) -> None:
    mine = register_store(client, auth, "opencart", SHOP)
    theirs = register_store(client, other_auth, "opencart", "https://their-shop.example/")
    secret = mine["webhookSecret"]
    body, headers = oc_call(secret)

    wrong_secret = oc_call("whsec_" + "QUJD" * 8)
    tampered = body.replace(b'"total":"42.37"', b'"total":"0.01"')
    assert tampered != body
    stale = oc_call(secret, timestamp=int(time.time()) - 6 * 60)
    future = oc_call(secret, timestamp=int(time.time()) + 6 * 60)
    cases = {
        "wrong secret": (wrong_secret[0], wrong_secret[1], auth, "does not match"),
        "tampered body": (tampered, headers, auth, "does not match"),
        "stale": (stale[0], stale[1], auth, "tolerance"),
        "from the future": (future[0], future[1], auth, "tolerance"),
        "another tenant's store secret": (*oc_call(theirs["webhookSecret"]), auth, "does not match"),
        "garbled signature": (body, {**headers, "webhook-signature": "v1,not-base64!"}, auth, "does not match"),
    }
    for name, (raw, sig_headers, key, message) in cases.items():
        response = post_order(client, key, "1042", raw, sig_headers)
        assert response.status_code == 401, (name, response.text)
        assert message in response.json()["message"], (name, response.text)
    # Signed for one platform, claiming another.
    claimed = post_order(client, auth, "1042", *php_signed_order(
        "prestashop", secret, order={"id": 1042, "id_customer": 1, "total_paid_tax_incl": "1"}, details=[],
        customer={"id": 1, "firstname": "A", "lastname": "B", "email": "a@b.example"}, currency="EUR",
        status="Payment accepted", jobs={}, storeUrl=SHOP))
    assert claimed.status_code == 401 and "source" in claimed.json()["message"]
    # The secret key is still required: a good signature does not replace it.
    no_key = client.post("/orders/1042", content=body, headers={**headers, "content-type": "application/json"})
    assert no_key.status_code == 401
    instance.drain()
    assert client.get(f"/stores/{mine['store']['id']}/orders", headers=auth).json()["data"] == []


def test_a_replayed_webhook_id_is_answered_2xx_and_changes_nothing(client: Any, auth: dict[str, str],
                                                                   instance: Any, artwork: Path) -> None:
    from printgate.core.db import session_scope
    from printgate.core.models import Order

    created = register_store(client, auth, "opencart", SHOP)
    job_id = widget_job(client, "acme", artwork, instance)
    body, headers = oc_call(created["webhookSecret"], jobs={"301": job_id}, status="Pending")
    answers = [post_order(client, auth, "1042", body, headers) for _ in range(3)]  # the module retrying
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["affectedJobIds"] == [job_id]
    assert all(a.json()["items"] == answers[0].json()["items"] for a in answers)
    instance.drain()
    with session_scope() as session:
        orders = session.exec(select(Order).where(Order.external_id == "1042")).all()
        assert len(orders) == 1 and orders[0].store_id == created["store"]["id"]
    syncs = client.get(f"/stores/{created['store']['id']}/orders", headers=auth).json()["data"]
    assert len(syncs) == 1 and syncs[0]["status"] == "received" and syncs[0]["financialStatus"] == "pending"
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["orderId"] == "1042"


def test_rotation_keeps_the_old_secret_for_the_overlap_only(client: Any, auth: dict[str, str],
                                                            instance: Any) -> None:
    created = register_store(client, auth, "opencart", SHOP)
    store_id, old = created["store"]["id"], created["webhookSecret"]
    rotated = client.post(f"/store-modules/stores/{store_id}/rotate-secret", json={"overlapHours": 2}, headers=auth)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["webhookSecret"]
    assert new != old and rotated.json()["previousSecretExpiresAt"] is not None
    hints = rotated.json()["store"]["webhookSecrets"]
    assert [h["current"] for h in hints] == [True, False] and hints[1]["expiresAt"]
    for secret in (old, new):  # the merchant has not pasted the new one yet, or just did
        assert post_order(client, auth, "1042", *oc_call(secret)).status_code == 200

    revoked = client.post(f"/store-modules/stores/{store_id}/rotate-secret", json={"overlapHours": 0}, headers=auth)
    newest = revoked.json()["webhookSecret"]
    assert revoked.json()["previousSecretExpiresAt"] is None
    assert len(revoked.json()["store"]["webhookSecrets"]) == 1
    for secret in (old, new):
        assert post_order(client, auth, "1042", *oc_call(secret)).status_code == 401
    assert post_order(client, auth, "1042", *oc_call(newest)).status_code == 200
    bad = client.post(f"/store-modules/stores/{store_id}/rotate-secret", json={"overlapHours": -1}, headers=auth)
    assert bad.status_code == 400


def test_an_unsigned_call_is_captured_without_a_store(client: Any, auth: dict[str, str], instance: Any) -> None:
    """Filecheck's own OpenCart extension posts unsigned (Bearer sk only): still captured, as before."""
    created = register_store(client, auth, "opencart", SHOP)
    body, _headers = oc_call(created["webhookSecret"])
    response = post_order(client, auth, "1042", body, {})
    assert response.status_code == 200, response.text
    instance.drain()
    assert client.get(f"/stores/{created['store']['id']}/orders", headers=auth).json()["data"] == []


@pytest.mark.parametrize(("name", "expected"), [
    ("Pending", "pending"), ("Failed", "pending"), ("Processing", "paid"), ("Processed", "paid"),
    ("Shipped", "paid"), ("Complete", "paid"), ("Canceled Reversal", "paid"), ("Canceled", "cancelled"),
    ("Chargeback", "cancelled"), ("Denied", "cancelled"), ("Expired", "cancelled"), ("Refunded", "cancelled"),
    ("Reversed", "cancelled"), ("Voided", "cancelled"),
])
def test_opencart_default_statuses_map_to_the_pipeline(name: str, expected: str) -> None:
    """OpenCart's installed order statuses, slugged by the extension's PHP."""
    from printgate.connectors.store_modules import normalize_status

    body, _ = oc_call("whsec_" + "QUJD" * 8, status=name)
    assert normalize_status(json.loads(body)["status"]) == expected
