"""The Jobs API against a real queue and worker (RQ SimpleWorker on an embedded Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, b64, make_pdf


def submit(client: TestClient, auth: dict[str, str], path: Path, steps: list[dict] | None = None,
           **extra: object) -> dict:
    body = {"sources": [{"file": b64(path), "name": path.name, "steps": steps or [{"type": "preflight"}]}], **extra}
    response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 201, response.text
    return response.json()["job"]


def test_submit_preflight_and_read_full_job(client: TestClient, auth: dict[str, str], instance: Instance,
                                            pdf_file: Path) -> None:
    job = submit(client, auth, pdf_file, metaData={"cartId": "c1"}, webhook="https://example.com/hook")
    assert job["id"].startswith("job_")
    assert job["status"] == "processing"
    assert job["canProceed"] is False
    assert job["tasks"][0]["steps"][0]["status"] == "pending"
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["status"] in ("ready", "partial", "rejected")
    assert body["canProceed"] == (body["status"] in ("ready", "partial"))
    assert body["metaData"] == {"cartId": "c1"}
    task = body["tasks"][0]
    assert task["fileType"] == "pdf" and task["mimeType"] == "application/pdf"
    step = task["steps"][0]
    assert step["type"] == "preflight" and step["status"] == "done"
    assert step["outputs"][0]["kind"] == "report"
    assert step["duration"] is not None and step["started"].endswith("Z")
    report = body["results"]["preflight"][0]["report"]
    assert report["pdf"]["page_count"] == 1
    assert "findings" in report["evaluation"]
    assert body["summary"]["taskIds"] == [task["id"]]
    assert body["summary"]["policy"] == {"onFail": "reject"}
    assert task["originalArtifact"]["downloadUrl"].startswith("http://testserver/files/")


def test_lean_list_and_cursor_pagination(client: TestClient, auth: dict[str, str], pdf_file: Path) -> None:
    ids = [submit(client, auth, pdf_file)["id"] for _ in range(5)]
    first = client.get("/jobs", params={"limit": 2}, headers=auth).json()
    assert [j["id"] for j in first["jobs"]] == ids[::-1][:2]
    assert first["jobs"][0]["tasks"] == [] and "results" not in first["jobs"][0]
    second = client.get("/jobs", params={"limit": 2, "nextKey": first["nextKey"]}, headers=auth).json()
    third = client.get("/jobs", params={"limit": 2, "nextKey": second["nextKey"]}, headers=auth).json()
    seen = [j["id"] for page in (first, second, third) for j in page["jobs"]]
    assert seen == ids[::-1]
    assert third["nextKey"] is None
    assert client.get("/jobs", params={"nextKey": "garbage!"}, headers=auth).status_code == 400
    assert client.get("/jobs", params={"status": "bogus"}, headers=auth).status_code == 400
    processing = client.get("/jobs", params={"status": "processing"}, headers=auth).json()["jobs"]
    assert len(processing) == 5


def test_expand_runs_and_run_output(client: TestClient, auth: dict[str, str], instance: Instance,
                                    pdf_file: Path) -> None:
    job = submit(client, auth, pdf_file, steps=[{"type": "preflight"}, {"type": "deliver"}])
    instance.drain()
    runs = client.get(f"/jobs/{job['id']}", params={"expand": "runs"}, headers=auth).json()
    assert set(runs) >= {"id", "status", "outcome", "canProceed", "runs"}
    run = runs["runs"][0]
    assert run["name"] == "artwork.pdf" and run["hasOutput"] is True
    assert run["downloadUrl"].startswith("http://testserver/files/")
    output = client.get(f"/jobs/{job['id']}/runs/{run['id']}/output", headers=auth)
    assert output.status_code == 200
    assert output.content == pdf_file.read_bytes()
    # the signed URL works, a tampered one does not
    path = run["downloadUrl"].removeprefix("http://testserver")
    assert client.get(path).content == pdf_file.read_bytes()
    assert client.get(path.replace("sig=", "sig=0")).status_code == 403
    # The file name is signed too: a link cannot be re-labelled to serve the file under another name.
    signed_name = client.get(path)
    assert 'filename="artwork.pdf"' in signed_name.headers["content-disposition"]
    assert "name=artwork.pdf" in path
    assert client.get(path.replace("name=artwork.pdf", "name=invoice.exe")).status_code == 403
    assert client.get(path.replace("&name=artwork.pdf", "").replace("name=artwork.pdf&", "")).status_code == 403
    assert client.get(f"/runs/{run['id']}", headers=auth).json()["id"] == run["id"]


@pytest.mark.parametrize(("content", "reason_part"), [
    (b"", "empty"),
    (b"this is not a pdf at all", "not"),
    (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", ""),
])
def test_bad_files_end_rejected_with_reason(client: TestClient, auth: dict[str, str], instance: Instance,
                                            tmp_path: Path, content: bytes, reason_part: str) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    job = submit(client, auth, bad)
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["status"] == "rejected"
    assert body["canProceed"] is False
    step = body["tasks"][0]["steps"][0]
    assert step["status"] == "error"
    assert step["reason"] and reason_part in step["reason"].lower()
    assert body["reason"] == step["reason"]


def test_truncated_pdf_is_rejected_not_stuck(client: TestClient, auth: dict[str, str], instance: Instance,
                                              tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", pages=3)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    job = submit(client, auth, truncated)
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["status"] in ("rejected", "ready", "partial")  # repaired truncations are allowed to pass
    assert body["status"] != "processing"
    assert body["tasks"][0]["status"] in ("done", "error")


def test_unavailable_steps_say_so(client: TestClient, auth: dict[str, str], instance: Instance,
                                  pdf_file: Path) -> None:
    """A check that cannot run is an error that stops the file; a processing step is only skipped."""
    job = submit(client, auth, pdf_file, steps=[{"type": "validate", "params": {"profile": "x9"}}, {"type": "upscale"}])
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    steps = body["tasks"][0]["steps"]
    assert [s["status"] for s in steps] == ["error", "skipped"]
    assert "cannot validate" in steps[0]["reason"]  # a validation it cannot run (an unknown profile)
    assert body["status"] == "rejected" and body["canProceed"] is False
    # Validation runs in this build: a file that is not PDF/A is judged (done, fail), never passed.
    job = submit(client, auth, pdf_file, steps=[{"type": "validate"}])
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert (body["tasks"][0]["steps"][0]["status"], body["tasks"][0]["steps"][0]["outcome"]) == ("done", "fail")
    assert body["status"] == "rejected" and body["results"]["validate"][0]["compliant"] is False
    job = submit(client, auth, pdf_file, steps=[{"type": "preflight"}, {"type": "upscale"}])
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    steps = body["tasks"][0]["steps"]
    assert [s["status"] for s in steps] == ["done", "skipped"]
    assert "upscale does not apply to pdf files" in steps[1]["reason"]  # a processing step for images
    assert body["status"] != "processing" and body["canProceed"] == (body["status"] in ("ready", "partial"))


def test_one_off_endpoints_build_their_steps(client: TestClient, auth: dict[str, str], pdf_file: Path) -> None:
    fix = client.post("/jobs/fix", headers=auth, json={"sources": [{"file": b64(pdf_file)}], "repreflight": True})
    assert fix.status_code == 201
    assert [s["type"] for s in fix.json()["job"]["tasks"][0]["steps"]] == ["preflight", "autofix", "repreflight",
                                                                          "deliver"]
    previews = client.post("/jobs/previews", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert [s["type"] for s in previews.json()["job"]["tasks"][0]["steps"]] == ["previews"]
    validate = client.post("/jobs/validate", headers=auth, json={"async": True, "sources": [{"file": b64(pdf_file)}]})
    assert validate.status_code == 201 and validate.json()["pending"] is True
    assert validate.json()["job"]["tasks"][0]["steps"][0]["params"] == {"profile": ["auto"]}
    optimize = client.post("/jobs/optimize", headers=auth,
                           json={"async": True, "sources": [{"file": b64(pdf_file), "params": {}}]})
    assert optimize.status_code == 400


@pytest.mark.parametrize(("body", "message_part"), [
    ({}, "sources is required"),
    ({"sources": []}, "non-empty"),
    ({"sources": [{"url": "https://x.test/a.pdf", "steps": [{"type": "preflight"}]}], "bogus": 1}, "Unknown key"),
    ({"sources": [{"url": "ftp://x.test/a.pdf", "steps": [{"type": "preflight"}]}]}, "sources.0.url"),
    ({"sources": [{"url": "https://x.test/a.pdf", "file": "AAAA", "steps": [{"type": "preflight"}]}]}, "exactly one"),
    ({"sources": [{"file": "not base64!", "steps": [{"type": "preflight"}]}]}, "base64"),
    ({"sources": [{"url": "https://x.test/a.pdf", "steps": [{"type": "preflight"}]}], "metaData": {"x": "y" * 5000}},
     "4 KB"),
])
def test_bad_requests_are_400(client: TestClient, auth: dict[str, str], body: dict, message_part: str) -> None:
    response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] is True
    assert message_part in response.json()["message"]


def test_malformed_json_is_400(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/jobs", headers={**auth, "content-type": "application/json"}, content=b"{nope")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Malformed JSON")


def test_inline_file_over_limit_is_413(client: TestClient, auth: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRINTGATE_MAX_INLINE_FILE_BYTES", "1000")
    from printgate.core.config import reset_settings

    reset_settings()
    response = client.post("/jobs", headers=auth, json={"sources": [{"file": "A" * 4000, "steps": [{"type": "preflight"}]}]})
    assert response.status_code == 413


def test_delete_is_soft_and_hides_the_job(client: TestClient, auth: dict[str, str], pdf_file: Path) -> None:
    job = submit(client, auth, pdf_file)
    deleted = client.delete(f"/jobs/{job['id']}", headers=auth)
    assert deleted.status_code == 200
    assert deleted.json()["id"] == job["id"] and len(deleted.json()["taskIds"]) == 1
    assert client.get(f"/jobs/{job['id']}", headers=auth).status_code == 404
    assert client.get("/jobs", headers=auth).json()["jobs"] == []


def test_page_bomb_is_refused_before_any_engine_walks_it(client: TestClient, auth: dict[str, str],
                                                         instance: Instance, tmp_path: Path) -> None:
    from tests.preflight.pdfgen import page_bomb

    bomb = page_bomb(tmp_path / "bomb.pdf")
    job = submit(client, auth, bomb, steps=[{"type": "previews"}, {"type": "optimize"}])
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["status"] == "rejected"
    assert "50,000 pages" in body["reason"]


def test_a_repaired_file_is_what_the_later_steps_work_on(client: TestClient, auth: dict[str, str],
                                                         instance: Instance, tmp_path: Path) -> None:
    """A file only MuPDF can rebuild (its trailer names no /Root) passes preflight with a repair
    warning; autofix (pikepdf) could not open the upload itself and ended the job in error. Later
    steps now get the rebuilt file. The autofix step also reports what it did to the size."""
    from tests.preflight.test_damaged_files import without_root

    job = submit(client, auth, without_root(tmp_path / "no-root.pdf"),
                 steps=[{"type": "preflight"}, {"type": "autofix"}, {"type": "previews"}])
    instance.drain()
    done = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    steps = {s["type"]: s for s in done["tasks"][0]["steps"]}
    assert [(t, s["status"]) for t, s in steps.items()] == [("preflight", "done"), ("autofix", "done"),
                                                             ("previews", "done")], \
        [(t, s["status"], s["reason"]) for t, s in steps.items()]
    size = steps["autofix"]["runtimeParams"]["size"]
    assert size["inputBytes"] > 0 and size["limit"] == 1.5
