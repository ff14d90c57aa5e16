"""The dashboard through its HTTP surface: sign-in and sessions, CSRF, the sign-in rate limit,
tenant isolation, roles, the jobs list and the review form."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from printgate.core.db import get_engine
from printgate.core.models import Job
from tests.conftest import Instance
from tests.core.test_manual_review import submit_failing
from tests.dashboard.conftest import PASSWORD, csrf_of, insert_jobs, make_user, sign_in
from tests.sdk_contract import gate_profile


def test_every_page_needs_a_session(client: TestClient, instance: Instance) -> None:
    for path in ("/dashboard/jobs", "/dashboard/review", "/dashboard/jobs/job_x", "/dashboard/users", "/dashboard/",
                 "/dashboard/new", "/dashboard/library", "/dashboard/library/profiles/new", "/dashboard/settings",
                 "/dashboard/settings/webhooks/we_x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dashboard/login?next=%2Fdashboard%2F"), path
    assert client.get("/dashboard/jobs/job_x/status.json").status_code == 401
    assert client.post("/dashboard/new/upload", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/dashboard/"
    # A forged cookie is no session.
    client.cookies.set("pg_dashboard", "not-a-session", path="/dashboard")
    assert client.get("/dashboard/jobs", follow_redirects=False).status_code == 303


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(client: TestClient, instance: Instance) -> None:
    make_user()
    signed = sign_in(client, next="/dashboard/review")
    assert signed.status_code == 303 and signed.headers["location"] == "/dashboard/review"
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("pg_dashboard="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # http public URL
    jobs = client.get("/dashboard/jobs")
    assert jobs.status_code == 200 and "owner@acme.test" in jobs.text and 'aria-current="page"' in jobs.text
    assert jobs.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in jobs.headers[
        "content-security-policy"]
    token = csrf_of(jobs.text)
    # Sign-out is a POST with the session's token: without it, a 403 and still signed in.
    assert client.post("/dashboard/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/dashboard/jobs", follow_redirects=False).status_code == 200
    out = client.post("/dashboard/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith("/dashboard/login")
    assert client.get("/dashboard/jobs", follow_redirects=False).status_code == 303
    # An open redirect through ?next= is refused: only dashboard paths.
    assert sign_in(client, next="https://evil.example/").headers["location"] == "/dashboard/jobs"


def test_the_cookie_is_secure_behind_https(app, instance: Instance,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.core.config import get_settings

    make_user()
    monkeypatch.setattr(get_settings(), "public_url", "https://print.example")
    with TestClient(app, base_url="https://testserver") as https_client:
        signed = sign_in(https_client)
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("pg_dashboard="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_wrong_password_unknown_email_and_disabled_user_are_refused(client: TestClient, instance: Instance) -> None:
    make_user()
    wrong = sign_in(client, password="not the password")
    assert wrong.status_code == 401 and "not right" in wrong.text and "pg_dashboard=" not in str(wrong.headers)
    assert sign_in(client, email="nobody@acme.test").status_code == 401
    assert sign_in(client, email="  OWNER@acme.test ").status_code == 303  # the address is case-blind
    from printgate.core.keys import get_or_create_account
    from printgate.widgets.dashboard.auth import set_disabled

    with Session(get_engine(), expire_on_commit=False) as session:
        set_disabled(session, get_or_create_account(session, "acme"), "owner@acme.test", True)
    assert client.get("/dashboard/jobs", follow_redirects=False).status_code == 303  # the session ended
    assert sign_in(client).status_code == 401


def test_sign_in_is_rate_limited_per_email_and_address(client: TestClient, instance: Instance) -> None:
    make_user()
    make_user(email="staff@acme.test", role="staff")
    for _ in range(5):
        assert sign_in(client, password="wrong password").status_code == 401
    limited = sign_in(client)  # even the right password waits now
    assert limited.status_code == 429
    assert 800 <= int(limited.headers["Retry-After"]) <= 901
    assert "Too many failed attempts" in limited.text
    assert sign_in(client, email="staff@acme.test").status_code == 303  # another email is not limited


def test_forms_without_the_csrf_token_are_refused(client: TestClient, instance: Instance) -> None:
    make_user()
    form = client.get("/dashboard/login")
    body = {"email": "owner@acme.test", "password": PASSWORD}
    assert client.post("/dashboard/login", data=body, follow_redirects=False).status_code == 403
    assert client.post("/dashboard/login", data={**body, "csrf_token": "forged"},
                       follow_redirects=False).status_code == 403
    assert client.post("/dashboard/login", data={**body, "csrf_token": csrf_of(form.text)},
                       follow_redirects=False).status_code == 303
    [job_id] = insert_jobs("acme", 1, status="review")
    for data in ({"decision": "approve"}, {"decision": "approve", "csrf_token": "forged"}):
        refused = client.post(f"/dashboard/review/{job_id}", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "did not come from this dashboard" in refused.text
    with Session(get_engine()) as session:
        assert session.get(Job, job_id).status == "review"  # type: ignore[union-attr]


def test_the_jobs_list_is_the_accounts_own_filtered_and_paged(client: TestClient, instance: Instance) -> None:
    make_user()
    mine = insert_jobs("acme", 30)
    theirs = insert_jobs("globex", 3, name="secret.pdf")
    held = insert_jobs("acme", 1, status="review", kind="jobs", order_id="1001", name="poster.pdf", later_s=100)
    sign_in(client)
    first = client.get("/dashboard/jobs")
    assert first.status_code == 200
    assert held[0] in first.text and mine[-1] in first.text and mine[6] in first.text and mine[5] not in first.text
    assert not any(job_id in first.text for job_id in theirs) and "secret.pdf" not in first.text
    assert "Waiting for review" in first.text and "Clean" in first.text and "0-poster.pdf" in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get("/dashboard/jobs" + older)
    assert all(job_id in second.text for job_id in mine[:6]) and mine[6] not in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    newer = second.text.split('rel="prev"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    back = client.get("/dashboard/jobs" + newer)
    assert mine[6] in back.text and mine[5] not in back.text and held[0] in back.text
    # Filters: result, type, order, text on a file name and on a job id; a malformed cursor is page one.
    assert [j for j in mine + held if j in client.get("/dashboard/jobs?result=review").text] == held
    assert held[0] not in client.get("/dashboard/jobs?result=clean").text
    assert [j for j in mine + held if j in client.get("/dashboard/jobs?type=jobs").text] == held
    assert [j for j in mine + held if j in client.get("/dashboard/jobs?order=1001").text] == held
    assert [j for j in mine + held if j in client.get("/dashboard/jobs?q=poster").text] == held
    assert [j for j in mine + held if j in client.get(f"/dashboard/jobs?q={mine[3]}").text] == [mine[3]]
    assert "No job matches" in client.get("/dashboard/jobs?from=2001-01-01&to=2001-01-02").text
    assert client.get("/dashboard/jobs?after=%%%garbage").status_code == 200
    assert "No job matches" in client.get("/dashboard/jobs?order=no-such-order").text


def test_a_filter_matching_many_jobs_falls_back_to_the_plain_condition(
        client: TestClient, instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.widgets.dashboard import queries

    make_user()
    mine = insert_jobs("acme", 8, order_id="77")
    insert_jobs("acme", 3, name="other.pdf", later_s=50)
    sign_in(client)
    monkeypatch.setattr(queries, "NARROW_LIMIT", 2)  # 8 matches: more than "few"
    for query in ("q=flyer", "order=77"):
        page = client.get(f"/dashboard/jobs?{query}").text
        assert all(job_id in page for job_id in mine) and "other.pdf" not in page, query


def test_another_accounts_job_is_a_404(client: TestClient, instance: Instance) -> None:
    make_user()
    [theirs] = insert_jobs("globex", 1)
    [mine] = insert_jobs("acme", 1)
    sign_in(client)
    assert client.get(f"/dashboard/jobs/{mine}").status_code == 200
    other = client.get(f"/dashboard/jobs/{theirs}")
    assert other.status_code == 404 and "no such job" in other.text and theirs not in other.text.split("<main")[1]
    assert client.get(f"/dashboard/jobs/{theirs}/status.json").status_code == 404
    token = csrf_of(client.get("/dashboard/jobs").text)
    assert client.post(f"/dashboard/review/{theirs}", data={"csrf_token": token, "decision": "approve"},
                       follow_redirects=False).status_code == 404


def test_staff_read_and_review_but_only_owners_see_users(client: TestClient, instance: Instance) -> None:
    make_user()
    make_user(email="staff@acme.test", role="staff")
    sign_in(client, email="staff@acme.test")
    jobs = client.get("/dashboard/jobs")
    assert jobs.status_code == 200 and 'href="/dashboard/users"' not in jobs.text
    assert client.get("/dashboard/review").status_code == 200
    assert client.get("/dashboard/users").status_code == 403
    client.cookies.clear()
    sign_in(client)
    users = client.get("/dashboard/users")
    assert users.status_code == 200 and "staff@acme.test" in users.text and 'href="/dashboard/users"' in users.text


@pytest.fixture
def held_job(client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> str:
    """A job held for review: a file without bleed, a profile that rejects missing bleed, manual_review."""
    return submit_failing(client, auth, instance, tmp_path, gate_profile(client, auth))


def test_approving_through_the_review_form_makes_the_job_partial(
        client: TestClient, auth: dict[str, str], instance: Instance, held_job: str) -> None:
    make_user(email="staff@acme.test", role="staff")
    sign_in(client, email="staff@acme.test")
    queue = client.get("/dashboard/review")
    assert held_job in queue.text and "bleed" in queue.text and "Approve" in queue.text
    job_page = client.get(f"/dashboard/jobs/{held_job}")
    assert "Waiting for review" in job_page.text and "Raw JSON" in job_page.text and "<code>bleed</code>" in job_page.text
    status = client.get(f"/dashboard/jobs/{held_job}/status.json").json()
    assert (status["status"], status["result"], status["live"]) == ("review", "review", True)

    decided = client.post(f"/dashboard/review/{held_job}", follow_redirects=False, data={
        "csrf_token": csrf_of(queue.text), "decision": "approve", "note": "Bleed is fine here"})
    assert decided.status_code == 303 and "decided=approve" in decided.headers["location"]
    after = client.get(f"/jobs/{held_job}", headers=auth).json()["job"]
    assert (after["status"], after["canProceed"]) == ("partial", True)
    assert after["review"]["reviewedBy"] == "user:staff@acme.test"
    assert after["review"]["note"] == "Bleed is fine here"
    back = client.get(decided.headers["location"])
    assert f"Job {held_job} approved" in back.text and "Nothing waits for a review" in back.text
    assert "Approved by user:staff@acme.test" in client.get(f"/dashboard/jobs/{held_job}").text
    again = client.post(f"/dashboard/review/{held_job}", follow_redirects=False,
                        data={"csrf_token": csrf_of(queue.text), "decision": "reject"})
    assert again.status_code == 409
    with Session(get_engine()) as session:
        assert session.exec(select(Job.status).where(Job.id == held_job)).one() == "partial"


def test_users_create_from_the_command_line(instance: Instance, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from printgate.cli import main

    monkeypatch.setattr("printgate.core.logs.setup", lambda *args, **kwargs: None)  # keep pytest's handlers
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "create", "--account", "acme", "--email", "Pat@Acme.test", "--role", "staff",
                 "--password-stdin"]) == 0
    assert "Created staff pat@acme.test" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "create", "--account", "acme", "--email", "x@acme.test", "--password-stdin"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "create", "--account", "acme", "--email", "pat@acme.test", "--password-stdin"]) == 2
    assert main(["users", "list", "--json"]) == 0
    assert '"email": "pat@acme.test"' in capsys.readouterr().out
