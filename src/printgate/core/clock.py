"""Time in one place: aware UTC datetimes internally, ``...000Z`` ISO strings on the wire."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{as_utc(value).microsecond // 1000:03d}Z"


def epoch_ms(value: datetime) -> int:
    return int(as_utc(value).timestamp() * 1000)


def epoch_us(value: datetime) -> int:
    """Exact microseconds (no float): orders two changes within one millisecond."""
    moment = as_utc(value)
    return calendar.timegm(moment.utctimetuple()) * 1_000_000 + moment.microsecond
