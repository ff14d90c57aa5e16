"""printgate -> the WordPress plugin: ``order.files_ready`` at the plugin's REST route, found the
WordPress way.

The route is ``printgate/v1/events`` under the site's REST root, and that root depends on the
site's permalinks: ``https://shop/wp-json/`` with "pretty" ones, ``https://shop/?rest_route=/`` with
WordPress's "Plain" setting, where ``/wp-json/...`` is just another page (the home page, HTTP 200).
So an answer only counts when it is the plugin's own JSON (naming ``printgate-for-woocommerce``, or
shaped as its earlier versions answer); anything else (an HTML page, a redirect) means "not the REST API here".

Where the root is not known yet, the pretty URL is tried first (most sites); on an answer that is
not the plugin's, the root is discovered from the ``Link: <...>; rel="https://api.w.org/"`` header
WordPress puts on every page (the home page is read), falling back to ``?rest_route=`` when there is
none, and the event is sent there. The root that answered is kept on the store
(``settings.restRoot``) and discovered again when it stops answering. When no address gives the
plugin's answer the write-back fails and the pipeline retries it: never ``sent: true`` for a page.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from sqlmodel import Session

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.signed_calls.send import Reply, post_signed
from printgate.connectors.woocommerce import store
from printgate.connectors.woocommerce.config import EVENTS_PATH, get_woocommerce_settings
from printgate.core import net
from printgate.core.clock import utcnow

API_REL = "https://api.w.org/"
PLUGIN_ID = "printgate-for-woocommerce"  # how the plugin names itself in its answers
EVENTS_ROUTE = "/printgate/v1/events"
# ``<https://shop/wp-json/>; rel="https://api.w.org/"``, possibly among other links in one header.
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[a-zA-Z*]+\s*=\s*(?:\"[^\"]*\"|[^;,\s]*)\s*)*)")
_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*))")
HOME_PAGE_LIMIT = 256 * 1024  # the home page is read only for its headers; never more than this


def pretty_root(shop: str) -> str:
    return shop.rstrip("/") + EVENTS_PATH[: -len(EVENTS_ROUTE)] + "/"


def plain_root(shop: str) -> str:
    return shop.rstrip("/") + "/?rest_route=/"


def events_url(root: str) -> str:
    """The plugin's events route under a REST root (either permalink style)."""
    parts = urlsplit(root)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "rest_route" for key, _ in query):
        query = [(key, EVENTS_ROUTE if key == "rest_route" else value) for key, value in query]
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query, safe="/"), ""))
    return root.rstrip("/") + EVENTS_ROUTE


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    port = {"http": 80, "https": 443}
    return (pa.scheme.lower(), (pa.hostname or "").lower(), pa.port or port.get(pa.scheme.lower())) == \
        (pb.scheme.lower(), (pb.hostname or "").lower(), pb.port or port.get(pb.scheme.lower()))


def rest_root_from_links(values: list[str], shop: str) -> str | None:
    """The REST root a page's ``Link`` headers announce, when it is on the shop's own origin (a link
    to another host is not followed: printgate would post signed events there)."""
    for value in values:
        for match in _LINK.finditer(value):
            rels = [(m.group(1) or m.group(2) or "") for m in _REL.finditer(match.group(2) or "")]
            if any(API_REL in rel.split() for rel in rels):
                url = match.group(1).strip()
                if url.startswith(("http://", "https://")) and _same_origin(url, shop):
                    return url
    return None


def discover_root(shop: str) -> str:
    """The site's REST root from its home page's ``Link`` header; ``?rest_route=/`` without one."""
    settings = get_woocommerce_settings()
    try:
        with net.client(timeout=settings.http_timeout_s, headers={"user-agent": "printgate"}) as http:
            response = net.get_following(http, shop.rstrip("/") + "/")
            try:
                links = response.headers.get_list("link")
            finally:
                response.close()
    except net.Refused as exc:
        raise AdapterError(f"plugin event: {exc}", retryable=False) from exc
    except httpx.HTTPError as exc:
        raise AdapterError(f"plugin event: the shop's home page could not be read: {exc}") from exc
    return rest_root_from_links(links, shop) or plain_root(shop)


def _plugin_answer(reply: Reply) -> dict[str, Any] | None:
    """The plugin's own JSON (or WordPress REST's ``rest_no_route``), None for anything else.

    The plugin names itself in every answer (``"plugin": "printgate-for-woocommerce"``, in an error's
    ``data``); earlier versions are known by their shape: ``{"received": true}`` or a ``printgate_``
    error code."""
    body = reply.json()
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    data = body.get("data")
    names = body.get("plugin") == PLUGIN_ID or (isinstance(data, dict) and data.get("plugin") == PLUGIN_ID)
    if names or body.get("received") is True or (isinstance(code, str) and (code.startswith("printgate_")
                                                                             or code == "rest_no_route")):
        return body
    return None


def _not_rest(reply: Reply) -> bool:
    """An answer from something other than the REST API (a page, a redirect), worth another root."""
    if reply.status_code is None or _plugin_answer(reply) is not None:
        return False
    return reply.status_code < 500 and reply.status_code not in (408, 429)


def send_files_ready(session: Session, connection: StoreConnection, msg_id: str, body: bytes) -> dict[str, Any]:
    """POST the signed event to the plugin; the write-back's record of it. Raises ``AdapterError``
    (retried by the pipeline) when the plugin did not take it."""
    secrets_ = store.plugin_secrets(connection)
    if not secrets_:
        return {"sent": False, "reason": "no plugin secret"}
    cached = (connection.settings or {}).get("restRoot")
    root = cached if isinstance(cached, str) and _same_origin(cached, connection.shop) else pretty_root(connection.shop)
    reply = post_signed(events_url(root), secrets_, msg_id, body)
    if _not_rest(reply):
        found = discover_root(connection.shop)
        if found != root:
            root = found
            reply = post_signed(events_url(root), secrets_, msg_id, body)
    answer = _plugin_answer(reply)
    code = reply.status_code
    if code is None:
        raise AdapterError(f"plugin event: store unreachable: {reply.error}", retryable=not reply.refused)
    if answer is None:
        raise AdapterError(f"plugin event: {events_url(root)} answered HTTP {code}, not as the printgate plugin "
                           "(is the plugin active?)", retryable=True)
    if root != cached:
        connection.settings = {**(connection.settings or {}), "restRoot": root, "restRootAt": utcnow().isoformat()}
        session.add(connection)
        session.commit()
    if code in (200, 202, 409):
        return {"sent": True, "status": code, "webhookId": msg_id, "url": events_url(root),
                "handled": answer.get("handled", code == 409)}
    if code == 404:
        # The REST API answered, the route is gone: the plugin was removed. Stop sending (the note
        # and meta are the record).
        connection.settings = {**(connection.settings or {}), "plugin": False}
        session.add(connection)
        session.commit()
        return {"sent": False, "status": 404, "reason": "plugin not installed"}
    if code == 401:
        # The plugin holds another secret: say so, and do not hammer it.
        return {"sent": False, "status": 401, "reason": "the plugin refused the signature: paste the "
                                                           "current plugin secret into its settings"}
    raise AdapterError(f"plugin event: the plugin answered {code}: {json.dumps(answer)[:200]}",
                       retryable=code in (408, 425, 429, 503) or code >= 500)
