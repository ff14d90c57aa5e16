"""Connect a store -> widget job -> signed ``order.updated`` (processing) -> processing -> the link in
the order note on the store -> the file downloads through the signed URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.connectors.conftest import widget_job
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    WooTraffic,
    connect_store,
    order_with_jobs,
    post_order_webhook,
    woo_fixture,
    woo_server_fixture,
    woo_traffic_fixture,
)


def test_processing_order_gets_print_files_in_a_note(client: Any, auth: dict[str, str], instance: Any,
                                                     woo: FakeWooCommerce, woo_traffic: WooTraffic,
                                                     clean_pdf: Path) -> None:
    store = connect_store(client, woo, auth)["store"]
    assert store["status"] == "connected" and store["platform"] == "woocommerce"
    job_id = widget_job(client, "acme", clean_pdf, instance)
    order = order_with_jobs({316: job_id}, status="processing")
    woo.add_order(order)

    received = post_order_webhook(client, store, order, topic="order.updated")
    assert received.status_code == 200, received.text
    assert received.json()["received"] is True and received.json()["id"].startswith("whin_")
    instance.drain()

    synced = client.get(f"/stores/{store['id']}/orders/727", headers=auth).json()
    assert synced["status"] == "written_back", json.dumps(synced)[:2000]
    assert [synced["steps"][s]["status"] for s in ("received", "verified", "attached", "processing",
                                                    "delivered", "written_back")] == ["done"] * 6
    [line] = [line for line in synced["lines"] if line["jobId"]]
    assert line["lineId"] == "316" and line["attached"] and line["processed"]
    assert synced["financialStatus"] == "processing" and synced["name"] == "#727"

    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["orderId"] == "727" and job["wfPhase"] == "processing_done"
    assert job["customerEmail"] == "john.doe@example.com"

    # The note printgate added to the order: private, with the stable link to the file.
    [note_call] = woo_traffic.sent("POST", "/orders/727/notes")
    assert note_call["json"]["customer_note"] is False
    note = note_call["json"]["note"]
    assert note.startswith("Print files ready: ") and synced["id"] in note
    link = note.split(": ", 2)[2].split(" ")[0]
    assert link.startswith(f"http://testserver/stores/{store['id']}/files/{job_id}/")
    # The order meta: the files as JSON, the status, the note id.
    [meta_call] = woo_traffic.sent("PUT", "/orders/727")
    meta = {m["key"]: m["value"] for m in meta_call["json"]["meta_data"]}
    assert meta["_printgate_status"] == "ready"
    files = json.loads(meta["_printgate_files"])
    assert files["jobs"][0]["jobId"] == job_id and files["jobs"][0]["files"][0]["link"] == link
    assert meta["_printgate_note_id"] == str(synced["steps"]["written_back"]["result"]["noteId"])
    if not woo_traffic.replaying:  # the fake store holds what was written
        assert [n["note"] for n in woo.notes[727]] == [note]
        stored = {m["key"]: m["value"] for m in woo.orders[727]["meta_data"]}
        assert stored["_printgate_status"] == "ready"

    # Fulfilment staff click the link: a fresh signed URL, which serves the processed PDF.
    clicked = client.get(link.removeprefix("http://testserver"), follow_redirects=False)
    assert clicked.status_code == 302
    signed_url = clicked.headers["location"]
    assert "sig=" in signed_url or "signature=" in signed_url.lower()
    download = client.get(signed_url.removeprefix("http://testserver"))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    tampered = link.replace("sig=", "sig=0")
    assert client.get(tampered.removeprefix("http://testserver"), follow_redirects=False).status_code == 403

    # The same order state again (WooCommerce sends order.updated for every save): handled once.
    again = post_order_webhook(client, store, order, topic="order.updated")
    assert again.status_code == 200 and again.json().get("duplicate") is True
    instance.drain()
    assert len(woo_traffic.sent("POST", "/orders/727/notes")) == 1
