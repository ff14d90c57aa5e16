"""printgate down for a while: the extension's own PHP (order body, signer, API client over cURL,
queue) posts to a real printgate API on a loopback port. While nothing listens the order is queued;
once printgate is up the queue delivers it (same webhook-id, fresh signature) and the order goes
through the pipeline to the shop's callback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.connectors.conftest import widget_job
from tests.connectors.test_opencart_e2e import open_shop
from tests.fakes.opencart_store import FakeServer, php, php_verify_callback, register_store, store_cassette
from tests.store_modules.test_orders import OC_ORDER, OC_PRODUCTS

# One step of the extension's sender with cURL: "send" a new order state, or "flush" the queue,
# with the queue rows carried in and out (PrintgateMemoryQueueStore) and a settable clock.
PHP_SENDER = r"""<?php
$in = json_decode(stream_get_contents(STDIN), true);
require $in['lib'] . '/autoload.php';
$now = $in['now'];
$client = new PrintgateApiClient($in['base'], $in['sk'], $in['secret'], new PrintgateCurlTransport(),
    function () use ($now) { return $now; });
$store = new PrintgateMemoryQueueStore();
foreach ($in['rows'] as $row) {
    $store->rows[$row['id']] = $row;
}
$sender = new PrintgateOrderSender($client, $store);
if ($in['step'] === 'send') {
    $body = PrintgateOrderBody::opencart($in['order'], $in['products'], $in['status'], $in['jobs'], $in['storeUrl']);
    $result = $sender->send($in['order']['order_id'], $body);
} else {
    $result = $sender->flush();
}
echo json_encode(array('result' => $result, 'rows' => array_values($store->rows)));
"""


@pytest.fixture
def printgate_port(app: Any) -> Iterator[FakeServer]:
    """The real printgate API, served on a loopback port (started by the test when it is 'up')."""
    server = FakeServer(SimpleNamespace(app=app))
    yield server
    if server.thread.is_alive():
        server.stop()


@pytest.mark.cassette
def test_opencart_queue_delivers_once_printgate_is_back(client: Any, auth: dict[str, str], secret_key: str,
                                                        instance: Any, printgate_port: FakeServer,
                                                        oc_server: FakeServer, artwork: Path) -> None:
    import time

    shop = open_shop(oc_server, 3)
    created = register_store(client, auth, "opencart", shop.base)
    store_id, secret = created["store"]["id"], created["webhookSecret"]
    shop.webhook_secret = secret
    job_id = widget_job(client, "acme", artwork, instance)
    shop.add_order("1042", {"301": job_id})
    base = printgate_port.base.rstrip("/")
    step = {"base": base, "sk": secret_key, "secret": secret, "order": OC_ORDER, "products": OC_PRODUCTS,
            "status": "Processing", "jobs": {"301": job_id}, "storeUrl": shop.base}

    # printgate is down: the extension queues the order call.
    now = int(time.time())
    down = php("sender", PHP_SENDER, {**step, "step": "send", "now": now, "rows": []})
    assert down["result"] == "queued"
    [row] = down["rows"]
    assert row["attempts"] == 1 and "unreachable" in row["last_error"]
    assert client.get(f"/stores/{store_id}/orders", headers=auth).json()["data"] == []

    printgate_port.start()
    with store_cassette("test_opencart_queue_delivers_once_printgate_is_back") as traffic:
        early = php("sender", PHP_SENDER, {**step, "step": "flush", "now": now + 30, "rows": down["rows"]})
        assert early["result"] == {"delivered": 0, "retrying": 0, "failed": 0}  # backoff: 60 s
        up = php("sender", PHP_SENDER, {**step, "step": "flush", "now": now + 61, "rows": early["rows"]})
        assert up["result"] == {"delivered": 1, "retrying": 0, "failed": 0}, up
        [row] = up["rows"]
        assert row["status"] == "delivered" and row["attempts"] == 2 and row["message_id"] == down["rows"][0]["message_id"]

        instance.drain()
        synced = client.get(f"/stores/{store_id}/orders/1042", headers=auth).json()
        assert synced["status"] == "written_back", synced
        [callback] = traffic.to(route="extension/module/printgate/callback")
        assert php_verify_callback(secret, callback.headers, callback.body.decode())["status"] == 200
    seen = client.get(f"/store-modules/stores/{store_id}", headers=auth).json()
    assert seen["lastOrderCallAt"] is not None
