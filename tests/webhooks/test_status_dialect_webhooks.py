"""Outbound job bodies in the receiver's status dialect: an endpoint's ``statusDialect`` (by default
that of the request registering it), a job's own ``webhook`` in the dialect it was submitted in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, b64
from tests.sdk_contract import fixture, gate_profile, key_for, preflight, shape_mismatches, word_mismatches
from tests.webhooks.conftest import Receiver

HEADER = "Printgate-Status-Dialect"


@pytest.fixture
def fc_auth(instance: Instance) -> dict[str, str]:
    return key_for("filecheck")


def register(client: TestClient, auth: dict[str, str], url: str, **extra: Any) -> dict[str, Any]:
    headers = {**auth, **({HEADER: extra.pop("header")} if "header" in extra else {})}
    response = client.post("/webhook-endpoints", headers=headers, json={"url": url, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json()["endpoint"])


def test_endpoint_dialect_follows_the_registering_request_and_can_change(
        client: TestClient, auth: dict[str, str], fc_auth: dict[str, str], receiver: Receiver) -> None:
    assert register(client, auth, receiver.url)["statusDialect"] == "lifecycle"
    assert register(client, fc_auth, receiver.url)["statusDialect"] == "filecheck"
    assert register(client, auth, receiver.url, header="filecheck")["statusDialect"] == "filecheck"
    assert register(client, fc_auth, receiver.url, statusDialect="lifecycle")["statusDialect"] == "lifecycle"
    ep = register(client, auth, receiver.url)
    changed = client.patch(f"/webhook-endpoints/{ep['id']}", headers=auth, json={"statusDialect": "filecheck"})
    assert changed.status_code == 200 and changed.json()["endpoint"]["statusDialect"] == "filecheck"
    assert client.get(f"/webhook-endpoints/{ep['id']}", headers=auth).json()["endpoint"]["statusDialect"] \
        == "filecheck"
    bad = client.patch(f"/webhook-endpoints/{ep['id']}", headers=auth, json={"statusDialect": "execution"})
    assert bad.status_code == 400 and "statusDialect" in bad.json()["message"]
    assert client.post("/webhook-endpoints", headers=auth,
                       json={"url": receiver.url, "statusDialect": "done"}).status_code == 400


def test_one_event_reaches_each_endpoint_in_its_dialect(
        client: TestClient, auth: dict[str, str], fc_auth: dict[str, str], instance: Instance, receiver: Receiver,
        clean_pdf: Path) -> None:
    register(client, auth, receiver.url + "/lifecycle", events=["job.completed"])
    register(client, fc_auth, receiver.url + "/filecheck", events=["job.completed"])
    register(client, fc_auth, receiver.url + "/filecheck-format", events=["job.completed"], format="filecheck")
    profile = gate_profile(client, auth)
    created = client.post("/jobs/preflight", headers=auth, json={
        "sources": [{"file": b64(clean_pdf), "profileId": profile}]})
    job_id = created.json()["job"]["id"]
    instance.drain()

    by_path = {r.path.rsplit("/", 1)[-1]: r for r in receiver.requests}
    assert set(by_path) == {"lifecycle", "filecheck", "filecheck-format"}
    lifecycle, filecheck = by_path["lifecycle"].json()["data"], by_path["filecheck"].json()["data"]
    assert lifecycle["id"] == filecheck["id"] == job_id
    assert (lifecycle["status"], lifecycle["summary"]["status"]) == ("ready", "ready")
    assert (filecheck["status"], filecheck["outcome"], filecheck["summary"]["status"]) == ("done", "pass", "done")
    assert lifecycle["canProceed"] is filecheck["canProceed"] is True
    envelope_free = by_path["filecheck-format"].json()
    assert (envelope_free["status"], envelope_free["outcome"]) == ("done", "pass")
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1, "one event, whatever the dialect"


def test_job_webhook_answers_like_webhook_job_completed_fixture(
        client: TestClient, auth: dict[str, str], fc_auth: dict[str, str], instance: Instance, receiver: Receiver,
        clean_pdf: Path) -> None:
    """sdk-fixtures/webhook.job-completed.json: a job's own webhook, submitted with a filecheck key."""
    expected = fixture("webhook.job-completed.json")
    profile = gate_profile(client, auth)
    steps = [preflight(profile), {"type": "autofix"}]
    for who, path in ((fc_auth, "/fc"), ({**auth, HEADER: "filecheck"}, "/header"), (auth, "/lifecycle")):
        response = client.post("/jobs", headers=who, json={
            "sources": [{"file": b64(clean_pdf), "steps": steps}], "webhook": receiver.url + path})
        assert response.status_code == 201, response.text
    instance.drain()

    by_path = {r.path.rsplit("/", 1)[-1]: r.json() for r in receiver.requests}
    assert set(by_path) == {"fc", "header", "lifecycle"}
    for name in ("fc", "header"):
        body = by_path[name]
        assert shape_mismatches(expected, body) == []
        assert word_mismatches(expected, body, file_outcomes=False) == {}
        assert "type" not in body, "Filecheck sends no envelope"
    assert (by_path["lifecycle"]["status"], by_path["lifecycle"]["tasks"][0]["status"]) == ("ready", "done")
