"""printgate's ``order.files_ready`` reaches the WordPress plugin whatever the site's permalinks.

A local fake WordPress speaks both settings: with "pretty" permalinks the REST API lives under
``/wp-json/``; with "Plain" ones ``/wp-json/...`` is just a page (the home page, HTTP 200) and the API
answers at ``/?rest_route=/``. Every page carries WordPress's ``Link: <root>; rel="https://api.w.org/"``.
An answer that is not the plugin's own JSON is never recorded as sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from printgate.connectors.base.adapter import AdapterError, DeliveredFile
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.woocommerce import events, store
from printgate.connectors.woocommerce.adapter import WooCommerceAdapter
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.webhooks.signing import SignatureError, standard_verify
from tests.fakes.loopback import LoopbackServer

HOME = "<!doctype html><html><head><title>A shop</title></head><body>Welcome to the shop</body></html>"


@dataclass
class FakeWordPress:
    """``permalinks``: ``pretty`` | ``plain``; ``link``: send the api.w.org Link header; ``plugin``: the
    plugin is active; ``link_to``: announce this root instead of the real one."""

    base: str = ""
    secret: str = ""
    permalinks: str = "pretty"
    link: bool = True
    plugin: bool = True
    link_to: str | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)
    received: list[str] = field(default_factory=list)

    def root(self) -> str:
        if self.link_to:
            return self.link_to
        return f"{self.base}/wp-json/" if self.permalinks == "pretty" else f"{self.base}/?rest_route=/"

    def page(self) -> Response:
        headers = {"Link": f'<{self.root()}>; rel="https://api.w.org/"'} if self.link else {}
        return HTMLResponse(HOME, headers=headers)

    async def rest(self, route: str, request: Request) -> Response:
        if route != "/printgate/v1/events" or not self.plugin:
            return JSONResponse({"code": "rest_no_route", "message": "No route was found matching the URL and "
                                 "request method.", "data": {"status": 404}}, status_code=404)
        raw = await request.body()
        try:
            msg_id = standard_verify(self.secret, dict(request.headers), raw)
        except SignatureError as exc:
            return JSONResponse({"code": "printgate_bad_signature", "message": str(exc)}, status_code=401)
        if msg_id in self.received:
            return JSONResponse({"code": "printgate_replay", "message": "This webhook-id was already received."},
                                status_code=409)
        self.received.append(msg_id)
        data = json.loads(raw).get("data") or {}
        # The plugin names itself (and its version) in every answer.
        return JSONResponse({"plugin": "printgate-for-woocommerce", "pluginVersion": "0.3.0", "received": True,
                             "handled": True, "orderId": data.get("orderId"), "jobIds": data.get("jobIds") or []},
                            status_code=202)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST"])
        async def everything(path: str, request: Request) -> Response:
            self.requests.append((request.method, str(request.url).removeprefix(self.base)))
            rest_route = request.query_params.get("rest_route")
            if rest_route is not None:  # works with either permalink setting, as in WordPress
                return await self.rest(rest_route, request) if request.method == "POST" else self.page()
            if path.startswith("wp-json/") and self.permalinks == "pretty":
                return await self.rest("/" + path.removeprefix("wp-json").strip("/"), request)
            return self.page()  # Plain permalinks: /wp-json/... is the home page, 200

        return app


@pytest.fixture(name="wordpress")
def wordpress_fixture(instance: Any) -> Iterator[FakeWordPress]:
    fake = FakeWordPress()
    server = LoopbackServer(fake.app(), "fake WordPress").start()
    fake.base = server.url
    try:
        yield fake
    finally:
        server.stop()


def _store(wordpress: FakeWordPress) -> str:
    with Session(get_engine()) as session:
        connection = StoreConnection(id=new_id("store"), account_id="acct_events", platform="woocommerce",
                                     shop=wordpress.base, status="connected",
                                     settings={"pluginOnly": True, "pluginSeenAt": "2026-01-01T00:00:00+00:00"})
        session.add(connection)
        session.commit()
        wordpress.secret = store.rotate_plugin_secret(session, connection)
        return connection.id


def _send(store_id: str, msg_id: str = "msg_osync_1_files_ready") -> dict[str, Any]:
    body = json.dumps({"type": "order.files_ready", "data": {"orderId": "727", "jobIds": ["job_1"]}}).encode()
    with Session(get_engine()) as session:
        connection = session.get(StoreConnection, store_id)
        assert connection is not None
        return events.send_files_ready(session, connection, msg_id, body)


def _settings(store_id: str) -> dict[str, Any]:
    with Session(get_engine()) as session:
        connection = session.get(StoreConnection, store_id)
        assert connection is not None
        return dict(connection.settings or {})


def test_pretty_permalinks_take_the_event_at_wp_json(wordpress: FakeWordPress) -> None:
    store_id = _store(wordpress)
    sent = _send(store_id)
    assert sent["sent"] is True and sent["status"] == 202 and sent["handled"] is True
    assert wordpress.requests == [("POST", "/wp-json/printgate/v1/events")]
    assert _settings(store_id)["restRoot"] == f"{wordpress.base}/wp-json/"
    # The same message again is the plugin's 409: already delivered, still one event on its side.
    assert _send(store_id)["status"] == 409 and wordpress.received == ["msg_osync_1_files_ready"]


def test_plain_permalinks_are_found_through_the_link_header_and_remembered(wordpress: FakeWordPress) -> None:
    wordpress.permalinks = "plain"
    store_id = _store(wordpress)
    sent = _send(store_id)
    assert sent["sent"] is True and sent["status"] == 202
    assert sent["url"] == f"{wordpress.base}/?rest_route=/printgate/v1/events"
    # The pretty URL answered the home page (200, HTML): not counted; the home page's Link header told
    # where the REST API is.
    assert wordpress.requests == [("POST", "/wp-json/printgate/v1/events"), ("GET", "/"),
                                  ("POST", "/?rest_route=/printgate/v1/events")]
    assert wordpress.received == ["msg_osync_1_files_ready"]
    assert _settings(store_id)["restRoot"] == f"{wordpress.base}/?rest_route=/"

    # The next event goes straight to the remembered root.
    wordpress.requests.clear()
    assert _send(store_id, "msg_osync_2_files_ready")["status"] == 202
    assert wordpress.requests == [("POST", "/?rest_route=/printgate/v1/events")]


def test_without_a_link_header_rest_route_is_the_fallback(wordpress: FakeWordPress) -> None:
    wordpress.permalinks, wordpress.link = "plain", False
    store_id = _store(wordpress)
    assert _send(store_id)["status"] == 202
    assert wordpress.requests[-1] == ("POST", "/?rest_route=/printgate/v1/events")


def test_a_link_to_another_host_is_not_followed(wordpress: FakeWordPress) -> None:
    wordpress.permalinks, wordpress.link_to = "plain", "http://127.0.0.2:9/wp-json/"
    store_id = _store(wordpress)
    assert _send(store_id)["status"] == 202
    assert wordpress.requests[-1] == ("POST", "/?rest_route=/printgate/v1/events")


def test_a_site_that_switches_permalinks_is_discovered_again(wordpress: FakeWordPress) -> None:
    store_id = _store(wordpress)
    assert _send(store_id)["status"] == 202
    wordpress.permalinks = "plain"
    wordpress.requests.clear()
    assert _send(store_id, "msg_osync_2_files_ready")["status"] == 202
    assert wordpress.requests == [("POST", "/wp-json/printgate/v1/events"), ("GET", "/"),
                                  ("POST", "/?rest_route=/printgate/v1/events")]
    assert _settings(store_id)["restRoot"] == f"{wordpress.base}/?rest_route=/"


def test_pages_are_never_taken_for_the_plugin(wordpress: FakeWordPress) -> None:
    """A site that answers every address with a page (no REST API reachable): the write-back fails
    and is retried; nothing is recorded as sent and no root is remembered."""
    wordpress.permalinks, wordpress.link_to = "plain", None

    async def page_only(route: str, request: Request) -> Response:
        return wordpress.page()

    wordpress.rest = page_only  # type: ignore[method-assign]
    store_id = _store(wordpress)
    with pytest.raises(AdapterError) as failed:
        _send(store_id)
    assert failed.value.retryable and "not as the printgate plugin" in str(failed.value)
    assert "restRoot" not in _settings(store_id)
    assert wordpress.received == []


def test_json_that_is_not_the_plugins_is_not_taken_for_it(wordpress: FakeWordPress) -> None:
    """Another plugin's JSON at the same address (a REST catch-all, a maintenance plugin): not sent."""
    async def other_json(route: str, request: Request) -> Response:
        return JSONResponse({"success": True, "message": "ok"})

    wordpress.rest = other_json  # type: ignore[method-assign]
    store_id = _store(wordpress)
    with pytest.raises(AdapterError, match="not as the printgate plugin"):
        _send(store_id)
    assert "restRoot" not in _settings(store_id)


