"""The signal outbox (``printgate.core.outbox``, issue 14): a listener that raises is retried by the
sweep, alone, with backoff, and given up after ``MAX_ATTEMPTS`` (logged with the row id, counted on
``/metrics``); a change rolled back owes nothing; two sweeps deliver a row once.
(The crash between the two commits, per signal, with the webhooks' listener: tests/webhooks/test_signal_outbox_delivery.py.)"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from printgate.core import outbox, periodic, signals
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.models import SignalOwed
from tests.conftest import Instance, b64

TEST_SIGNAL = "test.outbox"


class Listener:
    """Counts its calls; raises while ``failures`` is above zero (each failure uses one)."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("receiver is down")


@pytest.fixture
def listen(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Listener], Listener]:
    """Add a listener to ``signal`` for this test only (the wired ones stay)."""
    def add(signal: str, listener: Listener) -> Listener:
        monkeypatch.setitem(signals._listeners, signal, [*signals._listeners[signal], listener])
        return listener

    return add


def _rows(signal: str) -> list[SignalOwed]:
    with Session(get_engine()) as session:
        return list(session.exec(select(SignalOwed).where(SignalOwed.signal == signal)).all())


def _owe_and_dispatch(**kwargs: Any) -> str:
    with Session(get_engine()) as session:
        row_id = outbox.owe(session, TEST_SIGNAL, **kwargs)
        session.commit()
        outbox.dispatch_owed(session)
        return row_id


def test_a_listener_that_raised_is_retried_alone_after_its_backoff(
        client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
        listen: Callable[[str, Listener], Listener]) -> None:
    flaky = listen(signals.JOB_CREATED, Listener(failures=1))
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    assert [c["job_id"] for c in flaky.calls] == [job_id]
    [row] = _rows(signals.JOB_CREATED)
    assert row.done_at is None and row.attempts == 1 and "receiver is down" in (row.last_error or "")
    # The webhooks room's listener took it: a redelivery skips it.
    assert "printgate.webhooks.outbound.emit.on_job_created" in (row.delivered_to or [])
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=outbox.BACKOFF_S[0] - 5)

    assert outbox.sweep(now=utcnow() + timedelta(seconds=5))["delivered"] == 0  # its backoff has not passed
    swept = outbox.sweep(now=utcnow() + timedelta(seconds=outbox.BACKOFF_S[0] + 1))
    assert swept["delivered"] == 1
    assert [c["signal_id"] for c in flaky.calls] == [row.id, row.id]  # one id per event instance
    [row] = _rows(signals.JOB_CREATED)
    assert row.done_at is not None and row.attempts == 2 and row.last_error is None
    assert flaky.__class__.__module__ + ".Listener" in (row.delivered_to or [])


def test_a_listener_that_keeps_failing_is_given_up_logged_and_counted(
        client: TestClient, instance: Instance, listen: Callable[[str, Listener], Listener],
        caplog: pytest.LogCaptureFixture) -> None:
    broken = listen(TEST_SIGNAL, Listener(failures=1000))
    row_id = _owe_and_dispatch(job_id="job_x")
    now = utcnow()
    for hour in range(1, outbox.MAX_ATTEMPTS + 3):  # far more sweeps than attempts
        with caplog.at_level(logging.ERROR, logger="printgate.outbox"):
            outbox.sweep(now=now + timedelta(hours=hour))
    assert len(broken.calls) == outbox.MAX_ATTEMPTS  # the first delivery and the sweep's, then no more
    [row] = _rows(TEST_SIGNAL)
    assert row.attempts == outbox.MAX_ATTEMPTS and row.failed_at is not None and row.done_at is None
    assert [r for r in caplog.records if row_id in r.getMessage() and "gave up" in r.getMessage()]
    assert outbox.counts() == {"owed": 0, "failed": 1}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "printgate_signals_failed 1.0" in metrics.text and "printgate_signals_owed 0.0" in metrics.text


