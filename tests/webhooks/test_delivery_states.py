"""The outbound delivery state machine (``webhooks/outbound/states.py``): every move the delivery code
makes, in Python or in a conditional UPDATE, is on the table; a move off it raises and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from printgate.core.db import get_engine
from printgate.webhooks.models import OutboundDelivery
from printgate.webhooks.outbound import delivery as outbound_delivery
from printgate.webhooks.outbound.states import (
    DELIVERY_FINISHED,
    DELIVERY_MOVES,
    DeliveryStatus,
    IllegalDeliveryMove,
    move_delivery,
    moving,
)
from tests.conftest import Instance
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint, emit_test_event


def test_every_status_has_its_moves_and_finished_ones_only_go_back_to_pending() -> None:
    assert set(DELIVERY_MOVES) == set(DeliveryStatus)
    for done in DELIVERY_FINISHED:
        assert DELIVERY_MOVES[done] == {DeliveryStatus.PENDING}
    assert move_delivery("pending", DeliveryStatus.SENDING) is DeliveryStatus.SENDING
    assert move_delivery("sending", DeliveryStatus.PENDING) is DeliveryStatus.PENDING  # a retry, or the sweep


@pytest.mark.parametrize(("current", "to"), [
    (DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED),  # never succeeded without an attempt
    (DeliveryStatus.SUCCEEDED, DeliveryStatus.SENDING),  # an attempt is claimed only from pending
    (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED),
    (DeliveryStatus.CANCELLED, DeliveryStatus.FAILED),
])
def test_a_move_off_the_table_raises(current: DeliveryStatus, to: DeliveryStatus) -> None:
    with pytest.raises(IllegalDeliveryMove, match=f"from {current} to {to}"):
        move_delivery(current, to)
    with pytest.raises(IllegalDeliveryMove):
        moving([DeliveryStatus.PENDING, current], to)


def test_an_unknown_stored_status_raises() -> None:
    with pytest.raises(IllegalDeliveryMove, match="unknown delivery status 'lost'"):
        move_delivery("lost", DeliveryStatus.PENDING)


def test_the_delivery_code_moves_through_the_table(client: TestClient, auth: dict[str, str], instance: Instance,
                                                   receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    instance.drain()
    with get_engine().connect() as conn:  # the column keeps the word: no migration
        stored = conn.execute(text("SELECT status FROM webhook_delivery WHERE id = :id"), {"id": delivery_id}).scalar()
    assert stored == "succeeded"
    with Session(get_engine(), expire_on_commit=False) as session:
        row = session.get(OutboundDelivery, delivery_id)
        assert row is not None
        with pytest.raises(IllegalDeliveryMove, match="from succeeded to cancelled"):
            outbound_delivery._finish(session, row, DeliveryStatus.CANCELLED, None, "late")
    with Session(get_engine()) as session:
        again = session.get(OutboundDelivery, delivery_id)
        assert again is not None and again.status == "succeeded" and again.last_error is None
