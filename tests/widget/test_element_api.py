"""The browser-facing endpoints (``/element/*``) over HTTP against a real ``printgate serve``."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, Server
from tests.support import CLI
from tests.widget.conftest import annotated_pdf, api, clean_pdf, wait_job

pytestmark = pytest.mark.e2e


def upload(server: Server, key: str, path: Path) -> str:
    """``POST /uploads`` with the publishable key, then the presigned form POST."""
    presign = api(server, key, "POST", "/uploads", json={"mimeType": "application/pdf"})
    assert presign.status_code == 200, presign.text
    body = presign.json()
    files: dict[str, Any] = {**{k: (None, v) for k, v in body["upload"]["fields"].items()},
                             "file": (path.name, path.read_bytes(), "application/pdf")}
    sent = httpx.post(body["upload"]["url"], files=files, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return str(body["fileRef"])


def new_job(server: Server, key: str, workflow: str = "wf_default") -> dict[str, Any]:
    created = api(server, key, "POST", "/element/jobs", json={"workflowId": workflow})
    assert created.status_code == 201, created.text
    return dict(created.json())


def other_account_pk(server: Server) -> str:
    out = subprocess.run([*CLI, "keys", "create", "--json", "--account", "globex",
                          "--kind", "publishable"],
                         env={**os.environ, "PRINTGATE_DATA_DIR": str(server.data_dir)},
                         capture_output=True, check=True, cwd=ROOT)
    return str(json.loads(out.stdout)["key"])


def test_config_describes_rule_slots_types_and_soft_proof(widget_server: Server, pk: str) -> None:
    flyer = api(widget_server, pk, "GET", "/element/config?workflowId=wf_default").json()
    assert flyer["workflow"]["id"] == "wf_default"
    assert flyer["rule"]["cardinality"] == {"min": 1, "max": 1}
    assert [a["fileType"] for a in flyer["rule"]["accept"]] == ["pdf", "raster"]
    assert flyer["rule"]["accept"][0]["maxBytes"] > 0 and flyer["rule"]["instructions"]
    assert flyer["softProof"]["enabled"] is False
    cards = api(widget_server, pk, "GET", "/element/config?workflowId=wf_business_cards").json()
    assert [s["name"] for s in cards["rule"]["cardinality"]["slots"]] == ["Front", "Back"]
    assert cards["softProof"] == {"enabled": True, "approvalRequired": True, "message": None, "affirmButtonText": None}
    assert api(widget_server, pk, "GET", "/element/config?workflowId=wf_nope").status_code == 404
    with_connector = api(widget_server, pk, "GET",
                         "/element/config?workflowId=wf_default&connectorId=conn_page_count_quantity").json()
    assert with_connector["connector"]["bindings"] == [{"source": "pageCount", "control": "quantity", "set": "value"}]


def test_keys_and_tenancy(widget_server: Server, pk: str) -> None:
    assert httpx.post(f"{widget_server.url}/element/jobs", json={"workflowId": "wf_default"}).status_code == 401
    assert api(widget_server, "pk_test_notakey", "GET", "/element/config?workflowId=wf_default").status_code == 401
    job = new_job(widget_server, pk)
    assert job["status"] == "idle" and job["canProceed"] is False and job["files"] == [] and job["terminal"] is False
    # A publishable key of another account cannot see the job, nor stream it.
    stranger = other_account_pk(widget_server)
    assert api(widget_server, stranger, "GET", f"/element/jobs/{job['jobId']}").status_code == 404
    streamed = httpx.get(f"{widget_server.url}/element/jobs/{job['jobId']}/events?key={stranger}", timeout=10)
    assert streamed.status_code == 404
    # Publishable keys stay out of the secret-key API.
    assert api(widget_server, pk, "GET", f"/jobs/{job['jobId']}").status_code == 403


def test_request_bodies_are_strict(widget_server: Server, pk: str, tmp_path: Path) -> None:
    bad = api(widget_server, pk, "POST", "/element/jobs", json={"workflowId": "wf_default", "ruleId": "x"})
    assert bad.status_code == 400 and bad.json()["message"] == "ruleId: Extra inputs are not permitted"
    assert api(widget_server, pk, "POST", "/element/jobs", json={}).json()["message"] == "workflowId: Field required"
    blank = api(widget_server, pk, "POST", "/element/jobs", json={"workflowId": "  "})
    assert blank.status_code == 400 and blank.json()["message"] == "workflowId: must be a non-empty string"
    job = new_job(widget_server, pk)
    ref = upload(widget_server, pk, clean_pdf(tmp_path / "a.pdf"))
    slot = api(widget_server, pk, "POST", f"/element/jobs/{job['jobId']}/files", json={"fileRef": ref, "slot": "Front"})
    assert slot.status_code == 400 and "no named slots" in slot.json()["message"]
    unknown_ref = api(widget_server, pk, "POST", f"/element/jobs/{job['jobId']}/files",
                      json={"fileRef": "upload_01nothere"})
    assert unknown_ref.status_code == 403
    proof = api(widget_server, pk, "POST", f"/element/jobs/{job['jobId']}/proof", json={"approved": "yes"})
    assert proof.status_code == 400 and proof.json()["message"] == "approved: Input should be a valid boolean"
    named = api(widget_server, pk, "POST", f"/element/jobs/{job['jobId']}/files", json={"fileRef": ref, "nmae": "a"})
    assert named.status_code == 400 and named.json()["message"] == "nmae: Extra inputs are not permitted"


def test_files_lifecycle_count_limit_and_removal(widget_server: Server, pk: str, tmp_path: Path) -> None:
    job = new_job(widget_server, pk)
    job_id = job["jobId"]
    ref = upload(widget_server, pk, annotated_pdf(tmp_path / "commented.pdf"))
    added = api(widget_server, pk, "POST", f"/element/jobs/{job_id}/files", json={"fileRef": ref, "name": "c.pdf"})
    assert added.status_code == 201
    body = added.json()
    assert body["status"] == "processing" and body["files"][0]["name"] == "c.pdf"
    done = wait_job(widget_server, pk, job_id)
    assert done["status"] == "rejected" and done["canProceed"] is False
    finding = next(f for f in done["files"][0]["findings"] if f["severity"] == "reject")
    assert set(finding) >= {"severity", "checkId", "issue", "fix", "autofix", "page"}
    assert done["files"][0]["thumbnailUrl"].startswith(widget_server.url)
    # One file allowed: a second one is refused until the first is removed.
    ref2 = upload(widget_server, pk, clean_pdf(tmp_path / "clean.pdf"))
    full = api(widget_server, pk, "POST", f"/element/jobs/{job_id}/files", json={"fileRef": ref2})
    assert full.status_code == 409
    removed = api(widget_server, pk, "DELETE", f"/element/jobs/{job_id}/files/{done['files'][0]['id']}")
    assert removed.status_code == 200 and removed.json()["status"] == "idle" and removed.json()["files"] == []
    again = api(widget_server, pk, "POST", f"/element/jobs/{job_id}/files", json={"fileRef": ref2})
    assert again.status_code == 201
    final = wait_job(widget_server, pk, job_id)
    assert final["canProceed"] is True and [f["name"] for f in final["files"]] == ["clean.pdf"]
    assert final["facts"]["aggregate"]["fileCount"] == 1


def test_event_stream_sends_snapshot_changes_and_closes_when_terminal(
        widget_server: Server, pk: str, tmp_path: Path) -> None:
    job = new_job(widget_server, pk)
    job_id = job["jobId"]
    ref = upload(widget_server, pk, clean_pdf(tmp_path / "flyer.pdf"))
    seen: list[dict[str, Any]] = []
    started = time.monotonic()
    stream_url = f"{widget_server.url}/element/jobs/{job_id}/events?key={pk}&jobToken={job['clientToken']}"
    with httpx.stream("GET", stream_url, timeout=30) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "status":
                seen.append(json.loads(line[6:]))
                if len(seen) == 1:  # the snapshot: idle; now add the file
                    assert seen[0]["status"] == "idle"
                    assert api(widget_server, pk, "POST", f"/element/jobs/{job_id}/files",
                               json={"fileRef": ref}).status_code == 201
        # The server ended the stream by itself once the job was terminal.
    assert time.monotonic() - started < 30
    assert seen[-1]["terminal"] is True and seen[-1]["canProceed"] is True
    assert any(s["status"] == "processing" for s in seen)
    assert all(s["jobId"] == job_id for s in seen)
    # A terminal job's stream is one snapshot and the end.
    with httpx.stream("GET", f"{widget_server.url}/element/jobs/{job_id}/events",
                      headers={"Authorization": f"Bearer {pk}", "Printgate-Job-Token": job["clientToken"]},
                      timeout=10) as stream:
        data = [ln for ln in stream.iter_lines() if ln.startswith("data: ")]
    assert len(data) == 1 and json.loads(data[0][6:])["terminal"] is True


def test_widget_files_are_served_small_and_cacheable(widget_server: Server) -> None:
    for name, kind in (("printgate.js", "javascript"), ("printgate.css", "text/css")):
        res = httpx.get(f"{widget_server.url}/widget/v1/{name}", timeout=10)
        assert res.status_code == 200 and kind in res.headers["content-type"]
        assert "max-age" in res.headers["cache-control"]
    same = httpx.get(f"{widget_server.url}/widget/pk_test_whatever/filecheck.js", timeout=10)
    assert same.status_code == 200 and "window.Filecheck" in same.text
