"""The bodies of outbound events: printgate's envelope, Filecheck's own shapes, an order's data, and
a receiver's body in its status dialect (shaped and serialized once per event and dialect)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from printgate.core.clock import epoch_ms, iso
from printgate.core.jobs.dialect import DEFAULT_DIALECT
from printgate.core.models import Job, Order

log = logging.getLogger("printgate.webhooks.outbound")

def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def envelope(event_type: str, data: Any, at: datetime) -> str:
    return dumps({"type": event_type, "timestamp": iso(at), "data": data})


def filecheck_completed(wire: dict[str, Any]) -> dict[str, Any]:
    """Filecheck's ``job.completed`` body from ``job_wire``: the summary spread + ``tasks``."""
    refs = {ref["taskId"]: {"bucket": ref["bucket"], "key": ref["key"]}
            for ref in (wire.get("summary") or {}).get("sourceRefs", [])}
    tasks = [{**task, "sourceRef": task.get("sourceRef") or refs.get(task["id"])} for task in wire["tasks"]]
    return {**(wire.get("summary") or {}), "tasks": tasks}


def filecheck_created(job: Job, wire: dict[str, Any], task_count: int) -> dict[str, Any]:
    """Filecheck's ``job.created`` body (API.md §9: ``taskCount`` marks it), status as in ``wire``."""
    return {"id": job.id, "status": wire["status"], "channel": job.channel, "ruleId": job.rule_id,
            "customerId": job.customer_id, "orderId": job.order_id, "taskCount": task_count,
            "created": epoch_ms(job.created_at)}


def order_data(session: Session, order: Order) -> dict[str, Any]:
    jobs = order_jobs(session, order)
    return {
        "id": order.id, "orderId": order.external_id, "source": order.source, "status": order.status,
        "currency": order.currency, "total": order.total, "customer": order.customer, "items": order.items,
        "shippingAddress": order.shipping_address, "storeId": order.store_id, "createdAt": iso(order.created_at),
        "updatedAt": iso(order.updated_at), "jobIds": [job.id for job in jobs],
    }


def order_jobs(session: Session, order: Order) -> list[Job]:
    return list(session.exec(select(Job).where(
        Job.account_id == order.account_id, Job.order_id == order.external_id, col(Job.deleted_at).is_(None),
    ).order_by(col(Job.created_at))).all())

# A receiver's data and Filecheck body in a status dialect: ``dialect -> (data, filecheck_body)``.
Shaper = Callable[[str], tuple[Any, Any]]

def dialect_payloads(event_type: str, at: datetime, shaper: Shaper | None) -> Callable[[str, str], str | None]:
    """A receiver's own body, ``(dialect, format) -> body``, or None where the event's bodies serve
    (the default dialect): each other dialect is shaped and serialized once per event."""
    done: dict[str, tuple[str, str | None]] = {}

    def payload(dialect: str, fmt: str) -> str | None:
        if shaper is None or dialect == DEFAULT_DIALECT:
            return None
        if dialect not in done:
            data, filecheck_body = shaper(dialect)
            done[dialect] = (envelope(event_type, data, at),
                             dumps(filecheck_body) if filecheck_body is not None else None)
        printgate_body, filecheck_only = done[dialect]
        return filecheck_only if fmt == "filecheck" else printgate_body

    return payload
