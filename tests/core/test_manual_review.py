"""onFail: manual_review holds a failing job for the merchant (issue 11, hole 4): canProceed false
until a decision, recorded with who and when, sent as job.reviewed; orders wait for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from printgate.core.jobs.dialect import job_status_in
from printgate.core.jobs.states import TaskView, job_can_proceed, job_status
from tests.conftest import Instance, b64, make_clean_pdf, make_key, widget_headers
from tests.sdk_contract import gate_profile, preflight
from tests.webhooks.conftest import Receiver, receiver  # noqa: F401  (the fixture)


def test_a_failing_file_under_manual_review_holds_the_job_until_a_decision() -> None:
    failing = [TaskView("done", "fail", "manual_review"), TaskView("done", "pass", "reject")]
    assert job_status(failing) == "review"
    assert job_status(failing, review="approve") == "partial"
    assert job_status(failing, review="reject") == "rejected"
    # A file that must be rejected, or could not be checked, is rejected: no review can save it.
    assert job_status([*failing, TaskView("done", "fail", "reject")], review="approve") == "rejected"
    assert job_status([*failing, TaskView("error", "fail", "manual_review")]) == "rejected"
    # Warnings alone need no review.
    assert job_status([TaskView("done", "warn", "manual_review")]) == "partial"
    assert job_can_proceed("review", None) is False
    # Filecheck's SDK waits for done|skipped|error: a held job is still running there.
    assert job_status_in("filecheck", "review", "fail") == ("running", None)


@pytest.fixture
def profile(client: TestClient, auth: dict[str, str]) -> str:
    return gate_profile(client, auth)


def submit_failing(client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path, profile: str,
                   on_fail: str = "manual_review") -> str:
    """A file without bleed under a profile that rejects missing bleed: it fails preflight."""
    path = make_clean_pdf(tmp_path / "no-bleed.pdf", bleed_mm=0)
    created = client.post("/jobs", headers=auth, json={
        "sources": [{"file": b64(path), "name": path.name, "steps": [preflight(profile)]}],
        "policy": {"onFail": on_fail}})
    assert created.status_code == 201, created.text
    instance.drain()
    return str(created.json()["job"]["id"])


def job(client: TestClient, auth: dict[str, str], job_id: str, **headers: str) -> dict[str, Any]:
    response = client.get(f"/jobs/{job_id}", headers={**auth, **headers})
    assert response.status_code == 200, response.text
    return dict(response.json()["job"])


def test_approve_lets_the_job_proceed_recorded_and_announced(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path, profile: str,
        receiver: Receiver) -> None:  # noqa: F811
    client.post("/webhook-endpoints", headers=auth, json={"url": receiver.url, "events": ["job.reviewed"]})
    job_id = submit_failing(client, auth, instance, tmp_path, profile)
    held = job(client, auth, job_id)
    assert (held["status"], held["canProceed"]) == ("review", False)
    assert held["review"]["state"] == "pending" and "review" in (held["reason"] or "")
    assert job(client, auth, job_id, **{"Printgate-Status-Dialect": "filecheck"})["status"] == "running"
    listed = client.get("/jobs", headers=auth, params={"status": "review"}).json()["jobs"]
    assert [j["id"] for j in listed] == [job_id]

    decided = client.post(f"/jobs/{job_id}/review", headers=auth,
                          json={"decision": "approve", "note": "Bleed is fine for this product"})
    assert decided.status_code == 200, decided.text
    after = decided.json()["job"]
    assert (after["status"], after["canProceed"]) == ("partial", True)
    review = after["review"]
    assert review["state"] == "approved" and review["note"] == "Bleed is fine for this product"
    assert review["reviewedBy"].startswith("key_") and review["reviewedAt"].endswith("Z")
    instance.drain()
    [event] = receiver.bodies("job.reviewed")
    assert event["data"]["id"] == job_id and event["data"]["review"]["decision"] == "approve"
    # Decided once: a second decision is a conflict, not a silent overwrite.
    again = client.post(f"/jobs/{job_id}/review", headers=auth, json={"decision": "reject"})
    assert again.status_code == 409
    assert job(client, auth, job_id)["canProceed"] is True


def test_reject_ends_the_job_rejected(client: TestClient, auth: dict[str, str], instance: Instance,
                                      tmp_path: Path, profile: str) -> None:
    job_id = submit_failing(client, auth, instance, tmp_path, profile)
    decided = client.post(f"/jobs/{job_id}/review", headers=auth, json={"decision": "reject"})
    assert decided.status_code == 200, decided.text
    after = job(client, auth, job_id)
    assert (after["status"], after["canProceed"], after["review"]["state"]) == ("rejected", False, "rejected")
    assert "review" in after["reason"]


def test_review_is_the_merchants_alone(client: TestClient, auth: dict[str, str], other_auth: dict[str, str],
                                       instance: Instance, tmp_path: Path, profile: str) -> None:
    job_id = submit_failing(client, auth, instance, tmp_path, profile)
    publishable_key = make_key("acme", kind="publishable")
    body = {"decision": "approve"}
    assert client.post(f"/jobs/{job_id}/review", headers=other_auth, json=body).status_code == 404
    assert client.post(f"/jobs/{job_id}/review", json=body,
                       headers={"Authorization": f"Bearer {publishable_key}"}).status_code in (401, 403)
    assert client.post(f"/jobs/{job_id}/review", headers=auth, json={"decision": "maybe"}).status_code == 400
    assert client.post(f"/jobs/{job_id}/review", headers=auth,
                       json={"decision": "approve", "extra": 1}).status_code == 400
    assert job(client, auth, job_id)["status"] == "review"


def test_a_job_not_held_cannot_be_reviewed(client: TestClient, auth: dict[str, str], instance: Instance,
                                           tmp_path: Path, profile: str) -> None:
    job_id = submit_failing(client, auth, instance, tmp_path, profile, on_fail="reject")
    assert job(client, auth, job_id)["status"] == "rejected"
    refused = client.post(f"/jobs/{job_id}/review", headers=auth, json={"decision": "approve"})
    assert refused.status_code == 409
    assert job(client, auth, job_id)["canProceed"] is False


def test_a_held_intake_job_shows_review_and_its_store_order_waits_for_the_decision(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path, profile: str) -> None:
    """A workflow whose rule says manual_review: the widget's payload says the file is being reviewed,
    a paid store order carrying the job waits (neither refused nor attached), and after approval the
    job proceeds and the order moves on."""
    from tests.core.test_one_gate import job_row, run_store_order
    from tests.core.test_orders import intake_job

    rule = client.post("/rules", headers=auth, json={
        "name": "Reviewed flyers", "cardinality": {"min": 1, "max": 1},
        "accept": [{"fileType": "pdf", "check": {"type": "preflight", "profileId": profile},
                    "onFail": "manual_review"}]})
    assert rule.status_code == 201, rule.text
    workflow = client.post("/workflows", headers=auth, json={
        "name": "Reviewed", "ruleId": rule.json()["rule"]["id"], "published": True, "trigger": "order_placed"})
    assert workflow.status_code == 201, workflow.text
    pk = make_key("acme", kind="publishable")
    job_id = intake_job(client, instance, pk, make_clean_pdf(tmp_path / "flyer.pdf", bleed_mm=0),
                        workflow=workflow.json()["workflow"]["id"])

    element = client.get(f"/element/jobs/{job_id}", headers=widget_headers(pk, job_id)).json()
    assert (element["status"], element["terminal"], element["canProceed"]) == ("review", False, False)
    assert job(client, auth, job_id)["wfPhase"] == "manual_review"

    waiting = run_store_order(job_id, "5001")
    assert waiting["status"] not in ("failed", "attached"), waiting
    assert "review" in str(waiting), waiting
    assert job_row(job_id)[0] is None  # not attached to the order

    assert client.post(f"/jobs/{job_id}/review", headers=auth, json={"decision": "approve"}).status_code == 200
    assert job(client, auth, job_id)["wfPhase"] == "intake_done"
    # The reconciliation tick looks at waiting orders again (retry_due): now the job attaches.
    from datetime import timedelta

    from printgate.connectors.base import pipeline
    from printgate.connectors.base.models import OrderSync
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    with session_scope() as session:
        assert pipeline.retry_due(session, now=utcnow() + timedelta(seconds=pipeline.WAIT_FOR_JOB_S + 1)) >= 1
        sync = session.get(OrderSync, waiting["id"])
        assert sync is not None
        moved = pipeline.sync_wire(sync)
    assert moved["status"] in ("attached", "processing"), moved
    assert job_row(job_id)[0] == "5001"
