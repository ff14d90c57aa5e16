"""What a queue message costs the worker in statements (issue 17): live, each message carries a few
deliveries, so its fixed cost is what bounds the webhooks handled per CPU second. The due rows are
claimed and read in one statement, and a message whose row another message's batch handled is
answered by one read, without a transaction to commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from printgate.core.queue import WEBHOOKS, get_queue
from printgate.webhooks import inbound
from tests.conftest import Instance
from tests.webhooks.test_inbound import PLATFORM, Handler, handled_accounts, handler, rows, signed

__all__ = ["handler"]  # the fixture, shared with test_inbound

TABLE = "webhook_inbound_delivery"


@contextmanager
def _statements() -> Iterator[dict[str, Any]]:
    """While inside: the statements that touch the deliveries' table (by kind), and the commits."""
    seen: dict[str, Any] = {"SELECT": 0, "UPDATE": 0, "commits": 0}

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper()
        kind = "UPDATE" if f"UPDATE {TABLE}" in statement else kind  # a claim may start with WITH
        if TABLE in statement and kind in seen:
            seen[kind] += 1

    def on_commit(_conn: Any) -> None:
        seen["commits"] += 1

    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Engine, "commit", on_commit)


def _store_batch(count: int, prefix: str) -> None:
    items = [inbound.Incoming(PLATFORM, signed(body, f"{prefix}-{n}"), body)
             for n, body in enumerate(f'{{"n": {n}}}'.encode() for n in range(count))]
    assert all(isinstance(result, inbound.Accepted) for result in inbound._accept_many(items))


def test_a_message_claims_and_reads_its_whole_batch_in_one_statement(instance: Instance, handler: Handler) -> None:
    _store_batch(6, "c")
    newest = rows()[-1]
    with _statements() as seen:
        assert inbound.process_delivery(newest.id) == "done"
    assert {row.status for row in rows()} == {"done"}
    assert handler.calls == [f"c-{n}" for n in range(6)], "each once, oldest first"
    assert len(handled_accounts()) == 6
    # its own claim, the claim of every due row (which returns them whole), the batch's done mark:
    # no read of the rows before or after the claim (the old code read the due ids, then the rows)
    assert seen["UPDATE"] == 3 and seen["SELECT"] == 0, seen
    assert seen["commits"] == 1, seen  # its own claim commits with the batch and its handlers' writes


def test_a_message_whose_row_was_handled_costs_one_read_and_no_commit(instance: Instance,
                                                                      handler: Handler) -> None:
    _store_batch(1, "e")
    _store_batch(1, "f")  # a second stored batch: a second message, which handles both rows
    older, newest = rows()
    assert get_queue(WEBHOOKS).count == 2
    assert inbound.process_delivery(newest.id) == "done"
    with _statements() as seen:
        assert inbound.process_delivery(older.id) == "done"  # the older message, left behind
    assert handler.calls == ["e-0", "f-0"] and len(handled_accounts()) == 2, "nothing ran twice"
    assert seen == {"UPDATE": 1, "SELECT": 1, "commits": 0}, seen


def test_rows_of_a_claim_that_was_never_handled_are_read_again(instance: Instance, handler: Handler) -> None:
    """The claim keeps the rows it returned for the handlers; a batch whose handlers did not get them
    (rolled back and claimed again, say) reads them instead of trusting what it kept."""
    _store_batch(3, "g")
    newest = rows()[-1]
    real_claim_due = inbound._claim_due

    def claim_and_forget(session: Any, delivery_id: str, now: Any) -> Any:
        found = real_claim_due(session, delivery_id, now)
        session.info.pop(inbound._CLAIMED, None)
        return found

    try:
        inbound._claim_due = claim_and_forget  # type: ignore[assignment]
        assert inbound.process_delivery(newest.id) == "done"
    finally:
        inbound._claim_due = real_claim_due  # type: ignore[assignment]
    assert {row.status for row in rows()} == {"done"}
    assert handler.calls == ["g-0", "g-1", "g-2"] and len(handled_accounts()) == 3


def test_a_lone_delivery_costs_one_commit_and_a_failure_is_still_recorded(instance: Instance,
                                                                          handler: Handler) -> None:
    """Its claim commits with its handler's writes. A failing handler rolls the claim back with its
    work: the claim is taken again, so the failure is recorded and the retry scheduled as before."""
    _store_batch(1, "h")
    [row] = rows()
    with _statements() as seen:
        assert inbound.process_delivery(row.id) == "done"
    assert seen["commits"] == 1, seen
    _store_batch(1, "k")
    failing = rows()[-1]
    handler.fail_times = 1
    assert inbound.process_delivery(failing.id) == "pending"
    [after] = [r for r in rows() if r.id == failing.id]
    assert after.attempts == 1 and after.last_error and after.next_attempt_at is not None
    assert inbound._queue.message_status(inbound._rq_id(failing.id, 2)) == "scheduled", "its retry is on its way"
    assert handled_accounts() == ["handled-h-0"], "the failed attempt's writes were rolled back"