def test_a_removed_plugin_is_noted_once_the_rest_api_says_so(wordpress: FakeWordPress) -> None:
    wordpress.permalinks, wordpress.plugin = "plain", False
    store_id = _store(wordpress)
    sent = _send(store_id)
    assert sent == {"sent": False, "status": 404, "reason": "plugin not installed"}
    assert _settings(store_id)["plugin"] is False


def test_the_write_back_of_a_plain_permalink_shop_reaches_the_plugin(wordpress: FakeWordPress) -> None:
    wordpress.permalinks = "plain"
    store_id = _store(wordpress)
    with Session(get_engine()) as session:
        connection = session.get(StoreConnection, store_id)
        assert connection is not None
        sync = OrderSync(id=new_id("osync"), connection_id=store_id, account_id="acct_events",
                         platform="woocommerce", external_id="727")
        session.add(sync)
        session.commit()
        files = [DeliveredFile(line_id="316", job_id="job_1", run_id="run_1", name="card.pdf", status="done",
                               outcome="pass", download_url=None, link="https://pg.example/f/1")]
        result = WooCommerceAdapter(connection).write_back(session, sync, files)
        sync_id = sync.id
    assert result["status"] == "ready" and result["pluginEvent"]["sent"] is True
    assert result["pluginEvent"]["url"].endswith("/?rest_route=/printgate/v1/events")
    assert wordpress.received == [f"msg_{sync_id}_files_ready"]


