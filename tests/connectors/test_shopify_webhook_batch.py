"""A burst of Shopify order webhooks is handled as one batch (issue 17): the batch's orders are read
in one query and recorded by one commit, each order still in the order its deliveries came, and a
batch that meets an order recorded meanwhile by someone else falls back to one delivery at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from printgate.connectors.base import pipeline
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.core.db import get_engine, session_scope
from printgate.core.ids import new_id
from printgate.webhooks import inbound
from printgate.webhooks.models import InboundDelivery
from tests.connectors.conftest import (
    SHOP,
    Traffic,
    connect_shop,
    fixture_order,
    paid_order,
    post_webhook,
    widget_job,
)
from tests.fakes.shopify_store import FakeShopify


def _plain_order(order_id: int, financial_status: str = "paid") -> dict[str, Any]:
    """A paid order of custom lines without a print file: no Shopify call, the order ends ``no_jobs``."""
    order = fixture_order()
    order["id"] = order_id
    order["financial_status"] = financial_status
    for line in order["line_items"]:
        line["product_id"] = None
        line["properties"] = []
    return order


@contextmanager
def _statements() -> Iterator[dict[str, int]]:
    """Counts, while inside: SELECTs that read ``order_sync``, and commits, on any engine."""
    counts = {"order_sync_selects": 0, "commits": 0}
    engine = Engine  # every engine: the worker may open its own

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM order_sync" in statement:
            counts["order_sync_selects"] += 1

    def on_commit(_conn: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def _syncs() -> dict[str, OrderSync]:
    with session_scope() as session:
        rows = list(session.exec(select(OrderSync)).all())
        for row in rows:
            session.expunge(row)
        return {row.external_id: row for row in rows}


def _statuses() -> list[str]:
    with session_scope() as session:
        return [row.status for row in session.exec(select(InboundDelivery)).all()]


def test_a_burst_of_orders_is_read_once_and_committed_once(client: Any, auth: dict[str, str], instance: Any,
                                                             shopify_env: FakeShopify) -> None:
    connect_shop(client, shopify_env, auth)
    for n in range(10):
        assert post_webhook(client, "orders/paid", _plain_order(5000 + n)).status_code == 200
    # one order twice, as Shopify sends it: created unpaid, then paid; the batch applies them in that order
    assert post_webhook(client, "orders/create", _plain_order(6000, "pending")).status_code == 200
    assert post_webhook(client, "orders/paid", _plain_order(6000)).status_code == 200
    with _statements() as counts:
        instance.drain()
    assert set(_statuses()) == {"done"} and len(_statuses()) == 12
    syncs = _syncs()
    assert sorted(syncs) == sorted([str(5000 + n) for n in range(10)] + ["6000"])
    assert {sync.status for sync in syncs.values()} == {"no_jobs"}
    assert syncs["6000"].financial_status == "paid"
    assert syncs["6000"].steps is not None and syncs["6000"].steps["received"]["event"] == "orders/create"
    # one read of the batch's orders, not one per delivery; the claim's commit and the batch's
    assert counts["order_sync_selects"] == 1, counts
    assert counts["commits"] <= 3, counts


def test_an_order_recorded_meanwhile_sends_the_batch_one_by_one(client: Any, auth: dict[str, str], instance: Any,
                                                                 shopify_env: FakeShopify,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = connect_shop(client, shopify_env, auth)
    for n in range(4):
        assert post_webhook(client, "orders/paid", _plain_order(7000 + n)).status_code == 200
    # Another worker records order 7002 after this batch read its orders: the read is made to miss it.
    monkeypatch.setattr(pipeline.IntakeBatch, "load", lambda self, session, connection_id, external_ids: None)
    monkeypatch.setattr(pipeline.IntakeBatch, "get",
                        lambda self, session, connection_id, external_id: self._syncs.get((connection_id, external_id)))
    with Session(get_engine()) as session:
        account_id = session.get(StoreConnection, store["id"]).account_id  # type: ignore[union-attr]
        session.add(OrderSync(id=new_id("osync"), connection_id=store["id"], account_id=account_id,
                              platform="shopify", external_id="7002", financial_status="pending"))
        session.commit()
        existing_id = session.exec(select(OrderSync.id).where(OrderSync.external_id == "7002")).one()
    instance.drain()
    # the batch's insert of 7002 failed and rolled the batch back; each delivery was then handled alone
    assert _statuses() == ["done"] * 4
    syncs = _syncs()
    assert sorted(syncs) == ["7000", "7001", "7002", "7003"]
    assert syncs["7002"].id == existing_id and syncs["7002"].financial_status == "paid"
    assert {sync.status for sync in syncs.values()} == {"no_jobs"}
    with session_scope() as session:
        bodies = [json.loads(bytes(row.body)) for row in session.exec(select(InboundDelivery)).all()]
    assert sorted(body["id"] for body in bodies) == [7000, 7001, 7002, 7003]


def test_a_batch_that_lost_a_race_runs_again_whole(client: Any, auth: dict[str, str], instance: Any,
                                                    shopify_env: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> None:
    store = connect_shop(client, shopify_env, auth)
    for n in range(4):
        assert post_webhook(client, "orders/paid", _plain_order(8000 + n)).status_code == 200
    # The first read of the batch's orders misses 8001, recorded meanwhile (by reconciliation, say).
    real_load = pipeline.IntakeBatch.load
    loads: list[int] = []

    def load_missing_once(self: pipeline.IntakeBatch, session: Session, connection_id: str,
                          external_ids: list[str]) -> None:
        loads.append(len(external_ids))
        real_load(self, session, connection_id, external_ids)
        if len(loads) == 1:
            self._syncs[(connection_id, "8001")] = None  # as read just before the other writer committed

    monkeypatch.setattr(pipeline.IntakeBatch, "load", load_missing_once)
    alone: list[str] = []
    real_handle_one = inbound._handle_one
    monkeypatch.setattr(inbound, "_handle_one", lambda session, delivery_id, attempt: (
        alone.append(delivery_id), real_handle_one(session, delivery_id, attempt))[1])
    with Session(get_engine()) as session:
        account_id = session.get(StoreConnection, store["id"]).account_id  # type: ignore[union-attr]
        session.add(OrderSync(id=new_id("osync"), connection_id=store["id"], account_id=account_id,
                              platform="shopify", external_id="8001", financial_status="pending"))
        session.commit()
    instance.drain()
    assert _statuses() == ["done"] * 4
    assert len(loads) == 2 and alone == []  # run again as one batch, not taken apart
    syncs = _syncs()
    assert sorted(syncs) == ["8000", "8001", "8002", "8003"]
    assert syncs["8001"].financial_status == "paid" and {s.status for s in syncs.values()} == {"no_jobs"}


def test_an_order_with_a_print_file_in_a_burst_goes_all_the_way(client: Any, auth: dict[str, str], instance: Any,
                                                                 shopify_env: FakeShopify, traffic: Traffic,
                                                                 artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    with_file = paid_order([job_id], order_id=9100)
    for line in with_file["line_items"]:
        line["product_id"] = None
    shopify_env.add_order(SHOP, with_file)
    assert post_webhook(client, "orders/paid", _plain_order(9000)).status_code == 200
    assert post_webhook(client, "orders/paid", with_file).status_code == 200
    assert post_webhook(client, "orders/paid", _plain_order(9001)).status_code == 200
    instance.drain()
    assert _statuses() == ["done"] * 3
    syncs = _syncs()
    assert syncs["9000"].status == syncs["9001"].status == "no_jobs"
    synced = client.get(f"/stores/{store['id']}/orders/9100", headers=auth).json()
    assert synced["status"] == "written_back" and synced["lines"][0]["jobId"] == job_id
