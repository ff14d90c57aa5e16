"""The signal outbox: an event core announces is never lost between two commits.

A change core announces (job created, job terminal, job processed, job reviewed, order captured)
writes "signal X with kwargs K is owed" (``owe``) in the transaction that makes the change. After
the commit the caller dispatches it at once (``dispatch_owed``, same latency as a plain signal) and
the row is marked done. A row left undone, because the process died between the two commits or a
listener raised, is delivered again by ``sweep`` after ``GRACE_S``, with backoff, at most
``MAX_ATTEMPTS`` times; then it is kept, marked failed, for an operator (``/metrics``:
``printgate_signals_failed``). A redelivery skips the listeners that already took the row; the
others get the row's id as ``signal_id`` and must be idempotent (``printgate.core.signals``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, event, func, insert, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from printgate.core import signals
from printgate.core.clock import utcnow
from printgate.core.db import complete_row, get_engine
from printgate.core.ids import new_id
from printgate.core.models import SignalOwed

log = logging.getLogger("printgate.outbox")

GRACE_S = 20.0  # the dispatch after the commit has had its chance by then
BACKOFF_S = (30, 60, 120, 300, 900, 1800, 3600)  # after the 1st, 2nd... failed attempt
MAX_ATTEMPTS = 8  # about two hours of retries
KEEP_DONE_DAYS = 7
SWEEP_EVERY_S = 10  # how often core's room runs ``sweep``
# Session.info keys: the rows this session owes in its open transaction, and those it committed.
_PENDING, _COMMITTED = "printgate.outbox.pending", "printgate.outbox.committed"
_NO_SYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


@dataclass
class _Owed:
    """What a delivery needs of a row (a plain copy: the caller's session may expire its objects)."""

    id: str
    signal: str
    kwargs: dict[str, Any]
    attempts: int = 0
    delivered_to: list[str] = field(default_factory=list)


_OWE = insert(SignalOwed.__table__)  # type: ignore[attr-defined]


def owe(session: Session, signal: str, **kwargs: Any) -> str:
    """Record that ``signal(**kwargs)`` is owed, in ``session``'s transaction (commit it with the
    change); ``dispatch_owed(session)`` after that commit delivers it."""
    now = utcnow()
    record = complete_row(SignalOwed, {"id": new_id("sig"), "signal": signal, "kwargs": kwargs, "created_at": now,
                                       "next_attempt_at": now + timedelta(seconds=GRACE_S)})
    # A Core INSERT in the session's transaction: no ORM object to build and flush (once per change).
    session.execute(_OWE, record)
    if _PENDING not in session.info:  # this session's first debt: follow its commits and rollbacks
        session.info[_PENDING], session.info[_COMMITTED] = [], []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)
    session.info[_PENDING].append(_Owed(record["id"], signal, kwargs))
    return str(record["id"])


def _committed(session: Session) -> None:
    session.info[_COMMITTED].extend(session.info[_PENDING])
    session.info[_PENDING].clear()


def _rolled_back(session: Session) -> None:
    session.info[_PENDING].clear()  # gone with the change they announced


def dispatch_owed(session: Session) -> int:
    """Deliver, now, what ``session`` owed and has committed; return how many were delivered whole.
    Rows rolled back with their change are not delivered; rows not committed yet wait for the commit."""
    owed = session.info.get(_COMMITTED)
    if not owed:
        return 0
    rows = list(owed)
    owed.clear()
    engine = session.get_bind().engine  # the session's own engine: no settings look-up per delivery
    return sum(_deliver(row, engine) for row in rows)


# Built once: the row's outcome, written only while it is still owed; a delivery every listener took
# (the usual outcome, once per change) with its values bound too, so nothing is built per delivery.
_RECORD = update(SignalOwed).where(col(SignalOwed.id) == bindparam("row_id"), col(SignalOwed.done_at).is_(None))
_RECORD_DONE = _RECORD.values(delivered_to=bindparam("took"), attempts=bindparam("attempt"),
                              done_at=bindparam("done"), last_error=None)


def _deliver(row: _Owed, engine: Engine | None = None, *, claimed: bool = False) -> bool:
    """Run the listeners that have not taken ``row`` yet and record the outcome; True when all took it.
    ``claimed``: the sweep already counted this attempt and pushed ``next_attempt_at`` past it."""
    done_before = list(row.delivered_to)
    took, failed = signals.deliver(row.signal, {**row.kwargs, "signal_id": row.id},
                                   skip=frozenset(done_before))
    now = utcnow()
    attempts = row.attempts if claimed else row.attempts + 1
    values: dict[str, Any] = {"delivered_to": done_before + took, "attempts": attempts}
    if not failed:
        values.update(done_at=now, last_error=None)
    else:
        values["last_error"] = "; ".join(f"{name}: {error}" for name, error in failed)[:2000]
        if attempts >= MAX_ATTEMPTS:
            values["failed_at"] = now
            log.error("signal %s (%s %s) gave up after %d attempts: %s", row.id, row.signal, row.kwargs,
                      attempts, values["last_error"])
        elif not claimed:
            values["next_attempt_at"] = now + timedelta(seconds=_backoff_s(attempts))
        log.warning("signal %s (%s) not taken by %s; attempt %d of %d", row.id, row.signal,
                    ", ".join(name for name, _ in failed), attempts, MAX_ATTEMPTS)
    try:  # a plain connection, no ORM session: this runs once per event
        with (engine or get_engine()).begin() as connection:
            if connection.dialect.name == "postgresql":
                # No wait for the disk: a "done" lost in a crash costs one more (idempotent) delivery.
                connection.execute(_NO_SYNC_COMMIT)
            if failed:
                connection.execute(_RECORD.values(**values), {"row_id": row.id})
            else:
                connection.execute(_RECORD_DONE, {"row_id": row.id, "took": values["delivered_to"],
                                                  "attempt": attempts, "done": now})
    except Exception:  # the listeners ran; an unrecorded success only means one more (idempotent) delivery
        log.exception("could not record the delivery of signal %s", row.id)
    return not failed


