"""The app's embedded admin page: pick a workflow per product or collection, see recent orders' files.

Served by printgate inside the Shopify admin iframe, server-rendered (no CDN; App Bridge's script tag,
which Shopify requires of embedded apps, is the one exception and can be turned off with
``PRINTGATE_SHOPIFY_APP_BRIDGE=0``).

Who is asking, in this order:

1. an App Bridge ID token (``id_token`` in the URL Shopify loads, or ``Authorization: Bearer``):
   HS256 with the app secret, ``aud`` the client id, ``dest`` the shop (``oauth.decode_id_token``); a
   shop not connected yet is connected by token exchange, as ``POST /shopify/session`` does;
2. Shopify's signed launch query (``shop``, ``timestamp``, ``hmac``) for a shop already connected
   through OAuth;
3. the page's own ``session`` value (HMAC with printgate's signing secret, bound to the shop and its
   store row, one hour), which the page puts in its forms and links: iframes do not keep cookies.

The workflow choice is written where the connector reads it (``adapter.enrich_order``): the
metafield ``printgate.workflow_id`` on the product, or on the collection for the products in it
that have none of their own. Product and collection lists come from the Admin GraphQL API.

Thumbnails and proofs are served through :func:`image_link`: a signed printgate URL that redirects to
a fresh signed download URL of the run's ``thumbnail`` preview (else its first preview) or proof.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, col, select

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.shopify import oauth
from printgate.connectors.shopify.adapter import NAMESPACE, ShopifyAdapter
from printgate.connectors.shopify.client import paged_query, user_errors
from printgate.connectors.shopify.config import get_shopify_settings
from printgate.core import library
from printgate.core.api.deps import SessionDep
from printgate.core.clock import iso
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, Forbidden, NotFound, PrintgateError, Unauthorized
from printgate.core.models import Job
from printgate.core.storage import sign_token, verify_token

router = APIRouter(prefix="/shopify", tags=["shopify"])

PAGE_SIZE = 25
RECENT_ORDERS = 20
SESSION_TTL_S = 3600
IMAGE_TTL_S = 3600
WORKFLOW_KEY = "workflow_id"
TARGET_RE = re.compile(r"^gid://shopify/(Product|Collection)/\d+$")
APP_BRIDGE_SRC = "https://cdn.shopify.com/shopifycloud/app-bridge.js"

# A product's or a collection's own workflow, as the page lists them.
_TARGET_FIELDS = """
id
legacyResourceId
title
metafield(namespace: "printgate", key: "workflow_id") { value }
"""
PRODUCTS_QUERY = paged_query("PrintgateAdminProducts", "products", "TITLE", _TARGET_FIELDS)
COLLECTIONS_QUERY = paged_query("PrintgateAdminCollections", "collections", "TITLE", _TARGET_FIELDS)

WORKFLOW_SET = """
mutation PrintgateWorkflowSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key value }
    userErrors { field message code }
  }
}
"""

WORKFLOW_CLEAR = """
mutation PrintgateWorkflowClear($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields { ownerId namespace key }
    userErrors { field message }
  }
}
"""

_templates = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                         autoescape=select_autoescape(["html"]))


# --- who is asking ------------------------------------------------------------------------------------

def issue_session(connection: StoreConnection, now: float | None = None) -> str:
    exp = str(int(now if now is not None else time.time()) + SESSION_TTL_S)
    sig = sign_token(get_settings().effective_signing_secret, "shopify-admin", connection.shop, connection.id, exp)
    return f"{connection.id}.{exp}.{sig}"


def check_session(session: Session, value: str) -> StoreConnection:
    """The connected store a page ``session`` value was issued for; 401 when forged or expired."""
    try:
        store_id, exp, sig = value.split(".", 2)
        expired = int(exp) < time.time()
    except ValueError as exc:
        raise Unauthorized("Invalid admin session: open printgate from your Shopify admin again") from exc
    connection = session.get(StoreConnection, store_id)
    if connection is None or not verify_token(get_settings().effective_signing_secret, sig, "shopify-admin",
                                              connection.shop, connection.id, exp):
        raise Unauthorized("Invalid admin session: open printgate from your Shopify admin again")
    if expired:
        raise Unauthorized("The admin session expired: open printgate from your Shopify admin again")
    current = oauth.connection_for_shop(session, connection.shop)
    if current is None or current.id != connection.id or connection.status != "connected":
        raise Unauthorized("This shop is no longer connected to printgate: open the app again to reconnect")
    return connection


def _id_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.query_params.get("id_token") or None


def authenticate(request: Request, session: Session) -> StoreConnection:
    """The connected store of the shop the request proves it comes from (see the module doc)."""
    params = {k: v for k, v in request.query_params.items()}
    token = _id_token(request)
    if token:
        shop = oauth.decode_id_token(token)["shop"]
        connection = oauth.connection_for_shop(session, shop)
        if connection is None or connection.status != "connected" or not connection.credentials:
            account_id = oauth.account_for_install(session, shop)
            try:
                tokens = oauth.exchange_id_token(shop, token)
            except AdapterError as exc:
                raise Unauthorized(f"Token exchange failed: {exc}") from exc
            connection = oauth.install_connection(session, account_id, shop, tokens)
        return connection
    if params.get("session"):
        return check_session(session, params["session"])
    if params.get("hmac"):
        shop = oauth.valid_shop(params.get("shop"))
        oauth.verify_install_query(params)
        connection = oauth.connection_for_shop(session, shop)
        if connection is None or connection.status != "connected":
            raise Forbidden("This shop is not connected to printgate yet: install the app from the Shopify admin")
        return connection
    raise Unauthorized("Open printgate from your Shopify admin (no ID token, signed launch or admin session)")


def identifies_shop(request: Request) -> bool:
    """Whether the request carries one of the proofs :func:`authenticate` accepts."""
    return bool(_id_token(request) or {"session", "hmac"} & set(request.query_params))


def page_params(request: Request) -> dict[str, str | None]:
    """The page's own query parameters, for a route that hands the request to :func:`admin`."""
    return {name: request.query_params.get(name) for name in ("after", "q", "saved")} | {
        "tab": request.query_params.get("tab") or "products"}


