"""Operations: ``/health`` (API, database, queue, workers) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.errors import Forbidden
from printgate.core.models import Job, Step

router = APIRouter(tags=["operations"])


def _workers() -> list[dict[str, Any]]:
    """Workers that are alive: heard from within ``worker_ttl_s``. A worker busy with a job keeps
    heartbeating (a no-fork worker from a thread, a forking one while it watches its work horse), so
    being busy is no excuse: a worker killed with -9 mid-job stays registered in Redis for a while,
    marked busy, and is not counted."""
    from rq import Worker

    from printgate.core.clock import utcnow
    from printgate.core.queue import get_redis

    ttl = get_settings().worker_ttl_s
    now = utcnow()
    live = []
    for worker in Worker.all(connection=get_redis()):
        beat = worker.last_heartbeat
        age = (now - (beat if beat.tzinfo else beat.replace(tzinfo=UTC))).total_seconds() if beat else None
        state = worker.get_state()
        if age is not None and age <= ttl + 5:
            live.append({"name": worker.name, "queues": worker.queue_names(), "state": state,
                         "lastHeartbeatAgeS": round(age, 1) if age is not None else None})
    return live


def _ops_allowed(request: Request) -> bool:
    """Instance-wide figures are for the operator: the ops token, or a local caller that did not come
    through a proxy (a forwarded request is not local, whatever address it claims)."""
    token = get_settings().ops_token
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if request.headers.get("x-forwarded-for") or request.headers.get("forwarded"):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("", "testclient")  # a unix socket; the in-process test client


@router.get("/health")
def health(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {"api": "ok"}
    healthy = True
    try:
        with Session(get_engine()) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc}"
        healthy = False
    try:
        from printgate.core.queue import get_redis, queue_depths

        get_redis().ping()
        checks["queue"] = {"status": "ok", "depth": queue_depths()}
        workers = _workers()
        checks["workers"] = {"count": len(workers), "list": workers}
        if not workers:
            healthy = False
    except Exception as exc:
        checks["queue"] = f"error: {exc}"
        healthy = False
    body: dict[str, Any] = {"status": "ok" if healthy else "degraded"}
    if _ops_allowed(request):
        body["checks"] = checks
    return JSONResponse(body, status_code=200 if healthy else 503)


log = logging.getLogger("printgate.api")

# Gauges the rooms add to /metrics (``Wiring.gauge``): name -> (help, read the value now).
_ROOM_GAUGES: dict[str, tuple[str, Callable[[], float]]] = {}


def add_gauge(name: str, help_text: str, read: Callable[[], float]) -> None:
    _ROOM_GAUGES[name] = (help_text, read)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    if not _ops_allowed(request):
        raise Forbidden("Metrics need the ops token (PRINTGATE_OPS_TOKEN) or a local caller")
    registry = CollectorRegistry()
    jobs = Gauge("printgate_jobs", "Jobs by status", ["status"], registry=registry)
    depth = Gauge("printgate_queue_depth", "Queued RQ jobs", ["queue"], registry=registry)
    workers = Gauge("printgate_workers", "Registered RQ workers", registry=registry)
    step_count = Gauge("printgate_step_duration_seconds_count", "Finished steps", ["type"], registry=registry)
    step_sum = Gauge("printgate_step_duration_seconds_sum", "Total step time", ["type"], registry=registry)
    with Session(get_engine()) as session:
        rows = session.exec(select(Job.status, func.count()).where(col(Job.deleted_at).is_(None))
                            .group_by(Job.status)).all()
        for status, count in rows:
            jobs.labels(status=status).set(count)
        for step_type, count, total_ms in session.exec(
            select(Step.type, func.count(), func.sum(Step.duration_ms))
            .where(col(Step.duration_ms).is_not(None)).group_by(Step.type)
        ).all():
            step_count.labels(type=step_type).set(count)
            step_sum.labels(type=step_type).set((total_ms or 0) / 1000.0)
    try:
        from printgate.core.queue import queue_depths

        for name, count in queue_depths().items():
            depth.labels(queue=name).set(count)
        workers.set(len(_workers()))
    except Exception:
        pass
    for name, (help_text, read) in _ROOM_GAUGES.items():
        try:
            value = read()
        except Exception:
            log.exception("metric %s could not be read", name)
            continue
        Gauge(name, help_text, registry=registry).set(value)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
