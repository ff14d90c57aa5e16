"""New Job (``/dashboard/new``): run a preflight, validate a PDF, optimize it, or fix it, on a file
the merchant drops in. Owners only.

The file goes up the way the API's clients send large files: ``POST /dashboard/new/upload`` answers
a presigned upload (``printgate.core.api.routes.uploads.presign_upload``, what ``POST /uploads``
answers) and the page's script posts the file straight to it with a progress bar. The job is then
submitted as the API's one-off endpoints submit it (the same body schema and the same steps, from
``printgate.core.api.routes.jobs``) through ``printgate.core.jobs.service.create_job``, and the page
goes to the job, which follows it live. Without script, the form posts the file itself (up to the
inline limit of a base64 ``file`` source).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from printgate.core import library
from printgate.core.api.deps import SessionDep
from printgate.core.api.routes import jobs as jobs_api
from printgate.core.api.routes.uploads import presign_upload
from printgate.core.api.schemas import validate_body
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, PrintgateError
from printgate.core.jobs import service
from printgate.core.jobs.service import JobSpec, SourceSpec
from printgate.core.library_integrity import VALIDATE_CODES
from printgate.widgets.dashboard.web import (
    CSP,
    PREFIX,
    DashboardError,
    Owner,
    check_csrf_header,
    checked_form,
    page,
    text,
)

router = APIRouter()

ACTIONS = {
    "preflight": "Run a preflight",
    "validate": "Validate a PDF (PDF/A, PDF/UA, PDF/X)",
    "optimize": "Optimize",
    "fix": "Fix (preflight, autofix, check again)",
}
# The flavours the library accepts (``VALIDATE_CODES``), in words.
FLAVOURS = {code: "Detect from the file" if code == "auto" else
            f"PDF/UA-{code[2:]}" if code.startswith("ua") else f"PDF/X-{code[1:]}" if code.startswith("x")
            else f"PDF/A-{code}" for code in VALIDATE_CODES}


def _choices(session: Session, account_id: str) -> dict[str, list[dict[str, Any]]]:
    return {"profiles": [p for p in library.list_items(session, "profile", account_id) if p.get("enabled", True)],
            "presets": [p for p in library.list_items(session, "preset", account_id) if p.get("enabled", True)]}


def _upload_origin() -> str | None:
    """The S3 endpoint's origin, when uploads go straight to a bucket (the page may post there)."""
    from printgate.core.storage import S3Storage, get_storage

    storage = get_storage()
    if isinstance(storage, S3Storage):
        url = storage.presigned_post("probe", max_bytes=1, expires_in=60)["url"]
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return None


@router.get("/new", response_class=HTMLResponse)
def new_job_page(request: Request, session: SessionDep, me: Owner, action: str = "preflight") -> HTMLResponse:
    origin = _upload_origin()
    headers = {"Content-Security-Policy": CSP + f"; connect-src 'self' {origin}"} if origin else None
    return page(request, "new_job.html", {
        "me": me, "nav": "new", "actions": ACTIONS, "action": action if action in ACTIONS else "preflight",
        "flavours": FLAVOURS, "errors": {}, "values": {}, "max_inline": get_settings().max_inline_file_bytes,
        **_choices(session, me.account.id)}, headers=headers)


@router.post("/new/upload")
def new_upload(request: Request, session: SessionDep, me: Owner) -> JSONResponse:
    """A presigned upload for the page's script (CSRF token in ``X-CSRF-Token``)."""
    check_csrf_header(request, me)
    size = request.headers.get("x-file-size")
    try:
        answer = presign_upload(session, me.account.id, mime_type=request.headers.get("x-file-type") or None,
                                size_bytes=int(size) if size and size.isdigit() else None)
    except PrintgateError as exc:
        return JSONResponse({"error": True, "message": exc.message}, status_code=exc.status_code)
    form = answer["upload"]
    public = get_settings().public_url.rstrip("/")
    if form["url"].startswith(public + "/"):
        form["url"] = form["url"][len(public):]  # printgate's own upload URL: same origin as this page
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def _api_body(action: str, source: dict[str, Any], choice: str) -> tuple[str, dict[str, Any]]:
    """The body the API's one-off endpoint would take for this choice, and that endpoint's schema."""
    if action == "preflight":
        return "JobsPreflightPost", {"sources": [{**source, **({"profileId": choice} if choice else {})}]}
    if action == "fix":
        return "FixPost", {"sources": [{**source, **({"profileId": choice} if choice else {})}], "repreflight": True}
    if action == "validate":
        return "JobsValidatePost", {"sources": [{**source, "profile": choice or "auto"}]}
    return "JobsOptimizePost", {"sources": [source]}


