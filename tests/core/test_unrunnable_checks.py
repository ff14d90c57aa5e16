"""A check that cannot run never passes (issue 11, hole 3), and validation is a check: a validate job,
a job with a validate step and an upload rule that asks for PDF/A all stop a file that is not
PDF/A-2b (the step judged it) and a file that could not be validated (the step ended ``error`` with
"cannot validate"); neither is ever ``ready`` or ``canProceed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from printgate.core.jobs.states import cannot_run_status
from tests.conftest import Instance, b64, make_clean_pdf, make_key


def test_only_checks_refuse_to_be_skipped() -> None:
    assert {t: cannot_run_status(t) for t in ("validate", "preflight", "repreflight")} == dict.fromkeys(
        ("validate", "preflight", "repreflight"), "error")
    assert {t: cannot_run_status(t) for t in ("convert", "upscale", "removebg", "split_pages", "optimize")} == \
        dict.fromkeys(("convert", "upscale", "removebg", "split_pages", "optimize"), "skipped")


def assert_not_validated(job: dict[str, Any], *, could_run: bool = True) -> None:
    assert job["status"] == "rejected", job
    assert job["canProceed"] is False
    assert job["outcome"] != "pass"
    [step] = [s for s in job["tasks"][0]["steps"] if s["type"] == "validate"]
    assert step["outcome"] == "fail"
    [result] = job["results"]["validate"]
    assert result["compliant"] is False
    if could_run:  # judged: not PDF/A-2b, with the failed rules to show for it
        assert step["status"] == "done" and "not PDF/A-2B compliant" in step["reason"]
        assert job["reason"] == step["reason"]
        assert result["profiles"] and not any(p["compliant"] for p in result["profiles"])
        assert any(p["failures"] for p in result["profiles"])
    else:  # nothing judged: an error that says so, never a pass
        assert step["status"] == "error" and step["reason"].startswith("cannot validate")
        assert job["reason"] == step["reason"]


def test_a_validate_job_is_not_ready_when_nothing_was_validated(
        client: TestClient, auth: dict[str, str], instance: Instance, clean_pdf: Path) -> None:
    created = client.post("/jobs/validate", headers=auth,
                          json={"async": True, "sources": [{"file": b64(clean_pdf), "profile": "2b"}]})
    assert created.status_code == 201, created.text
    instance.drain()
    assert_not_validated(client.get(f"/jobs/{created.json()['job']['id']}", headers=auth).json()["job"])


def test_a_validate_step_beside_a_passing_preflight_still_stops_the_file(
        client: TestClient, auth: dict[str, str], instance: Instance, clean_pdf: Path) -> None:
    body = {"sources": [{"file": b64(clean_pdf), "name": "clean.pdf",
                         "steps": [{"type": "preflight"}, {"type": "validate", "params": {"profile": ["2b"]}}]}]}
    created = client.post("/jobs", headers=auth, json=body)
    assert created.status_code == 201, created.text
    instance.drain()
    job = client.get(f"/jobs/{created.json()['job']['id']}", headers=auth).json()["job"]
    assert job["tasks"][0]["steps"][0]["status"] == "done"
    assert_not_validated(job)
    runs = client.get(f"/jobs/{job['id']}?expand=runs", headers=auth).json()
    assert runs["status"] == "rejected" and runs["canProceed"] is False


def test_a_file_that_cannot_be_validated_is_an_error_not_a_pass(
        client: TestClient, auth: dict[str, str], instance: Instance, clean_pdf: Path, tmp_path: Path) -> None:
    """An encrypted file opens for nobody here: the validate step cannot run, so it ends ``error``."""
    import pikepdf

    locked = tmp_path / "locked.pdf"
    with pikepdf.open(clean_pdf) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="secret", R=6))
    created = client.post("/jobs/validate", headers=auth,
                          json={"async": True, "sources": [{"file": b64(locked), "profile": "2b"}]})
    assert created.status_code == 201, created.text
    instance.drain()
    assert_not_validated(client.get(f"/jobs/{created.json()['job']['id']}", headers=auth).json()["job"],
                         could_run=False)


def test_an_upload_rule_asking_for_pdfa_rejects_the_unvalidated_upload(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    """"PDF/A-2b or reject" on the upload rule: the widget's customer cannot add the file to the cart."""
    rule = client.post("/rules", headers=auth, json={
        "name": "PDF/A-2b or reject", "cardinality": {"min": 1, "max": 1},
        "accept": [{"fileType": "pdf", "check": {"type": "validate", "standard": "2b"}, "onFail": "reject"}],
    })
    assert rule.status_code == 201, rule.text
    workflow = client.post("/workflows", headers=auth, json={
        "name": "Archive prints", "ruleId": rule.json()["rule"]["id"], "published": True, "trigger": "order_placed"})
    assert workflow.status_code == 201, workflow.text
    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", headers=pk, json={"workflowId": workflow.json()["workflow"]["id"]}).json()
    job_id = created["jobId"]
    on_job = {**pk, "Printgate-Job-Token": created["clientToken"]}  # as the widget sends it
    pdf = make_clean_pdf(tmp_path / "archive.pdf")
    upload = client.post("/uploads", headers=pk, json={}).json()
    url = upload["upload"]["url"].removeprefix("http://testserver")
    assert client.post(url, data=upload["upload"]["fields"],
                       files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).status_code == 204
    assert client.post(f"/element/jobs/{job_id}/files", headers=on_job,
                       json={"fileRef": upload["fileRef"]}).status_code == 201
    instance.drain()
    element = client.get(f"/element/jobs/{job_id}", headers=on_job).json()
    assert element["status"] == "rejected" and element["canProceed"] is False
    [file] = element["files"]
    assert file["status"] == "done" and file["outcome"] == "fail", file
    assert file["reason"].startswith("The file is not PDF/A-2B compliant") and "clause" in file["reason"], file
    assert_not_validated(client.get(f"/jobs/{job_id}", headers=auth).json()["job"])
