"""``POST /orders/{id}``: capture a store order (Filecheck's plugin body; DECISIONS 8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from core.api.deps import JsonBody, SecretKey, SessionDep
from core.api.schemas import validate_body
from core.errors import BadRequest
from core.orders import capture_order

router = APIRouter(tags=["orders"])


@router.post("/orders/{order_id}")
def capture(session: SessionDep, caller: SecretKey, order_id: str, body: JsonBody) -> dict[str, Any]:
    body = validate_body("OrderRequest", body)
    if body.get("orderId") is not None and str(body["orderId"]) != order_id:
        raise BadRequest("orderId in the body does not match the URL")
    _order, results = capture_order(session, caller.account_id, order_id, body)
    return {"success": True, "orderId": order_id, "affectedJobIds": [r.job_id for r in results if r.attached],
            "items": [r.wire() for r in results]}