_STEPS = {"preflight": jobs_api._preflight_steps, "fix": jobs_api._fix_steps,
          "validate": jobs_api._validate_steps, "optimize": jobs_api._optimize_steps}


def submit(session: Session, account_id: str, action: str, choice: str, *, file_ref: str | None = None,
           data: bytes | None = None, name: str | None = None) -> str:
    """Create the job as ``POST /jobs/{action}`` would; returns its id. Bad choices are a 400."""
    if action not in ACTIONS:
        raise BadRequest("action: choose what to do with the file")
    if action == "validate" and choice not in FLAVOURS:
        raise BadRequest(f"flavour: one of {', '.join(FLAVOURS)}")
    if action in ("preflight", "fix") and choice and library.find_item(session, "profile", choice, account_id) is None:
        raise BadRequest(f"profileId: profile not found: {choice}")
    if action == "optimize" and library.find_item(session, "preset", choice, account_id) is None:
        raise BadRequest(f"presetId: optimize preset not found: {choice or '(none chosen)'}")
    source: dict[str, Any] = {"fileRef": file_ref} if file_ref else {"file": "inline"}
    schema, body = _api_body(action, source, choice)
    body = validate_body(schema, body)
    raw = body["sources"][0]
    steps = _STEPS[action](raw, body, 0)
    if action == "optimize":
        steps[0]["params"] = {"presetId": choice}
    if action == "preflight":
        steps.append({"type": "proof"})  # the merchant sees the findings drawn on the pages
    spec = JobSpec(kind=action, mode="live", channel="dashboard", sources=[SourceSpec(
        steps=steps, file_ref=file_ref, data=None if file_ref else data, name=name or None,
        profile_id=raw.get("profileId"))])
    if file_ref:
        service.claim_upload(session, account_id, file_ref)  # 403 another account's, 400 not uploaded yet
    return service.create_job(session, account_id, spec).id


@router.post("/new", response_model=None)
async def new_job(request: Request, session: SessionDep, me: Owner) -> Response:
    form = await checked_form(request, me.csrf_token)
    action = text(form, "action", 20)
    choice = text(form, {"validate": "flavour", "optimize": "presetId"}.get(action, "profileId"), 200)
    file_ref = text(form, "fileRef", 100) or None
    data, name = None, None
    upload = form.get("file")
    if file_ref is None and isinstance(upload, UploadFile) and upload.filename:
        limit = get_settings().max_inline_file_bytes
        data = await upload.read(limit + 1)
        name = upload.filename
        if len(data) > limit:
            return _refuse(request, session, me, action, "file", "This file is too large to send without the "
                           "page's script: turn on JavaScript to upload it with progress.", 413)
    if file_ref is None and not data:
        return _refuse(request, session, me, action, "file", "Choose a file, or drop one on the box.", 400)
    try:
        job_id = await run_in_threadpool(submit, session, me.account.id, action, choice, file_ref=file_ref,
                                         data=data, name=name)
    except PrintgateError as exc:
        field = exc.message.split(":", 1)[0] if ":" in exc.message else "file"
        if exc.status_code == 403:
            raise DashboardError(404, "There is no such upload in this account.") from None
        return _refuse(request, session, me, action, field, exc.message, exc.status_code)
    return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)


def _refuse(request: Request, session: Session, me: Any, action: str, field: str, message: str,
            status: int) -> HTMLResponse:
    known = {"profileId": "profileId", "presetId": "presetId", "flavour": "flavour", "action": "action"}
    return page(request, "new_job.html", {
        "me": me, "nav": "new", "actions": ACTIONS, "action": action if action in ACTIONS else "preflight",
        "flavours": FLAVOURS, "errors": {known.get(field, "file"): message}, "values": {},
        "max_inline": get_settings().max_inline_file_bytes, **_choices(session, me.account.id)}, status=status)
