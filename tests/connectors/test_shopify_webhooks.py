"""Webhook verification and what each topic does (orders, cancel, uninstall, compliance)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.conftest import (
    SHOP,
    Traffic,
    connect_shop,
    fixture_order,
    paid_order,
    post_webhook,
    webhook_headers,
    widget_job,
)
from tests.fakes.shopify_store import FakeShopify


def _deliveries() -> list[Any]:
    from sqlmodel import select

    from printgate.core.db import session_scope
    from printgate.webhooks.models import InboundDelivery

    with session_scope() as session:
        return list(session.exec(select(InboundDelivery)).all())


def _sync(client: Any, auth: dict[str, str], store: dict[str, Any], order_id: Any) -> dict[str, Any]:
    response = client.get(f"/stores/{store['id']}/orders/{order_id}", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _custom(order: dict[str, Any]) -> dict[str, Any]:
    """Custom line items (no product): no product-workflow lookup at Shopify."""
    for line in order["line_items"]:
        line["product_id"] = None
    return order


# --- verification ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["forged", "missing", "wrong_secret", "tampered_body"])
def test_unsigned_or_forged_deliveries_are_refused(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                                   traffic: Traffic, case: str) -> None:
    connect_shop(client, shopify_env, auth)
    body = json.dumps(fixture_order()).encode()
    headers = webhook_headers("orders/paid", body)
    if case == "forged":
        headers["X-Shopify-Hmac-Sha256"] = "AAAA" + headers["X-Shopify-Hmac-Sha256"][4:]
    elif case == "missing":
        del headers["X-Shopify-Hmac-Sha256"]
    elif case == "wrong_secret":
        headers = webhook_headers("orders/paid", body, secret="not-our-secret")
    else:
        body = body.replace(b"450789469", b"450789470")
    response = client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert _deliveries() == []


@pytest.mark.parametrize("variant", ["previous_secret", "unprefixed_headers"])
def test_rotated_secret_and_new_header_names_verify(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                                    traffic: Traffic, instance: Any, variant: str) -> None:
    store = connect_shop(client, shopify_env, auth)
    order = _custom(paid_order([None]))
    kwargs = {"secret": "pgtest-previous-secret"} if variant == "previous_secret" else {"prefixed": False}
    assert post_webhook(client, "orders/paid", order, **kwargs).status_code == 200
    instance.drain()
    assert _sync(client, auth, store, order["id"])["status"] == "no_jobs"
    [delivery] = _deliveries()
    assert delivery.status == "done" and delivery.topic == "orders/paid" and delivery.connection_id == store["id"]


def test_duplicate_and_stale_deliveries(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                        traffic: Traffic, instance: Any) -> None:
    connect_shop(client, shopify_env, auth)
    body = json.dumps(_custom(fixture_order())).encode()
    headers = webhook_headers("orders/paid", body, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    first = client.post("/webhooks/shopify", content=body, headers=headers)
    second = client.post("/webhooks/shopify", content=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json().get("duplicate") is True
    stale = webhook_headers("orders/paid", body, triggered_at=time.time() - 7 * 3600)
    assert client.post("/webhooks/shopify", content=body, headers=stale).status_code == 401
    instance.drain()
    assert len(_deliveries()) == 1


def test_unknown_shop_is_not_found(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                   traffic: Traffic) -> None:
    connect_shop(client, shopify_env, auth)
    response = post_webhook(client, "orders/paid", fixture_order(), shop="stranger.myshopify.com")
    assert response.status_code == 404
    assert _deliveries() == []


# --- orders ---------------------------------------------------------------------------------------------

def test_another_tenants_job_is_treated_as_not_found(client: Any, auth: dict[str, str], instance: Any,
                                                     shopify_env: FakeShopify, traffic: Traffic,
                                                     artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    foreign = widget_job(client, "globex", artwork, instance)
    order = _custom(paid_order([foreign]))
    assert post_webhook(client, "orders/paid", order).status_code == 200
    instance.drain()
    synced = _sync(client, auth, store, order["id"])
    assert synced["status"] == "failed"
    assert synced["lines"][0]["reason"] == "job not found for this account"
    assert synced["steps"]["attached"]["status"] == "pending"
    from printgate.core.db import session_scope
    from printgate.core.models import Job

    with session_scope() as session:
        job = session.get(Job, foreign)
        assert job.order_id is None and job.wf_phase == "intake_done"
    assert traffic.graphql("PrintgateMetafieldsSet") == []


def test_rejected_job_and_workflow_mismatch_are_not_attached(client: Any, auth: dict[str, str], instance: Any,
                                                             shopify_env: FakeShopify, traffic: Traffic,
                                                             artwork: Path, tmp_path: Path) -> None:
    from tests.conftest import make_pdf

    pdf_file = make_pdf(tmp_path / "fonts.pdf")  # Helvetica, not embedded
    store = connect_shop(client, shopify_env, auth)
    good = widget_job(client, "acme", artwork, instance)
    # A file with unembedded fonts: the default workflow rejects it.
    from tests.conftest import make_key

    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", json={"workflowId": "wf_default"}, headers=pk).json()
    bad = created["jobId"]
    upload = client.post("/uploads", json={"mimeType": "application/pdf"}, headers=pk).json()
    client.post(upload["upload"]["url"].replace("http://testserver", ""), data=upload["upload"]["fields"],
                files={"file": ("fonts.pdf", pdf_file.read_bytes(), "application/pdf")})
    added = client.post(f"/element/jobs/{bad}/files", json={"fileRef": upload["fileRef"]},
                        headers={**pk, "Printgate-Job-Token": created["clientToken"]})
    assert added.status_code == 201, added.text
    instance.drain()
    shopify_env.shop(SHOP).products["632910392"] = {"printgate.workflow_id": "wf_business_cards"}
    order = paid_order([good, bad])
    assert post_webhook(client, "orders/paid", order).status_code == 200
    instance.drain()
    synced = _sync(client, auth, store, order["id"])
    assert synced["status"] == "failed"
    reasons = {line["jobId"]: line["reason"] for line in synced["lines"] if line["jobId"]}
    assert reasons[good] == "job was made with workflow wf_default, the product needs wf_business_cards"
    assert reasons[bad].startswith("job cannot proceed (status rejected")
    assert traffic.graphql("PrintgateProductWorkflows") == [{"ids": ["gid://shopify/Product/632910392"]}]


def test_unpaid_order_waits_for_payment_then_proceeds(client: Any, auth: dict[str, str], instance: Any,
                                                      shopify_env: FakeShopify, traffic: Traffic,
                                                      artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    order = _custom(paid_order([job_id]))
    order["financial_status"] = "pending"
    shopify_env.add_order(SHOP, order)
    post_webhook(client, "orders/create", order)
    instance.drain()
    synced = _sync(client, auth, store, order["id"])
    assert synced["status"] == "received" and synced["lines"][0]["jobId"] == job_id
    order["financial_status"] = "paid"
    post_webhook(client, "orders/paid", order)
    instance.drain()
    assert _sync(client, auth, store, order["id"])["status"] == "written_back"


def test_cancelled_order_stops_queued_processing(client: Any, auth: dict[str, str], instance: Any,
                                                 shopify_env: FakeShopify, traffic: Traffic, artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    order = _custom(paid_order([job_id]))
    post_webhook(client, "orders/paid", order)
    instance.drain(queues=("webhooks",))  # attached; its processing is queued, not run yet
    assert _sync(client, auth, store, order["id"])["status"] == "processing"
    cancelled = {**order, "cancelled_at": "2026-11-25T12:00:00-05:00", "cancel_reason": "customer"}
    post_webhook(client, "orders/cancelled", cancelled)
    instance.drain(queues=("webhooks",))  # the cancellation is handled before a worker got to it
    instance.drain()
    synced = _sync(client, auth, store, order["id"])
    assert synced["status"] == "cancelled" and synced["steps"]["cancelled"]["stoppedTasks"]
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["orderStatus"] == "cancelled"
    assert all(t["status"] == "skipped" and t["reason"] == "order cancelled" for t in job["tasks"])
    assert job["deliverables"] == []
    assert traffic.graphql("PrintgateMetafieldsSet") == []


# --- uninstall and compliance --------------------------------------------------------------------------

def _attached(client: Any, fake: FakeShopify, auth: dict[str, str], instance: Any, store: dict[str, Any],
              artwork: Path, order_id: int, customer_id: int, email: str) -> str:
    job_id = widget_job(client, "acme", artwork, instance)
    order = _custom(paid_order([job_id], order_id=order_id, customer_id=customer_id, email=email))
    fake.add_order(SHOP, order)
    post_webhook(client, "orders/paid", order)
    instance.drain()
    assert _sync(client, auth, store, order_id)["status"] == "written_back"
    return job_id


def _job_files(job_id: str) -> list[Path]:
    from sqlmodel import select

    from printgate.core.db import session_scope
    from printgate.core.models import Artifact
    from printgate.core.storage import get_storage

    with session_scope() as session:
        return [get_storage().local_path(a.key) for a in session.exec(select(Artifact).where(
            Artifact.job_id == job_id)).all()]


def test_uninstall_wipes_tokens_and_erases_48_hours_later(client: Any, auth: dict[str, str], instance: Any,
                                                          shopify_env: FakeShopify, traffic: Traffic,
                                                          artwork: Path) -> None:
    from printgate.connectors.base import erasure
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    job_id = _attached(client, shopify_env, auth, instance, store, artwork, 1001, 7, "ann@mail.example.com")
    files = _job_files(job_id)
    assert files and all(f.exists() for f in files)
    post_webhook(client, "app/uninstalled", {"id": 548380009, "myshopify_domain": SHOP})
    instance.drain()
    after = client.get(f"/stores/{store['id']}", headers=auth).json()
    assert after["status"] == "uninstalled" and after["uninstalledAt"]
    from printgate.connectors.base.models import StoreConnection

    with session_scope() as session:
        row = session.get(StoreConnection, store["id"])
        assert row.credentials is None
        grace = (row.erase_after.replace(tzinfo=None) - row.uninstalled_at.replace(tzinfo=None))
        assert grace == timedelta(hours=48)
        assert erasure.erase_due(session, now=utcnow() + timedelta(hours=47)) == 0
        assert erasure.erase_due(session, now=utcnow() + timedelta(hours=49)) == 1
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 404
    assert not any(f.exists() for f in files)
    assert client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"] == []
    erased = client.get(f"/stores/{store['id']}", headers=auth).json()
    assert erased["erasedAt"] and erased["eraseAfter"] is None
    # Late order webhooks of an uninstalled shop do nothing.
    post_webhook(client, "orders/paid", _custom(paid_order([None], order_id=1002)))
    instance.drain()
    assert client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"] == []


def test_customer_data_request_exports_their_jobs(client: Any, auth: dict[str, str], instance: Any,
                                                  shopify_env: FakeShopify, traffic: Traffic,
                                                  artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    mine = _attached(client, shopify_env, auth, instance, store, artwork, 2001, 11, "ann@mail.example.com")
    _attached(client, shopify_env, auth, instance, store, artwork, 2002, 12, "bo@mail.example.com")
    request = {"shop_id": 954889, "shop_domain": SHOP, "orders_requested": [2001],
               "customer": {"id": 11, "email": "ann@mail.example.com", "phone": "555-625-1199"},
               "data_request": {"id": 9999}}
    assert post_webhook(client, "customers/data_request", request).status_code == 200
    instance.drain()
    records = client.get(f"/stores/{store['id']}/compliance", headers=auth).json()["data"]
    assert [r["kind"] for r in records] == ["data_request"]
    exported = records[0]["result"]
    assert [j["id"] for j in exported["jobs"]] == [mine]
    assert exported["orders"][0]["orderId"] == "2001"
    url = exported["jobs"][0]["runs"][0]["downloadUrl"]
    assert client.get(url.replace("http://testserver", "")).content.startswith(b"%PDF")


def test_customer_redact_deletes_only_that_customers_jobs(client: Any, auth: dict[str, str], instance: Any,
                                                          shopify_env: FakeShopify, traffic: Traffic,
                                                          artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    gone = _attached(client, shopify_env, auth, instance, store, artwork, 3001, 21, "cy@mail.example.com")
    kept = _attached(client, shopify_env, auth, instance, store, artwork, 3002, 22, "di@mail.example.com")
    gone_files = _job_files(gone)
    request = {"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": 21, "email": "cy@mail.example.com",
                                                                    "phone": "555-625-1199"},
               "orders_to_redact": [3001]}
    assert post_webhook(client, "customers/redact", request).status_code == 200
    instance.drain()
    assert client.get(f"/jobs/{gone}", headers=auth).status_code == 404
    assert gone_files and not any(f.exists() for f in gone_files)
    assert client.get(f"/jobs/{kept}", headers=auth).status_code == 200
    kept_files = _job_files(kept)
    assert kept_files and all(f.exists() for f in kept_files)
    orders = [o["orderId"] for o in client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"]]
    assert orders == ["3002"]
    record = client.get(f"/stores/{store['id']}/compliance", headers=auth).json()["data"][0]
    assert record["kind"] == "customer_redact" and record["result"]["jobIds"] == [gone]
    assert "cy@mail.example.com" not in json.dumps(record)  # the record keeps no PII


def test_shop_redact_erases_the_shop(client: Any, auth: dict[str, str], instance: Any,
                                     shopify_env: FakeShopify, traffic: Traffic, artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    jobs = [_attached(client, shopify_env, auth, instance, store, artwork, 4000 + i, 30 + i, f"c{i}@mail.example.com")
            for i in range(2)]
    files = [f for j in jobs for f in _job_files(j)]
    post_webhook(client, "app/uninstalled", {"id": 548380009})
    post_webhook(client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    instance.drain()
    assert all(client.get(f"/jobs/{j}", headers=auth).status_code == 404 for j in jobs)
    assert files and not any(f.exists() for f in files)
    assert client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"] == []
    record = client.get(f"/stores/{store['id']}/compliance", headers=auth).json()["data"][0]
    assert record["kind"] == "shop_redact" and record["result"]["jobsDeleted"] == 2
    from sqlmodel import select

    from printgate.core.db import session_scope
    from printgate.core.models import Order

    with session_scope() as session:
        assert session.exec(select(Order).where(Order.store_id == store["id"])).all() == []


def _paid_before_its_verdict(client: Any, auth: dict[str, str], instance: Any, shopify_env: FakeShopify,
                             artwork: Path, order_id: int) -> tuple[dict[str, Any], str]:
    """A widget job with a file whose intake check has not run yet, and an order paid for it: the order
    waits in verification. Returns the store and the job id."""
    from tests.conftest import make_key

    store = connect_shop(client, shopify_env, auth)
    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", json={"workflowId": "wf_default"}, headers=pk).json()
    job_id = created["jobId"]
    upload = client.post("/uploads", json={"mimeType": "application/pdf"}, headers=pk).json()
    client.post(upload["upload"]["url"].replace("http://testserver", ""), data=upload["upload"]["fields"],
                files={"file": ("artwork.pdf", artwork.read_bytes(), "application/pdf")})
    added = client.post(f"/element/jobs/{job_id}/files", json={"fileRef": upload["fileRef"]},
                        headers={**pk, "Printgate-Job-Token": created["clientToken"]})
    assert added.status_code == 201, added.text
    order = _custom(paid_order([job_id], order_id=order_id))
    shopify_env.add_order(SHOP, order)
    post_webhook(client, "orders/paid", order)
    instance.drain(queues=("webhooks",))  # the file's intake check has not run yet
    synced = _sync(client, auth, store, order_id)
    assert synced["status"] == "received" and synced["steps"]["verified"]["status"] == "waiting"
    assert synced["nextAttemptAt"] is not None
    return store, job_id


def test_an_order_paid_while_its_job_is_still_checked_waits_for_the_verdict(
        client: Any, auth: dict[str, str], instance: Any, shopify_env: FakeShopify, traffic: Traffic,
        artwork: Path) -> None:
    from printgate.connectors.base import pipeline
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    store, _job_id = _paid_before_its_verdict(client, auth, instance, shopify_env, artwork, 8101)
    instance.drain()  # the intake check runs: the job is ready
    with session_scope() as session:
        pipeline.retry_due(session, now=utcnow() + timedelta(minutes=2))
    instance.drain()
    synced = _sync(client, auth, store, 8101)
    assert synced["status"] == "written_back", synced
    assert synced["lines"][0]["attached"] is True


def test_an_order_waiting_for_its_jobs_verdict_moves_when_the_verdict_comes(
        client: Any, auth: dict[str, str], instance: Any, shopify_env: FakeShopify, traffic: Traffic,
        artwork: Path) -> None:
    """Found by bench/fault_injection.py: without a wake-up on the verdict, the order waited for the
    connectors' next tick (5 minutes) although its job was ready seconds after it came in."""
    store, job_id = _paid_before_its_verdict(client, auth, instance, shopify_env, artwork, 8102)
    instance.drain()  # the intake check runs: the verdict moves the order, no tick in between
    synced = _sync(client, auth, store, 8102)
    assert synced["status"] == "written_back", synced
    assert synced["lines"][0]["attached"] is True and synced["lines"][0]["jobId"] == job_id


