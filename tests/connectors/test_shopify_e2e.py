"""Install -> widget job -> signed orders/paid -> processing -> files on the Shopify order -> download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.connectors.conftest import (
    SHOP,
    Traffic,
    connect_shop,
    paid_order,
    post_webhook,
    widget_job,
)
from tests.fakes.shopify_store import FakeShopify


def _metafields(traffic: Traffic) -> dict[str, dict[str, Any]]:
    sent = traffic.graphql("PrintgateMetafieldsSet")
    assert len(sent) == 1, "\n".join(r["operation"] for r in traffic.requests)
    return {mf["key"]: mf for mf in sent[0]["metafields"]}


def test_paid_order_gets_print_files_written_back(client: Any, auth: dict[str, str], instance: Any,
                                                  shopify_env: FakeShopify, traffic: Traffic,
                                                  artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    shopify_env.shop(SHOP).products["632910392"] = {"printgate.workflow_id": "wf_default"}

    job_id = widget_job(client, "acme", artwork, instance)
    order = paid_order([job_id])
    shopify_env.add_order(SHOP, order)

    received = post_webhook(client, "orders/paid", order)
    assert received.status_code == 200, received.text
    instance.drain()

    synced = client.get(f"/stores/{store['id']}/orders/{order['id']}", headers=auth).json()
    assert synced["status"] == "written_back", synced
    assert [synced["steps"][s]["status"] for s in ("received", "verified", "attached", "processing",
                                                    "delivered", "written_back")] == ["done"] * 6
    line = next(line for line in synced["lines"] if line["jobId"] == job_id)
    assert line["verified"] and line["attached"] and line["processed"] and line["workflowId"] == "wf_default"

    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["orderId"] == str(order["id"]) and job["wfPhase"] == "processing_done"
    assert job["customerEmail"] == "bob.norman@mail.example.com"

    # What printgate wrote to the order: metafields (json + status), a note with the link, a tag.
    fields = _metafields(traffic)
    assert fields["status"]["value"] == "ready"
    assert fields["jobs"]["type"] == "json"
    assert fields["jobs"]["ownerId"] == f"gid://shopify/Order/{order['id']}"
    jobs_value = json.loads(fields["jobs"]["value"])
    assert jobs_value["status"] == "ready"
    entry = jobs_value["jobs"][0]
    assert entry["jobId"] == job_id and entry["lineId"] == str(order["line_items"][0]["id"])
    link = entry["files"][0]["link"]
    assert link.startswith(f"http://testserver/stores/{store['id']}/files/{job_id}/")
    note = traffic.graphql("PrintgateOrderUpdate")[0]["input"]["note"]
    assert link in note and synced["id"] in note
    assert traffic.graphql("PrintgateTagsAdd")[0]["tags"] == ["printgate-ready"]
    if not traffic.replaying:  # the fake shop itself holds what was written
        state = shopify_env.shop(SHOP)
        stored = state.metafields[(f"gid://shopify/Order/{order['id']}", "printgate", "jobs")]
        assert json.loads(stored["value"])["jobs"][0]["jobId"] == job_id
        assert link in state.notes[str(order["id"])]

    # The link staff click: a redirect to a fresh signed URL, which serves the processed PDF.
    clicked = client.get(link.replace("http://testserver", ""), follow_redirects=False)
    assert clicked.status_code == 302
    download = client.get(clicked.headers["location"].replace("http://testserver", ""))
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    signed = entry["files"][0]["downloadUrl"]
    assert "sig=" in signed and client.get(signed.replace("http://testserver", "")).content.startswith(b"%PDF")
    tampered = link.replace("sig=", "sig=0")
    assert client.get(tampered.replace("http://testserver", ""), follow_redirects=False).status_code == 403

    # Shopify re-delivers the same event, and a second event for the same order arrives: nothing
    # is attached or written twice.
    again = post_webhook(client, "orders/paid", order)
    assert again.status_code == 200
    post_webhook(client, "orders/updated", order)
    instance.drain()
    assert len(traffic.graphql("PrintgateMetafieldsSet")) == 1
    assert len(traffic.graphql("PrintgateOrderUpdate")) == 1
    orders = client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"]
    assert [o["orderId"] for o in orders] == [str(order["id"])]


def test_write_back_failure_backs_off_and_retries(client: Any, auth: dict[str, str], instance: Any,
                                                  shopify_env: FakeShopify, traffic: Traffic,
                                                  artwork: Path) -> None:
    from datetime import timedelta

    from printgate.connectors.base import pipeline
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    order = paid_order([job_id], order_id=820982911)
    for line in order["line_items"]:
        line["product_id"] = None  # custom items: no product workflow to look up
    shopify_env.add_order(SHOP, order)
    shopify_env.shop(SHOP).fail_next = 3  # Shopify answers 503 three times in a row

    assert post_webhook(client, "orders/paid", order).status_code == 200
    instance.drain()
    synced = client.get(f"/stores/{store['id']}/orders/{order['id']}", headers=auth).json()
    assert synced["status"] == "delivered"
    assert synced["steps"]["written_back"]["status"] == "error"
    assert "503" in synced["lastError"] and synced["attempts"] == 1
    assert synced["nextAttemptAt"] is not None
    assert traffic.operations().count("gql:PrintgateMetafieldsSet") == 3  # the call and 2 quick retries

    with session_scope() as session:  # not due yet: nothing happens
        pipeline.retry_due(session)
    assert client.get(f"/stores/{store['id']}/orders/{order['id']}", headers=auth).json()["attempts"] == 1
    with session_scope() as session:  # past the 30 s backoff
        pipeline.retry_due(session, now=utcnow() + timedelta(minutes=1))
    synced = client.get(f"/stores/{store['id']}/orders/{order['id']}", headers=auth).json()
    assert synced["status"] == "written_back" and synced["attempts"] == 2 and synced["lastError"] is None
    assert synced["steps"]["written_back"]["status"] == "done"


def test_print_files_are_uploaded_to_shopify_files_when_enabled(client: Any, auth: dict[str, str],
                                                                instance: Any, shopify_env: FakeShopify,
                                                                traffic: Traffic, artwork: Path,
                                                                monkeypatch: Any) -> None:
    from printgate.connectors.shopify.config import reset_shopify_settings

    monkeypatch.setenv("PRINTGATE_SHOPIFY_ATTACH_FILES", "1")
    reset_shopify_settings()
    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    order = paid_order([job_id], order_id=930000001)
    for line in order["line_items"]:
        line["product_id"] = None
    shopify_env.add_order(SHOP, order)
    post_webhook(client, "orders/paid", order)
    instance.drain()

    synced = client.get(f"/stores/{store['id']}/orders/{order['id']}", headers=auth).json()
    assert synced["status"] == "written_back", synced
    assert synced["steps"]["written_back"]["result"]["filesAttached"] == 1
    output = client.get(synced["files"][0]["downloadUrl"].replace("http://testserver", "")).content
    [staged] = traffic.graphql("PrintgateStagedUploadsCreate")[0]["input"]
    assert staged["resource"] == "FILE" and staged["httpMethod"] == "POST"
    assert staged["mimeType"] == "application/pdf" and staged["fileSize"] == str(len(output))
    [upload] = [r for r in traffic.requests if r["path"].startswith(f"/{SHOP}/staged/")]
    assert upload["method"] == "POST" and upload["size"] > len(output)  # multipart: fields + the file
    [created] = traffic.graphql("PrintgateFileCreate")[0]["files"]
    assert created["contentType"] == "FILE"
    assert created["originalSource"].startswith("https://shopify-staged-uploads.storage.googleapis.com/")
    file_id = synced["files"][0]["shopifyFileId"]
    assert file_id.startswith("gid://shopify/GenericFile/")
    jobs_value = json.loads(_metafields(traffic)["jobs"]["value"])
    assert jobs_value["jobs"][0]["files"][0]["shopifyFileId"] == file_id
    if not traffic.replaying:
        import hashlib

        stored = shopify_env.shop(SHOP).files[file_id]
        staged_entry = next(e for e in shopify_env.shop(SHOP).staged.values() if e["uploaded"])
        assert stored["size"] == len(output) and staged_entry["sha256"] == hashlib.sha256(output).hexdigest()
    reset_shopify_settings()
