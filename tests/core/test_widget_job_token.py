"""The widget's per-job client token: a publishable key is public, so the job the widget creates comes
with a token, and with ``widget_job_token=enforce`` (the default) a pk_ caller reads, changes or
approves that job only with it; a secret key needs none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, make_key


def _client(monkeypatch: pytest.MonkeyPatch, mode: str | None) -> TestClient:
    """An app with ``widget_job_token`` set to ``mode``, or left to its default (``None``)."""
    if mode is None:
        monkeypatch.delenv("PRINTGATE_WIDGET_JOB_TOKEN", raising=False)
    else:
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


def test_the_token_is_enforced_by_default(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any setting: no token or a wrong one is a 404, as another account's job id is; the
    job's own token reads it; the secret key of the account reads it without one."""
    from printgate.core.config import get_settings

    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    stranger = {"Authorization": f"Bearer {make_key('globex', kind='publishable')}"}
    sk = {"Authorization": f"Bearer {make_key('acme')}"}
    with _client(monkeypatch, None) as client:
        assert get_settings().widget_job_token == "enforce"
        created = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"})
        assert created.status_code == 201, created.text
        job, token = created.json()["jobId"], created.json()["clientToken"]
        other = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"}).json()
        foreign = client.get(f"/element/jobs/{job}", headers={**stranger, "Printgate-Job-Token": token})
        assert foreign.status_code == 404  # the baseline: another account's key, even with the token
        for headers in (pk, {**pk, "Printgate-Job-Token": ""}, {**pk, "Printgate-Job-Token": other["clientToken"]},
                        {**pk, "Printgate-Job-Token": token[:-1] + ("0" if token[-1] != "0" else "1")}):
            refused = client.get(f"/element/jobs/{job}", headers=headers)
            assert refused.status_code == foreign.status_code == 404, (headers, refused.text)
            assert refused.json()["error"] is True and "status" not in refused.json()  # nothing of the job
        read = client.get(f"/element/jobs/{job}", headers={**pk, "Printgate-Job-Token": token})
        assert read.status_code == 200 and read.json()["jobId"] == job and read.json()["status"] == "idle"
        # The live stream (EventSource sends the token as a query parameter): another job's is refused.
        assert client.get(f"/element/jobs/{job}/events",
                          params={"key": pk["Authorization"][7:], "jobToken": other["clientToken"]}).status_code == 404
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
        created = client.post("/element/jobs", headers=pk, json={"workflowId": "wf_default"}).json()
        widget_job = created["jobId"]
        on_job = {**pk, "Printgate-Job-Token": created["clientToken"]}
        assert client.get(f"/element/jobs/{widget_job}", headers=on_job).status_code == 200
        for method, path, body in [("GET", f"/element/jobs/{rerun.id}", None),
                                   ("POST", f"/element/jobs/{rerun.id}/proof", {"approved": True})]:
            assert client.request(method, path, headers=pk, json=body).status_code == 404, path
            # Nor does a token of its own open it: no widget ever was handed one for that job.
            from printgate.core.api.routes.element import client_token

            with_token = {**pk, "Printgate-Job-Token": client_token(rerun.id)}
            assert client.request(method, path, headers=with_token, json=body).status_code == 404, path
        assert client.get(f"/element/jobs/{rerun.id}", headers=sk).status_code == 200
