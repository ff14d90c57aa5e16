"""Inbound webhooks: a test platform with a plain HMAC verifier, driven through the real app."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from printgate.core.clock import as_utc, utcnow
from printgate.core.db import get_engine
from printgate.core.models import Account
from printgate.core.queue import WEBHOOKS, get_queue
from printgate.webhooks import inbound
from printgate.webhooks.inbound import Ping, UnknownConnection, Verified
from printgate.webhooks.models import InboundDelivery
from printgate.webhooks.signing import SignatureError
from tests.conftest import Instance

SECRET = b"test-platform-secret"
PLATFORM = "testplat"
CONNECTIONS = {"conn_a": "acct_from_connection"}


def verify(headers: Mapping[str, str], body: bytes, connection_id: str | None) -> Verified | Ping:
    """HMAC-SHA256 hex over the raw body; ``webhook_id=N`` form bodies without a signature are pings."""
    low = {k.lower(): v for k, v in headers.items()}
    signature = low.get("x-test-signature")
    if signature is None and parse_qs(body.decode(errors="replace")).get("webhook_id"):
        return Ping(note="setup ping")
    if connection_id is not None and connection_id not in CONNECTIONS:
        raise UnknownConnection(f"Unknown connection: {connection_id}")
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected, signature):
        raise SignatureError("signature does not match")
    ts = low.get("x-test-timestamp")
    return Verified(
        account_id=CONNECTIONS.get(connection_id or "", "acct_test"), connection_id=connection_id,
        delivery_id=low["x-test-id"], topic=low.get("x-test-topic"),
        triggered_at=datetime.fromtimestamp(int(ts), UTC) if ts else None,
    )


class Handler:
    """Records calls; each success writes one ``Account`` row named after the delivery (a side effect
    that would be visible twice if a delivery were ever handled twice)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_times = 0

    def __call__(self, session: Session, delivery: InboundDelivery) -> None:
        self.calls.append(delivery.delivery_id)
        session.add(Account(id=f"acct_{delivery.id}", name=f"handled-{delivery.delivery_id}"))
        session.flush()
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("store API unavailable")


@pytest.fixture
def handler(instance: Instance) -> Iterator[Handler]:
    h = Handler()
    inbound.register_platform(PLATFORM, verify=verify, handle=h, kept_headers=("x-test-",))
    yield h
    inbound.unregister_platform(PLATFORM)


def signed(body: bytes, delivery_id: str, *, ts: int | None = None, topic: str = "orders/paid",
           forge: bool = False) -> dict[str, str]:
    sig = hmac.new(b"wrong" if forge else SECRET, body, hashlib.sha256).hexdigest()
    return {"X-Test-Signature": sig, "X-Test-Id": delivery_id, "X-Test-Topic": topic,
            "X-Test-Timestamp": str(now_s() if ts is None else ts), "Content-Type": "application/json"}


def now_s() -> int:
    """Now in Unix seconds on the service's clock (``printgate.core.clock``): delivery timestamps are relative to it."""
    return int(utcnow().timestamp())


def rows() -> list[InboundDelivery]:
    with Session(get_engine()) as session:
        return list(session.exec(select(InboundDelivery).order_by(col(InboundDelivery.received_at))).all())


def handled_accounts() -> list[str]:
    with Session(get_engine()) as session:
        return list(session.exec(select(Account.name).where(col(Account.name).startswith("handled-"))).all())


def test_accepted_delivery_is_stored_before_200_then_handled(client: TestClient, instance: Instance,
                                                             handler: Handler) -> None:
    body = b'{"id": 820982911946154508, "total_price": "12.00"}'
    client.post(f"/webhooks/{PLATFORM}", content=b"webhook_id=1")  # warm the app up (a ping)
    cpu_started = time.process_time()  # this process's CPU (the app runs in a thread of it), not wall time
    response = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-1"))
    cpu = time.process_time() - cpu_started
    assert response.status_code == 200, response.text
    assert cpu < 1.0, f"answering one webhook took {cpu:.2f} s of CPU"
    # The answer only stores and queues: the handler runs later, in a worker.
    assert handler.calls == [] and get_queue(WEBHOOKS).count == 1
    answer = response.json()
    assert answer["received"] is True and answer["id"].startswith("whin_")
    [row] = rows()
    assert (row.id, row.platform, row.delivery_id, row.topic) == (answer["id"], PLATFORM, "d-1", "orders/paid")
    assert row.status == "pending" and row.body == body and row.account_id == "acct_test"
    assert row.headers is not None and row.headers["x-test-id"] == "d-1"
    assert "x-test-signature" not in row.headers, "signatures are not kept"
    assert handler.calls == []

    instance.drain()
    assert handler.calls == ["d-1"]
    [row] = rows()
    assert row.status == "done" and row.attempts == 1 and row.processed_at is not None
    assert handled_accounts() == ["handled-d-1"]


