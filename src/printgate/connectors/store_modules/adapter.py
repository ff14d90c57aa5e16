"""printgate -> module: the signed ``order.files_ready`` callback, and the platform's own API as the
second path (:class:`StoreModuleAdapter`, which OpenCart's and PrestaShop's adapters extend)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from sqlmodel import Session

from printgate.connectors.base.adapter import AdapterError, DeliveredFile, ExternalOrder
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.signed_calls.send import message_id, post_signed
from printgate.connectors.store_modules.orders import seen_orders
from printgate.connectors.store_modules.store import active_secrets, callback_url
from printgate.core import net
from printgate.core.clock import utcnow
from printgate.core.models import Job
from printgate.webhooks.settings import get_webhook_settings

# --- outbound HTTP ------------------------------------------------------------------------------------

def guard_url(url: str) -> None:
    """Refuse private destinations unless the instance allows them (``printgate.core.net``, as webhooks do)."""
    try:
        net.check_url(url)
    except net.Refused as exc:
        raise AdapterError(str(exc), retryable=False) from exc
    except httpx.HTTPError as exc:
        raise AdapterError(str(exc)) from exc


def http_client() -> httpx.Client:
    settings = get_webhook_settings()
    return net.client(timeout=httpx.Timeout(settings.timeout_s * 3, connect=settings.connect_timeout_s),
                      headers={"user-agent": settings.user_agent})


# --- the callback ---------------------------------------------------------------------------------

def callback_message_id(sync: OrderSync, event_type: str = "order.files_ready") -> str:
    """The same ``webhook-id`` on every attempt for one order's event (Standard Webhooks)."""
    return message_id(sync.id, event_type)


def callback_payload(session: Session, sync: OrderSync, files: list[DeliveredFile],
                     event_type: str = "order.files_ready") -> dict[str, Any]:
    """``{type, data:{orderId, storeId, orderSync, jobs:[{jobId, status, outcome, canProceed, runs}]}}``.

    A run's ``downloadUrl`` is printgate's stable link (it re-signs a short-lived URL on each
    click), so the copy the module stores keeps working; ``signedUrl`` is the short-lived one.
    No time in the body (``webhook-timestamp`` has it): retries send the same bytes unless a
    short-lived URL was re-signed meanwhile.
    """
    from printgate.core.wire import runs_wire

    jobs: dict[str, dict[str, Any]] = {}
    for f in files:
        entry = jobs.get(f.job_id)
        if entry is None:
            job = session.get(Job, f.job_id)
            wire = runs_wire(session, job) if job is not None else {"runs": []}
            proofs = {run["id"]: [{"url": p["url"]} for p in run.get("proofs") or []] for run in wire["runs"]}
            entry = jobs[f.job_id] = {
                "jobId": f.job_id, "lineId": f.line_id, "status": job.status if job else None,
                "outcome": job.outcome if job else None, "canProceed": wire.get("canProceed"), "runs": [],
                "_proofs": proofs,
            }
        entry["runs"].append({
            "id": f.run_id, "name": f.name, "status": f.status, "outcome": f.outcome,
            "hasOutput": bool(f.link), "downloadUrl": f.link or f.download_url, "signedUrl": f.download_url,
            "expiresIn": f.expires_in, "proofs": entry["_proofs"].get(f.run_id, []),
        })
    for entry in jobs.values():
        entry.pop("_proofs")
    return {"type": event_type,
            "data": {"orderId": sync.external_id, "storeId": sync.connection_id, "orderSync": sync.id,
                     "jobs": list(jobs.values())}}


# Module answers (store_php/README.md): 200 ok; 409 replayed id = it already has this event.
CALLBACK_FINAL = {400: "the module refused the event body", 404: "the module does not know this order "
                  "(no printgate line on it)", 405: "the callback URL does not accept POST: check the store URL "
                  "and OpenCart version", 410: "the callback route is gone"}


