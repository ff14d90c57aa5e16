"""One line of a store order as the pipeline tracks it (``OrderSync.lines``), typed.

The row stores JSON (``{"lineId", "productId", ..., "jobId", "workflowId"}`` and, as the steps run,
``verified`` + ``reason``, ``attached``, ``processed`` + ``wfPhase``); ``GET /stores/{id}/orders/{id}``
serves it as stored. :class:`SyncLine` reads and writes exactly that JSON, keys in the same order
and present only once their step set them, so the stored rows and the wire stay what they were;
the steps work on attributes instead of string keys. Keys it does not know are carried through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_BASE = ("lineId", "productId", "name", "quantity", "sku", "total", "jobId", "workflowId")
_STEPS = ("verified", "reason", "attached", "processed", "wfPhase")


@dataclass
class SyncLine:
    line_id: str
    product_id: str | None = None
    name: str | None = None
    quantity: int | None = None
    sku: str | None = None
    total: str | None = None
    job_id: str | None = None
    workflow_id: str | None = None
    # verify: does the job exist here, can it proceed, is it the product's workflow (reason if not)
    verified: bool | None = None
    reason: str | None = None
    # attach: did core attach the job to the order
    attached: bool | None = None
    # processing: are the job's files final; its workflow phase when it was looked at
    processed: bool | None = None
    wf_phase: str | None = None
    # which of reason / wfPhase were set (they may be set to null)
    has_reason: bool = False
    has_wf_phase: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncLine:
        return cls(
            line_id=data.get("lineId"), product_id=data.get("productId"), name=data.get("name"),  # type: ignore[arg-type]
            quantity=data.get("quantity"), sku=data.get("sku"), total=data.get("total"), job_id=data.get("jobId"),
            workflow_id=data.get("workflowId"), verified=data.get("verified"), reason=data.get("reason"),
            attached=data.get("attached"), processed=data.get("processed"), wf_phase=data.get("wfPhase"),
            has_reason="reason" in data, has_wf_phase="wfPhase" in data,
            extra={k: v for k, v in data.items() if k not in _BASE and k not in _STEPS},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lineId": self.line_id, "productId": self.product_id, "name": self.name,
                               "quantity": self.quantity, "sku": self.sku, "total": self.total,
                               "jobId": self.job_id, "workflowId": self.workflow_id}
        if self.verified is not None:
            out["verified"] = self.verified
        if self.has_reason or self.reason is not None:
            out["reason"] = self.reason
        if self.attached is not None:
            out["attached"] = self.attached
        if self.processed is not None:
            out["processed"] = self.processed
        if self.has_wf_phase or self.wf_phase is not None:
            out["wfPhase"] = self.wf_phase
        return {**out, **self.extra}

    def set_reason(self, reason: str | None) -> None:
        self.reason, self.has_reason = reason, True

    def set_wf_phase(self, phase: str | None) -> None:
        self.wf_phase, self.has_wf_phase = phase, True

    def order_item(self) -> dict[str, Any]:
        """The line as an order item for ``printgate.core.orders`` (the ``POST /orders/{id}`` item shape)."""
        return {"itemId": self.line_id, "productId": self.product_id, "name": self.name, "quantity": self.quantity,
                "sku": self.sku, "total": self.total, "jobId": self.job_id}


def read_lines(stored: Iterable[dict[str, Any]] | None) -> list[SyncLine]:
    return [SyncLine.from_json(line) for line in stored or [] if isinstance(line, dict)]


def write_lines(lines: Iterable[SyncLine]) -> list[dict[str, Any]]:
    return [line.to_json() for line in lines]
