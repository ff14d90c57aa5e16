"""printgate's write-back to OpenCart (cassettes against the fake shop): the signed callback, its
retries, and OpenCart's API (3: ``api/login`` + ``api/order/info`` + ``api/order/history``; 4:
``api/account/login`` + ``api/order&call=history_add``) as the second path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.conftest import widget_job
from tests.connectors.test_opencart_e2e import API_KEY, open_shop
from tests.fakes.opencart_store import (
    FakeServer,
    php_signed_order,
    php_verify_callback,
    post_order,
    register_store,
    store_cassette,
)
from tests.store_modules.test_orders import OC_ORDER, OC_PRODUCTS

# Every test here replays a store cassette, on the cassettes' fixed clock (tests/clock.py).
pytestmark = pytest.mark.cassette

OC3_CALLBACK = {"route": "extension/module/printgate/callback"}
OC4_CALLBACK = {"route": "extension/printgate/module/printgate.callback"}


def delivered_sync(store_id: str, order_id: str = "1042", *, email: str = "zoe@example.com") -> str:
    """An order whose files are delivered and wait for the write-back (as the pipeline leaves it)."""
    from printgate.connectors.base.adapter import DeliveredFile
    from printgate.connectors.base.models import OrderSync, StoreConnection
    from printgate.connectors.base.pipeline import file_link
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope
    from printgate.core.ids import new_id

    with session_scope() as session:
        connection = session.get(StoreConnection, store_id)
        assert connection is not None
        job_id, run_id = "job_01writebackjob00000000000", "task_01writebackrun00000000000"
        files = [DeliveredFile(line_id="301", job_id=job_id, run_id=run_id, name="flyer.pdf", status="done",
                               outcome="pass", download_url="http://testserver/files/x.pdf?exp=1&sig=2",
                               link=file_link(store_id, job_id, run_id), expires_in=3600).wire()]
        done = {"status": "done", "at": utcnow().isoformat(), "error": None}
        sync = OrderSync(id=new_id("osync"), connection_id=store_id, account_id=connection.account_id,
                         platform=connection.platform, external_id=order_id, name=f"#{order_id}", status="delivered",
                         financial_status="paid", customer_email=email, files=files,
                         lines=[{"lineId": "301", "jobId": job_id, "verified": True, "attached": True}],
                         steps={s: done for s in ("received", "verified", "attached", "processing", "delivered")})
        session.add(sync)
        session.commit()
        return sync.id


def advance(sync_id: str, minutes_later: float = 0) -> dict[str, Any]:
    from printgate.connectors.base import pipeline
    from printgate.connectors.base.models import OrderSync
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    with session_scope() as session:
        sync = session.get(OrderSync, sync_id)
        assert sync is not None
        pipeline.advance(session, sync, now=utcnow() + timedelta(minutes=minutes_later))
        return pipeline.sync_wire(sync)


def test_opencart3_refused_callback_falls_back_to_the_order_history(client: Any, auth: dict[str, str],
                                                                    oc_server: FakeServer) -> None:
    shop = open_shop(oc_server, 3)
    shop.add_order("1042", {"301": "job_01writebackjob00000000000"}, status_id=2)
    created = register_store(client, auth, "opencart", shop.base, ocVersion=3,
                             apiCredentials={"username": "printgate", "key": API_KEY})
    # The merchant has not pasted the secret yet: the extension answers 503 "not configured".
    sync_id = delivered_sync(created["store"]["id"])
    with store_cassette("test_opencart3_refused_callback_falls_back_to_the_order_history") as traffic:
        synced = advance(sync_id)
    assert synced["status"] == "written_back", synced
    result = synced["steps"]["written_back"]["result"]
    assert "503" in result["callback"]["error"] and "not configured" in result["callback"]["error"]
    assert result["api"] == {"via": "opencart3-api", "orderStatusId": 2, "success": "Success: You have modified orders!"}

    [callback] = traffic.to(**OC3_CALLBACK)
    assert callback.method == "POST" and callback.json()["type"] == "order.files_ready"
    [login] = traffic.to(route="api/login")
    assert login.method == "POST" and login.form() == {"username": "printgate", "key": API_KEY}
    [info] = traffic.to(route="api/order/info")
    [history] = traffic.to(route="api/order/history")
    token = history.query["api_token"]
    assert token and info.query == {"route": "api/order/info", "api_token": token, "order_id": "1042"}
    assert history.query == {"route": "api/order/history", "api_token": token, "order_id": "1042"}
    form = history.form()
    assert form["order_status_id"] == "2" and form["notify"] == "0" and form["override"] == "0"
    link = f"http://testserver/stores/{created['store']['id']}/files/job_01writebackjob00000000000/"
    assert "flyer.pdf: " + link in form["comment"]
    if not traffic.replaying:
        assert [a["status"] for a in shop.attempts] == [503]
        entry = shop.orders["1042"]["history"][-1]
        assert entry["via"] == "api" and link in entry["comment"] and shop.orders["1042"]["order_status_id"] == 2


@pytest.mark.parametrize("release", ["4.1", "4.0.2"])
def test_opencart4_api_adds_history_through_call_history_add(release: str, client: Any, auth: dict[str, str],
                                                             oc_server: FakeServer) -> None:
    shop = open_shop(oc_server, 4)
    shop.release = tuple(int(p) for p in release.split("."))
    shop.orders["1042"] = {"order_status_id": 5, "history": []}  # no printgate line known to the extension
    created = register_store(client, auth, "opencart", shop.base, ocVersion=4,
                             apiCredentials={"username": "printgate", "key": API_KEY, "orderStatusId": 5})
    shop.webhook_secret = created["webhookSecret"]
    sync_id = delivered_sync(created["store"]["id"])
    with store_cassette(f"test_opencart4_api_adds_history_through_call_history_add-{release}") as traffic:
        synced = advance(sync_id)
    assert synced["status"] == "written_back", synced
    result = synced["steps"]["written_back"]["result"]
    assert "404" in result["callback"]["error"] and result["api"]["via"] == "opencart4-api"
    [callback] = traffic.to(**OC4_CALLBACK)
    assert php_verify_callback(created["webhookSecret"], callback.headers, callback.body.decode())["status"] == 200
    [login] = traffic.to(route="api/account/login")
    assert login.form() == {"username": "printgate", "key": API_KEY}
    [call] = traffic.to(route="api/order", call="history_add")
    if release == "4.1":
        history = call
    else:  # 4.0.2 has no api/order controller: the same form goes to api/sale/order.addHistory
        [history] = traffic.to(route="api/sale/order.addHistory")
        assert history.form() == call.form()
    assert history.query["api_token"] == login_token(traffic) and history.method == "POST"
    form = history.form()
    assert form["order_id"] == "1042" and form["order_status_id"] == "5" and form["notify"] == "0"
    assert "flyer.pdf" in form["comment"]
    assert not traffic.to(route="api/order/info"), "OpenCart 4 has no order info call"
    if not traffic.replaying:
        assert shop.orders["1042"]["history"][-1]["via"] == "api"


def login_token(traffic: Any) -> str:
    """The api_token the shop handed out, as printgate used it afterwards (same in every call)."""
    tokens = {r.query["api_token"] for r in traffic.requests if "api_token" in r.query}
    assert len(tokens) == 1, tokens
    return str(tokens.pop())


def test_opencart_callback_failure_backs_off_and_retries_with_the_same_webhook_id(client: Any, auth: dict[str, str],
                                                                         oc_server: FakeServer) -> None:
    shop = open_shop(oc_server, 3)
    shop.add_order("1042", {"301": "job_01writebackjob00000000000"})
    created = register_store(client, auth, "opencart", shop.base)  # no API credentials: callback only
    shop.webhook_secret = created["webhookSecret"]
    shop.fail_next = [500]
    sync_id = delivered_sync(created["store"]["id"])
    with store_cassette("test_opencart_callback_failure_backs_off_and_retries_with_the_same_webhook_id") as traffic:
        failed = advance(sync_id)
        assert failed["status"] == "delivered" and failed["attempts"] == 1
        assert "HTTP 500" in failed["lastError"] and failed["nextAttemptAt"] is not None
        assert failed["steps"]["written_back"]["status"] == "error"
        not_due = advance(sync_id)  # the 30 s backoff has not passed
        assert not_due["attempts"] == 1
        done = advance(sync_id, minutes_later=1)
    assert done["status"] == "written_back" and done["attempts"] == 2 and done["lastError"] is None
    first, second = traffic.to(**OC3_CALLBACK)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    verdict = php_verify_callback(created["webhookSecret"], second.headers, second.body.decode())
    assert verdict["status"] == 200 and verdict["event"]["orderId"] == "1042"


def test_opencart_a_409_means_the_extension_already_has_the_event(client: Any, auth: dict[str, str],
                                                        oc_server: FakeServer) -> None:
    from printgate.connectors.store_modules import callback_message_id
    from printgate.core.db import session_scope

    shop = open_shop(oc_server, 3)
    shop.add_order("1042", {"301": "job_01writebackjob00000000000"})
    created = register_store(client, auth, "opencart", shop.base)
    shop.webhook_secret = created["webhookSecret"]
    sync_id = delivered_sync(created["store"]["id"])
    from printgate.connectors.base.models import OrderSync

    with session_scope() as session:
        sync = session.get(OrderSync, sync_id)
        shop.seen.append(callback_message_id(sync))  # stored by an attempt whose answer was lost
    with store_cassette("test_opencart_a_409_means_the_extension_already_has_the_event") as traffic:
        synced = advance(sync_id)
    assert synced["status"] == "written_back"
    assert synced["steps"]["written_back"]["result"]["callback"]["status"] == 409
    assert synced["steps"]["written_back"]["result"]["callback"]["replayed"] is True
    assert len(traffic.to(**OC3_CALLBACK)) == 1


def test_opencart_refused_api_and_unknown_order_fail_without_retrying(client: Any, auth: dict[str, str],
                                                             oc_server: FakeServer) -> None:
    shop = open_shop(oc_server, 3)
    shop.allowed_ips = {"203.0.113.50"}  # printgate's address is not on the API user's allowlist
    shop.orders["1042"] = {"order_status_id": 2, "history": []}
    created = register_store(client, auth, "opencart", shop.base, ocVersion=3,
                             apiCredentials={"username": "printgate", "key": API_KEY})
    shop.webhook_secret = created["webhookSecret"]
    sync_id = delivered_sync(created["store"]["id"])
    with store_cassette("test_opencart_refused_api_and_unknown_order_fail_without_retrying") as traffic:
        synced = advance(sync_id)
    assert synced["status"] == "failed" and synced["nextAttemptAt"] is None
    assert "404" in synced["lastError"] and "does not know this order" in synced["lastError"]
    assert "is not allowed to access this API" in synced["lastError"]
    assert len(traffic.to(route="api/login")) == 1 and not traffic.to(route="api/order/history")


def test_opencart_always_mode_writes_the_note_once_and_retries_the_callback(client: Any, auth: dict[str, str],
                                                                   oc_server: FakeServer) -> None:
    shop = open_shop(oc_server, 3)
    shop.add_order("1042", {"301": "job_01writebackjob00000000000"}, status_id=3)
    created = register_store(client, auth, "opencart", shop.base, ocVersion=3,
                             apiCredentials={"username": "printgate", "key": API_KEY},
                             settings={"apiWriteBack": "always"})
    shop.webhook_secret = created["webhookSecret"]
    shop.fail_next = [502]
    sync_id = delivered_sync(created["store"]["id"])
    with store_cassette("test_opencart_always_mode_writes_the_note_once_and_retries_the_callback") as traffic:
        first = advance(sync_id)
        assert first["status"] == "delivered" and "502" in first["lastError"]
        done = advance(sync_id, minutes_later=1)
    assert done["status"] == "written_back", done
    assert done["steps"]["written_back"]["result"]["api"]["alreadyWritten"] is True
    assert len(traffic.to(**OC3_CALLBACK)) == 2
    assert len(traffic.to(route="api/order/history")) == 1
    if not traffic.replaying:
        assert [h["via"] for h in shop.orders["1042"]["history"]] == ["api", "module"]


def test_opencart_reconcile_recovers_an_order_whose_intake_was_lost(client: Any, auth: dict[str, str], instance: Any,
                                                           oc_server: FakeServer, artwork: Path) -> None:
    """OpenCart has no order-list API: printgate reconciles from the orders the extension sent."""
    from printgate.core.queue import get_queue

    shop = open_shop(oc_server, 3)
    created = register_store(client, auth, "opencart", shop.base)
    store_id, secret = created["store"]["id"], created["webhookSecret"]
    shop.webhook_secret = secret
    job_id = widget_job(client, "acme", artwork, instance)
    shop.add_order("1042", {"301": job_id})
    body, headers = php_signed_order("opencart", secret, order=OC_ORDER, products=OC_PRODUCTS, status="Processing",
                                     jobs={"301": job_id}, storeUrl=shop.base)
    with store_cassette("test_opencart_reconcile_recovers_an_order_whose_intake_was_lost") as traffic:
        assert post_order(client, auth, "1042", body, headers).status_code == 200
        get_queue("webhooks").empty()  # the worker died with the intake message
        instance.drain()
        assert client.get(f"/stores/{store_id}/orders", headers=auth).json()["data"] == []

        reconciled = client.post(f"/stores/{store_id}/reconcile", headers=auth)
        assert reconciled.status_code == 200, reconciled.text
        assert reconciled.json()["ordersSeen"] == 1
        instance.drain()
        synced = client.get(f"/stores/{store_id}/orders/1042", headers=auth).json()
        assert synced["status"] == "written_back", synced
        assert synced["steps"]["received"]["event"] == "reconcile"
        [callback] = traffic.to(**OC3_CALLBACK)
        assert php_verify_callback(secret, callback.headers, callback.body.decode())["status"] == 200


def test_opencart_callbacks_are_co_signed_while_a_rotated_secret_overlaps(client: Any, auth: dict[str, str],
                                                                         oc_server: FakeServer) -> None:
    shop = open_shop(oc_server, 3)
    shop.add_order("1042", {"301": "job_01writebackjob00000000000"})
    shop.add_order("1043", {"301": "job_01writebackjob00000000000"})
    created = register_store(client, auth, "opencart", shop.base)
    store_id, old = created["store"]["id"], created["webhookSecret"]
    shop.webhook_secret = old
    new = client.post(f"/store-modules/stores/{store_id}/rotate-secret", json={}, headers=auth).json()["webhookSecret"]
    with store_cassette("test_opencart_callbacks_are_co_signed_while_a_rotated_secret_overlaps") as traffic:
        before_paste = advance(delivered_sync(store_id, "1042"))  # the extension still has the old secret
        shop.webhook_secret = new
        after_paste = advance(delivered_sync(store_id, "1043"))
    assert before_paste["status"] == after_paste["status"] == "written_back"
    first, second = traffic.to(**OC3_CALLBACK)
    assert len(first.headers["webhook-signature"].split()) == 2  # v1,<new> v1,<old>
    for secret in (old, new):  # either secret verifies, exactly as the extension checks
        assert php_verify_callback(secret, first.headers, first.body.decode())["status"] == 200
        assert php_verify_callback(secret, second.headers, second.body.decode())["status"] == 200
    assert php_verify_callback("whsec_" + "QUJD" * 8, first.headers, first.body.decode())["status"] == 401


def test_opencart_private_shop_addresses_are_refused_unless_allowed(client: Any, auth: dict[str, str],
                                                                   oc_server: FakeServer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shop = open_shop(oc_server, 3)
    shop.add_order("1042", {"301": "job_01writebackjob00000000000"})
    created = register_store(client, auth, "opencart", shop.base, ocVersion=3,
                             apiCredentials={"username": "printgate", "key": API_KEY})
    shop.webhook_secret = created["webhookSecret"]
    monkeypatch.setenv("PRINTGATE_ALLOW_PRIVATE_URLS", "0")  # a public instance: no calls into its own network
    with store_cassette("test_opencart_private_shop_addresses_are_refused_unless_allowed") as traffic:
        synced = advance(delivered_sync(created["store"]["id"]))
    assert synced["status"] == "failed" and synced["nextAttemptAt"] is None
    assert synced["lastError"].count("private address") == 2  # the callback and the API path
    assert traffic.requests == [] and shop.attempts == []
