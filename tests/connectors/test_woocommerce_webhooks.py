"""WooCommerce webhooks in: signatures, the ping, dedupe by order state, bodies that are not orders,
jobs that must not be attached, lost webhooks (reconciliation) and revoked keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.core.db import get_engine
from printgate.webhooks.models import InboundDelivery
from tests.connectors.conftest import widget_job
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    WooTraffic,
    connect_store,
    order_with_jobs,
    post_order_webhook,
    wc_headers,
    webhook_secret,
    woo_fixture,
    woo_server_fixture,
    woo_traffic_fixture,
)


def _inbound() -> list[InboundDelivery]:
    with Session(get_engine()) as session:
        return list(session.exec(select(InboundDelivery).where(InboundDelivery.platform == "woocommerce")).all())


def _sync(client: Any, auth: dict[str, str], store: dict[str, Any], order_id: int | str) -> dict[str, Any]:
    response = client.get(f"/stores/{store['id']}/orders/{order_id}", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _now_gmt() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_the_creation_ping_is_answered_200_unsigned(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                                    woo_traffic: WooTraffic) -> None:
    store = connect_store(client, woo, auth)["store"]
    ping = client.post(f"/webhooks/woocommerce/{store['id']}", content=b"webhook_id=5012",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200 and ping.json()["ping"] is True
    assert _inbound() == []
    # Anything else without a signature is refused.
    unsigned = client.post(f"/webhooks/woocommerce/{store['id']}", content=b"webhook_id=12&x=1")
    assert unsigned.status_code == 401


@pytest.mark.parametrize("case", ["missing", "forged", "tampered", "other_store_secret"])
def test_unsigned_or_forged_deliveries_are_refused(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                                   woo_traffic: WooTraffic, case: str) -> None:
    store = connect_store(client, woo, auth)["store"]
    order = order_with_jobs({})
    body = json.dumps(order).encode()
    secret = webhook_secret(store["id"])
    if case == "missing":
        headers = wc_headers("order.updated", body, secret, source=store["shop"], signed=False)
    elif case == "forged":
        headers = wc_headers("order.updated", body, secret, source=store["shop"], signature="AAAA" + "=" * 40)
    elif case == "tampered":
        headers = wc_headers("order.updated", body, secret, source=store["shop"])
        body = body.replace(b'"processing"', b'"completed"')
    else:
        headers = wc_headers("order.updated", body, "another-stores-secret", source=store["shop"])
    refused = client.post(f"/webhooks/woocommerce/{store['id']}", content=body, headers=headers)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] is True and "signature" in refused.json()["message"].lower()
    assert _inbound() == []


def test_unknown_store_is_not_found_and_the_source_header_finds_a_store(client: Any, auth: dict[str, str],
                                                                      woo: FakeWooCommerce,
                                                                      woo_traffic: WooTraffic) -> None:
    store = connect_store(client, woo, auth)["store"]
    body = json.dumps(order_with_jobs({}, status="on-hold")).encode()
    headers = wc_headers("order.updated", body, webhook_secret(store["id"]), source=store["shop"])
    assert client.post("/webhooks/woocommerce/store_nope", content=body, headers=headers).status_code == 404
    # Without the connection in the URL the store is found by X-WC-Webhook-Source.
    found = client.post("/webhooks/woocommerce", content=body, headers=headers)
    assert found.status_code == 200 and found.json()["id"].startswith("whin_")
    [row] = _inbound()
    assert row.connection_id == store["id"] and row.topic == "order.updated"
    assert row.delivery_id == f"{store['id']}:11:727:2017-03-22T19:28:08:on-hold"
    assert "x-wc-webhook-signature" not in (row.headers or {})


def test_a_body_that_is_not_an_order_is_accepted_and_ignored(client: Any, auth: dict[str, str], instance: Any,
                                                             woo: FakeWooCommerce, woo_traffic: WooTraffic) -> None:
    store = connect_store(client, woo, auth)["store"]
    secret = webhook_secret(store["id"])
    product = json.dumps({"id": 93, "name": "Woo Single #1", "type": "simple"}).encode()
    not_json = b"<html>not json</html>"
    for topic, body in (("product.updated", product), ("order.updated", not_json)):
        headers = wc_headers(topic, body, secret, source=store["shop"])
        answer = client.post(f"/webhooks/woocommerce/{store['id']}", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    instance.drain()
    rows = _inbound()
    assert len(rows) == 2 and {r.status for r in rows} == {"done"}
    assert client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"] == []


def test_one_order_state_is_handled_once_and_a_new_state_moves_it(client: Any, auth: dict[str, str], instance: Any,
                                                                   woo: FakeWooCommerce, woo_traffic: WooTraffic,
                                                                   clean_pdf: Path) -> None:
    store = connect_store(client, woo, auth)["store"]
    job_id = widget_job(client, "acme", clean_pdf, instance)
    order = order_with_jobs({316: job_id}, status="on-hold")  # bank transfer, not paid yet
    woo.add_order(order)
    created = post_order_webhook(client, store, order, topic="order.created")
    assert created.status_code == 200 and not created.json().get("duplicate")
    # order.updated for the same state (WooCommerce fires it on the same save), a new delivery id:
    same = post_order_webhook(client, store, order, topic="order.updated")
    assert same.status_code == 200 and same.json()["duplicate"] is True
    instance.drain()
    synced = _sync(client, auth, store, 727)
    assert synced["status"] == "received" and synced["financialStatus"] == "on-hold"
    assert synced["lines"][1]["jobId"] == job_id
    assert not woo_traffic.sent("POST", "/orders/727/notes")

    paid = {**order, "status": "processing", "date_modified_gmt": "2017-03-22T19:40:00"}
    woo.add_order(paid)
    moved = post_order_webhook(client, store, paid, topic="order.updated")
    assert moved.status_code == 200 and not moved.json().get("duplicate")
    instance.drain()
    synced = _sync(client, auth, store, 727)
    assert synced["status"] == "written_back", synced
    assert len(woo_traffic.sent("POST", "/orders/727/notes")) == 1


def test_jobs_of_another_account_or_not_ready_are_flagged_not_attached(client: Any, auth: dict[str, str],
                                                                      instance: Any, woo: FakeWooCommerce,
                                                                      woo_traffic: WooTraffic, clean_pdf: Path,
                                                                      tmp_path: Path) -> None:
    from tests.conftest import make_pdf

    store = connect_store(client, woo, auth)["store"]
    foreign = widget_job(client, "globex", clean_pdf, instance)
    # A file with an unembedded font: the default workflow rejects it.
    from tests.conftest import make_key

    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", json={"workflowId": "wf_default"}, headers=pk).json()
    rejected = created["jobId"]
    upload = client.post("/uploads", json={"mimeType": "application/pdf"}, headers=pk).json()
    fonts = make_pdf(tmp_path / "fonts.pdf")
    client.post(upload["upload"]["url"].removeprefix("http://testserver"), data=upload["upload"]["fields"],
                files={"file": ("fonts.pdf", fonts.read_bytes(), "application/pdf")})
    added = client.post(f"/element/jobs/{rejected}/files", json={"fileRef": upload["fileRef"]},
                        headers={**pk, "Printgate-Job-Token": created["clientToken"]})
    assert added.status_code == 201, added.text
    instance.drain()

    order = order_with_jobs({315: foreign}, status="processing")
    order["line_items"][1]["meta_data"].append({"id": 1, "key": "_filecheck_job_id", "value": rejected})
    woo.add_order(order)
    assert post_order_webhook(client, store, order).status_code == 200
    instance.drain()
    synced = _sync(client, auth, store, 727)
    assert synced["status"] == "failed"
    reasons = {line["jobId"]: line["reason"] for line in synced["lines"] if line["jobId"]}
    assert reasons[foreign] == "job not found for this account"
    assert reasons[rejected].startswith("job cannot proceed (status rejected")
    assert synced["steps"]["attached"]["status"] == "pending"
    assert client.get(f"/jobs/{rejected}", headers=auth).json()["job"]["orderId"] is None
    other = {"Authorization": f"Bearer {make_key('globex')}"}
    assert client.get(f"/jobs/{foreign}", headers=other).json()["job"]["orderId"] is None
    assert not woo_traffic.sent("POST", "/orders/727/notes") and not woo_traffic.sent("PUT", "/orders/727")


def test_filecheck_line_keys_are_read(client: Any, auth: dict[str, str], instance: Any, woo: FakeWooCommerce,
                                      woo_traffic: WooTraffic, clean_pdf: Path) -> None:
    store = connect_store(client, woo, auth)["store"]
    first = widget_job(client, "acme", clean_pdf, instance)
    second = widget_job(client, "acme", clean_pdf, instance)
    order = order_with_jobs({315: first}, key="Filecheck Job", status="completed")
    order["line_items"][1]["meta_data"].append({"id": 2, "key": "_filecheck_job_id", "value": second})
    woo.add_order(order)
    assert post_order_webhook(client, store, order).status_code == 200
    instance.drain()
    synced = _sync(client, auth, store, 727)
    assert synced["status"] == "written_back", synced
    assert {line["jobId"] for line in synced["lines"] if line.get("attached")} == {first, second}
    [note] = woo_traffic.sent("POST", "/orders/727/notes")
    assert note["json"]["note"].count("/stores/") == 2


def test_reconciliation_finds_lost_orders_and_turns_webhooks_back_on(client: Any, auth: dict[str, str],
                                                                     instance: Any, woo: FakeWooCommerce,
                                                                     woo_traffic: WooTraffic, clean_pdf: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.woocommerce.config import reset_woocommerce_settings

    monkeypatch.setenv("PRINTGATE_WOOCOMMERCE_PAGE_SIZE", "2")
    monkeypatch.setenv("PRINTGATE_WOOCOMMERCE_WEBHOOK_CHECK_S", "0")
    reset_woocommerce_settings()
    store = connect_store(client, woo, auth)["store"]
    for hook in woo.webhooks.values():  # WooCommerce disabled them after 5 failed deliveries
        hook["status"] = "disabled"
    job_id = widget_job(client, "acme", clean_pdf, instance)
    woo_traffic.placeholders["job"] = job_id  # the store lists it back: the cassette stores a placeholder
    for order_id in (801, 802, 803):
        order = order_with_jobs({316: job_id} if order_id == 802 else {}, order_id=order_id, status="processing")
        order["date_modified_gmt"] = _now_gmt()
        woo.add_order(order)

    result = client.post(f"/stores/{store['id']}/reconcile", headers=auth)
    assert result.status_code == 200, result.text
    assert result.json()["ordersSeen"] == 3
    lists = woo_traffic.sent("GET", "/wp-json/wc/v3/orders")[1:]  # the first one checked the keys
    assert [r["query"]["page"] for r in lists] == ["1", "2"]
    assert all(r["query"]["modified_after"] and r["query"]["dates_are_gmt"] == "true" for r in lists)
    instance.drain()
    assert _sync(client, auth, store, 802)["status"] == "written_back"
    assert _sync(client, auth, store, 801)["status"] == "no_jobs"
    reactivated = [r for r in woo_traffic.requests
                   if r["method"] == "PUT" and "/wp-json/wc/v3/webhooks/" in r["path"]]
    assert len(reactivated) == 2 and {r["json"]["status"] for r in reactivated} == {"active"}
    if not woo_traffic.replaying:
        assert {h["status"] for h in woo.webhooks.values()} == {"active"}


def test_revoked_keys_disconnect_the_store_and_nothing_is_retried_blindly(client: Any, auth: dict[str, str],
                                                                           instance: Any, woo: FakeWooCommerce,
                                                                           woo_traffic: WooTraffic,
                                                                           clean_pdf: Path) -> None:
    connected = connect_store(client, woo, auth)
    store = connected["store"]
    job_id = widget_job(client, "acme", clean_pdf, instance)
    order = order_with_jobs({316: job_id}, status="processing")
    woo.add_order(order)
    woo.revoked.add(connected["keys"][0])  # the merchant deleted the key in WooCommerce
    assert post_order_webhook(client, store, order).status_code == 200
    instance.drain()

    current = client.get(f"/stores/{store['id']}", headers=auth).json()
    assert current["status"] == "disconnected"
    with Session(get_engine()) as session:
        row = session.get(StoreConnection, store["id"])
        assert row is not None and "Consumer key is invalid" in (row.settings or {})["disconnectedReason"]
    synced = _sync(client, auth, store, 727)
    assert synced["status"] == "delivered" and synced["lastError"] == "store is not connected"
    calls = len(woo_traffic.requests)
    # Reconciliation and retries leave a disconnected store alone.
    client.post(f"/stores/{store['id']}/reconcile", headers=auth)
    from printgate.connectors.base import pipeline

    with Session(get_engine(), expire_on_commit=False) as session:
        pipeline.retry_due(session)
    assert len(woo_traffic.requests) == calls

    # New keys: connected again, and the waiting order is written back.
    reconnected = connect_store(client, woo, auth)
    assert reconnected["store"]["status"] == "connected" and reconnected["store"]["disconnectedReason"] is None
    with Session(get_engine(), expire_on_commit=False) as session:
        sync = session.exec(select(OrderSync).where(OrderSync.connection_id == store["id"])).one()
        pipeline.advance(session, sync)
    assert _sync(client, auth, store, 727)["status"] == "written_back"
    assert len(woo_traffic.sent("POST", "/orders/727/notes")) == 1


def test_deleted_order_cancels_its_sync(client: Any, auth: dict[str, str], instance: Any, woo: FakeWooCommerce,
                                        woo_traffic: WooTraffic, clean_pdf: Path) -> None:
    store = connect_store(client, woo, auth)["store"]
    job_id = widget_job(client, "acme", clean_pdf, instance)
    order = order_with_jobs({316: job_id}, status="pending")
    post_order_webhook(client, store, order, topic="order.created")
    instance.drain()
    deleted = post_order_webhook(client, store, {"id": 727}, topic="order.deleted")
    assert deleted.status_code == 200
    instance.drain()
    assert _sync(client, auth, store, 727)["status"] == "cancelled"


def test_hidden_line_meta_missing_from_the_payload_is_read_back(client: Any, auth: dict[str, str], instance: Any,
                                                                woo: FakeWooCommerce, woo_traffic: WooTraffic,
                                                                clean_pdf: Path) -> None:
    """A payload without the ``_printgate_job_id`` line meta (view context): read in the edit context."""
    store = connect_store(client, woo, auth)["store"]
    job_id = widget_job(client, "acme", clean_pdf, instance)
    woo_traffic.placeholders["job"] = job_id
    full = order_with_jobs({316: job_id}, status="processing")
    woo.add_order(full)
    payload = order_with_jobs({}, status="processing")  # what the webhook carried
    assert post_order_webhook(client, store, payload).status_code == 200
    instance.drain()
    [read] = woo_traffic.sent("GET", "/wp-json/wc/v3/orders/727")
    assert read["query"]["context"] == "edit"
    synced = _sync(client, auth, store, 727)
    assert synced["status"] == "written_back", synced
    assert [line["jobId"] for line in synced["lines"]] == [None, job_id]


def test_reconciliation_stops_at_the_window_on_stores_that_ignore_modified_after(
        client: Any, auth: dict[str, str], woo: FakeWooCommerce, woo_traffic: WooTraffic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.woocommerce.config import reset_woocommerce_settings

    monkeypatch.setenv("PRINTGATE_WOOCOMMERCE_PAGE_SIZE", "2")
    reset_woocommerce_settings()
    store = connect_store(client, woo, auth)["store"]
    woo.supports_modified_after = False  # an old WooCommerce lists the whole shop
    for order_id in range(901, 908):
        order = order_with_jobs({}, order_id=order_id, status="completed")
        order["date_modified_gmt"] = _now_gmt() if order_id >= 906 else "2017-03-22T19:28:08"
        woo.add_order(order)
    result = client.post(f"/stores/{store['id']}/reconcile", headers=auth).json()
    assert result["ordersSeen"] == 2
    pages = [r["query"]["page"] for r in woo_traffic.sent("GET", "/wp-json/wc/v3/orders")[1:]]
    assert pages == ["1", "2"]  # page 2 reached past the window: no page 3 and 4
