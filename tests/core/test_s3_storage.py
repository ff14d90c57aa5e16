"""Scale-out storage: ``PRINTGATE_STORAGE=s3`` against an S3 endpoint over real HTTP (moto's server).

The client posts the file straight to the bucket with the presigned form; printgate never sees the
bytes until a worker stages them. Both ways in (the API's ``fileRef`` and the widget's attach), the
outputs' download URLs, an upload that never arrived, and retention's clean-up are exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, free_port, make_key

BUCKET = "printgate-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(instance: Instance, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """This instance on S3 storage, with a fresh bucket; returns a boto3 client on that bucket."""
    import boto3

    from printgate.core.config import reset_settings
    from printgate.core.storage import reset_storage

    env = {"PRINTGATE_STORAGE": "s3", "PRINTGATE_S3_BUCKET": BUCKET, "PRINTGATE_S3_ENDPOINT_URL": s3_endpoint,
           "PRINTGATE_S3_REGION": "us-east-1", "PRINTGATE_S3_ACCESS_KEY_ID": "testing",
           "PRINTGATE_S3_SECRET_ACCESS_KEY": "testing"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    reset_storage()
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    if any(b["Name"] == BUCKET for b in client.list_buckets().get("Buckets", [])):
        for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    else:
        client.create_bucket(Bucket=BUCKET)
    yield client
    reset_settings()
    reset_storage()


def _upload_to_bucket(client: TestClient, headers: dict[str, str], pdf: Path, s3_endpoint: str) -> str:
    created = client.post("/uploads", headers=headers, json={"mimeType": "application/pdf"})
    assert created.status_code == 200, created.text
    form = created.json()["upload"]
    assert form["url"].startswith(s3_endpoint), "with S3 configured the browser posts to the bucket"
    posted = httpx.post(form["url"], data=form["fields"],
                        files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    return str(created.json()["fileRef"])


def test_api_job_reads_its_file_from_the_bucket_and_writes_outputs_there(
        s3: Any, s3_endpoint: str, client: TestClient, auth: dict[str, str], instance: Instance,
        clean_pdf: Path) -> None:
    file_ref = _upload_to_bucket(client, auth, clean_pdf, s3_endpoint)
    created = client.post("/jobs", headers=auth, json={"sources": [{
        "fileRef": file_ref, "name": "flyer.pdf", "steps": [{"type": "preflight"}, {"type": "deliver"}]}]})
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    instance.drain()

    job = client.get(f"/jobs/{job_id}", params={"expand": "runs"}, headers=auth).json()
    assert job["status"] in ("ready", "partial"), job
    run = job["runs"][0]
    assert run["hasOutput"] is True
    # The delivered file is an object in the bucket, handed out as a presigned GET.
    assert run["downloadUrl"].startswith(f"{s3_endpoint}/{BUCKET}/") and "Signature" in run["downloadUrl"]
    downloaded = httpx.get(run["downloadUrl"], timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == clean_pdf.read_bytes()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert any(job_id in key for key in keys), keys

    # Retention's clean-up removes the job's objects and the worker's staged copies.
    from printgate.core.storage import get_storage

    storage = get_storage()
    upload_key = next(k for k in keys if file_ref in k)
    staged = storage.local_path(upload_key)
    assert staged.read_bytes() == clean_pdf.read_bytes()
    assert str(staged).startswith(str(instance.data_dir.resolve())), "the staging cache is per instance"
    storage.delete_prefix(upload_key)
    assert not storage.exists(upload_key) and not staged.exists()


def test_widget_attaches_a_file_posted_straight_to_the_bucket(
        s3: Any, s3_endpoint: str, client: TestClient, instance: Instance, clean_pdf: Path) -> None:
    headers = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", headers=headers, json={"workflowId": "wf_default"}).json()
    job_id = created["jobId"]
    file_ref = _upload_to_bucket(client, headers, clean_pdf, s3_endpoint)
    on_job = {**headers, "Printgate-Job-Token": created["clientToken"]}  # as the widget sends it

    added = client.post(f"/element/jobs/{job_id}/files", headers=on_job,
                        json={"fileRef": file_ref, "name": "flyer.pdf"})
    assert added.status_code in (200, 201), added.text
    instance.drain()
    status = client.get(f"/element/jobs/{job_id}", headers=on_job).json()
    assert status["terminal"] is True and status["canProceed"] is True, status
    assert status["files"][0]["name"] == "flyer.pdf"


def test_an_upload_that_never_reached_the_bucket_is_refused(
        s3: Any, client: TestClient, auth: dict[str, str]) -> None:
    created = client.post("/uploads", headers=auth, json={"mimeType": "application/pdf"}).json()
    submitted = client.post("/jobs/preflight", headers=auth, json={"sources": [{"fileRef": created["fileRef"]}]})
    assert submitted.status_code == 400
    assert "has not been completed" in submitted.json()["message"]


def test_the_presigned_policy_carries_the_size_limit(s3: Any, client: TestClient, auth: dict[str, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """S3 itself refuses a larger file (EntityTooLarge) because the signed policy says so; moto does
    not enforce policies, so this checks what we sign: the limit, the key, and the expiry."""
    import base64
    import json

    from printgate.core.config import reset_settings

    monkeypatch.setenv("PRINTGATE_MAX_UPLOAD_BYTES", "1000")
    reset_settings()
    created = client.post("/uploads", headers=auth, json={}).json()
    assert created["maxBytes"] == 1000
    fields = created["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 0, 1000] in policy["conditions"]
    assert {"key": fields["key"]} in policy["conditions"] and created["fileRef"] in fields["key"]
    assert {"bucket": BUCKET} in policy["conditions"]
    assert policy["expiration"].endswith("Z")
    too_big = client.post("/uploads", headers=auth, json={"sizeBytes": 1001})
    assert too_big.status_code == 413