# --- images -------------------------------------------------------------------------------------------

def image_link(connection_id: str, job_id: str, run_id: str, kind: str, index: int = 0) -> str:
    """A signed printgate URL for a run's thumbnail or proof (it redirects to a fresh download URL)."""
    exp = str(int(time.time()) + IMAGE_TTL_S)
    sig = sign_token(get_settings().effective_signing_secret, "shopify-image", connection_id, job_id, run_id,
                     kind, str(index), exp)
    base = get_settings().public_url.rstrip("/")
    return f"{base}/shopify/images/{connection_id}/{job_id}/{run_id}/{kind}?{urlencode({'i': index, 'exp': exp, 'sig': sig})}"


def _run_images(run: dict[str, Any]) -> tuple[str | None, list[str]]:
    previews = [p for p in run.get("previews") or [] if p.get("url")]
    thumb = next((p["url"] for p in previews if p.get("kind") == "thumbnail"), None) or (
        previews[0]["url"] if previews else None)
    return thumb, [p["url"] for p in run.get("proofs") or [] if p.get("url")]


@router.get("/images/{store_id}/{job_id}/{run_id}/{kind}", include_in_schema=False, response_model=None)
def image(session: SessionDep, store_id: str, job_id: str, run_id: str, kind: str, i: int = 0, exp: str = "",
          sig: str = "") -> RedirectResponse:
    from printgate.core.wire import runs_wire

    try:
        fresh = int(exp) >= time.time()
    except ValueError:
        fresh = False
    if kind not in ("thumbnail", "proof") or not fresh or not verify_token(
            get_settings().effective_signing_secret, sig, "shopify-image", store_id, job_id, run_id, kind, str(i), exp):
        raise Forbidden("This image link is invalid or has expired")
    connection = session.get(StoreConnection, store_id)
    job = session.get(Job, job_id)
    if connection is None or job is None or job.account_id != connection.account_id or job.deleted_at is not None:
        raise NotFound("Image not found")
    run = next((r for r in runs_wire(session, job)["runs"] if r["id"] == run_id), None)
    thumb, proofs = _run_images(run or {})
    url = thumb if kind == "thumbnail" else (proofs[i] if 0 <= i < len(proofs) else None)
    if not url:
        raise NotFound("This file has no such image")
    return RedirectResponse(url, status_code=302)


