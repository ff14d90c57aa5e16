"""A burst of store webhooks is handled in batches (issue 17): one queue message and one commit per
batch, each delivery still handled exactly once, and the backlog's size and age on /metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from printgate.core.queue import WEBHOOKS, get_queue
from printgate.webhooks import inbound
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
