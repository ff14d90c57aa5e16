"""Order capture and the workflow's two phases: intake verdict, then processing after the order."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Instance, make_key


def intake_job(client: TestClient, instance: Instance, pk: str, pdf: Path, workflow: str = "wf_default",
               slot: str | None = None) -> str:
    """An intake job made the widget's way (publishable key, presigned upload, one file), checked."""
    headers = {"Authorization": f"Bearer {pk}"}
    job = client.post("/element/jobs", headers=headers, json={"workflowId": workflow})
    assert job.status_code in (200, 201), job.text
    job_id = job.json()["jobId"]
    upload = client.post("/uploads", headers=headers, json={}).json()
    url = upload["upload"]["url"].removeprefix("http://testserver")
    assert client.post(url, data=upload["upload"]["fields"],
                       files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).status_code == 204
    on_job = {**headers, "Printgate-Job-Token": job.json()["clientToken"]}
    added = client.post(f"/element/jobs/{job_id}/files", headers=on_job,
                        json={"fileRef": upload["fileRef"], "name": pdf.name, **({"slot": slot} if slot else {})})
    assert added.status_code in (200, 201), added.text
    instance.drain()
    return str(job_id)


def test_order_triggers_processing_once(client: TestClient, auth: dict[str, str], instance: Instance,
                                        clean_pdf: Path) -> None:
    pk = make_key("acme", kind="publishable")
    job_id = intake_job(client, instance, pk, clean_pdf)
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["canProceed"] is True, job["reason"]
    assert job["wfPhase"] == "intake_done"
    assert job["workflowId"] == "wf_default"

    body = {"orderId": "1001", "status": "processing", "currency": "EUR", "total": "12.50",
            "customer": {"id": 7, "email": "buyer@example.com"},
            "items": [{"itemId": 1, "productId": 55, "name": "Flyer", "quantity": 100, "jobId": job_id}]}
    captured = client.post("/orders/1001", headers=auth, json=body)
    assert captured.status_code == 200, captured.text
    assert captured.json()["affectedJobIds"] == [job_id]
    instance.drain()
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["orderId"] == "1001" and job["customerEmail"] == "buyer@example.com"
    assert job["wfPhase"] == "processing_done"
    steps = job["tasks"][0]["steps"]
    assert [s["type"] for s in steps] == ["preflight", "previews", "autofix", "repreflight", "previews", "proof",
                                          "deliver"]
    assert all(s["status"] in ("done", "skipped") for s in steps), [(s["type"], s["status"], s["reason"]) for s in steps]
    runs = client.get(f"/jobs/{job_id}?expand=runs", headers=auth).json()
    assert runs["runs"][0]["hasOutput"] is True
    assert runs["runs"][0]["proofs"], "a proof image per page is listed"
    assert len(job["deliverables"]) == 1

    # the store posts the same order again on its next status change: nothing runs twice
    again = client.post("/orders/1001", headers=auth, json={**body, "status": "completed"})
    assert again.status_code == 200
    instance.drain()
    job2 = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert len(job2["tasks"][0]["steps"]) == len(steps)
    assert len(job2["deliverables"]) == 1


def test_order_with_foreign_or_rejected_jobs_attaches_nothing(client: TestClient, auth: dict[str, str],
                                                               other_auth: dict[str, str], instance: Instance,
                                                               tmp_path: Path) -> None:
    pk_other = make_key("globex", kind="publishable")
    from tests.conftest import make_clean_pdf

    foreign = intake_job(client, instance, pk_other, make_clean_pdf(tmp_path / "c.pdf"))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    rejected = intake_job(client, instance, make_key("acme", kind="publishable"), bad)
    assert client.get(f"/jobs/{rejected}", headers=auth).json()["job"]["status"] == "rejected"
    response = client.post("/orders/2002", headers=auth, json={"items": [{"jobId": foreign}, {"jobId": rejected}]})
    assert response.status_code == 200
    result = response.json()
    assert result["affectedJobIds"] == []
    reasons = {item["jobId"]: item["reason"] for item in result["items"]}
    assert "not found" in reasons[foreign]
    assert "cannot proceed" in reasons[rejected]
    assert client.get(f"/jobs/{foreign}", headers=other_auth).json()["job"]["orderId"] is None


def test_order_body_must_match_url_and_schema(client: TestClient, auth: dict[str, str]) -> None:
    assert client.post("/orders/1", headers=auth, json={"orderId": "2"}).status_code == 400
    assert client.post("/orders/1", headers=auth, json={"source": "magento"}).status_code == 400
    assert client.post("/orders/1", headers=auth, json={"source": "opencart", "items": []}).status_code == 200
