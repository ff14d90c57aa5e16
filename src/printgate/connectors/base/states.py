"""A store order's sync states, a store connection's states, and the moves between them, in one place
(as ``core/jobs/states.py`` is for jobs): a move nobody planned fails loudly instead of leaving an
order where no tick looks for it.

    received -> verified -> attached -> processing -> delivered -> written_back
    received -> no_jobs                      (no line carries a printgate jobId)
    received | verified | delivered -> failed (verify, attach, or a write-back that will not be retried)
    any -> cancelled                         (the store cancelled the order, whenever it comes)

The values are the columns' words (``order_sync.status``, ``store_connection.status``): a StrEnum
compares and stores as the word, so no migration.
"""

from __future__ import annotations

from enum import StrEnum

from printgate.core.jobs.states import checked_move


class SyncStatus(StrEnum):
    """Where a store order stands (``OrderSync.status``): the last step it passed, or how it ended."""

    RECEIVED = "received"
    VERIFIED = "verified"
    ATTACHED = "attached"
    PROCESSING = "processing"
    DELIVERED = "delivered"
    WRITTEN_BACK = "written_back"
    CANCELLED = "cancelled"
    NO_JOBS = "no_jobs"  # no line carries a printgate jobId
    FAILED = "failed"


class OrderStepState(StrEnum):
    """One pipeline step's state on an order (``OrderSync.steps[name].status``)."""

    PENDING = "pending"  # not reached yet (only shown, never stored)
    RUNNING = "running"  # processing: jobs still making their files
    WAITING = "waiting"  # verify: a job is still being checked
    DONE = "done"
    SKIPPED = "skipped"
    ERROR = "error"


class ConnectionStatus(StrEnum):
    """A linked store (``StoreConnection.status``)."""

    PENDING = "pending"  # linked, not yet authorized
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # by the merchant, or the store refused our credentials
    UNINSTALLED = "uninstalled"  # the app was removed on the store's side


# The pipeline's steps, in order. Each OrderSync carries ``steps[name] = {status, at, error}``.
ORDER_STEPS = ("received", "verified", "attached", "processing", "delivered", "written_back")
# How an OrderSync ends.
ORDER_FINAL = (SyncStatus.WRITTEN_BACK, SyncStatus.CANCELLED, SyncStatus.NO_JOBS, SyncStatus.FAILED)
# Still moving: retried by the reconciliation tick when due.
ORDER_OPEN = (SyncStatus.RECEIVED, SyncStatus.VERIFIED, SyncStatus.ATTACHED, SyncStatus.PROCESSING,
              SyncStatus.DELIVERED)

_FORWARD: dict[SyncStatus, frozenset[SyncStatus]] = {
    SyncStatus.RECEIVED: frozenset({SyncStatus.VERIFIED, SyncStatus.NO_JOBS, SyncStatus.FAILED}),
    SyncStatus.VERIFIED: frozenset({SyncStatus.ATTACHED, SyncStatus.FAILED}),
    SyncStatus.ATTACHED: frozenset({SyncStatus.PROCESSING}),
    # Processing is looked at again until every job has its files.
    SyncStatus.PROCESSING: frozenset({SyncStatus.PROCESSING, SyncStatus.DELIVERED}),
    SyncStatus.DELIVERED: frozenset({SyncStatus.WRITTEN_BACK, SyncStatus.FAILED}),
}
# A cancellation can come at any time, also after the files were written back.
SYNC_MOVES: dict[SyncStatus, frozenset[SyncStatus]] = {
    status: _FORWARD.get(status, frozenset()) | ({SyncStatus.CANCELLED} - {status}) for status in SyncStatus
}


class IllegalSyncMove(ValueError):
    """An order was asked to move where its state machine has no edge: a bug, never an input error."""


def move_sync(current: str, to: SyncStatus) -> SyncStatus:
    """``to`` when an order in ``current`` may move there; raises ``IllegalSyncMove`` otherwise."""
    return checked_move(SYNC_MOVES, SyncStatus, current, to, IllegalSyncMove, "order", "order sync")
