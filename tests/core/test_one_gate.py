"""One gate (issue 11, holes 6 and 10): ``canProceed`` is decided once, by
``printgate.core.jobs.states.job_can_proceed``, from the job's own copy of its workflow's policy. The API
views, the Element, order capture and the connector pipeline all ask it, so a job whose proof was
never approved reaches no order and no processing, and editing the workflow afterwards changes no
job's verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Instance, make_clean_pdf, make_key, widget_headers
from tests.core.test_orders import intake_job


def element_job(client: TestClient, instance: Instance, pk: str, workflow_id: str, pdf: Path) -> str:
    return intake_job(client, instance, pk, pdf, workflow=workflow_id)


def workflow_body(approval: bool) -> dict[str, Any]:
    return {"name": "Flyers", "ruleId": "rule_default", "published": True, "trigger": "order_placed",
            "softProof": {"enabled": True, "approvalRequired": approval}}


def views(client: TestClient, auth: dict[str, str], pk: str, job_id: str, workflow_id: str) -> dict[str, Any]:
    """``canProceed`` as every server view reports it."""
    listed = client.get(f"/jobs?workflowId={workflow_id}", headers=auth).json()["jobs"]
    return {
        "job": client.get(f"/jobs/{job_id}", headers=auth).json()["job"]["canProceed"],
        "runs": client.get(f"/jobs/{job_id}?expand=runs", headers=auth).json()["canProceed"],
        "list": next(j["canProceed"] for j in listed if j["id"] == job_id),
        "element": client.get(f"/element/jobs/{job_id}", headers=widget_headers(pk, job_id)).json()["canProceed"],
    }


def store_order(job_id: str, external_id: str) -> Any:
    from printgate.connectors.base.adapter import ExternalLine, ExternalOrder

    line = ExternalLine(line_id="1", product_id="p1", name="Cards", properties={"_printgate_job_id": job_id})
    return ExternalOrder(external_id=external_id, name=f"#{external_id}", status="paid", lines=[line],
                         customer={"id": 7, "email": "ann@example.com"})


def run_store_order(job_id: str, external_id: str) -> dict[str, Any]:
    """Drive a paid store order carrying ``job_id`` through the connector pipeline (no store calls:
    a refused or attached order does not reach write-back)."""
    from printgate.connectors.base import pipeline
    from printgate.connectors.base.models import StoreConnection
    from printgate.core.db import session_scope
    from printgate.core.ids import new_id
    from printgate.core.models import Job

    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job is not None
        connection = StoreConnection(id=new_id("store"), account_id=job.account_id, platform="shopify",
                                     shop=f"gate-{external_id}.myshopify.com", status="connected")
        session.add(connection)
        session.commit()
        sync = pipeline.intake(session, connection, store_order(job_id, external_id))
        return pipeline.sync_wire(sync)


def job_row(job_id: str) -> tuple[str | None, str | None]:
    from printgate.core.db import session_scope
    from printgate.core.models import Job

    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.order_id, job.wf_phase


def test_the_connector_pipeline_refuses_a_job_whose_proof_was_never_approved(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    pk = make_key("acme", kind="publishable")
    workflow = client.post("/workflows", headers=auth, json=workflow_body(approval=True))
    assert workflow.status_code == 201, workflow.text
    wf_id = workflow.json()["workflow"]["id"]
    job_id = element_job(client, instance, pk, wf_id, make_clean_pdf(tmp_path / "flyer.pdf"))
    assert client.get(f"/jobs/{job_id}", headers=auth).json()["job"]["status"] in ("ready", "partial")

    synced = run_store_order(job_id, "9101")
    [line] = synced["lines"]
    assert line["verified"] is False
    assert line["reason"] == "job cannot proceed (the customer has not approved the proof yet)"
    assert synced["steps"]["verified"]["status"] == "error" and synced["status"] == "failed"
    assert synced["steps"]["attached"] == {"status": "pending"}
    instance.drain()
    assert job_row(job_id) == (None, "intake_done"), "an unapproved job was attached or started processing"
    refused = client.post(f"/jobs/{job_id}/process", headers=auth)
    assert refused.status_code == 400 and job_row(job_id) == (None, "intake_done")

    # Once the customer approves, the next order takes the job and its processing starts.
    approved = client.post(f"/element/jobs/{job_id}/proof", headers=widget_headers(pk, job_id),
                           json={"approved": True})
    assert approved.status_code == 200 and approved.json()["canProceed"] is True
    synced = run_store_order(job_id, "9102")
    assert synced["lines"][0]["verified"] is True and synced["lines"][0]["attached"] is True
    assert job_row(job_id) == ("9102", "processing")


def test_editing_the_workflow_never_changes_a_made_jobs_verdict(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    pk = make_key("acme", kind="publishable")
    open_wf = client.post("/workflows", headers=auth, json=workflow_body(approval=False)).json()["workflow"]["id"]
    gated_wf = client.post("/workflows", headers=auth, json=workflow_body(approval=True)).json()["workflow"]["id"]
    open_job = element_job(client, instance, pk, open_wf, make_clean_pdf(tmp_path / "a.pdf"))
    gated_job = element_job(client, instance, pk, gated_wf, make_clean_pdf(tmp_path / "b.pdf"))
    opened = dict.fromkeys(("job", "runs", "list", "element"), True)
    closed = dict.fromkeys(("job", "runs", "list", "element"), False)
    assert views(client, auth, pk, open_job, open_wf) == opened
    assert views(client, auth, pk, gated_job, gated_wf) == closed

    # The merchant flips both workflows afterwards.
    assert client.put(f"/workflows/{open_wf}", headers=auth, json=workflow_body(approval=True)).status_code == 200
    assert client.put(f"/workflows/{gated_wf}", headers=auth, json=workflow_body(approval=False)).status_code == 200
    assert views(client, auth, pk, open_job, open_wf) == opened, "a workflow edit closed an open job's gate"
    assert views(client, auth, pk, gated_job, gated_wf) == closed, "a workflow edit opened an unapproved job"
    element = client.get(f"/element/jobs/{open_job}", headers=widget_headers(pk, open_job)).json()
    assert element["proof"]["approvalRequired"] is False
    element = client.get(f"/element/jobs/{gated_job}", headers=widget_headers(pk, gated_job)).json()
    assert element["proof"]["approvalRequired"] is True

    order = {"status": "processing", "items": [{"itemId": 1, "jobId": open_job}, {"itemId": 2, "jobId": gated_job}]}
    captured = client.post("/orders/9201", headers=auth, json=order).json()
    assert captured["affectedJobIds"] == [open_job]
    assert run_store_order(gated_job, "9202")["lines"][0]["verified"] is False
