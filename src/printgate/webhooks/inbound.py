"""Inbound webhooks from store platforms: verify, store, answer 200, handle in a worker.

One receiver serves every platform (``POST /webhooks/{platform}[/{connection_id}]``). A platform
plugs in with :func:`register_platform`::

    register_platform(
        "shopify",
        verify=verify_shopify,            # (headers, raw_body, connection_id) -> Verified | Ping
        handle=handle_shopify,            # (session, InboundDelivery) -> None, run by a worker
        max_age_s=6 * 3600,               # Shopify retries for 4 h: accept that long, dedupe the rest
    )

The verifier checks the signature in constant time (``printgate.webhooks.signing``) and says who sent the
delivery; it raises ``SignatureError`` for a missing or wrong signature (401) and
``UnknownConnection`` when the connection does not exist (404). It returns :class:`Ping` for a
platform's unsigned setup ping (WooCommerce's form-encoded ``webhook_id=N``), which gets 200 and
is not stored.

Guarantees:

- A delivery is committed to ``webhook_inbound_delivery`` before the platform gets its 200, so a
  crash after the answer loses nothing.
- A platform delivery id is stored once: a replay or a platform retry answers 200 and is neither
  stored nor handled again. Deliveries older than the platform's window are refused.
- The handler runs at most once successfully per delivery: a worker claims the row
  (``pending`` -> ``processing``) with a conditional update, and the handler's writes commit in
  the same transaction that marks the row ``done`` (also conditional). Handlers should therefore
  not commit themselves; the framework commits for them. A failing handler is retried with
  backoff (``PRINTGATE_WEBHOOK_INBOUND_RETRY_SCHEDULE``), then the row is ``failed``.
- :func:`sweep` re-queues rows whose queue message was lost (no worker, Redis restarted) and takes
  back rows whose worker died mid-handler.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.errors import NotFound, PayloadTooLarge, Unauthorized
from printgate.core.ids import new_id
from printgate.webhooks import _queue
from printgate.webhooks._bulk_insert import insert_ignoring_conflicts
from printgate.webhooks._group import GroupRunner, LoopBatcher
from printgate.webhooks.models import InboundDelivery
from printgate.webhooks.settings import WebhookSettings, get_webhook_settings
from printgate.webhooks.signing import SignatureError

log = logging.getLogger("printgate.webhooks.inbound")



# --- registry --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verified:
    """What a verifier learned from a genuine delivery."""

    account_id: str | None
    connection_id: str | None
    delivery_id: str
    topic: str | None
    triggered_at: datetime | None = None


@dataclass(frozen=True)
class Ping:
    """A platform's unsigned setup ping: answered 200, never stored or handled."""

    note: str | None = None


class UnknownConnection(LookupError):
    """The URL names a connection (or shop) this instance does not know: 404."""


Verifier = Callable[[Mapping[str, str], bytes, "str | None"], "Verified | Ping"]
Handler = Callable[[Session, InboundDelivery], Any]

# Headers kept on the row (lower-case prefixes); signatures and credentials are never stored.
KEPT_HEADER_PREFIXES = ("x-shopify-", "shopify-", "x-wc-webhook-", "webhook-", "x-printgate-", "content-type",
                        "user-agent")
DROPPED_HEADER_WORDS = ("signature", "hmac", "authorization", "cookie", "token")


@dataclass(frozen=True)
class Platform:
    name: str
    verify: Verifier
    handle: Handler
    # Refuse deliveries whose own timestamp is older than this (None: the instance default).
    max_age_s: int | None = None
    # Extra header-name prefixes to keep on the row (lower-case).
    kept_headers: tuple[str, ...] = field(default_factory=tuple)


_platforms: dict[str, Platform] = {}


def register_platform(name: str, *, verify: Verifier, handle: Handler, max_age_s: int | None = None,
                      kept_headers: tuple[str, ...] = ()) -> Platform:
    """Make ``POST /webhooks/{name}`` live. Registering a name again replaces it (wiring is idempotent)."""
    if not callable(handle) or not callable(verify):
        raise TypeError(f"webhook platform {name!r}: verify and handle must be functions, not {handle!r}")
    platform = Platform(name=name, verify=verify, handle=handle, max_age_s=max_age_s,
                        kept_headers=tuple(h.lower() for h in kept_headers))
    _platforms[name] = platform
    return platform


def unregister_platform(name: str) -> None:
    _platforms.pop(name, None)


