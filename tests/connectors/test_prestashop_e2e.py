"""PrestaShop end to end: a widget job -> the module's signed order call (signed in PHP) ->
processing -> the signed callback, verified by the module's PHP, on the fake shop (which adds the
private order message) -> the file downloads through the link the shop stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.connectors.conftest import widget_job
from tests.connectors.test_opencart_e2e import download
from tests.fakes.opencart_store import (
    FakeServer,
    php_signed_order,
    php_verify_callback,
    post_order,
    register_store,
    store_cassette,
)
from tests.fakes.prestashop_store import FakePrestaShop
from tests.store_modules.test_orders import PS_CUSTOMER, PS_DETAILS, PS_ORDER

# Every test here replays a store cassette, on the cassettes' fixed clock (tests/clock.py).
pytestmark = pytest.mark.cassette

CALLBACK = {"fc": "module", "module": "printgate", "controller": "callback"}


def open_shop(server: FakeServer) -> FakePrestaShop:
    fake: FakePrestaShop = server.fake
    fake.reset()
    fake.base = server.base
    return fake


def ps_fields(shop: FakePrestaShop, job_id: str) -> dict[str, Any]:
    return {"order": PS_ORDER, "details": PS_DETAILS, "customer": PS_CUSTOMER, "currency": "EUR",
            "jobs": {"401": job_id}, "storeUrl": shop.base}


def test_prestashop_order_to_files_on_the_order(client: Any, auth: dict[str, str], instance: Any,
                                                ps_server: FakeServer, artwork: Path) -> None:
    shop = open_shop(ps_server)
    created = register_store(client, auth, "prestashop", shop.base + "index.php")
    store, secret = created["store"], created["webhookSecret"]
    assert store["shop"] == shop.base and store["ocVersion"] is None
    assert store["callbackUrl"] == shop.base + "index.php?fc=module&module=printgate&controller=callback"
    assert store["apiCredentials"] == {"configured": False}
    shop.webhook_secret = secret

    job_id = widget_job(client, "acme", artwork, instance)
    shop.add_order("88", {"401": job_id}, state="1")

    with store_cassette("test_prestashop_order_to_files_on_the_order") as traffic:
        # Bank wire: the order waits for payment; printgate holds the files back from the shop.
        body, headers = php_signed_order("prestashop", secret, status="Awaiting bank wire payment",
                                         **ps_fields(shop, job_id))
        first = post_order(client, auth, "88", body, headers)
        assert first.status_code == 200, first.text
        instance.drain()
        waiting = client.get(f"/stores/{store['id']}/orders/88", headers=auth).json()
        assert waiting["status"] == "received" and waiting["financialStatus"] == "pending"
        assert not traffic.to(**CALLBACK)

        # Payment accepted: the module posts again; the files go to the shop.
        body, headers = php_signed_order("prestashop", secret, status="Payment accepted", **ps_fields(shop, job_id))
        paid = post_order(client, auth, "88", body, headers)
        assert paid.status_code == 200, paid.text
        instance.drain()
        synced = client.get(f"/stores/{store['id']}/orders/88", headers=auth).json()
        assert synced["status"] == "written_back", synced
        assert synced["name"] == "#88" and synced["financialStatus"] == "paid"

        [callback] = traffic.to(**CALLBACK)
        verdict = php_verify_callback(secret, callback.headers, callback.body.decode())
        assert verdict["status"] == 200, verdict
        [job] = verdict["event"]["jobs"]
        assert job["jobId"] == job_id
        link = job["runs"][0]["downloadUrl"]
        assert link.startswith(f"http://testserver/stores/{store['id']}/files/{job_id}/")
        assert not traffic.paths("/api/customer_messages"), "no Webservice key: the callback is the only path"
        if not traffic.replaying:
            assert shop.files[("88", "401")]["jobId"] == job_id
            [message] = shop.order_messages("88")
            assert message["via"] == "module" and "artwork.pdf" in message["message"]
        assert download(client, link).startswith(b"%PDF")

    job_wire = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job_wire["orderId"] == "88" and job_wire["customerEmail"] == "jean@example.fr"
