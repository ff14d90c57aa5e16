"""The status payload's ``seq`` orders every change, even two within one millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from printgate.core.jobs.intake import status_seq


def test_changes_within_one_millisecond_still_order() -> None:
    attached = datetime(2026, 11, 25, 21, 25, 42, 747_100, tzinfo=UTC)
    checked = attached + timedelta(microseconds=300)  # same millisecond
    assert status_seq(checked) > status_seq(attached)
    assert status_seq(checked) - status_seq(attached) == 300


def test_naive_database_times_are_utc_and_missing_is_zero() -> None:
    aware = datetime(2026, 11, 25, 21, 25, 42, 747_100, tzinfo=UTC)
    assert status_seq(aware.replace(tzinfo=None)) == status_seq(aware) == 1_795_641_942_747_100
    assert status_seq(None) == 0
