"""HTTP: the inbound receiver and printgate's own webhook-endpoint API (DECISIONS 11, 13)."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from printgate.core.api.deps import JsonBody, SecretKey, SessionDep, StatusDialect
from printgate.core.errors import Conflict, PayloadTooLarge, PrintgateError, RateLimited
from printgate.webhooks import endpoints as ops
from printgate.webhooks import events, inbound
from printgate.webhooks.operator import retry_refusal
from printgate.webhooks.outbound import retry_delivery
from printgate.webhooks.settings import get_webhook_settings

router = APIRouter()
log = logging.getLogger("printgate.api")


# --- inbound -------------------------------------------------------------------------------------

async def _receive(request: Request, platform: str, connection_id: str | None) -> Response:
    body = await request.body()
    accepted = await inbound.accept_async(platform, dict(request.headers), body, connection_id)
    # Rendered here: a Response skips FastAPI's serialisation of a return value.
    return Response(json.dumps(accepted.wire(), separators=(",", ":")), media_type="application/json")


_RECEIVED: dict[int | str, dict[str, Any]] = {200: {"description": "Stored (or a known duplicate, or a setup ping)",
                   "content": {"application/json": {"example": {"received": True, "id": "whin_..."}}}}}


@router.post("/webhooks/{platform}", tags=["webhooks (inbound)"], response_class=Response, responses=_RECEIVED)
async def receive(request: Request, platform: str) -> Response:
    """A store platform's webhook: verified, stored, answered 200; handled by a worker."""
    return await _receive(request, platform, None)


@router.post("/webhooks/{platform}/{connection_id}", tags=["webhooks (inbound)"], response_class=Response,
             responses=_RECEIVED)
async def receive_for_connection(request: Request, platform: str, connection_id: str) -> Response:
    """As ``POST /webhooks/{platform}``, for a URL that names the store connection."""
    return await _receive(request, platform, connection_id)


class InboundFastPath:
    """ASGI middleware: ``POST /webhooks/{platform}[/{connection_id}]`` for a registered platform,
    answered without FastAPI's routing, dependency and exception layers.

    Those layers cost ~0.2 ms of CPU a request, a third of what a stored delivery costs in all,
    and the receiver's throughput is what a platform's burst meets. The contract is the routes'
    above (verified, committed, then 200; errors as ``{"error": true, "message": ...}``), which stay
    registered for the API docs and serve what this passes on: unknown platforms, other methods,
    and requests with an ``Origin`` header (browsers, which need the CORS layer).
    """

    PREFIX = "/webhooks/"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self._target(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for key, value in scope["headers"]:  # the first of repeated headers, as Starlette's mapping
            headers.setdefault(key.decode("latin-1"), value.decode("latin-1"))
        if "origin" in headers:
            await self.app(scope, receive, send)
            return
        platform, connection_id = target
        try:
            body = await _read_body(receive, get_webhook_settings().inbound_max_body_bytes)
            if body is None:
                return  # the sender hung up: nobody to answer
            accepted = await inbound.accept_async(platform, headers, body, connection_id)
            response: Response = Response(json.dumps(accepted.wire(), separators=(",", ":")),
                                          media_type="application/json")
        except PrintgateError as exc:  # as printgate.core.api.app renders them
            retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
            response = JSONResponse({"error": True, "message": exc.message}, status_code=exc.status_code,
                                    headers=retry)
        except Exception:
            log.exception("unhandled error")
            response = JSONResponse({"error": True, "message": "Internal error"}, status_code=500)
        await response(scope, receive, send)

    def _target(self, scope: Scope) -> tuple[str, str | None] | None:
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root + "/"):
            path = path[len(root):]
        if not path.startswith(self.PREFIX):
            return None
        parts = path[len(self.PREFIX):].split("/")
        if len(parts) > 2 or not all(parts) or inbound.get_platform(parts[0]) is None:
            return None
        return parts[0], (parts[1] if len(parts) == 2 else None)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body; ``PayloadTooLarge`` as soon as it passes ``limit``; None if the client
    disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Webhook body is larger than {limit} bytes")
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


# Added to the app by ``printgate.webhooks.room`` (outermost of the app's own middleware).
middleware = (InboundFastPath,)


# --- endpoints (printgate's own) ----------------------------------------------------------------

@router.get("/webhook-event-types", tags=["webhook endpoints"])
def list_event_types(caller: SecretKey) -> dict[str, Any]:
    return {"eventTypes": [{"type": e.name, "description": e.description, "filecheck": e.filecheck}
                           for e in events.EVENT_TYPES.values()]}