def get_platform(name: str) -> Platform | None:
    return _platforms.get(name)


def platforms() -> list[str]:
    return sorted(_platforms)


# --- receiving -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Accepted:
    id: str | None
    duplicate: bool = False
    ping: bool = False
    queued: bool = False

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"received": True, "id": self.id}
        if self.duplicate:
            out["duplicate"] = True
        if self.ping:
            out["ping"] = True
        return out


def _kept_headers(platform: Platform, headers: Mapping[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    extra = platform.kept_headers
    for key, value in headers.items():
        name = _header_verdicts.get((key, extra), _UNSEEN)
        if name is _UNSEEN:
            name = _kept_name(key, extra)
            if len(_header_verdicts) < 4096:  # senders repeat their header names; a hostile one cannot grow this
                _header_verdicts[(key, extra)] = name
        if name is not None:
            kept[str(name)] = value[:500]
    return kept


def _kept_name(key: str, extra: tuple[str, ...]) -> str | None:
    """The lower-case name a header is kept under, or None when it is not kept."""
    low = key.lower()
    if any(word in low for word in DROPPED_HEADER_WORDS):
        return None
    return low if low.startswith(KEPT_HEADER_PREFIXES) or (extra and low.startswith(extra)) else None


_UNSEEN = object()
_header_verdicts: dict[tuple[str, tuple[str, ...]], object] = {}


def _check_age(platform: Platform, triggered_at: datetime | None, now: datetime,
               settings: WebhookSettings) -> None:
    if triggered_at is None:
        return  # nothing to judge by: the delivery-id dedupe still stops replays
    max_age = platform.max_age_s if platform.max_age_s is not None else settings.inbound_max_age_s
    age = (now - as_utc(triggered_at)).total_seconds()
    if age > max_age:
        raise Unauthorized(f"Stale delivery: sent {int(age)} s ago, older than the {max_age} s window")
    if -age > settings.inbound_future_skew_s:
        raise Unauthorized("Delivery timestamp is in the future")


@dataclass(frozen=True)
class Incoming:
    """One delivery as it arrived: what ``accept`` needs, queued for the batch that stores it."""

    platform: str
    headers: Mapping[str, str]
    body: bytes
    connection_id: str | None = None


def accept(platform_name: str, headers: Mapping[str, str], body: bytes,
           connection_id: str | None = None) -> Accepted:
    """Verify and durably store one delivery, then queue its handling. Raises ``printgate.core.errors``.

    Concurrent callers (threads) share one insert transaction and one Redis pipeline."""
    return _raise_or_return(_accepts.submit(Incoming(platform_name, headers, body, connection_id)))


async def accept_async(platform_name: str, headers: Mapping[str, str], body: bytes,
                       connection_id: str | None = None) -> Accepted:
    """``accept`` for the HTTP receiver: requests waiting on one event loop are verified, stored
    (one transaction) and queued (one pipeline) together, in one thread hand-off per batch. It
    returns once this delivery is committed, so the 200 still means "stored"."""
    _platform_or_404(platform_name)  # cheap refusals without a trip to the thread
    _check_size(body, get_webhook_settings())
    return _raise_or_return(await _batcher.submit(Incoming(platform_name, headers, body, connection_id)))


def _raise_or_return(result: Accepted | BaseException) -> Accepted:
    if isinstance(result, BaseException):
        raise result
    return result


def _platform_or_404(name: str) -> Platform:
    platform = _platforms.get(name)
    if platform is None:
        raise NotFound(f"Unknown webhook platform: {name}")
    return platform


def _check_size(body: bytes, settings: WebhookSettings) -> None:
    limit = settings.inbound_max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(f"Webhook body is larger than {limit} bytes")


def _verified_row(item: Incoming, settings: WebhookSettings) -> dict[str, Any] | None:
    """Verify one delivery; return its row (None for a ping). Raises ``printgate.core.errors``."""
    platform = _platform_or_404(item.platform)
    _check_size(item.body, settings)
    try:
        verified = platform.verify(item.headers, item.body, item.connection_id)
    except SignatureError as exc:
        raise Unauthorized(f"Invalid webhook signature: {exc}") from exc
    except UnknownConnection as exc:
        raise NotFound(str(exc) or "Unknown connection") from exc
    if isinstance(verified, Ping):
        return None
    if not verified.delivery_id:
        raise Unauthorized("The delivery carries no delivery id")
    now = utcnow()
    _check_age(platform, verified.triggered_at, now, settings)
    return {
        "id": new_id("whin"), "platform": platform.name, "account_id": verified.account_id,
        "connection_id": verified.connection_id or item.connection_id,
        "delivery_id": verified.delivery_id[:200], "topic": verified.topic,
        "headers": _kept_headers(platform, item.headers), "body": item.body, "triggered_at": verified.triggered_at,
        "received_at": now, "status": "pending", "attempts": 0, "next_attempt_at": now,
    }


_batch_memo: ContextVar[dict[Any, Any] | None] = ContextVar("printgate_inbound_batch_memo", default=None)


def batch_memo() -> dict[Any, Any]:
    """A dict that lives as long as the batch of deliveries being verified (a fresh one outside a
    batch): a verifier keeps what it read for one delivery for the next ones of the same batch, so a
    burst from one shop reads the shop's connection once. It never outlives the batch: nothing stale."""
    memo = _batch_memo.get()
    return memo if memo is not None else {}


def _accept_many(items: list[Incoming]) -> list[Accepted | BaseException]:
    """Verify each delivery, store the genuine ones in one transaction, queue the new ones in one
    pipeline. Per item: its ``Accepted``, or the error that refuses it (a failed commit fails all)."""
    token = _batch_memo.set({})
    try:
        return _verify_and_store(items)
    finally:
        _batch_memo.reset(token)


def _verify_and_store(items: list[Incoming]) -> list[Accepted | BaseException]:
    settings = get_webhook_settings()  # once per batch: it reads the environment
    out: list[Accepted | BaseException] = []
    rows: list[dict[str, Any]] = []
    for item in items:
        try:
            row = _verified_row(item, settings)
        except Exception as exc:  # this delivery is refused; the others go on
            out.append(exc)
            continue
        if row is None:
            out.append(Accepted(id=None, ping=True))
        else:
            out.append(Accepted(id=row["id"]))  # provisional: settled below
            rows.append(row)
    if not rows:
        return out
    try:
        stored = _insert_rows(rows)
    except Exception as exc:
        return [exc if isinstance(result, Accepted) and not result.ping else result for result in out]
    new_ids = {row["id"] for row, ok in zip(rows, stored, strict=True) if ok}
    duplicates = {(row["platform"], row["delivery_id"]) for row, ok in zip(rows, stored, strict=True) if not ok}
    existing = _existing_ids(duplicates) if duplicates else {}
    queued = bool(new_ids) and _queue.schedule_many(
        process_delivery, [(row_id, _rq_id(row_id, 1)) for row_id in _messengers(rows, new_ids)],
        timeout=settings.inbound_handler_timeout_s, front=True)
    by_id = {row["id"]: row for row in rows}
    for n, result in enumerate(out):
        if not isinstance(result, Accepted) or result.ping:
            continue
        if result.id in new_ids:
            out[n] = Accepted(id=result.id, queued=queued)
            continue
        row = by_id[result.id]
        found = existing.get((row["platform"], row["delivery_id"]))
        out[n] = Accepted(id=found, duplicate=True) if found else RuntimeError("delivery neither stored nor found")
    return out


def _messengers(rows: list[dict[str, Any]], new_ids: set[str]) -> list[str]:
    """The rows whose queue message carries a stored batch: its newest row. The worker that takes it
    handles every due row received before it, oldest first (:func:`process_delivery`), so one
    message and one dequeue serve the whole batch instead of one per delivery."""
    stored = [row for row in rows if row["id"] in new_ids]
    return [max(stored, key=lambda row: (row["received_at"], row["id"]))["id"]] if stored else []


def _insert_rows(rows: list[dict[str, Any]]) -> list[bool]:
    """Insert a batch in one transaction; a row whose (platform, delivery id) exists is skipped.

    Returns, per row, whether it was stored. One commit for many concurrent requests: SQLite takes
    one write lock at a time, so this is what lets the receiver keep up with bursts.
    """
    engine = _engine()
    dialect = engine.dialect.name
    if dialect == "postgresql":  # one statement text for any batch size (see ``_bulk_insert``)
        with engine.begin() as conn:
            stored = set(insert_ignoring_conflicts(conn, InboundDelivery.__table__, rows,  # type: ignore[attr-defined]
                                                   ("platform", "delivery_id"), "id"))
        return [row["id"] in stored for row in rows]
    if dialect == "sqlite":
        stmt = _INSERTS.get(dialect)
        if stmt is None:  # built once per dialect: the receive path only binds rows
            from sqlalchemy.dialects.sqlite import insert as dialect_insert

            stmt = _INSERTS[dialect] = dialect_insert(InboundDelivery).on_conflict_do_nothing(
                index_elements=["platform", "delivery_id"]).returning(col(InboundDelivery.id))
        with engine.begin() as conn:
            stored = {row[0] for row in conn.execute(stmt, rows)} if len(rows) > 1 else \
                {row[0] for row in conn.execute(stmt, rows[0])}
        return [row["id"] in stored for row in rows]
    out = []
    for row in rows:  # other databases: one statement per row, duplicates by constraint
        try:
            with engine.begin() as conn:
                conn.execute(insert(InboundDelivery), row)
            out.append(True)
        except IntegrityError:
            out.append(False)
    return out


_INSERTS: dict[str, Any] = {}
_accepts: GroupRunner[Incoming, Accepted | BaseException] = GroupRunner(_accept_many, max_batch=200)
_batcher: LoopBatcher[Incoming, Accepted] = LoopBatcher(_accept_many, max_batch=200)

_engine_cache: dict[str, Any] = {}


def _engine() -> Any:
    """``get_engine()`` for the receive path, remembered per settings object (resolving the
    database URL touches the filesystem on every call)."""
    settings = get_settings()
    if _engine_cache.get("settings") is not settings:
        _engine_cache.update(settings=settings, engine=get_engine())
    return _engine_cache["engine"]


def _existing_ids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Row ids of stored deliveries, by (platform, delivery id)."""
    by_platform: dict[str, list[str]] = {}
    for platform, delivery_id in keys:
        by_platform.setdefault(platform, []).append(delivery_id)
    found: dict[tuple[str, str], str] = {}
    with Session(_engine()) as session:
        for platform, delivery_ids in by_platform.items():
            for row_id, delivery_id in session.exec(select(InboundDelivery.id, InboundDelivery.delivery_id).where(
                    InboundDelivery.platform == platform, col(InboundDelivery.delivery_id).in_(delivery_ids))):
                found[(platform, delivery_id)] = row_id
    return found


def _rq_id(row_id: str, attempt: int) -> str:
    return f"{row_id}-{attempt}"


# --- handling --------------------------------------------------------------------------------------

# Built once: the worker path only binds parameters (building statements costs more than running them).
# Claims return their rows whole: the handlers need no read of their own (see ``_CLAIMED``).
_CLAIM = (
    update(InboundDelivery)
    .where(col(InboundDelivery.id) == bindparam("row_id"), col(InboundDelivery.status) == "pending")
    .values(status="processing", attempts=col(InboundDelivery.attempts) + 1, next_attempt_at=None,
            locked_until=bindparam("lock_until"))
    .returning(InboundDelivery)
    .execution_options(synchronize_session=False, populate_existing=True)
)
_STATE = select(InboundDelivery.status, InboundDelivery.attempts).where(col(InboundDelivery.id) == bindparam("row_id"))
_DONE = (
    update(InboundDelivery)
    .where(col(InboundDelivery.id) == bindparam("row_id"), col(InboundDelivery.status) == "processing",
           col(InboundDelivery.attempts) == bindparam("attempt"))
    .values(status="done", processed_at=bindparam("at"), locked_until=None, last_error=None)
    .execution_options(synchronize_session=False)
)


_RECEIVED = select(InboundDelivery.received_at).where(col(InboundDelivery.id) == bindparam("row_id")).scalar_subquery()
# Due deliveries that came in before this one (they have waited longer): the newest message, which
# the queue hands out first, drains the backlog behind it, oldest first.
_DUE = (
    select(InboundDelivery.id)
    .where(col(InboundDelivery.status) == "pending", col(InboundDelivery.id) != bindparam("row_id"),
           col(InboundDelivery.received_at) <= _RECEIVED,
           or_(col(InboundDelivery.next_attempt_at).is_(None), col(InboundDelivery.next_attempt_at) <= bindparam("now")))
    .order_by(col(InboundDelivery.received_at))
    .limit(bindparam("limit"))
)
_LAST_DUE = _DUE.with_only_columns(col(InboundDelivery.id), col(InboundDelivery.attempts)).order_by(None).order_by(
    col(InboundDelivery.received_at).desc()).limit(1)
# The ``done`` mark of a whole batch, one statement: each row only while its own claim stands.
_DONE_MANY = (
    update(InboundDelivery)
    .where(tuple_(col(InboundDelivery.id), col(InboundDelivery.attempts)).in_(bindparam("claims", expanding=True)),
           col(InboundDelivery.status) == "processing")
    .values(status="done", processed_at=bindparam("at"), locked_until=None, last_error=None)
    .execution_options(synchronize_session=False)
)
# The due rows' claim, read and write in one statement; PostgreSQL skips rows another worker is
# claiming right now instead of waiting for them. There the read is a materialized CTE: as a plain
# subquery it may be scanned again per row, each scan skipping the rows just claimed, and the LIMIT
# no longer held. SQLite keeps the subquery (one writer at a time; and Python's sqlite3 would not
# open a transaction for a statement that starts with WITH).
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
_CLAIM_DUE = {
    dialect: update(InboundDelivery)
    .where(col(InboundDelivery.id).in_(due), col(InboundDelivery.status) == "pending")
    .values(status="processing", attempts=col(InboundDelivery.attempts) + 1, next_attempt_at=None,
            locked_until=bindparam("lock_until"))
    .returning(InboundDelivery)
    .execution_options(synchronize_session=False, populate_existing=True)
    for dialect, due in (("postgresql", select(_DUE_LOCKED.c.id)), ("other", _DUE))
}
# session.info key: the rows this session claimed and has not handled yet, by id (a strong reference,
# so the handlers' ``session.get`` finds them in the identity map instead of reading them again).
_CLAIMED = "printgate.inbound.claimed"

# Rows one message handles: its own and up to this many more that are due, in one transaction. A
# burst of store orders then costs a queue message and a commit per batch, not per delivery.
DRAIN_BATCH = 100
# Times a message runs a batch again after it lost a race for a unique row (see :func:`_drain`).
RACE_RETRIES = 2


def _claim(session: Session, delivery_id: str, now: datetime) -> int | None:
    """``pending`` -> ``processing``, uncommitted: it commits with the first batch or handler that
    commits (a message that finds no other row due costs one commit, not two). Returns the attempt
    number, or None if someone else has it. A rollback takes the claim with it: :func:`_claimed_again`."""
    lock = now + timedelta(seconds=get_webhook_settings().inbound_handler_timeout_s + _margin_s())
    row = session.execute(_CLAIM, {"row_id": delivery_id, "lock_until": lock}).scalar_one_or_none()
    if row is None:
        return None
    session.info.setdefault(_CLAIMED, {})[row.id] = row
    return int(row.attempts)


def _claimed_again(session: Session, delivery_id: str, attempt: int) -> int | None:
    """After a rollback: this row's claim, taken again if the rollback took it (the same attempt
    number then), or as it stands when something committed it before; None when it is not ours."""
    again = _claim(session, delivery_id, utcnow())
    if again is not None:
        return again
    state = session.execute(_STATE, {"row_id": delivery_id}).one_or_none()
    return attempt if state is not None and tuple(state) == ("processing", attempt) else None


def _margin_s() -> int:
    """How long past the RQ timeout a claim is still honoured (RQ kills the job first)."""
    return max(5, min(30, get_webhook_settings().inbound_handler_timeout_s // 4))


def process_delivery(delivery_id: str) -> str:
    """Queue entry point: run the platform's handler for one stored delivery and for every due
    delivery received before it (:func:`_drain`); return this delivery's status."""
    now = utcnow()
    # One pooled connection for every transaction of this message (the pool pings each checkout).
    with get_engine().connect() as conn, Session(bind=conn, expire_on_commit=False) as session:
        attempt = _claim(session, delivery_id, now)
        if attempt is None:  # handled by another message's batch, most often: one read, no transaction
            state = session.execute(_STATE, {"row_id": delivery_id}).one_or_none()
            return str(state[0]) if state is not None else "missing"
        return _drain(session, delivery_id, attempt)


def _handle(session: Session, row_id: str, attempt: int) -> None:
    """The platform's handler and the ``done`` mark, unflushed work of one transaction; raises
    ``_ClaimLost`` when the claim no longer stands."""
    delivery = session.info.get(_CLAIMED, {}).pop(row_id, None) or session.get(InboundDelivery, row_id)
    if delivery is None:
        raise _ClaimLost(row_id)
    platform = _platforms.get(delivery.platform)
    if platform is None:
        raise LookupError(f"no handler registered for platform {delivery.platform!r} in this process")
    platform.handle(session, delivery)
    session.flush()
    # Same transaction as the handler's writes, and only if our claim still stands.
    done = session.execute(_DONE, {"row_id": row_id, "attempt": attempt, "at": utcnow()})
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise _ClaimLost(row_id)


class _ClaimLost(Exception):
    pass


def _drain(session: Session, delivery_id: str, attempt: int) -> str:
    """Handle the due rows received before this claimed one, oldest first, in batches of up to
    ``DRAIN_BATCH`` (one transaction each), this row with the last batch; return its status.

    The receiver queues one message per stored batch (its newest row), so this is how every row gets
    handled. A failed batch stands for nothing: its rows are ``pending`` again, each with a message
    of its own, the rows past it get one (:func:`_send_on`), and this row is handled alone. Past half
    the handler timeout the newest row still due gets a message that goes on, and this one ends with
    the batch in hand. A batch that lost a race for a unique row (a concurrent writer, say the
    store's reconciliation, recorded the same order first) is claimed and run again, up to
    ``RACE_RETRIES`` times, before it is taken apart: its handlers then find that row."""
    deadline = time.monotonic() + get_webhook_settings().inbound_handler_timeout_s / 2
    races = 0
    while True:
        found = _claim_due(session, delivery_id, utcnow())
        if found is None:
            return _handle_one(session, delivery_id, attempt)
        others, full = found
        if full and time.monotonic() > deadline:
            _send_on(session, delivery_id)
            full = False
        batch = others if full else [*others, (delivery_id, attempt)]
        outcome = _handle_batch(session, delivery_id, batch, retry_race=races < RACE_RETRIES) if others else False
        if not outcome:  # rolled back, and this row's claim with it unless something committed it
            claim = _claimed_again(session, delivery_id, attempt)
            if claim is None:
                return "lost"  # taken by another message meanwhile
            attempt = claim
        if outcome is None:
            races += 1
            continue  # rolled back, its rows pending again: claimed again, and read afresh
        if not full:
            return "done" if outcome else _handle_one(session, delivery_id, attempt)
        if others and not outcome:
            _send_on(session, delivery_id)  # the rows past the failed batch wait on no message of their own
            return _handle_one(session, delivery_id, attempt)
        # an empty claim: other workers took those rows between the read and the claim; look further


def _claim_due(session: Session, delivery_id: str, now: datetime) -> tuple[list[tuple[str, int]], bool] | None:
    """Claim (uncommitted) up to ``DRAIN_BATCH`` due rows received before ``delivery_id``'s, oldest
    first: ``(row id, attempt)`` each, and whether the claim was full (more may wait); None when no
    row is due. One statement, which returns the rows for the handlers. The claim is a lease, as a
    single row's: a worker that dies mid-batch leaves rows whose lease runs out, and the sweep takes
    them back."""
    lock = now + timedelta(seconds=get_webhook_settings().inbound_handler_timeout_s + _margin_s())
    stmt = _CLAIM_DUE["postgresql" if session.get_bind().dialect.name == "postgresql" else "other"]
    rows = sorted(session.execute(stmt, {"row_id": delivery_id, "now": now, "limit": DRAIN_BATCH,
                                        "lock_until": lock}).scalars(),
                  key=lambda row: (as_utc(row.received_at), row.id))
    if not rows:
        return None
    session.info.setdefault(_CLAIMED, {}).update((row.id, row) for row in rows)
    return [(row.id, int(row.attempts)) for row in rows], len(rows) >= DRAIN_BATCH


def _send_on(session: Session, delivery_id: str) -> None:
    """A message for the newest row still due behind ``delivery_id`` (this transaction's claims are
    not due): its worker handles the rest."""
    last = session.execute(_LAST_DUE, {"row_id": delivery_id, "now": utcnow()}).one_or_none()
    if last is not None:
        _queue.schedule(process_delivery, last[0], job_id=_rq_id(last[0], int(last[1]) + 1),
                        timeout=get_webhook_settings().inbound_handler_timeout_s, front=True)


_HANDLER_BATCH = "printgate.inbound.handler_batch"


def handler_batch(session: Session) -> dict[str, Any] | None:
    """What the handlers of one claimed batch share, for as long as the batch's transaction: its
    deliveries (``"deliveries"``, oldest first) and whatever a handler keeps there for the next ones
    (a platform reads its stores' orders for the whole batch at once). None when a delivery is
    handled alone. The framework commits the batch, so a handler may leave its writes to that one
    commit; a failing batch rolls back and each delivery is then handled alone."""
    shared: dict[str, Any] | None = session.info.get(_HANDLER_BATCH)
    return shared


def _handle_batch(session: Session, delivery_id: str, batch: list[tuple[str, int]], *,
                  retry_race: bool = False) -> bool | None:
    """The handlers of a claimed batch and their ``done`` marks, one commit. On a failure the whole
    batch rolls back and the rows other than ``delivery_id`` get a message each (handled alone then);
    with ``retry_race``, a unique-constraint failure only rolls back and returns None (run it again)."""
    others = [(row_id, claimed) for row_id, claimed in batch if row_id != delivery_id]
    try:
        held = session.info.get(_CLAIMED, {})
        deliveries = {row_id: held.pop(row_id) for row_id, _ in batch if row_id in held}
        missing = [row_id for row_id, _ in batch if row_id not in deliveries]
        if missing:  # rows the claims did not return (none, usually)
            deliveries.update((d.id, d) for d in session.scalars(
                select(InboundDelivery).where(col(InboundDelivery.id).in_(missing))))
        session.info[_HANDLER_BATCH] = {"deliveries": [deliveries[row_id] for row_id, _ in batch]}
        for row_id, _claimed in batch:
            platform = _platforms.get(deliveries[row_id].platform)
            if platform is None:
                raise LookupError(f"no handler registered for platform {deliveries[row_id].platform!r}")
            platform.handle(session, deliveries[row_id])
        session.flush()
        at = utcnow()
        done = session.connection().execute(_DONE_MANY, {"claims": batch, "at": at})
        if done.rowcount != len(batch):  # a claim no longer stands: none of the batch does
            raise _ClaimLost(delivery_id)
        session.commit()
    except Exception as exc:
        session.rollback()
        if retry_race and isinstance(exc, IntegrityError):
            log.info("inbound %s: a batch met a row written meanwhile (%s); running it again", delivery_id, exc)
            return None
        log.warning("inbound %s: a batch of deliveries failed (%r); handling each alone", delivery_id, exc)
        # Back to ``pending`` with their attempt count: the message each would have had anyway.
        _queue.schedule_many(process_delivery, [(row_id, _rq_id(row_id, claimed)) for row_id, claimed in others],
                             timeout=get_webhook_settings().inbound_handler_timeout_s, front=True)
        return False
    finally:
        session.info.pop(_HANDLER_BATCH, None)
    _queue.forget_waiting([_rq_id(row_id, claimed) for row_id, claimed in others])
    return True


def _handle_one(session: Session, delivery_id: str, attempt: int) -> str:
    """This delivery alone: done, its work rolled back when the claim was lost, or its failure
    recorded (retried with backoff, then ``failed``)."""
    try:
        _handle(session, delivery_id, attempt)
        session.commit()
        return "done"
    except _ClaimLost:
        session.rollback()
        log.warning("inbound %s: claim lost during handling; its work was rolled back", delivery_id)
        return "lost"
    except Exception as exc:
        session.rollback()
        log.warning("inbound %s attempt %s failed: %s", delivery_id, attempt, exc)
        claim = _claimed_again(session, delivery_id, attempt)  # the rollback may have taken it
        if claim is None:
            return "lost"
        return _record_failure(session, delivery_id, claim, f"{type(exc).__name__}: {exc}")


def _record_failure(session: Session, delivery_id: str, attempt: int, error: str) -> str:
    settings = get_webhook_settings()
    schedule = settings.inbound_retry_schedule
    now = utcnow()
    if attempt > len(schedule):
        values: dict[str, Any] = {"status": "failed", "locked_until": None, "last_error": error[:4000]}
        delay = None
    else:
        delay = float(schedule[attempt - 1])
        values = {"status": "pending", "locked_until": None, "last_error": error[:4000],
                  "next_attempt_at": now + timedelta(seconds=delay)}
    session.execute(
        update(InboundDelivery)
        .where(col(InboundDelivery.id) == delivery_id, col(InboundDelivery.status) == "processing",
               col(InboundDelivery.attempts) == attempt)
        .values(**values)
    )
    session.commit()
    if delay is not None:
        _queue.schedule(process_delivery, delivery_id, job_id=_rq_id(delivery_id, attempt + 1), delay_s=delay,
                        timeout=settings.inbound_handler_timeout_s, front=True)
        return "pending"
    return "failed"


def retry(delivery_id: str) -> bool:
    """Give a ``failed`` delivery one more round of attempts (operators, after fixing a handler)."""
    with Session(get_engine()) as session:
        row = session.get(InboundDelivery, delivery_id)
        if row is None or row.status != "failed":
            return False
        result = session.execute(
            update(InboundDelivery)
            .where(col(InboundDelivery.id) == delivery_id, col(InboundDelivery.status) == "failed")
            .values(status="pending", attempts=0, next_attempt_at=utcnow())
        )
        session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
    _queue.schedule(process_delivery, delivery_id, job_id=_rq_id(delivery_id, 1),
                    timeout=get_webhook_settings().inbound_handler_timeout_s, front=True)
    return True


def backlog(now: datetime | None = None) -> tuple[int, float]:
    """(deliveries stored and not yet handled, seconds the oldest of them has waited): what
    ``/metrics`` exports, so a burst the workers cannot keep up with shows before a store complains."""
    now = now or utcnow()
    with Session(_engine()) as session:
        count, oldest = session.execute(
            select(func.count(), func.min(InboundDelivery.received_at))
            .where(col(InboundDelivery.status).in_(("pending", "processing")))).one()
    return int(count), max(0.0, (now - as_utc(oldest)).total_seconds()) if oldest is not None else 0.0


# --- recovery --------------------------------------------------------------------------------------

def sweep(*, requeue_pending: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Re-queue inbound work whose message was lost; take back rows of dead workers; purge old rows.

    ``requeue_pending=True`` (at start-up) considers every due ``pending`` row at once; periodic
    sweeps leave rows younger than ``sweep_grace_s`` to the message that is surely on its way.
    Safe to run from several processes: claims are conditional, so a doubled message is a no-op.
    """
    settings = get_webhook_settings()
    now = now or utcnow()
    counts = {"requeued": 0, "reclaimed": 0, "purged": 0}
    with Session(get_engine(), expire_on_commit=False) as session:
        stale = session.exec(select(InboundDelivery.id).where(
            InboundDelivery.status == "processing", col(InboundDelivery.locked_until) < now)).all()
        reclaimed: list[str] = []
        for row_id in stale:
            result = session.execute(
                update(InboundDelivery)
                .where(col(InboundDelivery.id) == row_id, col(InboundDelivery.status) == "processing",
                       col(InboundDelivery.locked_until) < now)
                .values(status="pending", locked_until=None, next_attempt_at=now,
                        last_error="the worker handling this delivery stopped")
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                reclaimed.append(row_id)
        session.commit()
        counts["reclaimed"] = len(reclaimed)
        due_before = now if requeue_pending else now - timedelta(seconds=settings.sweep_grace_s)
        pending = list(session.exec(select(
            InboundDelivery.id, InboundDelivery.attempts, InboundDelivery.next_attempt_at).where(
            InboundDelivery.status == "pending",
            or_(col(InboundDelivery.next_attempt_at).is_(None), col(InboundDelivery.next_attempt_at) <= due_before,
                col(InboundDelivery.id).in_(reclaimed)),
        )).all())
        # A message a killed worker had taken stays "started" in RQ until RQ's own cleanup: past this
        # point it is not trusted (a doubled message is harmless, a lost one is not).
        overdue = now - timedelta(seconds=settings.inbound_handler_timeout_s + settings.sweep_grace_s)
        for row_id, attempts, due in pending:
            job_id = _rq_id(row_id, attempts + 1)
            if _queue.is_queued(job_id) and not (due is not None and as_utc(due) < overdue):
                continue
            if _queue.schedule(process_delivery, row_id, job_id=job_id, timeout=settings.inbound_handler_timeout_s, front=True):
                counts["requeued"] += 1
        cutoff = now - timedelta(days=settings.inbound_retention_days)
        purged = session.execute(delete(InboundDelivery).where(
            col(InboundDelivery.status) == "done", col(InboundDelivery.received_at) < cutoff))
        counts["purged"] = int(purged.rowcount or 0)  # type: ignore[attr-defined]
        session.commit()
    if any(counts.values()):
        log.info("inbound sweep: %s", counts)
    return counts
