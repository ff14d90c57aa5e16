"""The plugin's signed ``POST /orders/{id}``: the PHP signer's headers verify in printgate's order
verifier, the order flows into the connector pipeline, and printgate's ``order.files_ready`` event
is accepted by the plugin's own events handler (PHP)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select

from printgate.connectors.base.models import StoreConnection
from printgate.core.db import get_engine
from printgate.core.models import Order
from printgate.webhooks.models import WebhookEvent
from printgate.webhooks.signing import standard_verify
from tests.connectors.conftest import widget_job
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    WooTraffic,
    connect_store,
    woo_fixture,
    woo_server_fixture,
    woo_traffic_fixture,
)
from tests.woocommerce_plugin.conftest import ORDER_727, run_php

BASE = "http://testserver"
ORDER_727_COMPLETED = ORDER_727.with_name("order_727_completed.json")


def _php_capture(job_id: str, sk: str, whsec: str, *, fixture: Path = ORDER_727, **extra: Any) -> dict[str, Any]:
    built = run_php({"cmd": "capture", "fixture": str(fixture), "item_meta": {"316": {"_printgate_job_id": job_id}},
                     "base_url": BASE, "sk": sk, "whsec": whsec, **extra})
    return dict(built["requests"][0])


def _send(client: Any, built: dict[str, Any]) -> Any:
    parts = urlsplit(built["url"])
    return client.request(built["method"], parts.path, headers=built["headers"], content=built["body"])


def _orders(account_source: str | None = None) -> list[Order]:
    with Session(get_engine()) as session:
        query = select(Order)
        if account_source:
            query = query.where(Order.source == account_source)
        return list(session.exec(query).all())


def _captured_events() -> int:
    with Session(get_engine()) as session:
        return len(session.exec(select(WebhookEvent).where(WebhookEvent.type == "order.captured")).all())


def test_php_signed_order_call_flows_into_the_pipeline(client: Any, auth: dict[str, str], secret_key: str,
                                                       instance: Any, woo: FakeWooCommerce,
                                                       woo_traffic: WooTraffic, clean_pdf: Path) -> None:
    connected = connect_store(client, woo, auth)
    store, whsec = connected["store"], connected["pluginSecret"]
    woo.plugin_secret = whsec
    job_id = widget_job(client, "acme", clean_pdf, instance)
    woo.add_order(json.loads(ORDER_727.read_text()))
    endpoint = client.post("/webhook-endpoints", headers=auth,
                           json={"url": "http://127.0.0.1:9/hooks", "events": ["order.captured"]})
    assert endpoint.status_code == 201, endpoint.text

    built = _php_capture(job_id, secret_key, whsec)
    assert standard_verify(whsec, built["headers"], built["body"].encode()) == built["headers"]["webhook-id"]
    captured = _send(client, built)
    assert captured.status_code == 200, captured.text
    assert captured.json()["affectedJobIds"] == [job_id]
    [order] = _orders("wp")
    plugin_items = order.items
    assert order.store_id == store["id"] and order.external_id == "727"
    with Session(get_engine()) as session:
        row = session.get(StoreConnection, store["id"])
        assert row is not None and (row.settings or {}).get("pluginSeenAt")

    # The plugin retries one message with the same webhook-id: answered 2xx again, nothing doubled.
    assert _send(client, built).status_code == 200
    instance.drain()
    synced = client.get(f"/stores/{store['id']}/orders/727", headers=auth).json()
    assert synced["status"] == "written_back", json.dumps(synced)[:2000]
    assert synced["steps"]["received"]["event"] == "plugin"
    # Plugin call and pipeline share one core order, which keeps the plugin's full item list,
    # and it is announced once: the pipeline's capture of the same order adds nothing new.
    [order] = _orders()
    assert order.source == "wp" and order.items == plugin_items
    assert _captured_events() == 1
    assert len(woo_traffic.sent("POST", "/orders/727/notes")) == 1

    # printgate's event to the plugin: signed with the plugin secret, a webhook-id fixed per order.
    [event] = woo_traffic.sent("POST", "/wp-json/printgate/v1/events")
    assert standard_verify(whsec, event["headers"], event["raw"]) == f"msg_{synced['id']}_files_ready"
    assert event["json"]["type"] == "order.files_ready"
    assert event["json"]["data"]["orderId"] == "727" and event["json"]["data"]["jobIds"] == [job_id]
    assert synced["steps"]["written_back"]["result"]["pluginEvent"]["status"] == 202

    # The plugin's own handler (PHP) accepts exactly those bytes and notes the files on the order.
    runs = client.get(f"/jobs/{job_id}", params={"expand": "runs"}, headers=auth)
    handled = run_php({
        "cmd": "events",
        "options": {"printgate_webhook_secret": whsec, "printgate_secret_key": secret_key,
                    "printgate_base_url": BASE},
        "orders": [{"fixture": str(ORDER_727), "item_meta": {"316": {"_printgate_job_id": job_id}}}],
        "requests": [{"headers": {k: v for k, v in event["headers"].items() if k.startswith("webhook-")},
                      "body": event["raw"].decode()}],
        "responses": [{"status": 200, "body": runs.text}],
        "run_scheduled": True,
    })
    assert handled["responses"][0]["status"] == 202, handled
    [note] = handled["notes"]["727"]
    assert f"job_id={job_id}" in note

    # The next status change (a new message): captured again, the pipeline has nothing left to do.
    again = _php_capture(job_id, secret_key, whsec, fixture=ORDER_727_COMPLETED)
    assert again["headers"]["webhook-id"] != built["headers"]["webhook-id"]
    assert _send(client, again).status_code == 200
    instance.drain()
    assert [o.status for o in _orders()] == ["completed"]
    assert _captured_events() == 2, "a new status is a new order.captured"
    assert len(woo_traffic.sent("POST", "/orders/727/notes")) == 1
    assert len(woo_traffic.sent("POST", "/wp-json/printgate/v1/events")) == 1


def test_bad_plugin_signatures_are_401_and_unsigned_calls_skip_the_pipeline(client: Any, auth: dict[str, str],
                                                                             secret_key: str, instance: Any,
                                                                             woo: FakeWooCommerce,
                                                                             woo_traffic: WooTraffic,
                                                                             clean_pdf: Path) -> None:
    connected = connect_store(client, woo, auth)
    store, whsec = connected["store"], connected["pluginSecret"]
    job_id = widget_job(client, "acme", clean_pdf, instance)

    wrong = _php_capture(job_id, secret_key, "whsec_" + "QUJD" * 8)
    refused = _send(client, wrong)
    assert refused.status_code == 401 and "signature" in refused.json()["message"].lower()

    stale = _php_capture(job_id, secret_key, whsec, timestamp=int(time.time()) - 600)
    refused = _send(client, stale)
    assert refused.status_code == 401 and "tolerance" in refused.json()["message"]

    tampered = _php_capture(job_id, secret_key, whsec)
    tampered["body"] = tampered["body"].replace('"processing"', '"completed"')
    assert _send(client, tampered).status_code == 401
    assert _orders() == []

    # Without a signature (an old plugin, or the API): captured, but no store to sync.
    unsigned = _php_capture(job_id, secret_key, whsec)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        unsigned["headers"].pop(name)
    assert _send(client, unsigned).status_code == 200
    instance.drain()
    [order] = _orders("wp")
    assert order.store_id is None
    assert client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"] == []

    # Another account's key with this store's valid signature: the store is not theirs.
    from tests.conftest import make_key

    foreign = _php_capture(job_id, make_key("globex"), whsec)
    assert _send(client, foreign).status_code == 401


def test_rotated_plugin_secret_overlaps_for_a_day(client: Any, auth: dict[str, str], secret_key: str,
                                                  instance: Any, woo: FakeWooCommerce, woo_traffic: WooTraffic,
                                                  clean_pdf: Path) -> None:
    connected = connect_store(client, woo, auth)
    store, old = connected["store"], connected["pluginSecret"]
    job_id = widget_job(client, "acme", clean_pdf, instance)
    rotated = client.post(f"/woocommerce/stores/{store['id']}/plugin-secret", headers=auth)
    assert rotated.status_code == 200
    new = rotated.json()["pluginSecret"]
    assert new != old and new.startswith("whsec_")
    for secret in (new, old):
        assert _send(client, _php_capture(job_id, secret_key, secret)).status_code == 200
    from tests.conftest import make_key

    other = {"Authorization": f"Bearer {make_key('globex')}"}
    assert client.post(f"/woocommerce/stores/{store['id']}/plugin-secret", headers=other).status_code == 404


def test_plugin_only_store_gets_the_event_and_no_rest_calls(client: Any, auth: dict[str, str], secret_key: str,
                                                            instance: Any, woo: FakeWooCommerce,
                                                            woo_traffic: WooTraffic, clean_pdf: Path) -> None:
    linked = client.post("/woocommerce/stores", headers=auth, json={"storeUrl": woo.base, "pluginOnly": True})
    assert linked.status_code == 201, linked.text
    store, whsec = linked.json()["store"], linked.json()["pluginSecret"]
    assert store["status"] == "connected" and store["pluginOnly"] is True
    woo.plugin_secret = whsec
    job_id = widget_job(client, "acme", clean_pdf, instance)
    assert _send(client, _php_capture(job_id, secret_key, whsec)).status_code == 200
    instance.drain()
    synced = client.get(f"/stores/{store['id']}/orders/727", headers=auth).json()
    assert synced["status"] == "written_back", synced
    assert woo_traffic.operations() == ["POST /wp-json/printgate/v1/events"]
    # Reconciliation has nothing to ask a store without REST keys.
    assert client.post(f"/stores/{store['id']}/reconcile", headers=auth).json()["ordersSeen"] == 0


def test_a_plugin_secret_can_be_adopted(client: Any, auth: dict[str, str], secret_key: str, instance: Any,
                                        woo: FakeWooCommerce, clean_pdf: Path) -> None:
    import base64

    mine = "whsec_" + base64.b64encode(b"moved-from-another-instance-k01").decode()
    short = client.post("/woocommerce/stores", headers=auth,
                        json={"storeUrl": woo.base, "pluginOnly": True, "pluginSecret": "whsec_c2hvcnQ="})
    assert short.status_code == 400 and "too short" in short.json()["message"]
    linked = client.post("/woocommerce/stores", headers=auth,
                         json={"storeUrl": woo.base, "pluginOnly": True, "pluginSecret": mine})
    assert linked.status_code == 201 and "pluginSecret" not in linked.json()
    job_id = widget_job(client, "acme", clean_pdf, instance)
    captured = _send(client, _php_capture(job_id, secret_key, mine))
    assert captured.status_code == 200, captured.text
    [order] = _orders("wp")
    assert order.store_id == linked.json()["store"]["id"]