@router.get("/webhook-endpoints", tags=["webhook endpoints"])
def list_endpoints(session: SessionDep, caller: SecretKey) -> dict[str, Any]:
    return {"endpoints": [ops.endpoint_wire(ep) for ep in ops.list_endpoints(session, caller.account_id)]}


@router.post("/webhook-endpoints", status_code=201, tags=["webhook endpoints"])
def create_endpoint(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> dict[str, Any]:
    """Register a receiver. The response carries its ``secret`` (``whsec_...``) for verification.

    Job bodies sent to it use ``statusDialect``, by default the dialect of this request.
    """
    ep = ops.create_endpoint(session, caller.account_id, body, default_dialect=dialect)
    return {"endpoint": ops.endpoint_wire(ep, with_secret=True)}


@router.get("/webhook-endpoints/{endpoint_id}", tags=["webhook endpoints"])
def get_endpoint(session: SessionDep, caller: SecretKey, endpoint_id: str) -> dict[str, Any]:
    ep = ops.get_endpoint(session, caller.account_id, endpoint_id)
    return {"endpoint": ops.endpoint_wire(ep, with_secret=True)}


@router.patch("/webhook-endpoints/{endpoint_id}", tags=["webhook endpoints"])
def update_endpoint(session: SessionDep, caller: SecretKey, endpoint_id: str, body: JsonBody) -> dict[str, Any]:
    ep = ops.update_endpoint(session, ops.get_endpoint(session, caller.account_id, endpoint_id), body)
    return {"endpoint": ops.endpoint_wire(ep)}


@router.delete("/webhook-endpoints/{endpoint_id}", tags=["webhook endpoints"])
def delete_endpoint(session: SessionDep, caller: SecretKey, endpoint_id: str) -> dict[str, Any]:
    ops.delete_endpoint(session, ops.get_endpoint(session, caller.account_id, endpoint_id))
    return {"id": endpoint_id, "deleted": True}


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", tags=["webhook endpoints"])
def rotate_secret(session: SessionDep, caller: SecretKey, endpoint_id: str, body: JsonBody) -> dict[str, Any]:
    """New secret (or the one given); the previous one keeps signing for 24 h."""
    ep = ops.rotate_secret(session, ops.get_endpoint(session, caller.account_id, endpoint_id), body)
    return {"endpoint": ops.endpoint_wire(ep, with_secret=True)}


@router.post("/webhook-endpoints/{endpoint_id}/enable", tags=["webhook endpoints"])
def enable_endpoint(session: SessionDep, caller: SecretKey, endpoint_id: str) -> dict[str, Any]:
    ep = ops.enable_endpoint(session, ops.get_endpoint(session, caller.account_id, endpoint_id))
    return {"endpoint": ops.endpoint_wire(ep)}


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", tags=["webhook endpoints"])
def list_deliveries(session: SessionDep, caller: SecretKey, endpoint_id: str,
                    limit: int = Query(50, ge=1, le=200), startingAfter: str | None = None,
                    status: str | None = None) -> dict[str, Any]:
    """Newest first; every attempt with status code, duration, response snippet, error, next retry."""
    ep = ops.get_endpoint(session, caller.account_id, endpoint_id)
    rows = ops.endpoint_deliveries(session, ep, limit=limit, starting_after=startingAfter, status=status)
    return {"deliveries": ops.deliveries_wire(session, rows),
            "nextKey": rows[-1].id if len(rows) == limit else None}


@router.get("/webhook-deliveries/{delivery_id}", tags=["webhook endpoints"])
def get_delivery(session: SessionDep, caller: SecretKey, delivery_id: str) -> dict[str, Any]:
    d = ops.get_delivery(session, caller.account_id, delivery_id)
    return {"delivery": ops.deliveries_wire(session, [d])[0]}


@router.post("/webhook-deliveries/{delivery_id}/retry", status_code=202, tags=["webhook endpoints"])
def retry(session: SessionDep, caller: SecretKey, delivery_id: str) -> dict[str, Any]:
    """One more attempt now. The endpoint must be enabled."""
    d = ops.get_delivery(session, caller.account_id, delivery_id)
    refusal = retry_refusal(session, d)  # the same checks as `printgate webhooks retry`
    if refusal is not None:
        raise Conflict(refusal)
    d = retry_delivery(session, d)
    return {"delivery": ops.deliveries_wire(session, [d])[0]}