def test_forged_or_missing_signature_is_401_and_not_stored(client: TestClient, handler: Handler) -> None:
    body = b'{"id": 1}'
    forged = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-f", forge=True))
    assert forged.status_code == 401
    assert forged.json() == {"error": True, "message": "Invalid webhook signature: signature does not match"}
    headers = signed(body, "d-m")
    del headers["X-Test-Signature"]
    assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=headers).status_code == 401
    tampered = client.post(f"/webhooks/{PLATFORM}", content=b'{"id": 2}', headers=signed(body, "d-t"))
    assert tampered.status_code == 401
    assert rows() == []


def test_unknown_platform_and_connection_are_404(client: TestClient, handler: Handler) -> None:
    body = b"{}"
    response = client.post("/webhooks/nosuchplatform", content=body, headers=signed(body, "x"))
    assert response.status_code == 404
    assert response.json()["message"] == "Unknown webhook platform: nosuchplatform"
    assert client.post(f"/webhooks/{PLATFORM}/conn_zz", content=body, headers=signed(body, "x")).status_code == 404
    ok = client.post(f"/webhooks/{PLATFORM}/conn_a", content=body, headers=signed(body, "x"))
    assert ok.status_code == 200
    [row] = rows()
    assert (row.connection_id, row.account_id) == ("conn_a", "acct_from_connection")


def test_stale_and_future_deliveries_are_refused(client: TestClient, handler: Handler) -> None:
    body = b'{"id": 3}'
    old = now_s() - 301
    stale = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-old", ts=old))
    assert stale.status_code == 401
    assert stale.json()["message"].startswith("Stale delivery")
    future = client.post(f"/webhooks/{PLATFORM}", content=body,
                         headers=signed(body, "d-fut", ts=now_s() + 3600))
    assert future.status_code == 401
    fresh = client.post(f"/webhooks/{PLATFORM}", content=body,
                        headers=signed(body, "d-fresh", ts=now_s() - 200))
    assert fresh.status_code == 200
    assert [r.delivery_id for r in rows()] == ["d-fresh"]


def test_platform_window_overrides_default(client: TestClient, handler: Handler) -> None:
    """Shopify retries for 4 h: such a platform registers a longer window and relies on dedupe."""
    inbound.register_platform(PLATFORM, verify=verify, handle=handler, max_age_s=6 * 3600)
    body = b'{"id": 4}'
    hour_old = signed(body, "d-retry", ts=now_s() - 3600)
    assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=hour_old).status_code == 200
    day_old = signed(body, "d-day", ts=now_s() - 7 * 3600)
    assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=day_old).status_code == 401