def _backoff_s(attempts: int) -> float:
    return BACKOFF_S[min(max(attempts, 1), len(BACKOFF_S)) - 1]


def _claim(session: Session, row: SignalOwed | _Owed, now: datetime) -> bool:
    """Take the row's next attempt (compare-and-set on ``attempts``): two sweeps deliver it once."""
    attempts = row.attempts + 1
    result = session.execute(
        update(SignalOwed)
        .where(col(SignalOwed.id) == row.id, col(SignalOwed.attempts) == row.attempts,
               col(SignalOwed.done_at).is_(None), col(SignalOwed.failed_at).is_(None))
        .values(attempts=attempts, next_attempt_at=now + timedelta(seconds=_backoff_s(attempts))))
    session.commit()
    if getattr(result, "rowcount", 0) != 1:
        return False
    row.attempts = attempts
    return True


def sweep(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Deliver rows whose commit's dispatch never finished (``next_attempt_at`` has come), oldest
    first; purge done rows after ``KEEP_DONE_DAYS``. Safe to run from several processes at once."""
    now = now or utcnow()
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "purged": 0}
    with Session(get_engine(), expire_on_commit=False) as session:
        due = list(session.exec(select(SignalOwed).where(
            col(SignalOwed.done_at).is_(None), col(SignalOwed.failed_at).is_(None),
            col(SignalOwed.next_attempt_at) <= now).order_by(col(SignalOwed.next_attempt_at)).limit(limit)).all())
        for row in due:
            if not _claim(session, row, now):
                continue  # another sweep took it
            if row.attempts > 1 or row.delivered_to:
                log.info("delivering signal %s (%s) again, attempt %d", row.id, row.signal, row.attempts)
            else:
                log.warning("signal %s (%s %s) was never delivered (its process stopped after the commit); "
                            "delivering it now", row.id, row.signal, row.kwargs)
            if _deliver(_Owed(row.id, row.signal, row.kwargs or {}, row.attempts, list(row.delivered_to or [])),
                        claimed=True):
                counts["delivered"] += 1
            elif row.attempts >= MAX_ATTEMPTS:
                counts["failed"] += 1
            else:
                counts["retrying"] += 1
        purged = session.execute(delete(SignalOwed).where(
            col(SignalOwed.done_at).is_not(None), col(SignalOwed.done_at) < now - timedelta(days=KEEP_DONE_DAYS)))
        session.commit()
        counts["purged"] = int(getattr(purged, "rowcount", 0) or 0)
    return counts


def counts() -> dict[str, int]:
    """Rows still owed (not done, not given up) and rows given up, for ``/metrics``."""
    with Session(get_engine()) as session:
        owed = session.exec(select(func.count()).select_from(SignalOwed).where(
            col(SignalOwed.done_at).is_(None), col(SignalOwed.failed_at).is_(None))).one()
        failed = session.exec(select(func.count()).select_from(SignalOwed).where(
            col(SignalOwed.failed_at).is_not(None))).one()
    return {"owed": int(owed), "failed": int(failed)}


# --- for an operator (``printgate signals list|retry``) --------------------------------------------

def rows(*, failed_only: bool = False, limit: int = 100) -> list[SignalOwed]:
    """The rows not delivered yet (still owed, or given up), oldest first; with ``failed_only`` only
    those given up, which no sweep will deliver unless an operator retries them."""
    query = select(SignalOwed).where(col(SignalOwed.done_at).is_(None))
    if failed_only:
        query = query.where(col(SignalOwed.failed_at).is_not(None))
    with Session(get_engine(), expire_on_commit=False) as session:
        return list(session.exec(query.order_by(col(SignalOwed.created_at), col(SignalOwed.id)).limit(limit)).all())


def retry(ids: list[str] | None = None, *, all_failed: bool = False,
          now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Put rows back for the sweep to deliver at its next run (every 10 s), with a fresh set of
    ``MAX_ATTEMPTS`` attempts: the given-up rows (``all_failed``), or these ids (given up or still
    owed). A redelivery still skips the listeners that already took a row. Returns the ids put back
    and, of the ids asked for, those unknown or already delivered."""
    now = now or utcnow()
    with Session(get_engine()) as session:
        which = [col(SignalOwed.done_at).is_(None),
                 col(SignalOwed.failed_at).is_not(None) if all_failed else col(SignalOwed.id).in_(ids or [])]
        found = list(session.exec(select(SignalOwed.id).where(*which).order_by(col(SignalOwed.created_at))).all())
        if found:
            session.execute(update(SignalOwed).where(*which).values(attempts=0, failed_at=None, next_attempt_at=now))
            session.commit()
    if found:
        log.warning("an operator put %d signal(s) back to be delivered: %s", len(found), ", ".join(found[:20]))
    return found, [row_id for row_id in dict.fromkeys(ids or []) if row_id not in found]
