"""Dashboard test helpers: users made directly, sign-in through the real form (CSRF and all)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from printgate.core.clock import utcnow
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.core.keys import get_or_create_account
from printgate.core.models import Job, Task

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(account: str = "acme", email: str = "owner@acme.test", role: str = "owner",
              password: str = PASSWORD) -> str:
    from printgate.widgets.dashboard import auth

    with Session(get_engine(), expire_on_commit=False) as session:
        acct = get_or_create_account(session, account)
        return auth.create_user(session, acct, email, role, password).id


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, email: str = "owner@acme.test", password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    form = client.get("/dashboard/login")
    assert form.status_code == 200, form.text
    return client.post("/dashboard/login", data={"csrf_token": csrf_of(form.text), "email": email,
                                                 "password": password, **extra}, follow_redirects=False)


def insert_jobs(account: str, count: int, *, status: str = "ready", kind: str = "preflight",
                order_id: str | None = None, name: str = "flyer.pdf", later_s: int = 0) -> list[str]:
    """Rows straight into the tables (a job and one file each), newest last, a second apart."""
    ids = []
    base = utcnow() - timedelta(hours=1) + timedelta(seconds=later_s)
    with Session(get_engine(), expire_on_commit=False) as session:
        acct = get_or_create_account(session, account)
        for index in range(count):
            job = Job(id=new_id("job"), account_id=acct.id, kind=kind, status=status,
                      outcome="pass" if status == "ready" else "fail", order_id=order_id,
                      created_at=base + timedelta(seconds=index), modified_at=base)
            session.add(job)
            session.add(Task(id=new_id("task"), job_id=job.id, account_id=acct.id, status="done",
                             name=f"{index}-{name}"))
            ids.append(job.id)
        session.commit()
    return ids
