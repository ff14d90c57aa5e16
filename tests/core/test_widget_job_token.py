"""The widget's per-job client token: a publishable key is public, so the job the widget creates comes
with a token, and with ``widget_job_token=enforce`` a pk_ caller reads, changes or approves that job
only with it; a secret key needs none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, make_key


def _client(monkeypatch: pytest.MonkeyPatch, mode: str) -> TestClient:
    monkeypatch.setenv("PRINTGATE_WIDGET_JOB_TOKEN", mode)
    from printgate.app import create_app
    from printgate.core.config import reset_settings

    reset_settings()
    return TestClient(create_app())


def test_enforced_a_publishable_key_alone_reaches_no_job(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    sk = {"Authorization": f"Bearer {make_key('acme')}"}
    with _client(monkeypatch, "enforce") as client:
        first = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"}).json()
        second = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"}).json()
        job, token = first["jobId"], first["clientToken"]
        assert token.startswith("jt_") and token != second["clientToken"]
        with_token = {**pk, "Printgate-Job-Token": token}
        assert client.get(f"/element/jobs/{job}", headers=with_token).json()["jobId"] == job
        calls = [("GET", f"/element/jobs/{job}", None), ("POST", f"/element/jobs/{job}/files", {"fileRef": "upload_x"}),
                 ("DELETE", f"/element/jobs/{job}/files/task_x", None),
                 ("POST", f"/element/jobs/{job}/proof", {"approved": True})]
        for method, path, body in calls:
            for headers in (pk, {**pk, "Printgate-Job-Token": second["clientToken"]},
                            {**pk, "Printgate-Job-Token": "jt_forged"}):
                response = client.request(method, path, headers=headers, json=body)
                assert response.status_code == 404, (method, path, response.text)
                assert "client token" in response.json()["message"]
        # With its token, the same calls reach the job (and answer on their merits).
        assert client.post(f"/element/jobs/{job}/files", headers=with_token,
                           json={"fileRef": "upload_x"}).status_code in (400, 403, 404, 409)
        assert "client token" not in client.post(f"/element/jobs/{job}/files", headers=with_token,
                                                 json={"fileRef": "upload_x"}).text
        # The live stream: no token, no stream.
        stream = client.get(f"/element/jobs/{job}/events", params={"key": pk["Authorization"][7:]})
        assert stream.status_code == 404 and "client token" in stream.json()["message"]
        # A server with the secret key needs no token.
        assert client.get(f"/element/jobs/{job}", headers=sk).status_code == 200


def test_issued_tokens_are_checked_when_sent(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """The migration mode: tokens are handed out, a wrong one is refused, none is still accepted."""
    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    with _client(monkeypatch, "issue") as client:
        first = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"}).json()
        job = first["jobId"]
        assert first["clientToken"].startswith("jt_")
        assert client.get(f"/element/jobs/{job}", headers=pk).status_code == 200
        assert client.get(f"/element/jobs/{job}", headers={**pk, "Printgate-Job-Token": "jt_x"}).status_code == 404


def test_a_publishable_key_reaches_only_the_jobs_the_widget_created(instance: Instance) -> None:
    """A workflow job the merchant started in the dashboard (a re-run) is not the shopper's: a pk_ key
    gets a 404 for it even in the migration mode, while the widget's own job and the secret key work."""
    from sqlmodel import Session

    from printgate.app import create_app
    from printgate.core.db import get_engine
    from printgate.core.jobs import service
    from printgate.core.jobs.service import JobSpec
    from printgate.core.keys import get_or_create_account

    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    sk = {"Authorization": f"Bearer {make_key('acme')}"}
    with Session(get_engine(), expire_on_commit=False) as session:
        account = get_or_create_account(session, "acme")
        rerun = service.create_job(session, account.id, JobSpec(
            kind="workflow", sources=[], channel="dashboard", workflow_id="wf_default"), start=False)
    with TestClient(create_app()) as client:
        widget_job = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"}).json()["jobId"]
        assert client.get(f"/element/jobs/{widget_job}", headers=pk).status_code == 200
        for method, path, body in [("GET", f"/element/jobs/{rerun.id}", None),
                                   ("POST", f"/element/jobs/{rerun.id}/proof", {"approved": True})]:
            assert client.request(method, path, headers=pk, json=body).status_code == 404, path
        assert client.get(f"/element/jobs/{rerun.id}", headers=sk).status_code == 200
