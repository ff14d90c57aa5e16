"""The server-side gate with soft-proof approval: a job of a workflow that requires the customer's
approval (wf_business_cards) is not ``canProceed`` until the proof is approved: not in the secret-key
API, not in the Element status, and an order cannot take it. Checked at the server, not in a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from printgate.core.jobs.states import job_can_proceed
from tests.conftest import Instance, make_clean_pdf, make_key, widget_headers
from tests.core.test_orders import intake_job


@pytest.mark.parametrize(
    ("status", "params", "expected"),
    [
        # No approval required: ready and partial proceed, everything else does not.
        ("ready", None, True),
        ("partial", {}, True),
        ("ready", {"proofRequired": False}, True),
        ("processing", None, False),
        ("rejected", None, False),
        # Approval required: only an approved proof opens the gate ...
        ("ready", {"proofRequired": True}, False),
        ("partial", {"proofRequired": True}, False),
        ("ready", {"proofRequired": True, "proof": None}, False),
        ("ready", {"proofRequired": True, "proof": {}}, False),
        ("ready", {"proofRequired": True, "proof": {"approved": None}}, False),
        ("ready", {"proofRequired": True, "proof": {"approved": False}}, False),
        ("ready", {"proofRequired": True, "proof": {"approved": True}}, True),
        ("partial", {"proofRequired": True, "proof": {"approved": True}}, True),
        # ... and never one of a job that cannot proceed anyway.
        ("rejected", {"proofRequired": True, "proof": {"approved": True}}, False),
        ("processing", {"proofRequired": True, "proof": {"approved": True}}, False),
        ("idle", {"proofRequired": True, "proof": {"approved": True}}, False),
    ],
)
def test_job_can_proceed(status: str, params: dict[str, Any] | None, expected: bool) -> None:
    assert job_can_proceed(status, params) is expected


# --- through the API --------------------------------------------------------------------------------

def card_job(client: TestClient, instance: Instance, pk: str, pdf: Path) -> str:
    """A wf_business_cards intake job with its front side checked (intake verdict reached)."""
    return intake_job(client, instance, pk, pdf, workflow="wf_business_cards", slot="Front")


def gate_views(client: TestClient, auth: dict[str, str], pk: str, job_id: str) -> dict[str, Any]:
    """``canProceed`` as every server view reports it."""
    element = client.get(f"/element/jobs/{job_id}", headers=widget_headers(pk, job_id)).json()
    listed = client.get("/jobs?workflowId=wf_business_cards", headers=auth).json()["jobs"]
    return {
        "job": client.get(f"/jobs/{job_id}", headers=auth).json()["job"]["canProceed"],
        "runs": client.get(f"/jobs/{job_id}?expand=runs", headers=auth).json()["canProceed"],
        "list": next(j["canProceed"] for j in listed if j["id"] == job_id),
        "element": element["canProceed"],
    }


def test_a_proof_requiring_job_cannot_proceed_until_the_proof_is_approved(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    pk = make_key("acme", kind="publishable")
    job_id = card_job(client, instance, pk, make_clean_pdf(tmp_path / "front.pdf", trim_mm=(85, 55)))
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    # The files passed intake: without the approval requirement this job could proceed.
    assert job["status"] in ("ready", "partial"), job
    assert job["workflowId"] == "wf_business_cards"
    element = client.get(f"/element/jobs/{job_id}", headers=widget_headers(pk, job_id)).json()
    assert element["proof"]["approvalRequired"] is True and element["proof"]["approved"] is None

    all_closed = {"job": False, "runs": False, "list": False, "element": False}
    assert gate_views(client, auth, pk, job_id) == all_closed, "canProceed before the proof was answered"

    # A store order cannot take the job yet, and its processing does not start.
    order = {"orderId": "8801", "status": "processing", "items": [{"itemId": 1, "name": "Cards", "jobId": job_id}]}
    refused = client.post("/orders/8801", headers=auth, json=order)
    assert refused.status_code == 200, refused.text
    assert refused.json()["affectedJobIds"] == []
    [item] = refused.json()["items"]
    assert item["jobId"] == job_id and item["reason"] == "job cannot proceed (the customer has not approved the proof yet)"
    instance.drain()
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["orderId"] is None and job["wfPhase"] == "intake_done"

    # A declined proof keeps the gate closed.
    declined = client.post(f"/element/jobs/{job_id}/proof", headers=widget_headers(pk, job_id),
                           json={"approved": False})
    assert declined.status_code == 200, declined.text
    assert declined.json()["canProceed"] is False and declined.json()["proof"]["approved"] is False
    assert gate_views(client, auth, pk, job_id) == all_closed, "canProceed after the proof was declined"

    # The approval opens it everywhere, and the order now takes the job.
    approved = client.post(f"/element/jobs/{job_id}/proof", headers=widget_headers(pk, job_id),
                           json={"approved": True})
    assert approved.status_code == 200, approved.text
    assert approved.json()["canProceed"] is True and approved.json()["proof"]["approved"] is True
    assert gate_views(client, auth, pk, job_id) == {"job": True, "runs": True, "list": True, "element": True}
    taken = client.post("/orders/8801", headers=auth, json=order)
    assert taken.status_code == 200 and taken.json()["affectedJobIds"] == [job_id]


def test_a_workflow_without_proof_approval_proceeds_without_an_answer(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    """The control: the same server views open for wf_default, which asks for no approval."""
    pk = make_key("acme", kind="publishable")
    headers = {"Authorization": f"Bearer {pk}"}
    created = client.post("/element/jobs", headers=headers, json={"workflowId": "wf_default"}).json()
    job_id = created["jobId"]
    on_job = {**headers, "Printgate-Job-Token": created["clientToken"]}  # as the widget sends it
    pdf = make_clean_pdf(tmp_path / "flyer.pdf")
    upload = client.post("/uploads", headers=headers, json={}).json()
    url = upload["upload"]["url"].removeprefix("http://testserver")
    assert client.post(url, data=upload["upload"]["fields"],
                       files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).status_code == 204
    assert client.post(f"/element/jobs/{job_id}/files", headers=on_job,
                       json={"fileRef": upload["fileRef"]}).status_code == 201
    instance.drain()
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["status"] in ("ready", "partial") and job["canProceed"] is True
    assert client.get(f"/element/jobs/{job_id}", headers=on_job).json()["canProceed"] is True
