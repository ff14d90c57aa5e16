"""An outbound delivery's states and the moves between them, in one place (as ``core/jobs/states.py``
is for jobs), so a move nobody planned fails loudly instead of leaving a row in a state no sweep reads.

    pending -> sending -> succeeded | failed | pending (a retry is due later)
    sending -> cancelled (its event or endpoint went away) -> pending (the merchant retries)
    sending -> pending (the sweep takes back the attempt of a worker that died)
    pending -> cancelled (the endpoint was deleted)
    succeeded | failed | cancelled -> pending (the merchant retries)

The values are the ``webhook_delivery.status`` column's: a StrEnum compares and stores as the word.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from printgate.core.jobs.states import checked_move


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (``next_attempt_at``)
    SENDING = "sending"  # an attempt holds the lease (``locked_until``)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the retry schedule is spent, or the endpoint was disabled
    CANCELLED = "cancelled"


# Finished: no attempt will be made unless the merchant asks for one.
DELIVERY_FINISHED = frozenset({DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED})

DELIVERY_MOVES: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.PENDING: frozenset({DeliveryStatus.SENDING, DeliveryStatus.CANCELLED}),
    DeliveryStatus.SENDING: frozenset({DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.PENDING,
                                       DeliveryStatus.CANCELLED}),
    **{done: frozenset({DeliveryStatus.PENDING}) for done in DELIVERY_FINISHED},
}


class IllegalDeliveryMove(ValueError):
    """A delivery was asked to move where its state machine has no edge: a bug, never an input error."""


def move_delivery(current: str, to: DeliveryStatus) -> DeliveryStatus:
    """``to`` when a delivery in ``current`` may move there; raises ``IllegalDeliveryMove`` otherwise."""
    return checked_move(DELIVERY_MOVES, DeliveryStatus, current, to, IllegalDeliveryMove, "delivery")


def moving(sources: Iterable[DeliveryStatus], to: DeliveryStatus) -> tuple[DeliveryStatus, ...]:
    """``sources``, once each is checked to have an edge to ``to``: the ``WHERE status IN (...)`` of a
    conditional UPDATE that moves deliveries in SQL, so those moves follow the same table."""
    out = tuple(sources)
    for current in out:
        move_delivery(current, to)
    return out
