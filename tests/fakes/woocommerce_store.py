"""A local fake WooCommerce store speaking the documented wire format, plus the test helpers.

- ``/wp-json/wc/v3/orders`` (list: ``modified_after``, ``dates_are_gmt``, ``per_page``, ``page``,
  ``X-WP-Total``/``X-WP-TotalPages``), ``/orders/{id}`` (GET, PUT with ``meta_data`` merged by key),
  ``/orders/{id}/notes`` (GET, POST), ``/webhooks`` (GET, POST, PUT ``/webhooks/{id}``),
  ``/products?include=``.
- Auth: consumer key/secret as HTTP Basic or as ``consumer_key``/``consumer_secret`` query
  parameters; a revoked key gets ``401 woocommerce_rest_authentication_error``; no credentials get
  ``401 woocommerce_rest_cannot_view`` (what WooCommerce answers an anonymous caller).
  ``strip_authorization = True`` behaves like a host that drops the ``Authorization`` header.
- ``/wp-json/printgate/v1/events``: the plugin's event route (Standard Webhooks, the plugin secret,
  409 on a repeated ``webhook-id``).

The fake keeps what printgate wrote (notes, meta, webhooks, events) for assertions.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests import cassettes
from tests.fakes.loopback import LoopbackServer

FIXTURES = Path("/work/shared/fixtures/woocommerce")
CASSETTES = Path(__file__).resolve().parents[1] / "connectors" / "cassettes" / "woocommerce"


def fixture_order(name: str = "order_727.json") -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": {"status": status}}, status_code=status)


@dataclass
class FakeWooCommerce:
    base: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # consumer_key -> consumer_secret
    revoked: set[str] = field(default_factory=set)
    strip_authorization: bool = False
    # WooCommerce before 5.8 ignores ``modified_after`` (and lists every order).
    supports_modified_after: bool = True
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    plugin_secret: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    keys_issued: int = 0  # numbered, so a replayed test issues the keys its cassette was recorded with

    def __post_init__(self) -> None:
        self._ids = itertools.count(5000)
        self._lock = threading.Lock()
        self.app = self._build()

    def reset(self) -> None:
        for name in ("keys", "orders", "notes", "webhooks", "products", "requests"):
            getattr(self, name).clear()
        self.revoked.clear()
        self.events.clear()
        self.strip_authorization = False
        self.supports_modified_after = True
        self.plugin_secret = None
        self.keys_issued = 0
        self._ids = itertools.count(5000)  # a test sees the same ids whatever ran before it

    # -- setup helpers --

    def issue_keys(self) -> tuple[str, str]:
        self.keys_issued += 1
        key, secret = f"ck_{self.keys_issued:040x}", f"cs_{self.keys_issued:040x}"
        self.keys[key] = secret
        return key, secret

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[int(order["id"])] = copy.deepcopy(order)
        return self.orders[int(order["id"])]

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    # -- auth --

    def _auth(self, request: Request) -> JSONResponse | None:
        key = secret = None
        header = "" if self.strip_authorization else request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        elif request.query_params.get("consumer_key"):
            key, secret = request.query_params.get("consumer_key"), request.query_params.get("consumer_secret")
        if key is None:
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if key in self.revoked or key not in self.keys:
            return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if not hmac.compare_digest(self.keys[key], secret or ""):
            return _error(401, "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
        return None

    # -- the app --

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            body = await request.body()
            fake.requests.append({"method": request.method, "path": request.url.path,
                                  "query": dict(request.query_params), "body": body})
            if request.url.path.startswith("/wp-json/wc/v3/"):
                denied = fake._auth(request)
                if denied is not None:
                    return denied
            return await call_next(request)

        @app.get("/wp-json/wc/v3/orders")
        def list_orders(request: Request) -> Response:
            q = request.query_params
            rows = sorted(fake.orders.values(), key=lambda o: (o.get("date_modified_gmt") or "", o["id"]),
                          reverse=q.get("order", "desc") == "desc")
            if q.get("modified_after") and fake.supports_modified_after:
                after = q["modified_after"].replace("Z", "")
                rows = [o for o in rows if (o.get("date_modified_gmt") or "") > after]
            per_page = min(int(q.get("per_page") or 10), 100)
            page = int(q.get("page") or 1)
            total_pages = max(1, -(-len(rows) // per_page))
            chunk = rows[(page - 1) * per_page: page * per_page]
            return JSONResponse(chunk, headers={"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(total_pages)})

        @app.get("/wp-json/wc/v3/orders/{order_id}")
        def get_order(order_id: int) -> Response:
            order = fake.orders.get(order_id)
            if order is None:
                return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            return JSONResponse(order)

        @app.put("/wp-json/wc/v3/orders/{order_id}")
        async def put_order(order_id: int, request: Request) -> Response:
            order = fake.orders.get(order_id)
            if order is None:
                return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            body = await request.json()
            for entry in body.get("meta_data") or []:
                current = next((m for m in order["meta_data"] if m["key"] == entry["key"]), None)
                if current is None:
                    order["meta_data"].append({"id": fake.next_id(), "key": entry["key"], "value": entry["value"]})
                else:
                    current["value"] = entry["value"]
            if body.get("status"):
                order["status"] = body["status"]
            order["date_modified_gmt"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            return JSONResponse(order)

        @app.get("/wp-json/wc/v3/orders/{order_id}/notes")
        def list_notes(order_id: int) -> Response:
            if order_id not in fake.orders:
                return _error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
            return JSONResponse(list(reversed(fake.notes.get(order_id, []))))

        @app.post("/wp-json/wc/v3/orders/{order_id}/notes", status_code=201)
        async def add_note(order_id: int, request: Request) -> Response:
            if order_id not in fake.orders:
                return _error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
            body = await request.json()
            if not body.get("note"):
                return _error(400, "rest_missing_callback_param", "Missing parameter(s): note")
            note = {"id": fake.next_id(), "author": "printgate",
                    "date_created_gmt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "note": body["note"], "customer_note": bool(body.get("customer_note"))}
            fake.notes.setdefault(order_id, []).append(note)
            return JSONResponse(note, status_code=201)

        @app.get("/wp-json/wc/v3/webhooks")
        def list_webhooks() -> Response:
            rows = [{k: v for k, v in w.items() if k != "secret"} for w in fake.webhooks.values()]
            return JSONResponse(rows, headers={"X-WP-Total": str(len(rows)), "X-WP-TotalPages": "1"})

        @app.post("/wp-json/wc/v3/webhooks", status_code=201)
        async def create_webhook(request: Request) -> Response:
            body = await request.json()
            if not body.get("topic") or not body.get("delivery_url"):
                return _error(400, "rest_missing_callback_param", "Missing parameter(s): topic, delivery_url")
            hook = {"id": fake.next_id(), "name": body.get("name") or "", "status": body.get("status") or "active",
                    "topic": body["topic"], "resource": body["topic"].split(".")[0],
                    "event": body["topic"].split(".")[1], "delivery_url": body["delivery_url"],
                    "secret": body.get("secret") or "", "failure_count": 0}
            fake.webhooks[hook["id"]] = hook
            return JSONResponse({k: v for k, v in hook.items() if k != "secret"}, status_code=201)

        @app.put("/wp-json/wc/v3/webhooks/{hook_id}")
        async def update_webhook(hook_id: int, request: Request) -> Response:
            hook = fake.webhooks.get(hook_id)
            if hook is None:
                return _error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
            body = await request.json()
            hook.update({k: v for k, v in body.items() if k in ("name", "status", "topic", "delivery_url", "secret")})
            if body.get("status") == "active":
                hook["failure_count"] = 0
            return JSONResponse({k: v for k, v in hook.items() if k != "secret"})

        @app.get("/wp-json/wc/v3/products")
        def list_products(request: Request) -> Response:
            wanted = {int(x) for x in (request.query_params.get("include") or "").split(",") if x}
            rows = [p for pid, p in fake.products.items() if not wanted or pid in wanted]
            return JSONResponse(rows, headers={"X-WP-Total": str(len(rows)), "X-WP-TotalPages": "1"})

        @app.post("/wp-json/printgate/v1/events")
        async def plugin_events(request: Request) -> Response:
            from printgate.webhooks.signing import SignatureError, standard_verify

            if not fake.plugin_secret:
                return JSONResponse({"code": "printgate_not_configured"}, status_code=503)
            raw = await request.body()
            try:
                msg_id = standard_verify(fake.plugin_secret, dict(request.headers), raw)
            except SignatureError as exc:
                return JSONResponse({"code": "printgate_bad_signature", "message": str(exc)}, status_code=401)
            if any(e["id"] == msg_id for e in fake.events):
                return JSONResponse({"code": "printgate_replayed"}, status_code=409)
            event = json.loads(raw)
            fake.events.append({"id": msg_id, "event": event})
            data = event.get("data") or {}
            return JSONResponse({"received": True, "handled": True, "orderId": data.get("orderId"),
                                 "jobIds": data.get("jobIds") or []}, status_code=202)

        return app


class FakeWooServer(LoopbackServer):
    """Runs a ``FakeWooCommerce`` on a loopback port in a thread."""

    def __init__(self, fake: FakeWooCommerce) -> None:
        super().__init__(fake.app, "fake WooCommerce")
        self.fake = fake
        fake.base = self.url


# --- pytest fixtures and helpers (imported by tests/connectors/test_woocommerce_*.py) ----------------
# Fixture functions carry a ``_fixture`` suffix so a test's ``woo`` parameter does not shadow the
# imported name; test modules import them with a noqa for F401 (unused import).

@pytest.fixture(scope="session", name="woo_server")
def woo_server_fixture() -> Iterator[FakeWooServer]:
    server = FakeWooServer(FakeWooCommerce()).start()
    yield server
    server.stop()


@pytest.fixture(name="woo")
def woo_fixture(woo_server: FakeWooServer, instance: Any) -> Iterator[FakeWooCommerce]:
    from printgate.connectors.woocommerce.config import reset_woocommerce_settings

    woo_server.fake.reset()
    reset_woocommerce_settings()
    yield woo_server.fake
    reset_woocommerce_settings()


def _operation(request: Any) -> str:
    """What a request does, without its volatile parts (ids in paths stay: they are the store's)."""
    return f"{request.method} {urlparse(request.uri).path}"


@dataclass
class WooTraffic:
    """What printgate sent to the store in this test, captured live (above vcrpy) in record and
    replay mode alike, Authorization header included."""

    replaying: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Values that differ on every run (job ids the store echoes back): recorded as ``@@name@@`` and
    # put back on replay, so a cassette answers with this run's ids.
    placeholders: dict[str, str] = field(default_factory=dict)

    def to_cassette(self, data: bytes) -> bytes:
        for name, value in self.placeholders.items():
            data = data.replace(value.encode(), f"@@{name}@@".encode())
        return data

    def from_cassette(self, data: bytes) -> bytes:
        for name, value in self.placeholders.items():
            data = data.replace(f"@@{name}@@".encode(), value.encode())
        return data

    def capture(self, request: Any) -> None:
        if request.url.host == "testserver":
            return
        raw = request.content if hasattr(request, "_content") else b""
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = dict(parse_qsl(raw.decode(errors="replace")))
        self.requests.append({"method": request.method, "path": request.url.path,
                              "query": dict(parse_qsl(request.url.query.decode() if isinstance(request.url.query, bytes)
                                                      else str(request.url.query))),
                              "json": data, "raw": raw, "headers": {k.lower(): v for k, v in request.headers.items()}})

    def sent(self, method: str, path_end: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(path_end)]

    def operations(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests]


def _scrub_request(request: Any) -> Any:
    """Keep consumer keys and webhook secrets out of cassettes (the Basic header is filtered)."""
    if request.body and b'"secret"' in (request.body if isinstance(request.body, bytes) else request.body.encode()):
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        if isinstance(data, dict) and "secret" in data:
            data["secret"] = "<scrubbed>"
            request.body = json.dumps(data).encode()
    if "consumer_secret=" in request.uri:
        parsed = urlparse(request.uri)
        query = "&".join(f"{k}={v}" for k, v in parse_qsl(parsed.query)
                         if k not in ("consumer_key", "consumer_secret"))
        request.uri = parsed._replace(query=query).geturl()
    return request


@pytest.fixture(name="woo_traffic")
def woo_traffic_fixture(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[WooTraffic]:
    """vcrpy cassette per test (``tests/connectors/cassettes/woocommerce/<test>.yaml``).

    ``PRINTGATE_VCR_RECORD=all`` re-records against the fake; the default ``once`` replays an
    existing cassette (the fake is then not reached, so tests assert on ``woo_traffic``).
    """
    import httpx
    import vcr

    name = request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
    mode, replaying = cassettes.open_cassette(CASSETTES / f"{name}.yaml")
    recorder = WooTraffic(replaying=replaying)
    original = httpx.Client.send

    def send(self: httpx.Client, req: httpx.Request | None = None, **kwargs: Any) -> httpx.Response:
        if req is None:  # ``Client.stream`` (printgate's signed-call transport) passes it by keyword
            req = kwargs.pop("request")
        if kwargs.get("auth") is not None or self.auth is not None:
            auth = kwargs.get("auth") or self.auth
            if isinstance(auth, httpx.BasicAuth):
                req.headers["Authorization"] = auth._auth_header
        recorder.capture(req)
        response = original(self, req, **kwargs)
        if recorder.replaying and recorder.placeholders and req.url.host != "testserver":
            content = recorder.from_cassette(response.read())
            headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
            response = httpx.Response(response.status_code, headers=headers, content=content, request=req)
        return response

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response.get("body") or {}
        if isinstance(body.get("string"), bytes) and recorder.placeholders:
            body["string"] = recorder.to_cassette(body["string"])
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    cassettes.require_clock()
    my_vcr = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode=mode,
                     match_on=cassettes.MATCH_ON, ignore_hosts=["testserver"],
                     filter_headers=["authorization"], before_record_request=_scrub_request,
                     before_record_response=before_record_response,
                     decode_compressed_response=True)
    cassettes.register(my_vcr)
    with my_vcr.use_cassette(f"{name}.yaml"), cassettes.Shadow(recorder.replaying).around():
        yield recorder


# --- signing --------------------------------------------------------------------------------------

def wc_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def wc_headers(topic: str, body: bytes, secret: str, *, source: str, webhook_id: int = 11,
               signature: str | None = None, signed: bool = True) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    headers = {"Content-Type": "application/json", "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
               "X-WC-Webhook-Source": source.rstrip("/") + "/", "X-WC-Webhook-Topic": topic,
               "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
               "X-WC-Webhook-ID": str(webhook_id), "X-WC-Webhook-Delivery-ID": secrets.token_hex(16)}
    if signed:
        headers["X-WC-Webhook-Signature"] = signature if signature is not None else wc_signature(secret, body)
    return headers


def order_with_jobs(job_ids: dict[int, str], *, order_id: int = 727, name: str = "order_727.json",
                    key: str = "_printgate_job_id", status: str | None = None) -> dict[str, Any]:
    """The documented order 727 with ``key`` meta on the given line items (``{line_id: job_id}``)."""
    order = fixture_order(name)
    order["id"] = order_id
    order["number"] = str(order_id)
    if status:
        order["status"] = status
    for line in order["line_items"]:
        if line["id"] in job_ids:
            line["meta_data"].append({"id": 9000 + line["id"], "key": key, "value": job_ids[line["id"]]})
    return order


# --- printgate-side helpers --------------------------------------------------------------------------

def connect_store(client: Any, woo: FakeWooCommerce, auth: dict[str, str]) -> dict[str, Any]:
    """The merchant pastes REST keys into printgate: ``POST /woocommerce/stores``."""
    key, secret = woo.issue_keys()
    response = client.post("/woocommerce/stores", headers=auth,
                           json={"storeUrl": woo.base, "consumerKey": key, "consumerSecret": secret})
    assert response.status_code == 201, response.text
    data = dict(response.json())
    data["keys"] = (key, secret)
    return data


def webhook_secret(store_id: str) -> str:
    from sqlmodel import Session

    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.woocommerce import store
    from printgate.core.db import get_engine

    with Session(get_engine()) as session:
        connection = session.get(StoreConnection, store_id)
        assert connection is not None
        return store.webhook_secrets(connection)[0]


def post_order_webhook(client: Any, store: dict[str, Any], order: dict[str, Any], *, topic: str = "order.updated",
                       secret: str | None = None, **kwargs: Any) -> Any:
    body = json.dumps(order).encode()
    headers = wc_headers(topic, body, secret or webhook_secret(store["id"]), source=store["shop"], **kwargs)
    return client.post(f"/webhooks/woocommerce/{store['id']}", content=body, headers=headers)
