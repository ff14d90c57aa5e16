"""``SyncLine`` reads and writes an ``OrderSync`` line's JSON exactly as the pipeline stored it before
it was typed: same keys, same order, a step's keys only once the step set them (nulls included)."""

from __future__ import annotations

import json

from printgate.connectors.base.lines import SyncLine, read_lines, write_lines

BASE = {"lineId": "316", "productId": "42", "name": "Business cards", "quantity": 2, "sku": "BC-1",
        "total": "18.00", "jobId": "job_01", "workflowId": None}
STAGES = [
    BASE,
    {**BASE, "verified": False, "reason": "waiting: job is still processing"},
    {**BASE, "verified": True, "reason": None},
    {**BASE, "verified": True, "reason": None, "attached": True},
    {**BASE, "verified": True, "reason": "job is already attached to order 9", "attached": False},
    {**BASE, "verified": True, "reason": None, "attached": True, "processed": False, "wfPhase": None},
    {**BASE, "verified": True, "reason": None, "attached": True, "processed": True, "wfPhase": "processing_done"},
    {**BASE, "verified": True, "reason": None, "attached": True, "processed": False},  # its job was deleted
    {**BASE, "jobId": None},
]


def test_every_stage_round_trips_byte_for_byte() -> None:
    for stored in STAGES:
        assert json.dumps(SyncLine.from_json(stored).to_json()) == json.dumps(stored)


def test_steps_add_their_keys_in_the_order_they_ran() -> None:
    line = SyncLine(line_id="316", job_id="job_01")
    assert list(line.to_json()) == ["lineId", "productId", "name", "quantity", "sku", "total", "jobId", "workflowId"]
    line.verified = True
    line.set_reason(None)
    line.attached = True
    line.processed = False
    line.set_wf_phase(None)
    assert list(line.to_json())[8:] == ["verified", "reason", "attached", "processed", "wfPhase"]
    assert line.to_json()["reason"] is None and line.to_json()["wfPhase"] is None


def test_unknown_keys_are_carried_and_non_objects_dropped() -> None:
    stored = [{**BASE, "note": "kept"}, "garbage", None]
    assert write_lines(read_lines(stored)) == [{**BASE, "note": "kept"}]  # type: ignore[arg-type]
    assert read_lines(None) == []


def test_a_line_is_an_order_item_for_core() -> None:
    assert SyncLine.from_json(BASE).order_item() == {
        "itemId": "316", "productId": "42", "name": "Business cards", "quantity": 2, "sku": "BC-1", "total": "18.00",
        "jobId": "job_01"}
