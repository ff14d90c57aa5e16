"""Library and Workflows (``/dashboard/library``): upload rules, preflight profiles, optimize presets,
workflows and connectors. Owners only (staff get a 403, and no link).

Reads and writes go through ``printgate.core.library`` as the API's do: its validation's 400 ("path:
what") is shown next to the field of that path, a delete of an object in use is its 409 ("in use
by ..."). Built-ins are read-only; "Clone" opens a new object filled from one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from printgate.core import library
from printgate.core.api.deps import SessionDep
from printgate.core.errors import NotFound, PrintgateError
from printgate.core.jobs.service import STEP_TYPES
from printgate.core.library_integrity import ACCEPT_TYPES, ON_FAIL, users_of
from printgate.widgets.dashboard import library_forms as forms
from printgate.widgets.dashboard.web import PREFIX, DashboardError, Owner, checked_form, page

router = APIRouter()


def _catalog() -> list[dict[str, Any]]:
    from printgate.core.preflight import check_catalog

    return list(check_catalog())


def _kind(segment: str) -> tuple[str, str, str]:
    if segment not in forms.KINDS:
        raise DashboardError(404, "There is no such part of the library.")
    return forms.KINDS[segment]


def _item(session: Session, kind: str, account_id: str, item_id: str) -> dict[str, Any]:
    try:
        return library.get_item(session, kind, item_id, account_id)
    except NotFound:
        raise DashboardError(404, "There is no such object in this account's library.") from None


@router.get("/library", response_class=HTMLResponse)
def library_page(request: Request, session: SessionDep, me: Owner, deleted: str | None = None,
                 saved: str | None = None) -> HTMLResponse:
    sections = []
    for segment, (kind, single, plural) in forms.KINDS.items():
        items = library.list_items(session, kind, me.account.id)
        sections.append({"segment": segment, "kind": kind, "single": single, "plural": plural, "items": items})
    notice = f"Deleted {deleted}." if deleted else (f"Saved {saved}." if saved else None)
    return page(request, "library.html", {"me": me, "nav": "library", "sections": sections, "notice": notice})


def _editor(request: Request, session: Session, me: Any, segment: str, *, item: dict[str, Any] | None,
            values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200,
            cloned_from: str | None = None) -> HTMLResponse:
    kind, single, plural = _kind(segment)
    account = me.account.id
    context: dict[str, Any] = {
        "me": me, "nav": "library", "segment": segment, "kind": kind, "single": single, "plural": plural,
        "item": item, "values": values, "errors": errors or {}, "cloned_from": cloned_from,
        "read_only": bool(item and item.get("source") == "store"),
        "triggers": forms.TRIGGER_LABELS, "merges": forms.MERGE, "step_types": STEP_TYPES,
        "accept_types": ACCEPT_TYPES, "on_fail": ON_FAIL, "profile_kinds": forms.PROFILE_KINDS,
        "actions": forms.ACTIONS,
    }
    if kind == "workflow":
        context["rules"] = library.list_items(session, "rule", account)
    if kind == "profile":
        rows = forms.check_rows(_catalog(), values.get("checks") or {}, values.get("kind") or "pdf")
        sections: dict[str, list[forms.CheckRow]] = {}
        for row in rows:
            sections.setdefault(row.section, []).append(row)
        context["check_sections"] = sections
    if item and item.get("source") == "domain":
        context["used_by"] = users_of(session, kind, account, item["id"])
    return page(request, "library_edit.html", context, status=status)


@router.get("/library/{segment}/new", response_class=HTMLResponse)
def new_item_page(request: Request, session: SessionDep, me: Owner, segment: str,
                  clone: str | None = None, kind: str | None = None) -> HTMLResponse:
    lib_kind, _, _ = _kind(segment)
    if clone:
        source = _item(session, lib_kind, me.account.id, clone)
        values = forms.values_of(lib_kind, source)
        values["name"] = f"Copy of {source.get('name') or source['id']}"
        return _editor(request, session, me, segment, item=None, values=values, cloned_from=source["id"])
    blank: dict[str, Any] = {"name": "", "enabled": True}
    if lib_kind == "profile":
        blank["kind"] = kind if kind in forms.PROFILE_KINDS else "pdf"
    if lib_kind == "workflow":
        blank.update(ruleId="rule_default", trigger="order_placed", published=False,
                     processing={"pdf": library.PDF_PROCESSING, "raster": library.RASTER_PROCESSING})
    return _editor(request, session, me, segment, item=None, values=forms.values_of(lib_kind, blank))


@router.get("/library/{segment}/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, session: SessionDep, me: Owner, segment: str, item_id: str) -> HTMLResponse:
    kind, _, _ = _kind(segment)
    item = _item(session, kind, me.account.id, item_id)
    return _editor(request, session, me, segment, item=item, values=forms.values_of(kind, item))


def _save(session: Session, kind: str, account_id: str, body: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    return library.save_item(session, kind, account_id, body, item_id=item_id)


async def _post(request: Request, session: Session, me: Any, segment: str, item_id: str | None) -> Response:
    form = await checked_form(request, me.csrf_token)
    kind, _, _ = _kind(segment)
    catalog = _catalog() if kind == "profile" else []
    existing = None
    if item_id is not None:
        existing = _item(session, kind, me.account.id, item_id)
        if existing.get("source") == "store":
            raise DashboardError(403, f"{existing['id']} is built in and read-only: clone it to change a copy.")
    try:
        body = forms.body_of(kind, form, catalog)
    except forms.FormError as exc:
        return _refused(request, session, me, segment, kind, form, existing, {exc.field: exc.message}, catalog)
    try:
        saved = await run_in_threadpool(_save, session, kind, me.account.id, body, item_id)
    except PrintgateError as exc:
        session.rollback()
        return _refused(request, session, me, segment, kind, form, existing,
                        {forms.field_of(kind, exc.message): exc.message}, catalog, body=body, status=exc.status_code)
    return RedirectResponse(f"{PREFIX}/library/{segment}/{quote(saved['id'])}?saved=1", status_code=303)


def _refused(request: Request, session: Session, me: Any, segment: str, kind: str, form: Any,
             existing: dict[str, Any] | None, errors: dict[str, str], catalog: list[dict[str, Any]],
             body: dict[str, Any] | None = None, status: int = 400) -> HTMLResponse:
    """The form again, as typed, with the error beside its field."""
    values = {key: form.get(key) for key in form}
    values["enabled"] = form.get("enabled") == "on"
    for flag in ("published", "soft_enabled", "soft_required"):
        values[flag] = form.get(flag) == "on"
    if kind == "profile":
        values["checks"] = (body or {}).get("checks") or _typed_checks(form, catalog)
        values["kind"] = form.get("kind") or "pdf"
    return _editor(request, session, me, segment, item=existing, values=values, errors=errors, status=status)


def _typed_checks(form: Any, catalog: list[dict[str, Any]]) -> dict[str, Any]:
    """The check fields as typed (unparsed), so a form refused for one of them keeps the rest."""
    out: dict[str, Any] = {}
    for entry in catalog:
        cid = entry["id"]
        typed: dict[str, Any] = {}
        for name, schema in (entry.get("schema") or {}).items():
            if schema.get("type") == "array" and schema.get("options"):
                typed[name] = form.getlist(f"check.{cid}.{name}")  # the ticked boxes, none ticked included
            elif form.get(f"check.{cid}.{name}") not in (None, ""):
                typed[name] = form.get(f"check.{cid}.{name}")
        action = form.get(f"check.{cid}.action")
        if action:
            typed["action"] = action
        if typed:
            out[cid] = typed
    return out


@router.post("/library/{segment}/new", response_model=None)
async def create_item(request: Request, session: SessionDep, me: Owner, segment: str) -> Response:
    return await _post(request, session, me, segment, None)


@router.post("/library/{segment}/{item_id}", response_model=None)
async def update_item(request: Request, session: SessionDep, me: Owner, segment: str, item_id: str) -> Response:
    return await _post(request, session, me, segment, item_id)


@router.post("/library/{segment}/{item_id}/delete", response_model=None)
async def delete_item(request: Request, session: SessionDep, me: Owner, segment: str, item_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    kind, _, _ = _kind(segment)
    item = _item(session, kind, me.account.id, item_id)
    if item.get("source") == "store":
        raise DashboardError(403, f"{item_id} is built in and cannot be deleted.")
    try:
        await run_in_threadpool(library.delete_item, session, kind, me.account.id, item_id)
    except PrintgateError as exc:
        session.rollback()
        return _editor(request, session, me, segment, item=item, values=forms.values_of(kind, item),
                       errors={"form": exc.message}, status=exc.status_code)
    return RedirectResponse(f"{PREFIX}/library?deleted={quote(item_id)}", status_code=303)
