"""An upload rule's ``check: {type: validate, autofix: true}`` converts the upload as a workflow's validate
step does: a PDF that is not PDF/A-2b but can be converted is accepted with the converted file; without
``autofix`` the same upload is rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from printgate.core.validation import validate_file
from tests.conftest import Instance, make_key
from tests.fixes import pdfa_defects as d


def _upload_through_rule(client: TestClient, auth: dict[str, str], instance: Instance, pdf: Path,
                         check: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    rule = client.post("/rules", headers=auth, json={
        "name": "PDF/A-2b", "cardinality": {"min": 1, "max": 1},
        "accept": [{"fileType": "pdf", "check": check, "onFail": "reject"}]})
    assert rule.status_code == 201, rule.text
    workflow = client.post("/workflows", headers=auth, json={
        "name": "Archive prints", "ruleId": rule.json()["rule"]["id"], "published": True, "trigger": "order_placed"})
    assert workflow.status_code == 201, workflow.text
    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", headers=pk, json={"workflowId": workflow.json()["workflow"]["id"]}).json()
    on_job = {**pk, "Printgate-Job-Token": created["clientToken"]}
    upload = client.post("/uploads", headers=pk, json={}).json()
    url = upload["upload"]["url"].removeprefix("http://testserver")
    assert client.post(url, data=upload["upload"]["fields"],
                       files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).status_code == 204
    assert client.post(f"/element/jobs/{created['jobId']}/files", headers=on_job,
                       json={"fileRef": upload["fileRef"]}).status_code == 201
    instance.drain()
    element = client.get(f"/element/jobs/{created['jobId']}", headers=on_job).json()
    job = client.get(f"/jobs/{created['jobId']}", headers=auth).json()["job"]
    return element, job


def test_autofix_on_the_rule_accepts_the_converted_file(client: TestClient, auth: dict[str, str],
                                                       instance: Instance, tmp_path: Path) -> None:
    src = d.make(tmp_path / "art.pdf", d.javascript, d.mixed_device_colour)
    assert validate_file(src, ["2b"])["compliant"] is False
    element, job = _upload_through_rule(client, auth, instance, src,
                                        {"type": "validate", "standard": "2b", "autofix": True})
    assert element["status"] == "ready" and element["canProceed"] is True, element
    [file] = element["files"]
    assert file["outcome"] == "pass" and file["outputRef"], file
    [step] = [s for s in job["tasks"][0]["steps"] if s["type"] == "validate"]
    assert step["params"]["autofix"] is True
    conversion = step["runtimeParams"]["conversion"]
    assert conversion["compliant"] is True and conversion["level"] == "2b"
    # The file the job carries on is the converted one, PDF/A-2B by the validator's reading.
    run = client.get(f"/jobs/{job['id']}", params={"expand": "runs"}, headers=auth).json()["runs"][0]
    out = tmp_path / "out.pdf"
    out.write_bytes(client.get(f"/jobs/{job['id']}/runs/{run['id']}/output", headers=auth).content)
    assert out.read_bytes() != src.read_bytes()
    assert validate_file(out, ["2b"])["compliant"] is True


def test_without_autofix_the_same_upload_is_rejected(client: TestClient, auth: dict[str, str],
                                                    instance: Instance, tmp_path: Path) -> None:
    src = d.make(tmp_path / "art.pdf", d.javascript, d.mixed_device_colour)
    element, job = _upload_through_rule(client, auth, instance, src, {"type": "validate", "standard": "2b"})
    assert element["status"] == "rejected" and element["canProceed"] is False
    [file] = element["files"]
    assert file["outcome"] == "fail" and file["reason"].startswith("The file is not PDF/A-2B compliant"), file
    [step] = [s for s in job["tasks"][0]["steps"] if s["type"] == "validate"]
    assert not (step.get("runtimeParams") or {}).get("conversion")


def test_the_rule_schema_takes_autofix_as_a_boolean(client: TestClient, auth: dict[str, str]) -> None:
    bad = client.post("/rules", headers=auth, json={
        "name": "x", "accept": [{"fileType": "pdf", "check": {"type": "validate", "standard": "2b", "autofix": "yes"}}]})
    assert bad.status_code == 400 and "autofix" in bad.json()["message"]



def test_processing_autofix_after_an_intake_validate_fixes_the_preflight_findings(instance: Instance,
                                                                                  tmp_path: Path) -> None:
    """An upload rule's "PDF/A-2b, converted" at intake, then the workflow's autofix at processing: the
    validate step's report is not a preflight's, but the processing phase took it for the intake's
    preflight report, saw no findings, and fixed nothing."""
    from sqlmodel import Session, select

    from printgate.core.db import get_engine
    from printgate.core.jobs import service
    from printgate.core.jobs.service import JobSpec, SourceSpec
    from printgate.core.keys import get_or_create_account
    from printgate.core.models import Step, Task

    src = d.make(tmp_path / "art.pdf", d.javascript, d.mixed_device_colour)
    with Session(get_engine(), expire_on_commit=False) as session:
        account = get_or_create_account(session, "acme")
        job = service.create_job(session, account.id, JobSpec(kind="workflow", sources=[SourceSpec(
            data=src.read_bytes(), name="art.pdf", mime_type="application/pdf",
            steps=[{"type": "validate", "params": {"standard": "2b", "autofix": True}}])]))
        session.commit()  # the queue message is sent once the transaction that records it commits
    instance.drain()
    with Session(get_engine(), expire_on_commit=False) as session:
        [task] = session.exec(select(Task).where(Task.job_id == job.id)).all()
        [validate] = session.exec(select(Step).where(Step.task_id == task.id, Step.type == "validate")).all()
        assert (validate.status, validate.outcome) == ("done", "pass"), validate.reason  # converted to PDF/A-2b
        service.start_processing(session, session.get(type(job), job.id),
                                 {"processing": {"pdf": [{"type": "autofix"}]}})
    instance.drain()
    with Session(get_engine(), expire_on_commit=False) as session:
        [autofix] = session.exec(select(Step).where(Step.task_id == task.id, Step.type == "autofix")).all()
    assert autofix.status == "done", (autofix.status, autofix.reason)
    applied = [a["strategy"] for a in (autofix.runtime_params or {})["applied"]]
    assert "set_trimbox" in applied, applied  # a preflight finding of the default profile, fixed