def order_files(session: Session, connection: StoreConnection, sync: OrderSync) -> list[dict[str, Any]]:
    """The order's delivered files for a page: name, outcome, job, download link, thumbnail, proofs."""
    from printgate.core.wire import runs_wire

    jobs: dict[str, dict[str, Any]] = {}
    out = []
    for f in sync.files or []:
        job_id, run_id = str(f.get("jobId")), str(f.get("runId"))
        if job_id not in jobs:
            job = session.get(Job, job_id)
            ok = job is not None and job.account_id == connection.account_id and job.deleted_at is None
            jobs[job_id] = {r["id"]: r for r in runs_wire(session, job)["runs"]} if ok and job else {}
        thumb, proofs = _run_images(jobs[job_id].get(run_id) or {})
        out.append({
            "name": f.get("name") or run_id, "outcome": f.get("outcome"), "status": f.get("status"),
            "jobId": job_id, "runId": run_id, "link": f.get("link"),
            "thumbnail": image_link(connection.id, job_id, run_id, "thumbnail") if thumb else None,
            "proofs": [image_link(connection.id, job_id, run_id, "proof", n) for n in range(len(proofs))],
        })
    return out


def render_order_page(session: Session, connection: StoreConnection | None, sync: OrderSync) -> str:
    """The order page's body (the order-details admin link): its files with thumbnails and proofs."""
    from printgate.connectors.base.pipeline import sync_wire

    files = order_files(session, connection, sync) if connection else []
    return _templates.get_template("order.html").render(
        sync=sync, steps=sync_wire(sync)["steps"], files=files, **_page_chrome(connection))


# --- the page -----------------------------------------------------------------------------------------

def _page_chrome(connection: StoreConnection | None) -> dict[str, Any]:
    settings = get_shopify_settings()
    return {"app_bridge": APP_BRIDGE_SRC if settings.app_bridge and settings.api_key else None,
            "api_key": settings.api_key, "shop": connection.shop if connection else ""}


def _frame_headers(connection: StoreConnection | None) -> dict[str, str]:
    """Embedded apps may only be framed by the shop's admin (Shopify's requirement)."""
    shop = f" https://{connection.shop}" if connection else ""
    return {"Content-Security-Policy": f"frame-ancestors https://admin.shopify.com{shop}",
            "Cache-Control": "no-store"}


def _workflows(session: Session, account_id: str) -> list[dict[str, Any]]:
    return [{"id": w["id"], "name": w.get("name") or w.get("title") or w["id"]}
            for w in library.list_items(session, "workflow", account_id) if w.get("published", True)]


def _list(session: Session, connection: StoreConnection, tab: str, after: str | None,
          search: str | None) -> dict[str, Any]:
    adapter, variables = ShopifyAdapter(connection), {"first": PAGE_SIZE, "query": search or None}
    if tab == "collections":
        pages = adapter.pages(session, COLLECTIONS_QUERY, "PrintgateAdminCollections", tab, variables,
                              after=after or None)
    else:
        pages = adapter.pages(session, PRODUCTS_QUERY, "PrintgateAdminProducts", tab, variables, after=after or None)
    page = next(pages)
    items = [{"id": n.get("id"), "legacyId": n.get("legacyResourceId"), "title": n.get("title"),
              "workflow": (n.get("metafield") or {}).get("value") or ""} for n in page.nodes]
    return {"items": items, "next": page.next_cursor}


def _recent_orders(session: Session, connection: StoreConnection) -> list[dict[str, Any]]:
    rows = session.exec(select(OrderSync).where(OrderSync.connection_id == connection.id)
                        .order_by(col(OrderSync.created_at).desc()).limit(RECENT_ORDERS)).all()
    return [{"name": r.name or r.external_id, "orderId": r.external_id, "status": r.status,
             "createdAt": iso(r.created_at), "jobs": sorted({str(line.get("jobId")) for line in r.lines or []
                                                               if line.get("jobId")}),
             "files": order_files(session, connection, r), "error": r.last_error} for r in rows]


