"""printgate's write-back to PrestaShop and reconciliation through the Webservice (cassettes against
the fake shop): the module's callback first; the Webservice (key as Basic user, empty password)
writes a private order message when the callback cannot be delivered; ``GET /api/orders`` with
``order_states`` moves orders whose status-change call was lost."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.connectors.conftest import widget_job
from tests.connectors.test_opencart_writeback import advance, delivered_sync
from tests.connectors.test_prestashop_e2e import CALLBACK, open_shop, ps_fields
from tests.fakes.opencart_store import (
    FakeServer,
    php_signed_order,
    php_verify_callback,
    post_order,
    register_store,
    store_cassette,
)

# Every test here replays a store cassette, on the cassettes' fixed clock (tests/clock.py).
pytestmark = pytest.mark.cassette

WS_KEY = "PGWS8Q2M4K7X9Z1V5N3B6C8D0F2H4J6L"


def test_prestashop_unknown_order_falls_back_to_a_private_order_message(client: Any, auth: dict[str, str],
                                                                        ps_server: FakeServer) -> None:
    shop = open_shop(ps_server)
    shop.webservice_key = WS_KEY
    shop.add_order("88", {})  # the module holds no printgate line for it: its callback answers 404
    created = register_store(client, auth, "prestashop", shop.base, apiCredentials={"webserviceKey": WS_KEY})
    shop.webhook_secret = created["webhookSecret"]
    sync_id = delivered_sync(created["store"]["id"], "88", email="jean@example.fr")
    with store_cassette("test_prestashop_unknown_order_falls_back_to_a_private_order_message") as traffic:
        synced = advance(sync_id)
    assert synced["status"] == "written_back", synced
    result = synced["steps"]["written_back"]["result"]
    assert "404" in result["callback"]["error"]
    assert result["api"]["via"] == "prestashop-webservice" and result["api"]["customerMessageId"]

    [callback] = traffic.to(**CALLBACK)
    assert php_verify_callback(created["webhookSecret"], callback.headers, callback.body.decode())["status"] == 200
    ws = [r for r in traffic.requests if r.path.startswith("/api/")]
    assert [(r.method, r.path) for r in ws] == [
        ("GET", "/api/customer_threads"), ("GET", "/api/orders/88"),
        ("POST", "/api/customer_threads"), ("POST", "/api/customer_messages")]
    for request in ws:  # the key is the Basic user, the password is empty
        assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{WS_KEY}:".encode()).decode()
        assert request.query["output_format"] == "JSON"
    assert ws[0].query["filter[id_order]"] == "[88]"
    thread = ElementTree.fromstring(ws[2].body).find("customer_thread")
    assert thread is not None
    assert {c.tag: c.text for c in thread} | {"token": "t"} == {
        "id_lang": "1", "id_shop": "1", "id_customer": "5", "id_order": "88", "id_contact": "0",
        "email": "jean@example.fr", "token": "t", "status": "open"}
    message = ElementTree.fromstring(ws[3].body).find("customer_message")
    assert message is not None
    fields = {c.tag: c.text or "" for c in message}
    assert fields["private"] == "1" and fields["id_customer_thread"] == str(result["api"]["customerThreadId"])
    link = f"http://testserver/stores/{created['store']['id']}/files/job_01writebackjob00000000000/"
    assert link in fields["message"] and "flyer.pdf" in fields["message"]
    if not traffic.replaying:
        [stored] = shop.order_messages("88")
        assert stored["via"] == "webservice" and link in stored["message"]


def test_prestashop_existing_thread_is_reused_and_a_refused_key_is_final(client: Any, auth: dict[str, str],
                                                                         ps_server: FakeServer) -> None:
    shop = open_shop(ps_server)
    shop.webservice_key = WS_KEY
    shop.add_order("90", {})
    shop.threads["77"] = {"id": "77", "id_order": "90", "id_customer": "5", "id_contact": "0", "id_lang": "1",
                          "token": "abc", "status": "open", "email": "jean@example.fr"}
    good = register_store(client, auth, "prestashop", shop.base, apiCredentials={"webserviceKey": WS_KEY})
    shop.webhook_secret = None  # module not configured: 503 (retryable), the Webservice note stands in
    with store_cassette("test_prestashop_existing_thread_is_reused_and_a_refused_key_is_final") as traffic:
        synced = advance(delivered_sync(good["store"]["id"], "90"))
        assert synced["status"] == "written_back", synced
        assert synced["steps"]["written_back"]["result"]["api"]["customerThreadId"] == "77"
        assert not traffic.paths("/api/customer_threads", "POST")
        assert len(traffic.paths("/api/customer_messages", "POST")) == 1

        client.patch(f"/store-modules/stores/{good['store']['id']}",
                     json={"apiCredentials": {"webserviceKey": "WRONGKEY" * 4}}, headers=auth)
        refused = advance(delivered_sync(good["store"]["id"], "91"))
    # The callback may still get through later (503 is retryable); the refused key is reported.
    assert refused["status"] == "delivered" and refused["nextAttemptAt"] is not None
    assert "refused the key" in refused["lastError"] and "503" in refused["lastError"]


def test_prestashop_reconcile_moves_orders_whose_status_call_was_lost(client: Any, auth: dict[str, str],
                                                                     instance: Any, ps_server: FakeServer,
                                                                     artwork: Path) -> None:
    shop = open_shop(ps_server)
    shop.webservice_key = WS_KEY
    created = register_store(client, auth, "prestashop", shop.base, apiCredentials={"webserviceKey": WS_KEY})
    store_id, secret = created["store"]["id"], created["webhookSecret"]
    shop.webhook_secret = secret
    paid_job = widget_job(client, "acme", artwork, instance)
    shop.add_order("88", {"401": paid_job}, state="10")
    shop.add_order("89", {"401": "job_01cancelledorderjob0000000"}, state="10")
    shop.add_order("95", {"401": "job_01neverreceived00000000000"}, state="2")  # never posted to printgate

    with store_cassette("test_prestashop_reconcile_moves_orders_whose_status_call_was_lost") as traffic:
        # Both orders arrive awaiting bank wire payment.
        for order_id, job in (("88", paid_job), ("89", "job_01cancelledorderjob0000000")):
            fields = ps_fields(shop, job) | {"order": {**ps_fields(shop, job)["order"], "id": int(order_id),
                                                        "id_order": int(order_id)}}
            body, headers = php_signed_order("prestashop", secret, status="Awaiting bank wire payment", **fields)
            assert post_order(client, auth, order_id, body, headers).status_code == 200
        instance.drain()
        # The shop's later calls are lost: 88 got paid, 89 was cancelled.
        shop.orders["88"]["current_state"] = "2"
        shop.orders["89"]["current_state"] = "6"

        reconciled = client.post(f"/stores/{store_id}/reconcile", headers=auth)
        assert reconciled.status_code == 200, reconciled.text
        assert reconciled.json()["ordersSeen"] == 2  # 95 was never received: not invented
        instance.drain()
        paid = client.get(f"/stores/{store_id}/orders/88", headers=auth).json()
        assert paid["status"] == "written_back" and paid["financialStatus"] == "paid", paid
        cancelled = client.get(f"/stores/{store_id}/orders/89", headers=auth).json()
        assert cancelled["status"] == "cancelled" and cancelled["steps"]["cancelled"]["status"] == "done"

        [orders_call] = traffic.paths("/api/orders", "GET")
        assert orders_call.query["date"] == "1" and orders_call.query["display"] == "full"
        assert orders_call.query["filter[date_upd]"].startswith("[") and "," in orders_call.query["filter[date_upd]"]
        assert traffic.paths("/api/order_states", "GET")
        [callback] = traffic.to(**CALLBACK)
        verdict = php_verify_callback(secret, callback.headers, callback.body.decode())
        assert verdict["status"] == 200 and verdict["event"]["orderId"] == "88"
