"""OpenCart end to end: a widget job -> the extension's signed order call (signed in PHP) ->
processing -> the signed callback, verified by the extension's PHP, on the fake shop -> the file
downloads through the link the shop stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.connectors.conftest import widget_job
from tests.fakes.opencart_store import (
    FakeOpenCart,
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

API_KEY = "oc-api-key-" + "7" * 53


def open_shop(server: FakeServer, version: int) -> FakeOpenCart:
    fake: FakeOpenCart = server.fake
    fake.reset(version)
    fake.base = server.base
    fake.api_users["printgate"] = API_KEY
    return fake


def download(client: Any, url: str) -> bytes:
    response = client.get(url.replace("http://testserver", ""), follow_redirects=False)
    if response.status_code == 302:
        response = client.get(response.headers["location"].replace("http://testserver", ""))
    assert response.status_code == 200, response.text
    return bytes(response.content)


@pytest.mark.parametrize("version", [3, 4])
def test_opencart_order_to_files_on_the_order(version: int, client: Any, auth: dict[str, str], instance: Any,
                                              oc_server: FakeServer, artwork: Path) -> None:
    shop = open_shop(oc_server, version)
    created = register_store(client, auth, "opencart", shop.base, ocVersion=version,
                             apiCredentials={"username": "printgate", "key": API_KEY})
    store, secret = created["store"], created["webhookSecret"]
    route = {3: "extension/module/printgate/callback", 4: "extension/printgate/module/printgate.callback"}[version]
    assert store["callbackUrl"] == shop.base + "index.php?route=" + route
    shop.webhook_secret = secret  # the merchant pastes it into the extension

    job_id = widget_job(client, "acme", artwork, instance)
    shop.add_order("1042", {"301": job_id})
    order_fields = {"order": OC_ORDER, "products": OC_PRODUCTS, "jobs": {"301": job_id}, "storeUrl": shop.base}

    with store_cassette(f"test_opencart{version}_order_to_files_on_the_order") as traffic:
        body, headers = php_signed_order("opencart", secret, status="Processing", **order_fields)
        captured = post_order(client, auth, "1042", body, headers)
        assert captured.status_code == 200, captured.text
        assert captured.json()["affectedJobIds"] == [job_id]
        instance.drain()

        synced = client.get(f"/stores/{store['id']}/orders/1042", headers=auth).json()
        assert synced["status"] == "written_back", synced
        assert [synced["steps"][s]["status"] for s in ("received", "verified", "attached", "processing",
                                                        "delivered", "written_back")] == ["done"] * 6
        line = next(line for line in synced["lines"] if line["jobId"] == job_id)
        assert line["lineId"] == "301" and line["attached"] and line["processed"]
        assert synced["steps"]["written_back"]["result"]["callback"]["status"] == 200

        # One callback, to the version's route, that the extension's own PHP accepts.
        [callback] = traffic.to(route=route)
        assert callback.method == "POST" and callback.headers["webhook-id"].startswith("msg_")
        verdict = php_verify_callback(secret, callback.headers, callback.body.decode())
        assert verdict["status"] == 200, verdict
        event = verdict["event"]
        assert event["type"] == "order.files_ready" and event["orderId"] == "1042"
        [job] = event["jobs"]
        assert job["jobId"] == job_id and job["status"] in ("ready", "partial")
        [run] = job["runs"]
        assert run["hasOutput"] is True and run["name"] == "artwork.pdf"
        assert run["proofs"], "the soft proof travels with the file"
        link = run["downloadUrl"]
        assert link.startswith(f"http://testserver/stores/{store['id']}/files/{job_id}/")
        # The callback worked, so OpenCart's API (configured) was not needed.
        assert not [r for r in traffic.requests if r.query.get("route", "").startswith("api/")]
        if not traffic.replaying:  # the shop itself stored the files and commented the order
            assert shop.files[("1042", "301")]["runs"][0]["downloadUrl"] == link
            assert shop.orders["1042"]["history"][-1]["via"] == "module"
            assert "artwork.pdf" in shop.orders["1042"]["history"][-1]["comment"]

        # The link fulfilment staff click: a fresh signed URL that serves the processed PDF; the
        # short-lived signed URL works too while it lasts.
        assert download(client, link).startswith(b"%PDF")
        raw = callback.json()["data"]["jobs"][0]["runs"][0]
        assert "sig=" in raw["signedUrl"] and download(client, raw["signedUrl"]).startswith(b"%PDF")

        # Every later status change posts the order again (a new webhook-id each): nothing is
        # attached, processed or called back twice.
        for status in ("Shipped", "Complete"):
            body, headers = php_signed_order("opencart", secret, status=status, **order_fields)
            again = post_order(client, auth, "1042", body, headers)
            assert again.status_code == 200, again.text
        instance.drain()
        assert len(traffic.to(route=route)) == 1
    orders = client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"]
    assert [o["orderId"] for o in orders] == ["1042"] and orders[0]["status"] == "written_back"
    job_wire = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job_wire["orderId"] == "1042" and job_wire["wfPhase"] == "processing_done"
    assert len(job_wire["deliverables"]) == 1
