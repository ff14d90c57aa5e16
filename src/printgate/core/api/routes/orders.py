"""``POST /orders/{id}``: capture a store order (Filecheck's plugin body; DECISIONS 8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from printgate.core.api.deps import JsonBody, SecretKey, SessionDep
from printgate.core.api.schemas import validate_body
from printgate.core.errors import BadRequest
from printgate.core.orders import take_order_call

router = APIRouter(tags=["orders"])


@router.post("/orders/{order_id}")
async def capture(request: Request, session: SessionDep, caller: SecretKey, order_id: str,
                  body: JsonBody) -> dict[str, Any]:
    body = validate_body("OrderRequest", body)
    if body.get("orderId") is not None and str(body["orderId"]) != order_id:
        raise BadRequest("orderId in the body does not match the URL")
    raw = await request.body()  # what json_body read (and capped)
    return await run_in_threadpool(_capture, session, caller.account_id, order_id, body, dict(request.headers), raw)


def _capture(session: Session, account_id: str, order_id: str, body: dict[str, Any], headers: dict[str, str],
             raw: bytes) -> dict[str, Any]:
    results = take_order_call(session, account_id, order_id, body, headers, raw)
    return {"success": True, "orderId": order_id, "affectedJobIds": [r.job_id for r in results if r.attached],
            "items": [r.wire() for r in results]}
