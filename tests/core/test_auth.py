"""Keys and tenants: 401 for missing/wrong/revoked keys, 403 for a publishable key on secret
endpoints, 404 for another tenant's objects."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from printgate.core.api.deps import forget_principals
from printgate.core.db import get_engine
from printgate.core.keys import revoke_key
from printgate.core.models import ApiKey
from tests.conftest import b64, make_key


def test_missing_and_wrong_keys_are_401(client: TestClient) -> None:
    response = client.get("/jobs")
    assert response.status_code == 401
    assert response.json() == {"error": True, "message": "Missing API key: send Authorization: Bearer sk_..."}
    assert client.get("/jobs", headers={"Authorization": "Bearer sk_test_nope"}).status_code == 401
    assert client.get("/jobs", headers={"Authorization": "Bearer hello"}).status_code == 401


def test_publishable_key_cannot_use_secret_endpoints(client: TestClient) -> None:
    pk = make_key("acme", kind="publishable")
    assert pk.startswith("pk_test_")
    response = client.get("/jobs", headers={"Authorization": f"Bearer {pk}"})
    assert response.status_code == 403
    assert "secret key" in response.json()["message"]
    # ...but may create an upload for the browser widget
    assert client.post("/uploads", headers={"Authorization": f"Bearer {pk}"}, json={}).status_code == 200


def test_keys_are_stored_hashed_and_revocable(client: TestClient, secret_key: str) -> None:
    headers = {"Authorization": f"Bearer {secret_key}"}
    assert client.get("/jobs", headers=headers).status_code == 200
    with Session(get_engine()) as session:
        rows = session.exec(select(ApiKey)).all()
        assert all(secret_key not in (row.key_hash, row.hint) for row in rows)
        row = next(r for r in rows if r.hint.endswith(secret_key[-4:]))
        revoke_key(session, row.id)
    forget_principals()
    assert client.get("/jobs", headers=headers).status_code == 401


def test_other_tenant_job_is_404(client: TestClient, auth: dict[str, str], other_auth: dict[str, str],
                                 pdf_file) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201
    job_id = created.json()["job"]["id"]
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 200
    response = client.get(f"/jobs/{job_id}", headers=other_auth)
    assert response.status_code == 404
    assert response.json()["message"] == f"Job not found: {job_id}"
    assert client.delete(f"/jobs/{job_id}", headers=other_auth).status_code == 404
    assert client.get("/jobs", headers=other_auth).json()["jobs"] == []


def test_rate_limit_answers_429_with_retry_after(instance, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_PER_MINUTE", "3")
    from printgate.app import create_app
    from printgate.core.config import reset_settings

    reset_settings()
    headers = {"Authorization": f"Bearer {make_key('acme')}"}
    with TestClient(create_app()) as client:
        codes = [client.get("/workflows", headers=headers).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        last = client.get("/workflows", headers=headers)
        assert last.status_code == 429
        assert int(last.headers["Retry-After"]) >= 1


def test_health_details_and_metrics_are_for_the_operator(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 14 (low): /metrics and /health's details (workers, queues, instance-wide counts) were open
    to anyone. A local caller sees them; a forwarded one (whatever address it claims) sees only the
    status; with an ops token set, only a caller sending it does."""
    from printgate.core.config import reset_settings

    local = client.get("/health")
    assert "checks" in local.json() and client.get("/metrics").status_code == 200
    forwarded = {"X-Forwarded-For": "127.0.0.1"}
    remote = client.get("/health", headers=forwarded)
    assert set(remote.json()) == {"status"}
    assert client.get("/metrics", headers=forwarded).status_code == 403
    monkeypatch.setenv("PRINTGATE_OPS_TOKEN", "ops-8c1f")
    reset_settings()
    assert set(client.get("/health").json()) == {"status"}
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    with_token = {"Authorization": "Bearer ops-8c1f"}
    assert "checks" in client.get("/health", headers=with_token).json()
    assert "printgate_jobs" in client.get("/metrics", headers=with_token).text
