"""The store-order state machine (``connectors/base/states.py``): the moves the pipeline makes are the
table's, and a move off the table raises instead of leaving an order where no tick looks for it."""

from __future__ import annotations

from itertools import pairwise

import pytest

from printgate.connectors.base import pipeline
from printgate.connectors.base.models import OrderSync
from printgate.connectors.base.states import (
    ORDER_FINAL,
    ORDER_OPEN,
    SYNC_MOVES,
    IllegalSyncMove,
    OrderStepState,
    SyncStatus,
    move_sync,
)
from tests.clock import CASSETTE_EPOCH


def test_the_pipeline_path_is_allowed_and_ends_where_orders_end() -> None:
    path = [SyncStatus.RECEIVED, SyncStatus.VERIFIED, SyncStatus.ATTACHED, SyncStatus.PROCESSING,
            SyncStatus.PROCESSING, SyncStatus.DELIVERED, SyncStatus.WRITTEN_BACK]
    for current, to in pairwise(path):
        assert move_sync(current, to) is to
    assert set(ORDER_OPEN) | set(ORDER_FINAL) == set(SyncStatus)
    assert not set(ORDER_OPEN) & set(ORDER_FINAL)
    # A final order moves nowhere but to cancelled (a store may cancel after the files were written).
    for final in ORDER_FINAL:
        assert SYNC_MOVES[final] <= {SyncStatus.CANCELLED}
    assert SYNC_MOVES[SyncStatus.CANCELLED] == frozenset()


@pytest.mark.parametrize(("current", "to"), [
    (SyncStatus.RECEIVED, SyncStatus.ATTACHED),  # never attached unverified
    (SyncStatus.WRITTEN_BACK, SyncStatus.DELIVERED),
    (SyncStatus.NO_JOBS, SyncStatus.VERIFIED),
    (SyncStatus.FAILED, SyncStatus.WRITTEN_BACK),
    (SyncStatus.CANCELLED, SyncStatus.CANCELLED),
    (SyncStatus.ATTACHED, SyncStatus.FAILED),
])
def test_a_move_off_the_table_raises(current: SyncStatus, to: SyncStatus) -> None:
    with pytest.raises(IllegalSyncMove, match=f"from {current} to {to}"):
        move_sync(current, to)


def test_an_unknown_stored_status_raises() -> None:
    with pytest.raises(IllegalSyncMove, match="unknown order sync status 'shipped'"):
        move_sync("shipped", SyncStatus.VERIFIED)


def test_the_pipeline_moves_through_the_table() -> None:
    """``_verify`` of an order without print lines ends it ``no_jobs``; of one that already failed, it raises."""
    fresh = OrderSync(id="osync_1", connection_id="store_1", account_id="acct_1", platform="shopify",
                      external_id="1001", lines=[])
    pipeline._verify(None, fresh, CASSETTE_EPOCH)  # type: ignore[arg-type]  # no line: the session is not used
    assert fresh.status == SyncStatus.NO_JOBS and fresh.status == "no_jobs"
    assert (fresh.steps or {})["verified"]["status"] == OrderStepState.SKIPPED

    ended = OrderSync(id="osync_2", connection_id="store_1", account_id="acct_1", platform="shopify",
                      external_id="1002", lines=[], status="failed")
    with pytest.raises(IllegalSyncMove, match="from failed to no_jobs"):
        pipeline._verify(None, ended, CASSETTE_EPOCH)  # type: ignore[arg-type]
    assert ended.status == "failed"
