"""Settings (``/dashboard/settings``) and Users (``/dashboard/users``), owners only.

- API keys: create (the key is shown once, on the answer to the form; only its hash is kept),
  revoke. ``printgate.core.keys``, as ``printgate keys`` uses.
- Webhook endpoints: create, enable, delete, their delivery log (every attempt), "send test event"
  (``printgate.webhooks.endpoints``, as ``/webhook-endpoints`` uses).
- Store connections: each platform's stores with their health (failed order syncs) and last sync.
- Users: create, disable (their sessions end at once), enable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.platforms import PLATFORMS
from printgate.core import keys
from printgate.core.api.deps import SessionDep, forget_principals
from printgate.core.clock import as_utc, utcnow
from printgate.core.errors import PrintgateError
from printgate.core.jobs.dialect import DIALECTS
from printgate.core.models import ApiKey
from printgate.webhooks import endpoints as hooks
from printgate.webhooks import events
from printgate.widgets.dashboard import auth
from printgate.widgets.dashboard.models import ROLES, DashboardUser
from printgate.widgets.dashboard.web import PREFIX, DashboardError, Owner, checked_form, page, text

router = APIRouter()
HEALTH_WINDOW = timedelta(days=7)


@dataclass
class StoreRow:
    connection: StoreConnection
    health: str  # ok | failing | off
    health_label: str
    last_sync: datetime | None
    orders: int


def _stores(session: Session, account_id: str) -> list[StoreRow]:
    rows = session.exec(select(StoreConnection).where(StoreConnection.account_id == account_id)
                        .order_by(col(StoreConnection.platform), col(StoreConnection.created_at))).all()
    since = utcnow() - HEALTH_WINDOW
    out = []
    for connection in rows:
        last, count = session.execute(
            select(func.max(OrderSync.updated_at), func.count()).where(OrderSync.connection_id == connection.id)).one()
        failed = session.exec(select(OrderSync).where(
            OrderSync.connection_id == connection.id, col(OrderSync.updated_at) >= since,
            col(OrderSync.status) == "failed").order_by(col(OrderSync.updated_at).desc())).all()
        if connection.status != "connected":
            health, label = "off", {"pending": "Not finished connecting", "disconnected": "Disconnected",
                                    "uninstalled": "Uninstalled"}.get(connection.status, connection.status)
        elif failed:
            health = "failing"
            label = f"{len(failed)} order{'s' if len(failed) > 1 else ''} failed in 7 days: {failed[0].last_error or 'see the order'}"
        else:
            health, label = "ok", "Healthy"
        moments = [as_utc(m) for m in (last, connection.last_reconciled_at) if m is not None]
        out.append(StoreRow(connection, health, label, max(moments) if moments else None, int(count or 0)))
    return out


def _settings(request: Request, session: Session, me: auth.SignedIn, *, new_key: keys.IssuedKey | None = None,
              errors: dict[str, str] | None = None, notice: str | None = None, status: int = 200) -> HTMLResponse:
    account = me.account.id
    api_keys = session.exec(select(ApiKey).where(ApiKey.account_id == account)
                            .order_by(col(ApiKey.revoked_at).is_not(None), col(ApiKey.created_at).desc())).all()
    return page(request, "settings.html", {
        "me": me, "nav": "settings", "keys": api_keys, "new_key": new_key, "errors": errors or {},
        "notice": notice, "dialects": DIALECTS, "endpoints": hooks.list_endpoints(session, account),
        "event_types": sorted(e for e in events.EVENT_TYPES if e != events.WEBHOOK_TEST), "stores": _stores(session, account),
        "platforms": [declare().name for declare in PLATFORMS],
    }, status=status)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, me: Owner, done: str | None = None) -> HTMLResponse:
    notices = {"revoked": "Key revoked: it stops working within 5 seconds.", "endpoint-deleted": "Webhook endpoint deleted."}
    return _settings(request, session, me, notice=notices.get(done or ""))


# --- API keys -------------------------------------------------------------------------------------

@router.post("/settings/keys", response_class=HTMLResponse)
async def create_key(request: Request, session: SessionDep, me: Owner) -> HTMLResponse:
    form = await checked_form(request, me.csrf_token)
    kind, mode, dialect = text(form, "kind", 20), text(form, "mode", 10), text(form, "dialect", 20)
    if kind not in keys.KINDS:
        return _settings(request, session, me, errors={"key_kind": "Choose secret or publishable."}, status=400)
    if mode not in ("live", "test"):
        return _settings(request, session, me, errors={"key_mode": "Choose live or test."}, status=400)
    if dialect not in DIALECTS:
        return _settings(request, session, me, errors={"key_dialect": "Choose a status dialect."}, status=400)
    issued = await run_in_threadpool(keys.create_key, session, me.account, kind=kind, mode=mode,
                                     name=text(form, "name", 120) or None, status_dialect=dialect)
    # The key itself is in this answer only (no-store): a redirect would need it in a URL or a cookie.
    return _settings(request, session, me, new_key=issued, status=201)


@router.post("/settings/keys/{key_id}/revoke", response_model=None)
async def revoke_key(request: Request, session: SessionDep, me: Owner, key_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    try:
        await run_in_threadpool(keys.revoke_key, session, key_id, me.account.id)
    except PrintgateError:
        raise DashboardError(404, "There is no such key in this account.") from None
    forget_principals()  # this process at once; the others' short cache within its 5 s
    return RedirectResponse(f"{PREFIX}/settings?done=revoked#keys", status_code=303)


# --- webhook endpoints ----------------------------------------------------------------------------

def _endpoint(session: Session, me: auth.SignedIn, endpoint_id: str) -> Any:
    try:
        return hooks.get_endpoint(session, me.account.id, endpoint_id)
    except PrintgateError:
        raise DashboardError(404, "There is no such webhook endpoint in this account.") from None


def _endpoint_page(request: Request, session: Session, me: auth.SignedIn, ep: Any, *, notice: str | None = None,
                   error: str | None = None, show_secret: bool = False, status: int = 200) -> HTMLResponse:
    deliveries = hooks.deliveries_wire(session, hooks.endpoint_deliveries(session, ep, limit=30))
    return page(request, "webhook.html", {
        "me": me, "nav": "settings", "ep": hooks.endpoint_wire(ep, with_secret=show_secret),
        "deliveries": deliveries, "notice": notice, "error": error}, status=status)


@router.post("/settings/webhooks", response_model=None)
async def create_endpoint(request: Request, session: SessionDep, me: Owner) -> Response:
    form = await checked_form(request, me.csrf_token)
    chosen = [value for value in form.getlist("events") if isinstance(value, str)]
    body: dict[str, Any] = {"url": text(form, "url", 2000), "events": chosen or [events.ALL],
                            "format": text(form, "format", 20) or "printgate",
                            "statusDialect": text(form, "dialect", 20) or "lifecycle"}
    if text(form, "description", 500):
        body["description"] = text(form, "description", 500)
    try:
        ep = await run_in_threadpool(hooks.create_endpoint, session, me.account.id, body)
    except PrintgateError as exc:
        session.rollback()
        field = exc.message.split(":", 1)[0] if ":" in exc.message else "url"
        return _settings(request, session, me, errors={f"hook_{field}": exc.message}, status=exc.status_code)
    return _endpoint_page(request, session, me, ep, show_secret=True, status=201,
                          notice="Endpoint created. Copy its signing secret now to verify its deliveries.")


@router.get("/settings/webhooks/{endpoint_id}", response_class=HTMLResponse)
def endpoint_page(request: Request, session: SessionDep, me: Owner, endpoint_id: str,
                  sent: str | None = None) -> HTMLResponse:
    notice = f"Test event queued (delivery {sent}); its attempts appear below." if sent else None
    return _endpoint_page(request, session, me, _endpoint(session, me, endpoint_id), notice=notice)


@router.post("/settings/webhooks/{endpoint_id}/test", response_model=None)
async def send_test(request: Request, session: SessionDep, me: Owner, endpoint_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    ep = _endpoint(session, me, endpoint_id)
    try:
        delivery = await run_in_threadpool(hooks.send_test_event, session, ep, sent_by=me.reviewer)
    except PrintgateError as exc:
        return _endpoint_page(request, session, me, ep, error=exc.message, status=exc.status_code)
    return RedirectResponse(f"{PREFIX}/settings/webhooks/{endpoint_id}?sent={delivery}", status_code=303)


@router.post("/settings/webhooks/{endpoint_id}/enable", response_model=None)
async def enable_endpoint(request: Request, session: SessionDep, me: Owner, endpoint_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    await run_in_threadpool(hooks.enable_endpoint, session, _endpoint(session, me, endpoint_id))
    return RedirectResponse(f"{PREFIX}/settings/webhooks/{endpoint_id}", status_code=303)


@router.post("/settings/webhooks/{endpoint_id}/delete", response_model=None)
async def delete_endpoint(request: Request, session: SessionDep, me: Owner, endpoint_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    await run_in_threadpool(hooks.delete_endpoint, session, _endpoint(session, me, endpoint_id))
    return RedirectResponse(f"{PREFIX}/settings?done=endpoint-deleted#webhooks", status_code=303)


# --- users ----------------------------------------------------------------------------------------

def _users(request: Request, session: Session, me: auth.SignedIn, *, errors: dict[str, str] | None = None,
           notice: str | None = None, status: int = 200) -> HTMLResponse:
    users = session.exec(select(DashboardUser).where(DashboardUser.account_id == me.account.id)
                         .order_by(col(DashboardUser.email))).all()
    return page(request, "users.html", {"me": me, "users": users, "nav": "users", "roles": ROLES,
                                        "errors": errors or {}, "notice": notice,
                                        "min_password": auth.MIN_PASSWORD_LENGTH}, status=status)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, me: Owner) -> HTMLResponse:
    return _users(request, session, me)


@router.post("/users", response_class=HTMLResponse)
async def create_user(request: Request, session: SessionDep, me: Owner) -> HTMLResponse:
    form = await checked_form(request, me.csrf_token)
    password = form.get("password")
    try:
        user = await run_in_threadpool(auth.create_user, session, me.account, text(form, "email", 254),
                                       text(form, "role", 20), password if isinstance(password, str) else "")
    except PrintgateError as exc:
        session.rollback()
        message = exc.message
        field = "password" if "password" in message else "role" if "role" in message else "email"
        return _users(request, session, me, errors={field: message}, status=exc.status_code)
    return _users(request, session, me, notice=f"Created {user.role} {user.email}: they can sign in now.",
                  status=201)


@router.post("/users/{user_id}/{change}", response_model=None)
async def change_user(request: Request, session: SessionDep, me: Owner, user_id: str, change: str) -> Response:
    await checked_form(request, me.csrf_token)
    if change not in ("disable", "enable"):
        raise DashboardError(404, "There is no such change.")
    user = session.get(DashboardUser, user_id)
    if user is None or user.account_id != me.account.id:
        raise DashboardError(404, "There is no such user in this account.")
    if user.id == me.user.id:
        raise DashboardError(409, "You cannot disable yourself: ask another owner.")
    await run_in_threadpool(auth.set_disabled, session, me.account, user.email, change == "disable")
    return RedirectResponse(f"{PREFIX}/users", status_code=303)