def test_window_is_configurable(client: TestClient, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_INBOUND_MAX_AGE_S", "10")
    body = b'{"id": 5}'
    assert client.post(f"/webhooks/{PLATFORM}", content=body,
                       headers=signed(body, "d-20s", ts=now_s() - 20)).status_code == 401


def test_duplicate_delivery_is_stored_once_and_handled_once(client: TestClient, instance: Instance,
                                                            handler: Handler) -> None:
    body = b'{"id": 6}'
    first = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-dup"))
    again = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-dup"))
    assert first.status_code == again.status_code == 200
    assert again.json() == {"received": True, "id": first.json()["id"], "duplicate": True}
    instance.drain()
    # a replay after handling is still recognised
    late = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-dup"))
    assert late.json()["duplicate"] is True
    instance.drain()
    assert len(rows()) == 1
    assert handler.calls == ["d-dup"]
    assert handled_accounts() == ["handled-d-dup"]


def test_processing_a_delivery_twice_never_handles_twice(client: TestClient, instance: Instance,
                                                         handler: Handler) -> None:
    body = b'{"id": 7}'
    delivery_id = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-twice")).json()["id"]
    assert inbound.process_delivery(delivery_id) == "done"
    assert inbound.process_delivery(delivery_id) == "done"
    instance.drain()  # the queued message finds the row done
    assert handler.calls == ["d-twice"]
    assert handled_accounts() == ["handled-d-twice"]


def test_row_claimed_by_another_worker_is_left_alone(client: TestClient, handler: Handler) -> None:
    body = b'{"id": 8}'
    delivery_id = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-busy")).json()["id"]
    with Session(get_engine()) as session:
        row = session.get(InboundDelivery, delivery_id)
        assert row is not None
        row.status, row.locked_until = "processing", utcnow() + timedelta(minutes=5)
        session.add(row)
        session.commit()
    assert inbound.process_delivery(delivery_id) == "processing"
    assert handler.calls == []


def test_handler_failure_is_retried_and_its_writes_rolled_back(client: TestClient, instance: Instance,
                                                               handler: Handler, fast_retries: None) -> None:
    handler.fail_times = 2
    body = b'{"id": 9}'
    client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-flaky"))
    instance.drain()
    assert handler.calls == ["d-flaky"] * 3
    [row] = rows()
    assert row.status == "done" and row.attempts == 3 and row.last_error is None
    # the two failed attempts wrote the same row and were rolled back: exactly one survives
    assert handled_accounts() == ["handled-d-flaky"]


def test_handler_failing_every_time_ends_failed_with_its_error(client: TestClient, instance: Instance,
                                                               handler: Handler, fast_retries: None) -> None:
    handler.fail_times = 100
    body = b'{"id": 10}'
    client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-bad"))
    instance.drain(rounds=10)
    [row] = rows()
    assert row.status == "failed"
    assert row.attempts == 4  # the first attempt + three retries of the schedule "0,0,0"
    assert row.last_error == "RuntimeError: store API unavailable"
    assert handled_accounts() == []
    # after the handler is fixed, an operator retries it
    handler.fail_times = 0
    assert inbound.retry(row.id) is True
    instance.drain()
    assert rows()[0].status == "done"
    assert handled_accounts() == ["handled-d-bad"]


def test_backoff_waits_between_handler_attempts(client: TestClient, instance: Instance, handler: Handler,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_INBOUND_RETRY_SCHEDULE", "60,600")
    handler.fail_times = 1
    body = b'{"id": 11}'
    client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-later"))
    before = utcnow()
    instance.drain()
    after = utcnow()
    [row] = rows()
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at is not None
    # Due exactly 60 s after the failed attempt, which ran between ``before`` and ``after`` (however
    # long the worker took on a busy machine).
    due = as_utc(row.next_attempt_at)
    assert before + timedelta(seconds=60) <= due <= after + timedelta(seconds=60), (before, due, after)
    scheduled = get_queue(WEBHOOKS).scheduled_job_registry.get_job_ids()
    assert f"{row.id}-2" in scheduled
    # a sweep before it is due does not jump the queue
    assert inbound.sweep(requeue_pending=True)["requeued"] == 0


def test_setup_ping_gets_200_and_is_not_stored(client: TestClient, instance: Instance, handler: Handler) -> None:
    response = client.post(f"/webhooks/{PLATFORM}", content=b"webhook_id=17",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert response.json() == {"received": True, "id": None, "ping": True}
    instance.drain()
    assert rows() == [] and handler.calls == []


def test_oversized_body_is_413(client: TestClient, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_INBOUND_MAX_BODY_BYTES", "100")
    body = b"{" + b" " * 200 + b"}"
    assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-big")).status_code == 413
    assert rows() == []


def test_zero_loss_when_no_worker_runs_and_the_queue_is_lost(client: TestClient, instance: Instance,
                                                             handler: Handler) -> None:
    """Deliveries accepted while no worker runs (and Redis lost its messages) are resumed by the sweep."""
    sent = [f"d-{n}" for n in range(25)]
    for delivery_id in sent:
        body = f'{{"n": "{delivery_id}"}}'.encode()
        assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, delivery_id)).status_code == 200
    get_queue(WEBHOOKS).empty()  # the messages are gone; only the rows remain
    assert all(r.status == "pending" for r in rows())
    instance.drain()
    assert handler.calls == []

    # periodic sweeps leave fresh rows alone (their message may be on its way) ...
    assert inbound.sweep()["requeued"] == 0
    # ... the start-up sweep takes every pending row
    assert inbound.sweep(requeue_pending=True)["requeued"] == len(sent)
    assert inbound.sweep(requeue_pending=True)["requeued"] == 0, "already queued rows are not doubled"
    instance.drain()
    assert sorted(handler.calls) == sorted(sent)
    assert all(r.status == "done" for r in rows())
    assert len(handled_accounts()) == len(sent)


def test_delivery_of_a_dead_worker_is_taken_back(client: TestClient, instance: Instance, handler: Handler) -> None:
    body = b'{"id": 12}'
    delivery_id = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-dead")).json()["id"]
    get_queue(WEBHOOKS).empty()
    with Session(get_engine()) as session:
        row = session.get(InboundDelivery, delivery_id)
        assert row is not None
        row.status, row.attempts = "processing", 1
        row.locked_until = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    counts = inbound.sweep()
    assert counts["reclaimed"] == 1
    instance.drain()
    [row] = rows()
    assert row.status == "done" and row.attempts == 2
    assert handler.calls == ["d-dead"]


def test_enqueue_failure_still_answers_200_and_sweep_recovers(client: TestClient, instance: Instance,
                                                              handler: Handler,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis down at receive time: the row is committed, the platform gets 200, the sweep queues it."""
    from printgate.webhooks import _queue

    def broken_queue(_name: str) -> Any:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(_queue, "get_queue", broken_queue)
    body = b'{"id": 13}'
    assert client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-noredis")).status_code == 200
    monkeypatch.undo()
    assert [r.status for r in rows()] == ["pending"]
    inbound.sweep(requeue_pending=True)
    instance.drain()
    assert handler.calls == ["d-noredis"]


def plain_handler(session: Session, delivery: InboundDelivery) -> None:
    session.add(Account(id=f"acct_{delivery.id}", name=f"handled-{delivery.delivery_id}"))


def test_a_platform_handler_is_a_function_not_a_dotted_path(client: TestClient, instance: Instance) -> None:
    """Handlers are referenced, never loaded from strings: a string is refused when registering
    (at start-up), not when the first delivery reaches a worker."""
    with pytest.raises(TypeError, match="handle"):
        inbound.register_platform("dotted", verify=verify, handle="tests.webhooks.test_inbound.plain_handler")  # type: ignore[arg-type]
    assert "dotted" not in inbound.platforms()
    inbound.register_platform("plain", verify=verify, handle=plain_handler)
    try:
        body = b'{"id": 14}'
        assert client.post("/webhooks/plain", content=body, headers=signed(body, "d-path")).status_code == 200
        instance.drain()
        assert handled_accounts() == ["handled-d-path"]
    finally:
        inbound.unregister_platform("plain")


def test_unregistered_handler_in_worker_is_a_retried_failure(client: TestClient, instance: Instance,
                                                             handler: Handler, fast_retries: None) -> None:
    body = b'{"id": 15}'
    client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-orphan"))
    inbound.unregister_platform(PLATFORM)
    instance.drain(rounds=10)
    [row] = rows()
    assert row.status == "failed"
    assert row.last_error is not None and "no handler registered" in row.last_error


def test_concurrent_bursts_with_duplicates_store_each_delivery_once(instance: Instance, handler: Handler) -> None:
    """32 threads at once share insert transactions (group commit); a delivery id seen several
    times in the same batch is still stored once, and every caller learns which row is its own."""
    from concurrent.futures import ThreadPoolExecutor

    deliveries = [f"burst-{n % 60}" for n in range(240)]  # each id four times

    def send(delivery_id: str) -> inbound.Accepted:
        body = f'{{"id": "{delivery_id}"}}'.encode()
        return inbound.accept(PLATFORM, signed(body, delivery_id), body)

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(send, deliveries))
    stored = {r.delivery_id: r.id for r in rows()}
    assert len(stored) == 60
    assert sum(1 for r in results if not r.duplicate) == 60
    for delivery_id, result in zip(deliveries, results, strict=True):
        assert result.id == stored[delivery_id]
    instance.drain()
    assert sorted(handler.calls) == sorted(set(deliveries))
    assert len(handled_accounts()) == 60


def test_done_deliveries_are_purged_after_the_retention_but_not_pending_ones(
        client: TestClient, instance: Instance, handler: Handler) -> None:
    for delivery_id in ("d-old-done", "d-old-pending"):
        body = delivery_id.encode()
        client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, delivery_id))
    inbound.process_delivery(rows()[0].id)
    with Session(get_engine()) as session:
        for row in session.exec(select(InboundDelivery)).all():
            row.received_at = utcnow() - timedelta(days=15)
            session.add(row)
        session.commit()
    counts = inbound.sweep()
    assert counts["purged"] == 1
    assert [r.delivery_id for r in rows()] == ["d-old-pending"]


def test_sweep_is_registered_with_core_housekeeping(client: TestClient, instance: Instance,
                                                    handler: Handler) -> None:
    """``printgate serve`` runs the start-up sweeps; every worker runs the periodic ones."""
    from printgate.core import periodic

    assert "webhooks.sweep" in periodic.registered()
    body = b'{"id": 16}'
    client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-startup"))
    get_queue(WEBHOOKS).empty()
    results = periodic.run_startup()
    assert results["webhooks.sweep"] == {"inbound": {"requeued": 1, "reclaimed": 0, "purged": 0},
                                         "outbound": {"requeued": 0, "reclaimed": 0, "purged": 0}}
    instance.drain()
    assert handler.calls == ["d-startup"]


def _post_together(app: Any, requests: list[tuple[str, bytes, dict[str, str]]]) -> list[Any]:
    """Send requests concurrently into one event loop, as uvicorn serves many connections."""
    import asyncio

    import httpx

    async def main() -> list[Any]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(await asyncio.gather(*(http.post(path, content=body, headers=headers)
                                               for path, body, headers in requests)))

    return asyncio.run(main())


def test_concurrent_requests_share_a_batch_and_each_gets_its_own_answer(
        app: Any, instance: Instance, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests waiting on one event loop are verified, stored and queued together; a forged one in
    the batch is refused alone, a delivery id sent twice in the batch is stored once."""
    batches: list[int] = []

    def counted(items: list[inbound.Incoming]) -> list[inbound.Accepted | BaseException]:
        batches.append(len(items))
        return inbound._accept_many(items)

    monkeypatch.setattr(inbound._batcher, "_flush", counted)
    path = f"/webhooks/{PLATFORM}"
    good = [(path, f'{{"n": {n}}}'.encode(), f"d-batch-{n}") for n in range(20)]
    requests = [(p, body, signed(body, delivery_id)) for p, body, delivery_id in good]
    requests.append((path, b'{"n": 99}', signed(b'{"n": 99}', "d-forged", forge=True)))
    requests.append((path, b"webhook_id=5", {"Content-Type": "application/x-www-form-urlencoded"}))
    requests.append((path, good[0][1], signed(good[0][1], good[0][2])))  # the first one again
    responses = _post_together(app, requests)
    assert [r.status_code for r in responses] == [200] * 20 + [401, 200, 200]
    answers = [r.json() for r in responses]
    assert answers[20] == {"error": True, "message": "Invalid webhook signature: signature does not match"}
    assert answers[21] == {"received": True, "id": None, "ping": True}
    stored = {r.delivery_id: r.id for r in rows()}
    assert sorted(stored) == sorted(delivery_id for _, _, delivery_id in good)
    assert [a["id"] for a in answers[:20]] == [stored[delivery_id] for _, _, delivery_id in good]
    first, again = answers[0], answers[22]
    assert again["id"] == first["id"] and [first.get("duplicate"), again.get("duplicate")].count(True) == 1
    assert sum(batches) == len(requests) and len(batches) < len(requests), "requests were grouped"
    instance.drain()
    assert sorted(handler.calls) == sorted(stored)


def test_a_failed_commit_answers_500_and_stores_nothing(app: Any, handler: Handler,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """No 2xx without a committed row: when the insert fails, every delivery of that batch gets 500
    (the platform retries); a ping in the same batch is still answered."""
    def broken_insert(_rows: list[dict[str, Any]]) -> list[bool]:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(inbound, "_insert_rows", broken_insert)
    path = f"/webhooks/{PLATFORM}"
    body = b'{"id": 30}'
    responses = _post_together(app, [
        (path, body, signed(body, "d-unstored")),
        (path, b"webhook_id=6", {"Content-Type": "application/x-www-form-urlencoded"}),
    ])
    assert [r.status_code for r in responses] == [500, 200]
    assert responses[0].json() == {"error": True, "message": "Internal error"}
    assert rows() == []


# --- the receiver's ASGI fast path (printgate.webhooks.routes.InboundFastPath) ---------------------------------

def _asgi_post(app: Any, path: str, chunks: list[bytes], headers: dict[str, str], *, disconnect: bool = False,
               root_path: str = "") -> tuple[int | None, dict[str, str], bytes]:
    """Drive the ASGI app by hand: the body in ``chunks`` (``more_body``), or a disconnect after them."""
    import asyncio

    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1 or disconnect}
        for n, chunk in enumerate(chunks)]
    if disconnect:
        messages.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": root_path + path, "raw_path": (root_path + path).encode(), "query_string": b"",
             "root_path": root_path, "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return (start["status"] if start else None,
            {k.decode(): v.decode() for k, v in start["headers"]} if start else {}, body)


def test_fast_path_answers_webhooks_without_the_routes_and_browsers_still_get_cors(
        client: TestClient, app: Any, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.webhooks import routes

    routed: list[str] = []
    real_receive = routes._receive

    async def spy(request: Any, platform: str, connection_id: str | None) -> Any:
        routed.append(platform)
        return await real_receive(request, platform, connection_id)

    monkeypatch.setattr(routes, "_receive", spy)
    body = b'{"id": 40}'
    plain = client.post(f"/webhooks/{PLATFORM}/conn_a", content=body, headers=signed(body, "d-fast"))
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    assert plain.json() == {"received": True, "id": rows()[0].id}
    assert routed == [], "no FastAPI route on the fast path"

    browser = client.post(f"/webhooks/{PLATFORM}", content=body,
                          headers={**signed(body, "d-fast"), "Origin": "https://shop.example"})
    assert browser.status_code == 200 and browser.headers["access-control-allow-origin"] == "*"
    assert browser.json() == {"received": True, "id": rows()[0].id, "duplicate": True}
    unknown = client.post("/webhooks/nosuchplatform", content=body, headers=signed(body, "d-x"))
    assert unknown.status_code == 404 and unknown.json()["message"] == "Unknown webhook platform: nosuchplatform"
    assert routed == [PLATFORM, "nosuchplatform"], "those two took the routes"

    # the same refusals, in the same shape, as the routes give
    forged = client.post(f"/webhooks/{PLATFORM}", content=body, headers=signed(body, "d-f", forge=True))
    assert forged.status_code == 401
    assert forged.json() == {"error": True, "message": "Invalid webhook signature: signature does not match"}
    assert client.post(f"/webhooks/{PLATFORM}/conn_zz", content=body, headers=signed(body, "d-z")).status_code == 404
    assert client.post(f"/webhooks/{PLATFORM}/a/b", content=body, headers=signed(body, "d-y")).status_code in (404, 405)
    assert client.get(f"/webhooks/{PLATFORM}").status_code == 405
    assert len(rows()) == 1


def test_fast_path_refuses_a_streamed_body_over_the_limit_before_reading_it_all(
        app: Any, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_INBOUND_MAX_BODY_BYTES", "100")
    body = b"{" + b" " * 200 + b"}"
    chunks = [body[:60], body[60:120], body[120:]]
    status, _, answer = _asgi_post(app, f"/webhooks/{PLATFORM}", chunks, signed(body, "d-stream"))
    assert status == 413
    assert answer == b'{"error":true,"message":"Webhook body is larger than 100 bytes"}'
    status, _, _ = _asgi_post(app, f"/webhooks/{PLATFORM}", [b'{"small":', b"1}"], signed(b'{"small":1}', "d-ok"))
    assert status == 200, "a chunked body within the limit is joined and verified"
    assert [r.delivery_id for r in rows()] == ["d-ok"]


def test_fast_path_stores_nothing_for_a_sender_that_hung_up(app: Any, handler: Handler) -> None:
    body = b'{"id": 41}'
    status, _, _ = _asgi_post(app, f"/webhooks/{PLATFORM}", [body[:5]], signed(body, "d-gone"), disconnect=True)
    assert status is None
    assert rows() == []


def test_fast_path_honours_root_path_and_answers_500_on_an_unexpected_error(
        app: Any, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    body = b'{"id": 42}'
    status, _, _ = _asgi_post(app, f"/webhooks/{PLATFORM}", [body], signed(body, "d-root"), root_path="/pg")
    assert status == 200 and [r.delivery_id for r in rows()] == ["d-root"]

    async def broken(*_args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(inbound, "accept_async", broken)
    status, _, answer = _asgi_post(app, f"/webhooks/{PLATFORM}", [body], signed(body, "d-bug"))
    assert (status, answer) == (500, b'{"error":true,"message":"Internal error"}')
