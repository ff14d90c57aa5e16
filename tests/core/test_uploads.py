"""Presigned uploads served by printgate itself: signed, expiring, size-capped, tenant-owned."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Instance


def presign(client: TestClient, auth: dict[str, str], **body: object) -> dict:
    response = client.post("/uploads", headers=auth, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def post_form(client: TestClient, upload: dict, content: bytes, name: str = "art.pdf"):  # type: ignore[no-untyped-def]
    url = upload["upload"]["url"].removeprefix("http://testserver")
    return client.post(url, data=upload["upload"]["fields"], files={"file": (name, content, "application/pdf")})


def test_presign_shape_matches_filecheck(client: TestClient, auth: dict[str, str]) -> None:
    body = presign(client, auth, mimeType="application/pdf", sizeBytes=1000)
    assert body["fileRef"].startswith("upload_")
    assert body["upload"]["method"] == "POST"
    assert body["upload"]["url"].endswith(f"/uploads/{body['fileRef']}")
    assert {"key", "Policy"} <= set(body["upload"]["fields"])
    assert body["maxBytes"] == 524288000 and body["expiresIn"] == 300


def test_upload_then_job_by_file_ref(client: TestClient, auth: dict[str, str], instance: Instance,
                                     pdf_file: Path) -> None:
    upload = presign(client, auth)
    assert post_form(client, upload, pdf_file.read_bytes()).status_code == 204
    response = client.post("/jobs/preflight", headers=auth, json={"sources": [{"fileRef": upload["fileRef"]}]})
    assert response.status_code == 201
    job = response.json()["job"]
    assert job["tasks"][0]["fileRef"] == upload["fileRef"]
    assert job["tasks"][0]["name"] == "art.pdf"
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert body["tasks"][0]["status"] == "done"
    assert body["tasks"][0]["originalArtifact"]["sizeBytes"] == pdf_file.stat().st_size
    # a completed upload cannot be overwritten
    assert post_form(client, upload, b"%PDF-evil").status_code == 400


def test_file_ref_of_another_tenant_is_403(client: TestClient, auth: dict[str, str], other_auth: dict[str, str],
                                           pdf_file: Path) -> None:
    upload = presign(client, other_auth)
    post_form(client, upload, pdf_file.read_bytes())
    response = client.post("/jobs/preflight", headers=auth, json={"sources": [{"fileRef": upload["fileRef"]}]})
    assert response.status_code == 403
    assert response.json()["message"] == "A referenced fileRef is not owned by the caller"


def test_unfinished_upload_is_400(client: TestClient, auth: dict[str, str]) -> None:
    upload = presign(client, auth)
    response = client.post("/jobs/preflight", headers=auth, json={"sources": [{"fileRef": upload["fileRef"]}]})
    assert response.status_code == 400
    assert "not been completed" in response.json()["message"]


def test_expired_or_forged_upload_is_403(client: TestClient, auth: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    upload = presign(client, auth)
    forged = json.loads(json.dumps(upload))
    policy = json.loads(base64.b64decode(forged["upload"]["fields"]["Policy"]))
    policy["exp"] = str(int(policy["exp"]) + 3600)
    forged["upload"]["fields"]["Policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    assert post_form(client, forged, b"%PDF-1.4").status_code == 403
    import time as time_module

    real = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real() + 301)
    response = post_form(client, upload, b"%PDF-1.4")
    assert response.status_code == 403
    assert "expired" in response.json()["message"]


def test_oversize_upload_is_413(client: TestClient, auth: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRINTGATE_MAX_UPLOAD_BYTES", "1000")
    from printgate.core.config import reset_settings

    reset_settings()
    assert client.post("/uploads", headers=auth, json={"sizeBytes": 5000}).status_code == 413
    upload = presign(client, auth)
    assert post_form(client, upload, b"x" * 5000).status_code == 413


def test_unknown_upload_is_404(client: TestClient) -> None:
    assert client.post("/uploads/upload_nope", data={"Policy": "x"}, files={"file": ("a", b"b")}).status_code == 404
