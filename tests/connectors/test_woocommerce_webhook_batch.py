"""A burst of WooCommerce deliveries stored together reads its store once (issue 17), and a forged
delivery in the same batch is still refused on its own."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from printgate.core.errors import Unauthorized
from printgate.webhooks import inbound
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    WooTraffic,
    connect_store,
    order_with_jobs,
    wc_headers,
    webhook_secret,
    woo_fixture,
    woo_server_fixture,
    woo_traffic_fixture,
)


def test_a_burst_from_one_store_reads_the_store_once(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                                     woo_traffic: WooTraffic) -> None:
    store = connect_store(client, woo, auth)["store"]
    secret = webhook_secret(store["id"])
    items = []
    for n in range(6):
        body = json.dumps(order_with_jobs({}, order_id=900 + n)).encode()
        forged = n == 3
        headers = wc_headers("order.updated", body, "not-the-secret" if forged else secret, source=store["shop"])
        items.append(inbound.Incoming("woocommerce", headers, body, store["id"]))
    reads = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM store_connection" in statement:
            reads.append(statement)

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        results = inbound._accept_many(items)
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
    assert len(reads) == 1
    assert isinstance(results[3], Unauthorized)
    stored = [r for n, r in enumerate(results) if n != 3]
    assert all(isinstance(r, inbound.Accepted) and r.id and not r.duplicate for r in stored), results
    # a second batch reads the store again: nothing outlives the batch it was read for
    body = json.dumps(order_with_jobs({}, order_id=990)).encode()
    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        again = inbound._accept_many([inbound.Incoming(
            "woocommerce", wc_headers("order.updated", body, secret, source=store["shop"]), body, store["id"])])
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
    assert len(reads) == 2 and isinstance(again[0], inbound.Accepted) and again[0].id