def test_an_order_whose_verdict_wake_up_was_lost_moves_at_the_next_tick(
        client: Any, auth: dict[str, str], instance: Any, shopify_env: FakeShopify, traffic: Traffic,
        artwork: Path) -> None:
    """Found by bench/fault_injection.py: the verdict's wake-up message was lost with a killed Redis, and
    the order waited out its verification backoff (up to ~25 minutes) instead of the connectors' next tick."""
    from printgate.connectors.base import pipeline
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope
    from printgate.core.queue import WEBHOOKS, get_queue

    store, job_id = _paid_before_its_verdict(client, auth, instance, shopify_env, artwork, 8103)
    instance.drain(queues=("intake",))  # the verdict comes; its wake-up is queued on webhooks ...
    assert get_queue(WEBHOOKS).count >= 1
    get_queue(WEBHOOKS).empty()  # ... and lost with Redis
    assert _sync(client, auth, store, 8103)["status"] == "received"
    with session_scope() as session:  # the next tick, with no time passed for the order's backoff
        assert pipeline.retry_due(session, now=utcnow()) >= 1
    instance.drain()
    synced = _sync(client, auth, store, 8103)
    assert synced["status"] == "written_back", synced
    assert synced["lines"][0]["attached"] is True and synced["lines"][0]["jobId"] == job_id
