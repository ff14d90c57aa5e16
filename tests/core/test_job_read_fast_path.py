"""``GET /jobs/{id}`` polls answered before FastAPI (printgate.core.api.job_read, issue 17): the same
bytes as the route, and never for a key, tenant, job state or header the route would refuse."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from printgate.core.api import ratelimit
from printgate.core.api.deps import forget_principals
from printgate.core.api.job_read import cached_answer
from printgate.core.db import get_engine
from printgate.core.keys import revoke_key
from printgate.core.models import ApiKey, Job
from tests.conftest import b64


def _scope(job_id: str, headers: dict[str, str], query: bytes = b"") -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": f"/jobs/{job_id}", "query_string": query, "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


@pytest.fixture
def job_id(client: TestClient, auth: dict[str, str], pdf_file) -> str:  # type: ignore[no-untyped-def]
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201, created.text
    return str(created.json()["job"]["id"])


def test_a_repeated_poll_is_answered_with_the_routes_bytes(client: TestClient, auth: dict[str, str],
                                                          job_id: str) -> None:
    first = client.get(f"/jobs/{job_id}", headers=auth)  # the route: shapes the job, fills the cache
    assert first.status_code == 200 and first.json()["job"]["id"] == job_id
    answer = cached_answer(_scope(job_id, auth))
    assert answer is not None and answer[0] == 200 and answer[1] == first.content
    second = client.get(f"/jobs/{job_id}", headers=auth)
    assert (second.status_code, second.content) == (200, first.content)
    assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
    # expand=runs and the other dialect are their own bodies: first the route, then the fast path
    runs = client.get(f"/jobs/{job_id}?expand=runs", headers=auth)
    assert runs.status_code == 200 and "runs" in runs.json()
    assert cached_answer(_scope(job_id, auth, b"expand=runs"))[1] == runs.content  # type: ignore[index]
    filecheck = {**auth, "Printgate-Status-Dialect": "filecheck"}
    assert cached_answer(_scope(job_id, filecheck)) is None
    shaped = client.get(f"/jobs/{job_id}", headers=filecheck)
    assert cached_answer(_scope(job_id, filecheck))[1] == shaped.content != first.content  # type: ignore[index]


def test_another_tenant_never_gets_the_cached_body(client: TestClient, auth: dict[str, str],
                                                   other_auth: dict[str, str], job_id: str) -> None:
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 200
    assert client.get("/jobs", headers=other_auth).status_code == 200  # the other key is cached too
    assert cached_answer(_scope(job_id, other_auth)) is None
    response = client.get(f"/jobs/{job_id}", headers=other_auth)
    assert response.status_code == 404 and response.json()["message"] == f"Job not found: {job_id}"


def test_revoked_keys_deleted_and_changed_jobs_go_to_the_route(client: TestClient, auth: dict[str, str],
                                                               job_id: str) -> None:
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 200
    assert cached_answer(_scope(job_id, auth)) is not None
    with Session(get_engine()) as session:  # a change to the job: the cached body is stale
        job = session.get(Job, job_id)
        assert job is not None
        job.modified_at = job.modified_at.replace(year=job.modified_at.year + 1)
        session.add(job)
        session.commit()
    assert cached_answer(_scope(job_id, auth)) is None
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 200
    assert client.delete(f"/jobs/{job_id}", headers=auth).status_code == 200
    assert cached_answer(_scope(job_id, auth)) is None
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 404
    with Session(get_engine()) as session:
        row = next(r for r in session.exec(select(ApiKey)).all()
                   if r.hint.endswith(auth["Authorization"][-4:]))
        revoke_key(session, row.id)
    forget_principals()  # as the dashboard does on revoking
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 401


def test_what_the_route_refuses_is_left_to_it(client: TestClient, auth: dict[str, str], job_id: str) -> None:
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 200
    assert cached_answer(_scope(job_id, {**auth, "Origin": "https://shop.example"})) is None  # CORS
    assert cached_answer(_scope(job_id, auth, b"expand=steps")) is None
    assert client.get(f"/jobs/{job_id}?expand=steps", headers=auth).status_code == 400
    bad_dialect = {**auth, "Printgate-Status-Dialect": "klingon"}
    assert cached_answer(_scope(job_id, bad_dialect)) is None
    assert client.get(f"/jobs/{job_id}", headers=bad_dialect).status_code == 400
    assert cached_answer(_scope(job_id, {"Authorization": "Bearer sk_test_nope"})) is None
    assert cached_answer(_scope(job_id, {})) is None


@pytest.fixture
def three_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the job is made: under the default limit its POST would take a lease of calls in
    advance, and how much of it is left by the first GET would depend on the machine's speed."""
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_PER_MINUTE", "3")  # counted call by call


def test_the_fast_path_counts_against_the_rate_limit(three_a_minute: None, client: TestClient,
                                                     auth: dict[str, str], job_id: str) -> None:
    assert client.get(f"/jobs/{job_id}", headers=auth).status_code == 200  # the route: call 2 (the POST was 1)
    answers = [cached_answer(_scope(job_id, auth)) for _ in range(2)]  # call 3 and one too many
    assert [a[0] for a in answers if a is not None] == [200, 429]
    limited = client.get(f"/jobs/{job_id}", headers=auth)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"] is True and "Too many requests" in limited.json()["message"]


def test_a_busy_key_takes_its_calls_from_redis_in_batches(instance: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes' limiters against one Redis: together they never grant more than the shared
    allowance (plus what the clock refills meanwhile), and each asks Redis once per batch."""
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_PER_MINUTE", "1200")  # batches of 2 calls
    first, second = ratelimit.Limiter(), ratelimit.Limiter()
    asked = 0
    original = ratelimit.Limiter._redis_take

    def counting(self: ratelimit.Limiter, key: str, per_minute: int, wanted: int) -> tuple[int, float]:
        nonlocal asked
        asked += 1
        return original(self, key, per_minute, wanted)

    monkeypatch.setattr(ratelimit.Limiter, "_redis_take", counting)
    started = time.monotonic()
    allowed, refused = 0, 0
    while refused < 2 and allowed < 5000:
        for limiter in (first, second):
            try:
                limiter.hit("api", "key_batch")
                allowed += 1
            except ratelimit.RateLimited:
                refused += 1
    refilled = 1200 / 60 * (time.monotonic() - started) + 1
    assert 1200 - 2 <= allowed <= 1200 + refilled + 2
    assert asked <= allowed / 2 + refused + 2  # one round trip per two calls, not per call
