"""A burst of store webhooks is handled in batches (issue 17): one queue message and one commit per
batch, each delivery still handled exactly once, and the backlog's size and age on /metrics."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.errors import NotFound
from printgate.core.queue import WEBHOOKS, get_queue
from printgate.webhooks import inbound
from printgate.webhooks.settings import get_webhook_settings
from tests.conftest import Instance
from tests.webhooks.test_inbound import PLATFORM, Handler, handled_accounts, handler, rows, signed

__all__ = ["handler"]  # the fixture, shared with test_inbound


def _post_burst(client: TestClient, count: int, prefix: str = "d") -> None:
    for n in range(count):
        body = f'{{"id": {n}}}'.encode()
        assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, f"{prefix}-{n}")).status_code == 200


def test_the_newest_message_handles_the_backlog_behind_it(client: TestClient, instance: Instance,
                                                          handler: Handler) -> None:
    _post_burst(client, 12)
    queue = get_queue(WEBHOOKS)
    assert queue.count == 12
    stored = rows()
    newest, older = stored[-1], stored[:-1]
    assert inbound.process_delivery(newest.id) == "done"
    assert {row.status for row in rows()} == {"done"}
    assert sorted(handler.calls) == sorted(f"d-{n}" for n in range(12))  # each once
    assert len(handled_accounts()) == 12
    # the handled rows' messages are gone; the newest's own is the one a worker would be running
    waiting = set(queue.get_job_ids())
    assert not waiting & {inbound._rq_id(row.id, 1) for row in older}
    # a message left behind anyway (say the drop failed) finds its row done: nothing runs twice
    assert inbound.process_delivery(older[0].id) == "done" and len(handler.calls) == 12


def test_a_failing_handler_in_a_batch_costs_the_others_nothing(client: TestClient, instance: Instance,
                                                               handler: Handler) -> None:
    _post_burst(client, 5)
    handler.fail_times = 1  # the batch's first call fails: the whole batch rolls back
    newest = rows()[-1]
    assert inbound.process_delivery(newest.id) == "done"  # the batch rolled back, this one handled alone
    statuses = {row.delivery_id: row.status for row in rows()}
    assert statuses == {"d-0": "pending", "d-1": "pending", "d-2": "pending", "d-3": "pending", "d-4": "done"}
    assert handled_accounts() == ["handled-d-4"]  # the batch's writes were rolled back with it
    instance.drain()  # the other messages are still queued and handle the rest
    assert {row.status for row in rows()} == {"done"} and len(handled_accounts()) == 5


def test_the_backlog_and_its_age_are_on_metrics(client: TestClient, instance: Instance, handler: Handler) -> None:
    assert inbound.backlog() == (0, 0.0)
    _post_burst(client, 3)
    oldest = rows()[0].received_at
    count, age = inbound.backlog(now=oldest + timedelta(seconds=90))
    assert count == 3 and abs(age - 90.0) < 0.01
    text = client.get("/metrics").text
    assert "printgate_inbound_backlog 3.0" in text
    assert "printgate_inbound_backlog_age_seconds" in text
    instance.drain()
    text = client.get("/metrics").text
    assert "printgate_inbound_backlog 0.0" in text and "printgate_inbound_backlog_age_seconds 0.0" in text


def _store_batch(count: int, prefix: str = "b") -> list[inbound.Accepted | BaseException]:
    """``count`` deliveries stored together, as the receiver stores concurrent requests (one batch)."""
    items = []
    for n in range(count):
        body = f'{{"n": {n}}}'.encode()
        items.append(inbound.Incoming(PLATFORM, signed(body, f"{prefix}-{n}"), body))
    return inbound._accept_many(items)


def test_a_stored_batch_is_one_message_that_handles_every_row_oldest_first(
        instance: Instance, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound, "DRAIN_BATCH", 3)  # 10 rows: batches of 3, 3, 3, then the last with its own
    results = _store_batch(10)
    assert all(isinstance(r, inbound.Accepted) and r.queued and not r.duplicate for r in results)
    queue = get_queue(WEBHOOKS)
    assert queue.count == 1, "one message per stored batch"
    [message] = queue.get_jobs()
    assert message.args == (rows()[-1].id,), "the message carries the batch's newest row"
    instance.drain()
    assert {row.status for row in rows()} == {"done"}
    assert handler.calls == [row.delivery_id for row in rows()], "each once, in the order received"
    assert len(handled_accounts()) == 10


def test_a_failing_batch_gives_each_of_its_rows_a_message_and_nothing_is_lost(
        instance: Instance, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound, "DRAIN_BATCH", 3)
    _store_batch(7)
    stored = rows()
    handler.fail_times = 1  # the first batch (the 3 oldest rows) rolls back
    assert inbound.process_delivery(stored[-1].id) == "done"  # this row is handled alone
    statuses = {row.delivery_id: row.status for row in rows()}
    assert statuses == {"b-0": "pending", "b-1": "pending", "b-2": "pending", "b-3": "pending",
                        "b-4": "pending", "b-5": "pending", "b-6": "done"}
    waiting = set(get_queue(WEBHOOKS).get_job_ids())
    assert {inbound._rq_id(row.id, 1) for row in stored[:3]} <= waiting, "the failed batch's rows are queued"
    instance.drain()  # their messages drain the rest
    assert {row.status for row in rows()} == {"done"}
    assert sorted(handled_accounts()) == sorted(f"handled-b-{n}" for n in range(7)), "each handled once"


def test_a_batch_whose_worker_died_is_taken_back_by_the_sweep(instance: Instance, handler: Handler) -> None:
    """The batch is a claim with a lease: a worker killed mid-batch loses nothing, and no row runs twice."""
    _store_batch(5)
    get_queue(WEBHOOKS).empty()
    stored = rows()
    with Session(get_engine()) as session:  # what a worker did before it was killed: claimed, not handled
        found = inbound._claim_due(session, stored[-1].id, utcnow())
        assert found is not None and len(found[0]) == 4
        session.commit()
    assert {row.status for row in rows()} == {"processing", "pending"}
    assert inbound.sweep()["reclaimed"] == 0, "the lease still runs"
    later = utcnow() + timedelta(seconds=get_webhook_settings().inbound_handler_timeout_s + 31)
    counts = inbound.sweep(now=later)
    assert counts["reclaimed"] == 4 and counts["requeued"] == 5
    instance.drain()
    assert {row.status for row in rows()} == {"done"}
    assert sorted(handler.calls) == sorted(f"b-{n}" for n in range(5)) and len(handled_accounts()) == 5


def test_a_drain_past_its_time_hands_the_rest_to_a_message(
        instance: Instance, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    """A message stops draining at half the handler timeout (RQ would kill it at the timeout): the
    newest row still due then gets a message of its own, which handles the rest."""
    monkeypatch.setattr(inbound, "DRAIN_BATCH", 3)
    ticks = iter(range(0, 10_000, 100))  # each look at the clock: 100 s later, past the 60 s budget
    monkeypatch.setattr(inbound, "time", SimpleNamespace(monotonic=lambda: float(next(ticks))))
    _store_batch(7)
    get_queue(WEBHOOKS).empty()
    stored = rows()
    assert inbound.process_delivery(stored[-1].id) == "done"
    assert {row.delivery_id for row in rows() if row.status == "done"} == {"b-0", "b-1", "b-2", "b-6"}
    assert get_queue(WEBHOOKS).get_job_ids() == [inbound._rq_id(stored[5].id, 1)]
    instance.drain()
    assert {row.status for row in rows()} == {"done"} and len(handled_accounts()) == 7


def test_a_verifier_reads_once_per_batch_and_never_across_batches(instance: Instance, handler: Handler) -> None:
    """``batch_memo`` lets a verifier keep a look-up for the rest of its batch (a burst from one shop
    reads the shop once); the next batch looks again, so a change in between is seen."""
    from tests.webhooks.test_inbound import verify

    lookups: list[str] = []
    shops = {"shop-a": "acct_a"}

    def verify_with_lookup(headers: Any, body: bytes, connection_id: str | None) -> Any:
        memo = inbound.batch_memo()
        if "shop" not in memo:
            lookups.append("read")
            memo["shop"] = shops.get("shop-a")
        if memo["shop"] is None:
            raise inbound.UnknownConnection("shop-a is gone")
        return verify(headers, body, connection_id)

    inbound.register_platform("memoplat", verify=verify_with_lookup, handle=handler)
    try:
        def batch(prefix: str, count: int) -> list[Any]:
            bodies = [f'{{"n": {n}}}'.encode() for n in range(count)]
            return inbound._accept_many([inbound.Incoming("memoplat", signed(body, f"{prefix}-{n}"), body)
                                         for n, body in enumerate(bodies)])

        assert all(isinstance(r, inbound.Accepted) for r in batch("m", 6))
        assert lookups == ["read"]
        del shops["shop-a"]  # the shop goes between two batches
        second = batch("n", 2)
        assert lookups == ["read", "read"]
        assert all(isinstance(r, NotFound) and "gone" in str(r) for r in second), "refused: 404, nothing stored"
    finally:
        inbound.unregister_platform("memoplat")