@pytest.mark.parametrize(("root", "url"), [
    ("https://shop.example/wp-json/", "https://shop.example/wp-json/printgate/v1/events"),
    ("https://shop.example/sub/wp-json", "https://shop.example/sub/wp-json/printgate/v1/events"),
    ("https://shop.example/?rest_route=/", "https://shop.example/?rest_route=/printgate/v1/events"),
    ("https://shop.example/sub/index.php?rest_route=/&lang=fr",
     "https://shop.example/sub/index.php?rest_route=/printgate/v1/events&lang=fr"),
])
def test_events_url_under_either_root(root: str, url: str) -> None:
    assert events.events_url(root) == url


def test_the_rest_root_is_read_from_wordpress_link_headers() -> None:
    shop = "https://shop.example"
    assert events.rest_root_from_links(
        ['<https://shop.example/wp-json/>; rel="https://api.w.org/"'], shop) == "https://shop.example/wp-json/"
    assert events.rest_root_from_links(
        ['<https://shop.example/?p=12>; rel=shortlink, <https://shop.example/?rest_route=/>; rel="https://api.w.org/"'],
        shop) == "https://shop.example/?rest_route=/"
    assert events.rest_root_from_links(['<https://shop.example/feed/>; rel="alternate"'], shop) is None
    assert events.rest_root_from_links(['<https://evil.example/wp-json/>; rel="https://api.w.org/"'], shop) is None