def deliver_callback(connection: StoreConnection, sync: OrderSync, body: bytes,
                     event_type: str = "order.files_ready") -> dict[str, Any]:
    """POST the signed callback once; raise ``AdapterError`` when it was not accepted."""
    secrets_ = active_secrets(connection)
    if not secrets_:
        raise AdapterError("the store has no webhook secret: rotate one and paste it into the module",
                           retryable=False)
    url = callback_url(connection)
    outcome = post_signed(url, secrets_, callback_message_id(sync, event_type), body)
    code = outcome.status_code
    if outcome.ok or code == 409:
        return {"url": url, "status": code, "replayed": code == 409, "durationMs": outcome.duration_ms}
    if code in CALLBACK_FINAL:
        raise AdapterError(f"callback {url} answered {code}: {CALLBACK_FINAL[code]}", retryable=False)
    if outcome.refused:  # a private address, not a URL
        raise AdapterError(f"callback {url} {outcome.error}", retryable=False)
    hint = {401: " (signature refused: paste the current webhook secret into the module)",
            503: " (the module is not configured yet)"}.get(code or 0, "")
    raise AdapterError(f"callback {url} failed: {outcome.error or code}{hint}")


class StoreModuleAdapter:
    """The shared ``PlatformAdapter`` of the signed store modules; platforms add their API."""

    platform = ""

    def __init__(self, connection: StoreConnection) -> None:
        self.connection = connection

    # -- the platform's own API (optional second path) --

    def api_configured(self) -> bool:
        return False

    def api_note(self, session: Session, sync: OrderSync, text: str) -> dict[str, Any]:
        raise AdapterError("no platform API credentials", retryable=False)

    # -- PlatformAdapter --

    def fetch_recent_orders(self, session: Session, since: datetime) -> list[ExternalOrder]:
        return seen_orders(session, self.connection, since)

    def enrich_order(self, session: Session, order: ExternalOrder) -> ExternalOrder:
        return order  # the module already resolved each line's jobId and product workflow

    def cancel_hint(self, session: Session, order_sync: OrderSync) -> None:
        return None

    def write_back(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile]) -> dict[str, Any]:
        payload = callback_payload(session, order_sync, files)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        result: dict[str, Any] = {"files": len(files)}
        callback_error: AdapterError | None = None
        try:
            result["callback"] = deliver_callback(self.connection, order_sync, body)
        except AdapterError as exc:
            callback_error = exc
            result["callback"] = {"error": str(exc), "retryable": exc.retryable}
        mode = (self.connection.settings or {}).get("apiWriteBack", "fallback")
        want_api = self.api_configured() and mode != "never" and (callback_error is not None or mode == "always")
        api_error: AdapterError | None = None
        if want_api:
            done = (order_sync.steps or {}).get("storeApi", {})
            if done.get("status") == "done":
                result["api"] = {"alreadyWritten": True, **(done.get("result") or {})}
            else:
                try:
                    written = self.api_note(session, order_sync, note_text(order_sync, files))
                except AdapterError as exc:
                    api_error = exc
                    result["api"] = {"error": str(exc), "retryable": exc.retryable}
                else:
                    steps = dict(order_sync.steps or {})
                    steps["storeApi"] = {"status": "done", "at": utcnow().isoformat(), "result": written}
                    order_sync.steps = steps
                    session.add(order_sync)
                    session.commit()
                    result["api"] = written
        if callback_error is None:
            return result
        if want_api and api_error is None and (mode != "always" or not callback_error.retryable):
            # The merchant has the links on the order and the module fetches files live; with
            # "always", a callback that may still get through is retried (the note is not repeated).
            return result
        errors = [str(callback_error)] + ([str(api_error)] if api_error else [])
        retryable = callback_error.retryable or bool(api_error and api_error.retryable)
        raise AdapterError("; ".join(errors), retryable=retryable)


def note_text(sync: OrderSync, files: list[DeliveredFile]) -> str:
    """The order note the platform API writes: one line per file, with printgate's stable link."""
    lines = [f"printgate: print-ready files for order {sync.external_id}:"]
    for f in files:
        lines.append(f"- {f.name or f.run_id}: {f.link or 'no output (' + str(f.outcome) + ')'}")
    return "\n".join(lines)


def api_error(what: str, response: httpx.Response) -> AdapterError:
    code = response.status_code
    retryable = code == 429 or code >= 500
    return AdapterError(f"{what} answered HTTP {code}: {response.text[:200]}", retryable=retryable)