def test_the_backoff_grows_between_attempts(instance: Instance, listen: Callable[[str, Listener], Listener]) -> None:
    broken = listen(TEST_SIGNAL, Listener(failures=1000))
    _owe_and_dispatch()
    start = utcnow()
    waits = []
    for _ in range(3):
        [row] = _rows(TEST_SIGNAL)
        waits.append((row.next_attempt_at - start).total_seconds())
        outbox.sweep(now=row.next_attempt_at + timedelta(seconds=1))
        start = row.next_attempt_at + timedelta(seconds=1)
    assert len(broken.calls) == 4  # the first delivery, then one per sweep
    assert waits[0] == pytest.approx(outbox.BACKOFF_S[0], abs=5)
    assert waits[1] == pytest.approx(outbox.BACKOFF_S[1], abs=1) and waits[2] == pytest.approx(outbox.BACKOFF_S[2], abs=1)


def test_a_change_rolled_back_owes_nothing(instance: Instance, listen: Callable[[str, Listener], Listener]) -> None:
    heard = listen(TEST_SIGNAL, Listener())
    with Session(get_engine()) as session:
        outbox.owe(session, TEST_SIGNAL, job_id="job_never")
        session.rollback()
        assert outbox.dispatch_owed(session) == 0
    assert heard.calls == [] and _rows(TEST_SIGNAL) == []
    assert outbox.sweep(now=utcnow() + timedelta(hours=1))["delivered"] == 0 and heard.calls == []


def test_two_sweeps_deliver_a_row_once(instance: Instance, listen: Callable[[str, Listener], Listener]) -> None:
    heard = listen(TEST_SIGNAL, Listener())
    with Session(get_engine()) as session:  # committed, never dispatched: its process died
        outbox.owe(session, TEST_SIGNAL, job_id="job_y")
        session.commit()
    [stale] = _rows(TEST_SIGNAL)
    now = utcnow() + timedelta(seconds=outbox.GRACE_S + 1)
    with Session(get_engine()) as session:
        assert outbox._claim(session, stale, now) is True
    [second_view] = _rows(TEST_SIGNAL)
    stale.attempts = 0  # what a second sweep read before the first one claimed it
    with Session(get_engine()) as session:
        assert outbox._claim(session, stale, now) is False
    assert second_view.attempts == 1 and heard.calls == []


def test_done_rows_are_purged_after_a_week_and_the_sweep_is_wired(
        instance: Instance, listen: Callable[[str, Listener], Listener]) -> None:
    listen(TEST_SIGNAL, Listener())
    _owe_and_dispatch()
    [row] = _rows(TEST_SIGNAL)
    assert row.done_at is not None
    assert outbox.sweep(now=utcnow() + timedelta(days=outbox.KEEP_DONE_DAYS - 1))["purged"] == 0
    assert outbox.sweep(now=utcnow() + timedelta(days=outbox.KEEP_DONE_DAYS + 1))["purged"] == 1
    assert _rows(TEST_SIGNAL) == []
    assert "signals.outbox" in periodic.registered()


def test_a_debt_is_delivered_only_once_its_change_is_committed(
        instance: Instance, listen: Callable[[str, Listener], Listener]) -> None:
    heard = listen(TEST_SIGNAL, Listener())
    with Session(get_engine()) as session:
        row_id = outbox.owe(session, TEST_SIGNAL, job_id="job_z")
        session.flush()  # written, not committed: a listener must not hear of it yet
        assert outbox.dispatch_owed(session) == 0 and heard.calls == []
        session.commit()
        assert outbox.dispatch_owed(session) == 1
        assert outbox.dispatch_owed(session) == 0  # once
    assert heard.calls == [{"job_id": "job_z", "signal_id": row_id}]
    [row] = _rows(TEST_SIGNAL)
    assert row.done_at is not None and row.attempts == 1 and row.delivered_to == ["tests.core.test_signal_outbox.Listener"]
