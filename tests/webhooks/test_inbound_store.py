"""The receiver's batch insert (``inbound._insert_rows``): on PostgreSQL one statement text run for every
row (``printgate.webhooks._bulk_insert``), on SQLite a ``VALUES`` list. Both must store the same thing."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import Session, col, select

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.webhooks import inbound
from printgate.webhooks.models import InboundDelivery
from tests.conftest import Instance


def row(delivery_id: str, **values: Any) -> dict[str, Any]:
    """A row as the receiver builds it (``inbound._verified_row``)."""
    now = utcnow()
    return {"id": new_id("whin"), "platform": "shopify", "account_id": "acct_1", "connection_id": "conn_1",
            "delivery_id": delivery_id, "topic": "orders/paid",
            "headers": {"content-type": "application/json", "x-shopify-topic": "orders/paid"},
            "body": b'{"id": 1}', "triggered_at": now, "received_at": now, "status": "pending", "attempts": 0,
            "next_attempt_at": now, **values}


def stored() -> dict[str, InboundDelivery]:
    with Session(get_engine()) as session:
        return {r.id: r for r in session.exec(select(InboundDelivery).order_by(col(InboundDelivery.id))).all()}


def test_a_batch_stores_each_delivery_id_once_and_says_which_rows_were_stored(instance: Instance) -> None:
    first = row("d-1")
    assert inbound._insert_rows([first]) == [True]
    batch = [row("d-2"), row("d-1"), row("d-3"), row("d-2"), row("d-1", platform="woocommerce")]
    assert inbound._insert_rows(batch) == [True, False, True, False, True]
    kept = stored()
    assert sorted(kept) == sorted([first["id"], batch[0]["id"], batch[2]["id"], batch[4]["id"]])
    assert kept[first["id"]].delivery_id == "d-1" and kept[batch[4]["id"]].platform == "woocommerce"


def test_values_come_back_as_they_went_in(instance: Instance) -> None:
    sent_at = utcnow().astimezone(timezone(timedelta(hours=-5))) - timedelta(minutes=3)  # not UTC on the way in
    body = bytes(range(256)) + b"\x00 tail"  # not UTF-8, with NUL bytes
    headers = {"x-shopify-topic": "orders/paid", "user-agent": "Shopify-Captain-Hook", "x-quote": "a'b\"c\\d{}"}
    values = row("d-odd", headers=headers, body=body, triggered_at=sent_at, topic=None, connection_id=None)
    assert inbound._insert_rows([values, row("d-plain")]) == [True, True]
    back = stored()[values["id"]]
    assert back.headers == headers
    assert bytes(back.body) == body
    assert back.topic is None and back.connection_id is None
    assert back.triggered_at is not None and back.triggered_at.utcoffset() == timedelta(0)
    assert back.triggered_at == sent_at.astimezone(UTC)
    assert back.received_at == values["received_at"] and back.status == "pending" and back.attempts == 0


def test_a_batch_that_cannot_be_stored_stores_none_of_its_rows(instance: Instance) -> None:
    good, bad = row("d-good"), row("d-bad", body=None)  # the body column is NOT NULL
    with pytest.raises(Exception, match=r"(?i)null"):
        inbound._insert_rows([good, bad])
    assert stored() == {}
    assert inbound._insert_rows([good]) == [True]  # the connection went back to the pool usable
