"""The one registry of outbound event types. Endpoints subscribe to these names (or ``*``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from printgate.core import signals

JOB_CREATED = "job.created"
JOB_COMPLETED = "job.completed"
JOB_PROCESSED = "job.processed"
JOB_REVIEWED = "job.reviewed"
ORDER_CAPTURED = "order.captured"
ORDER_FILES_READY = "order.files_ready"
WEBHOOK_TEST = "webhook.test"

ALL = "*"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    subject: str  # job | order | endpoint: what ``data`` describes
    signal: str  # the core signal it follows ("" for one sent on request)
    filecheck: bool = False  # documented by Filecheck (API.md §9); the rest are printgate's own


EVENT_TYPES: dict[str, EventType] = {e.name: e for e in (
    EventType(JOB_CREATED, "A job was created.", "job", signals.JOB_CREATED, filecheck=True),
    EventType(JOB_COMPLETED, "A job reached a terminal status (for workflow jobs: the intake verdict).",
              "job", signals.JOB_COMPLETED, filecheck=True),
    EventType(JOB_REVIEWED, "A merchant approved or rejected a job held for review (onFail manual_review); "
              "the job carries the decision, who made it and when.", "job", signals.JOB_REVIEWED),
    EventType(JOB_PROCESSED, "A workflow job's processing phase finished; its outputs are ready.", "job",
              signals.JOB_PROCESSED),
    EventType(ORDER_CAPTURED, "A store order was captured and its line items linked to jobs.", "order",
              signals.ORDER_CAPTURED),
    EventType(ORDER_FILES_READY, "Every job of a captured order has finished: the print files can be "
              "fetched. Sent once per order.", "order", signals.JOB_PROCESSED),
    EventType(WEBHOOK_TEST, "A test event a merchant sent to one endpoint (the dashboard's \"send test "
              "event\"); sent to that endpoint only, whatever its filter.", "endpoint", ""),
)}


def is_known(name: str) -> bool:
    return name == ALL or name in EVENT_TYPES


def unknown(names: Iterable[str]) -> list[str]:
    return [name for name in names if not is_known(name)]


def subscribed(filter_: list[str] | None, event_type: str) -> bool:
    """An endpoint without a filter (or with ``*``) receives every event."""
    return not filter_ or ALL in filter_ or event_type in filter_
