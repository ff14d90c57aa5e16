"""What every dashboard page shares: the templates and their filters, the page response with its
security headers, the page-level errors, the signed-in user (``Me``, ``Owner``) and the CSRF check.

Every page needs a signed-in user (else a redirect to the sign-in page) and shows only that user's
account; every POST carries the session's CSRF token (403 without it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from printgate.core.api.deps import SessionDep
from printgate.core.clock import as_utc
from printgate.core.errors import PrintgateError
from printgate.widgets.dashboard import auth

HERE = Path(__file__).resolve().parent
PREFIX = "/dashboard"
templates = Jinja2Templates(directory=str(HERE / "templates"))

CSP = ("default-src 'self'; img-src 'self' data: https: http:; script-src 'self'; "
       "style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Previews and downloads are signed URLs, on this host or an S3 endpoint: images from anywhere secure.
    "Content-Security-Policy": CSP,
}


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _size(value: int | None) -> str:
    if not value:
        return ""
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


templates.env.filters["when"] = _when
templates.env.filters["size"] = _size


class DashboardError(Exception):
    """A page-level refusal rendered as HTML (403 CSRF, 404, 409, 429 with Retry-After)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}

    @classmethod
    def of(cls, exc: PrintgateError) -> DashboardError:
        return cls(exc.status_code, exc.message)


class LoginRequired(Exception):
    def __init__(self, next_url: str, json_wanted: bool = False) -> None:
        super().__init__(next_url)
        self.next_url, self.json_wanted = next_url, json_wanted


def page(request: Request, name: str, context: dict[str, Any], status: int = 200,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, {"prefix": PREFIX, **context}, status_code=status)
    response.headers.update({**_HEADERS, **(headers or {})})
    return response


async def _dashboard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DashboardError)
    me = getattr(request.state, "dashboard_user", None)
    if request.url.path.endswith(".json") or request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"error": True, "message": exc.message}, status_code=exc.status, headers=exc.headers)
    return page(request, "error.html", {"me": me, "status": exc.status, "message": exc.message},
                status=exc.status, headers=exc.headers)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if exc.json_wanted:
        return JSONResponse({"error": True, "message": "Sign in first"}, status_code=401)
    return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': exc.next_url})}", status_code=303)


def mount(app: FastAPI) -> None:
    """The dashboard's CSS and script, and its two page-level exception handlers."""
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(HERE / "static")), name="dashboard-static")
    app.add_exception_handler(DashboardError, _dashboard_error)
    app.add_exception_handler(LoginRequired, _login_required)


def next_url(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def safe_next(value: str | None) -> str:
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/jobs"


async def current_user(request: Request, session: SessionDep) -> auth.SignedIn:
    """On the event loop, as core's key check is: one indexed join, no thread hop before the page."""
    me = auth.lookup_session(session, request.cookies.get(auth.SESSION_COOKIE))
    if me is None:
        wants_json = request.url.path.endswith(".json") or request.headers.get("accept", "").startswith(
            "application/json")
        raise LoginRequired(next_url(request), json_wanted=wants_json)
    request.state.dashboard_user = me
    return me


Me = Annotated[auth.SignedIn, Depends(current_user)]


def require_owner(me: Me) -> auth.SignedIn:
    if not me.is_owner:
        raise DashboardError(403, "Only an owner of this account may do this: ask an owner.")
    return me


Owner = Annotated[auth.SignedIn, Depends(require_owner)]


async def checked_form(request: Request, expected_csrf: str | None) -> FormData:
    """The posted form, after its CSRF token matched the expected one (else 403)."""
    form = await request.form()
    given = form.get("csrf_token")
    if not auth.csrf_ok(expected_csrf, given if isinstance(given, str) else None):
        raise DashboardError(403, "This form has expired or did not come from this dashboard. "
                                  "Go back, reload the page and try again.")
    return form


def check_csrf_header(request: Request, me: auth.SignedIn) -> None:
    """Script requests (``fetch``) send the session's token in ``X-CSRF-Token`` instead of a field."""
    if not auth.csrf_ok(me.csrf_token, request.headers.get("x-csrf-token")):
        raise DashboardError(403, "This request did not come from this dashboard: reload the page.")


def text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