def _page(session: Session, connection: StoreConnection, *, tab: str, after: str | None, search: str | None,
          notice: str | None = None, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    listing: dict[str, Any] = {"items": [], "next": None}
    try:
        listing = _list(session, connection, tab, after, search)
    except AdapterError as exc:
        error = error or f"Shopify did not list the {tab}: {exc}"
    html = _templates.get_template("admin.html").render(
        tab=tab, listing=listing, search=search or "", notice=notice, error=error,
        workflows=_workflows(session, connection.account_id), orders=_recent_orders(session, connection),
        session_value=issue_session(connection), **_page_chrome(connection))
    return HTMLResponse(html, status_code=status_code, headers=_frame_headers(connection))


def _error_page(exc: PrintgateError) -> HTMLResponse:
    html = _templates.get_template("error.html").render(message=exc.message, **_page_chrome(None))
    return HTMLResponse(html, status_code=exc.status_code, headers=_frame_headers(None))


@router.get("/admin", include_in_schema=False, response_model=None)
def admin(request: Request, session: SessionDep, tab: str | None = "products", after: str | None = None,
          q: str | None = None, saved: str | None = None) -> HTMLResponse:
    try:
        connection = authenticate(request, session)
    except PrintgateError as exc:
        return _error_page(exc)
    tab = "collections" if tab == "collections" else "products"
    return _page(session, connection, tab=tab, after=after, search=(q or "").strip()[:200] or None,
                 notice="Workflow saved." if saved == "1" else ("Workflow removed." if saved == "0" else None))


@router.post("/admin/workflow", include_in_schema=False, response_model=None)
def save_workflow(request: Request, session: SessionDep, session_value: str = Form("", alias="session"),
                  target: str = Form(""), workflow: str = Form(""), tab: str = Form("products"),
                  after: str = Form(""), q: str = Form("")) -> Response:
    """Set (or with an empty ``workflow``, clear) the metafield ``printgate.workflow_id`` of a product
    or collection; answers with a redirect back to the page (303), or the page with the error."""
    try:
        connection = check_session(session, session_value)
    except PrintgateError as exc:
        return _error_page(exc)
    tab = "collections" if tab == "collections" else "products"
    try:
        if not TARGET_RE.match(target):
            raise BadRequest("Pick a product or a collection")
        workflow = workflow.strip()
        if workflow and workflow not in {w["id"] for w in _workflows(session, connection.account_id)}:
            raise BadRequest(f"Unknown workflow {workflow!r}: pick one from the list")
        adapter = ShopifyAdapter(connection)
        if workflow:
            data = adapter._call(session, WORKFLOW_SET, {"metafields": [{
                "ownerId": target, "namespace": NAMESPACE, "key": WORKFLOW_KEY,
                "type": "single_line_text_field", "value": workflow}]}, "PrintgateWorkflowSet")
            user_errors(data, "metafieldsSet")
        else:
            data = adapter._call(session, WORKFLOW_CLEAR, {"metafields": [{
                "ownerId": target, "namespace": NAMESPACE, "key": WORKFLOW_KEY}]}, "PrintgateWorkflowClear")
            user_errors(data, "metafieldsDelete")
    except PrintgateError as exc:
        return _page(session, connection, tab=tab, after=after or None, search=q or None, error=exc.message,
                     status_code=exc.status_code)
    except AdapterError as exc:
        return _page(session, connection, tab=tab, after=after or None, search=q or None,
                     error=f"Shopify did not save the workflow: {exc}", status_code=502)
    back = {"session": issue_session(connection), "tab": tab, "saved": "1" if workflow else "0"}
    back |= {k: v for k, v in (("after", after), ("q", q)) if v}
    return RedirectResponse(f"{request.url_for('admin').path}?{urlencode(back)}", status_code=303)
