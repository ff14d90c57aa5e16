"""Two contract details clients read: ``summary.domainIdx`` and a file's ``name`` when none was sent.

``domainIdx`` is a number in Filecheck's job summary (sdk-fixtures/job.full.json, API.md §5.1);
printgate serves the account's number in creation order. A Run's ``name`` is its file name (API.md
§5.5, a string in the SDK's ``Run`` type); without a client ``name`` it comes from the source
(``printgate.core.jobs.service.source_name``).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from printgate.core.db import get_engine
from printgate.core.models import Account
from printgate.core.storage import get_storage
from tests.conftest import Instance, b64

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def submit(client: TestClient, auth: dict[str, str], sources: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/jobs", headers=auth,
                           json={"sources": [{**s, "steps": [{"type": "preflight"}]} for s in sources]})
    assert response.status_code == 201, response.text
    return dict(response.json()["job"])


def runs(client: TestClient, auth: dict[str, str], job_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/jobs/{job_id}", params={"expand": "runs"}, headers=auth)
    assert response.status_code == 200, response.text
    return list(response.json()["runs"])


def assert_names(client: TestClient, auth: dict[str, str], job: dict[str, Any], names: list[str]) -> None:
    """The name shows on the task (201 body), on each Run and its ``source.name``."""
    assert [t["name"] for t in job["tasks"]] == names
    listed = runs(client, auth, job["id"])
    assert [r["name"] for r in listed] == names
    assert [r["source"]["name"] for r in listed] == names


def test_summary_domain_idx_numbers_the_accounts_in_creation_order(
        client: TestClient, auth: dict[str, str], other_auth: dict[str, str], instance: Instance,
        pdf_file: Path) -> None:
    jobs = {name: submit(client, key, [{"file": b64(pdf_file), "name": "a.pdf"}])["id"]
            for name, key in (("acme", auth), ("globex", other_auth))}
    instance.drain()
    with Session(get_engine()) as session:
        order = [a.name for a in session.exec(select(Account).order_by(col(Account.created_at))).all()]
    for name, key in (("acme", auth), ("globex", other_auth)):
        body = client.get(f"/jobs/{jobs[name]}", headers=key).json()["job"]
        idx = body["summary"]["domainIdx"]
        assert type(idx) is int, f"a JSON number like the fixture's 42, got {idx!r}"
        assert idx == order.index(name) + 1
        again = client.get(f"/jobs/{jobs[name]}", headers=key).json()["job"]["summary"]["domainIdx"]
        assert again == idx
    acme = client.get(f"/jobs/{jobs['acme']}", headers=auth).json()["job"]["summary"]["domainIdx"]
    globex = client.get(f"/jobs/{jobs['globex']}", headers=other_auth).json()["job"]["summary"]["domainIdx"]
    assert globex == acme + 1, "globex's key was made after acme's"


def test_base64_sources_without_a_name_are_named_by_position_and_content(
        client: TestClient, auth: dict[str, str], pdf_file: Path) -> None:
    job = submit(client, auth, [
        {"file": b64(pdf_file)},
        {"file": base64.b64encode(PNG).decode()},  # the bytes decide the extension
        {"file": b64(pdf_file), "name": "mine.pdf"},
        {"file": base64.b64encode(b"just some bytes").decode()},
    ])
    assert_names(client, auth, job, ["file-1.pdf", "file-2.png", "mine.pdf", "file-4"])
    full = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    assert full["tasks"][0]["originalArtifact"]["fileName"] == "file-1.pdf"


def test_url_sources_are_named_after_the_last_path_segment(client: TestClient, auth: dict[str, str]) -> None:
    job = submit(client, auth, [
        {"url": "https://cdn.example.com/art/Business%20Card.pdf?v=2#top"},
        {"url": "https://cdn.example.com/art/"},
        {"url": "https://cdn.example.com/art/poster.pdf", "name": "Poster A2.pdf"},
    ])
    assert_names(client, auth, job, ["Business Card.pdf", "file-2", "Poster A2.pdf"])
    assert job["tasks"][0]["source"] == "https://cdn.example.com/art/Business%20Card.pdf?v=2#top"


def test_file_ref_without_an_uploaded_file_name_is_named_from_the_upload_type(
        client: TestClient, auth: dict[str, str], pdf_file: Path) -> None:
    upload = client.post("/uploads", headers=auth, json={"mimeType": "application/pdf"}).json()
    # straight into storage, as a direct-to-bucket (S3) upload lands: no file name reaches printgate
    path = get_storage().local_path(upload["upload"]["fields"]["key"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_file.read_bytes())
    job = submit(client, auth, [{"fileRef": upload["fileRef"]}])
    assert_names(client, auth, job, ["file-1.pdf"])
