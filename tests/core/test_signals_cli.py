"""``printgate signals list|retry`` (issue 14): what core's outbox gave up on after ``MAX_ATTEMPTS`` was
kept for an operator and counted on ``/metrics`` (``printgate_signals_failed``), but nothing put it back.
(The same for outbound webhook deliveries: tests/webhooks/test_operator_cli.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session

from printgate.core import outbox, signals
from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.models import SignalOwed
from tests.conftest import Instance

TEST_SIGNAL = "test.operator"


class FailingListener:
    """Raises while ``down``; counts the calls it took."""

    def __init__(self) -> None:
        self.down = True
        self.took: list[str] = []

    def __call__(self, **kwargs: object) -> None:
        if self.down:
            raise RuntimeError("listener is down")
        self.took.append(str(kwargs["signal_id"]))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    from printgate.cli import main

    monkeypatch.setattr("printgate.core.logs.setup", lambda *args, **kwargs: None)  # keep pytest's handlers

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _given_up_row(listener: FailingListener) -> str:
    """A row whose listener raised on every one of its ``MAX_ATTEMPTS`` attempts, as the sweep gives up."""
    with Session(get_engine()) as session:
        row_id = outbox.owe(session, TEST_SIGNAL, job_id="job_x")
        session.commit()
        outbox.dispatch_owed(session)
    later = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        later += timedelta(hours=2)
        outbox.sweep(now=later)
    with Session(get_engine()) as session:
        row = session.get(SignalOwed, row_id)
        assert row is not None and row.failed_at is not None and row.attempts == outbox.MAX_ATTEMPTS
    return row_id


def test_signals_given_up_are_listed_and_put_back_for_the_sweep(
        instance: Instance, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., tuple[int, str, str]]) -> None:
    listener = FailingListener()
    monkeypatch.setitem(signals._listeners, TEST_SIGNAL, [listener])
    failed_id = _given_up_row(listener)
    with Session(get_engine()) as session:  # a second row, still owed (in its grace), not failed
        owed_id = outbox.owe(session, TEST_SIGNAL, job_id="job_y")
        session.commit()
    assert outbox.counts() == {"owed": 1, "failed": 1}

    code, out, _ = cli("signals", "list", "--failed", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["id"] == failed_id and listed["status"] == "failed"
    assert listed["attempts"] == outbox.MAX_ATTEMPTS and "listener is down" in listed["lastError"]
    assert listed["kwargs"] == {"job_id": "job_x"}
    code, out, _ = cli("signals", "list")
    assert code == 0 and failed_id in out and owed_id in out and "failed" in out

    code, out, err = cli("signals", "retry", "--all-failed")
    assert code == 0 and "Put 1 signal(s) back" in out and not err
    with Session(get_engine()) as session:
        row = session.get(SignalOwed, failed_id)
        assert row is not None and row.failed_at is None and row.attempts == 0 and row.done_at is None
        assert row.next_attempt_at <= utcnow()
    assert cli("signals", "list", "--failed", "--json")[1].strip() == "[]"

    listener.down = False  # the cause is fixed: the next sweep delivers it, at once
    assert outbox.sweep()["delivered"] == 1
    assert listener.took == [failed_id]
    assert outbox.counts() == {"owed": 1, "failed": 0}


def test_signals_retry_names_rows_and_refuses_unknown_or_delivered_ones(
        instance: Instance, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., tuple[int, str, str]]) -> None:
    listener = FailingListener()
    monkeypatch.setitem(signals._listeners, TEST_SIGNAL, [listener])
    failed_id = _given_up_row(listener)
    code, out, err = cli("signals", "retry", failed_id, "sig_nope", "--json")
    assert code == 2
    assert json.loads(out) == {"retried": [failed_id], "notFound": ["sig_nope"]}
    listener.down = False
    assert outbox.sweep()["delivered"] == 1
    code, out, err = cli("signals", "retry", failed_id)  # delivered now: nothing to put back
    assert code == 2 and "Put 0 signal(s) back" in out and f"no undelivered signal {failed_id}" in err
    code, _, err = cli("signals", "retry")
    assert code == 2 and "--all-failed" in err
