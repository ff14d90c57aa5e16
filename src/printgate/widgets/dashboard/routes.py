"""The dashboard's pages under ``/dashboard/``: sign-in, jobs, a job, the review queue; and the
router that gathers every page (home, new job, library, settings are their own modules).

Server-rendered (Jinja2, ``templates/``), CSS and a little script from ``static/`` (nothing from a
CDN). Every page needs a signed-in user (else a redirect to the sign-in page) and shows only that
user's account; another account's job is a 404. Every POST carries the session's CSRF token (403
without it). ``printgate.widgets.room`` adds ``router`` and calls ``mount(app)``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from printgate.core.api.deps import SessionDep
from printgate.core.clock import as_utc
from printgate.core.errors import Conflict, NotFound, PrintgateError
from printgate.core.jobs import service
from printgate.core.jobs.states import JobStatus
from printgate.core.models import Job, Step
from printgate.widgets.dashboard import auth, home, job_actions, library_pages, newjob, settings_pages
from printgate.widgets.dashboard.queries import KINDS, RESULTS, JobFilters, is_live, list_jobs, result_key
from printgate.widgets.dashboard.views import job_view
from printgate.widgets.dashboard.web import (
    PREFIX,
    DashboardError,
    Me,
    checked_form,
    mount,
    page,
    safe_next,
    text,
)

__all__ = ["mount", "router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
for _pages in (home.router, newjob.router, job_actions.router, library_pages.router, settings_pages.router):
    router.include_router(_pages)


@router.get("", response_model=None)
def bare_prefix() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


# --- sign-in and sign-out ------------------------------------------------------------------------

def _login_page(request: Request, *, next_url: str, email: str = "", error: str | None = None,
                ask_account: bool = False, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    token = auth.new_login_csrf()
    response = page(request, "login.html", {"me": None, "csrf_token": token, "next": next_url, "email": email,
                                            "error": error, "ask_account": ask_account}, status=status,
                    headers=headers)
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=auth.secure_cookies(),
                        path=f"{PREFIX}/login", max_age=3600)
    return response


@router.get("/login", response_model=None)
def login_form(request: Request, session: SessionDep, next: str | None = None) -> Response:
    if auth.lookup_session(session, request.cookies.get(auth.SESSION_COOKIE)) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next))


@router.post("/login", response_model=None)
async def login(request: Request, session: SessionDep) -> Response:
    form = await checked_form(request, request.cookies.get(auth.LOGIN_CSRF_COOKIE))
    password = form.get("password")
    # Argon2 takes tens of milliseconds of CPU: off the event loop, with the database work.
    return await run_in_threadpool(
        _sign_in, request, session, email=text(form, "email", 254),
        password=password[:1024] if isinstance(password, str) else "",  # as typed: never stripped
        account_name=text(form, "account", 200), next_url=safe_next(text(form, "next", 2000)))


def _sign_in(request: Request, session: Session, *, email: str, password: str, account_name: str,
             next_url: str) -> Response:
    if not email or not password:
        return _login_page(request, next_url=next_url, email=email, status=400,
                           error="Enter your email address and your password.")
    client = request.client.host if request.client else "unknown"
    key = auth.failure_key(email, client)
    wait = auth.retry_after(session, key)
    if wait is not None:
        minutes = max(1, (wait + 59) // 60)
        return _login_page(request, next_url=next_url, email=email, status=429, headers={"Retry-After": str(wait)},
                           error=f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
    result = auth.authenticate(session, email, password, account_name or None)
    if result.ambiguous:
        return _login_page(request, next_url=next_url, email=email, ask_account=True, status=400,
                           error="This email address signs in to several accounts: enter the account's name.")
    if result.user is None:
        auth.record_failure(session, key)
        return _login_page(request, next_url=next_url, email=email, status=401,
                           error="The email address or the password is not right.")
    auth.clear_failures(session, key)
    token = auth.start_session(session, result.user)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=auth.secure_cookies(),
                        path=PREFIX, max_age=int(auth.SESSION_TTL.total_seconds()))
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path=f"{PREFIX}/login")
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request, session: SessionDep, me: Me) -> Response:
    await checked_form(request, me.csrf_token)
    await run_in_threadpool(auth.end_session, session, me.session_id)
    response = RedirectResponse(f"{PREFIX}/login?signed_out=1", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path=PREFIX)
    return response


# --- jobs ----------------------------------------------------------------------------------------

@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, session: SessionDep, me: Me, after: str | None = None,
              before: str | None = None) -> HTMLResponse:
    filters = JobFilters.from_query(request.query_params)
    found = list_jobs(session, me.account.id, filters, after=after, before=before)
    base = filters.query_args()
    return page(request, "jobs.html", {
        "me": me, "page": found, "filters": filters, "kinds": KINDS, "results": RESULTS,
        "older_url": f"?{urlencode({**base, 'after': found.older})}" if found.older else None,
        "newer_url": f"?{urlencode({**base, 'before': found.newer})}" if found.newer else None,
        "filtered": bool(base), "nav": "jobs",
    })


def _own_job(session: Session, me: auth.SignedIn, job_id: str) -> Job:
    try:
        return service.get_job(session, me.account.id, job_id)
    except NotFound:
        raise DashboardError(404, "There is no such job in this account.") from None


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, session: SessionDep, me: Me, job_id: str) -> HTMLResponse:
    view = job_view(session, _own_job(session, me, job_id))
    return page(request, "job.html", {"me": me, "view": view, "job": view.job, "nav": "jobs",
                                      "can_rerun": job_actions.can_rerun(view.job)})


@router.get("/jobs/{job_id}/status.json")
def job_status(session: SessionDep, me: Me, job_id: str) -> JSONResponse:
    """What the job page polls every 2 s while the job may change: a few columns of one row."""
    row = session.exec(select(Job.status, Job.wf_phase, Job.modified_at).where(
        Job.id == job_id, Job.account_id == me.account.id, col(Job.deleted_at).is_(None))).first()
    if row is None:
        return JSONResponse({"error": True, "message": "Not found"}, status_code=404)
    status, phase, modified = row
    autofixed = False
    if status == JobStatus.READY:
        autofixed = job_view_autofixed(session, job_id)
    key = result_key(status, autofixed)
    return JSONResponse({"status": status, "result": key, "resultLabel": RESULTS[key],
                         "live": is_live(status, phase), "modifiedAt": as_utc(modified).isoformat()},
                        headers={"Cache-Control": "no-store"})


def job_view_autofixed(session: Session, job_id: str) -> bool:
    return session.exec(select(Step.id).where(Step.job_id == job_id, Step.type == "autofix",
                                              Step.outcome == "fixed")).first() is not None


# --- the review queue ----------------------------------------------------------------------------

@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, session: SessionDep, me: Me, after: str | None = None,
                before: str | None = None, decided: str | None = None, job: str | None = None) -> HTMLResponse:
    found = list_jobs(session, me.account.id, JobFilters(result="review"), after=after, before=before, limit=10)
    views = [job_view(session, _own_job(session, me, row.id)) for row in found.rows]
    notice = None
    if decided in ("approve", "reject") and job:
        notice = f"Job {job} {'approved: it proceeds, flagged' if decided == 'approve' else 'rejected'}."
    return page(request, "review.html", {
        "me": me, "views": views, "notice": notice, "nav": "review",
        "older_url": f"?{urlencode({'after': found.older})}" if found.older else None,
        "newer_url": f"?{urlencode({'before': found.newer})}" if found.newer else None,
    })


@router.post("/review/{job_id}", response_model=None)
async def decide_review(request: Request, session: SessionDep, me: Me, job_id: str) -> Response:
    form = await checked_form(request, me.csrf_token)
    decision = text(form, "decision", 20)
    if decision not in ("approve", "reject"):
        raise DashboardError(400, "Choose Approve or Reject.")
    await run_in_threadpool(_decide, session, me, job_id, decision, text(form, "note") or None)
    next_url = text(form, "next", 2000)
    back = safe_next(next_url) if next_url else f"{PREFIX}/review"
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}decided={decision}&job={quote(job_id)}", status_code=303)


def _decide(session: Session, me: auth.SignedIn, job_id: str, decision: str, note: str | None) -> None:
    target = _own_job(session, me, job_id)
    try:
        service.review_job(session, target, decision, note, reviewer=me.reviewer)
    except Conflict:
        raise DashboardError(409, f"Job {job_id} is not waiting for a review any more "
                                  f"(status {target.status}): someone decided already.") from None
    except PrintgateError as exc:
        raise DashboardError(exc.status_code, exc.message) from None
