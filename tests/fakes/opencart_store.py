"""A local fake OpenCart shop (3 or 4) with printgate's extension installed, speaking the real wire.

- The extension's callback route (OC 3 ``extension/module/printgate/callback``, OC 4
  ``extension/printgate/module/printgate.callback``): the request is verified by the extension's
  own PHP (``connectors/store_php``: ``PrintgateSigner`` + ``PrintgateCallback``, run with php-cli),
  so a signature printgate makes is checked exactly as the shop checks it; then the module's
  answers: 503 not configured, 401 bad/stale signature, 400 not an event, 409 replayed
  ``webhook-id``, 404 order without printgate lines, 200 ``{"ok": true}`` (files stored per line, a
  history comment added).
- OpenCart's API: OC 3 ``api/login`` -> ``api_token`` (IP allowlist), ``api/order/info``,
  ``api/order/history``; OC 4 ``api/account/login``, then ``api/order&call=history_add`` (4.1) or
  ``api/sale/order.addHistory`` (4.0.2, where ``api/order`` is "page not found"). Answers and
  error shapes as in OpenCart's ``catalog/controller/api`` (3.0: ``{"error": {"key": ...}}``; 4:
  ``{"error": "..."}``).

Also here, shared with the PrestaShop fake and the tests: the thread server, the callback handler
(:class:`ModuleCallback`), the vcrpy cassette helper and the traffic recorder.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests import cassettes
from tests.clock import php_env
from tests.fakes.loopback import LoopbackServer
from tests.support import source_dir

REPO = Path(__file__).resolve().parents[2]
STORE_PHP = source_dir("connectors", "store_php")
CASSETTES = REPO / "tests" / "connectors" / "cassettes"

# Runs the extension's own callback verification: PrintgateCallback over a replay store holding
# the ids this shop has already seen. Input on stdin: {lib, secret, headers, body, now, seen}.
PHP_CALLBACK = r"""<?php
$in = json_decode(stream_get_contents(STDIN), true);
require $in['lib'] . '/autoload.php';
try {
    $signer = new PrintgateSigner($in['secret']);
} catch (PrintgateSignatureException $e) {
    echo json_encode(array('status' => 503, 'error' => 'module not configured'));
    exit(0);
}
$replay = new PrintgateMemoryReplayStore();
foreach ($in['seen'] as $id) {
    $replay->seen[$id] = 0;
}
$now = $in['now'];
$callback = new PrintgateCallback($signer, $replay, function () use ($now) { return $now; });
try {
    $event = $callback->handle($in['headers'], $in['body']);
    echo json_encode(array('status' => 200, 'event' => $event));
} catch (PrintgateCallbackException $e) {
    echo json_encode(array('status' => $e->status, 'error' => $e->getMessage()));
}
"""

PHP_SIGN_AND_BODY = r"""<?php
$in = json_decode(stream_get_contents(STDIN), true);
require $in['lib'] . '/autoload.php';
if ($in['platform'] === 'opencart') {
    $body = PrintgateOrderBody::opencart($in['order'], $in['products'], $in['status'], $in['jobs'], $in['storeUrl']);
} else {
    $body = PrintgateOrderBody::prestashop($in['order'], $in['details'], $in['customer'], $in['currency'], $in['status'], $in['jobs'], $in['storeUrl']);
}
$raw = json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
$signer = new PrintgateSigner($in['secret']);
$headers = $signer->headers($raw, isset($in['id']) ? $in['id'] : null, isset($in['timestamp']) ? $in['timestamp'] : null);
echo json_encode(array('body' => $raw, 'headers' => $headers));
"""


def _php_file(name: str, source: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"printgate-test-{os.getpid()}-{name}.php"
    if not path.exists():
        path.write_text(source)
        atexit.register(path.unlink, missing_ok=True)
    return path


def php(source_name: str, source: str, payload: dict[str, Any]) -> Any:
    binary = shutil.which("php")
    assert binary, "php-cli is required (scripts/apt-packages.txt installs it)"
    proc = subprocess.run([binary, "-d", "display_errors=stderr", str(_php_file(source_name, source))],
                          input=json.dumps({"lib": str(STORE_PHP), **payload}), capture_output=True, text=True,
                          timeout=30, check=False, env=php_env())
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def php_verify_callback(secret: str | None, headers: dict[str, str], body: str, *, seen: list[str] | None = None,
                        now: int | None = None) -> dict[str, Any]:
    """What the module's PHP answers to one callback: ``{status, event | error}``."""
    result: dict[str, Any] = php("callback", PHP_CALLBACK, {
        "secret": secret or "", "headers": headers, "body": body, "seen": seen or [],
        "now": int(time.time()) if now is None else now})
    return result


def php_signed_order(platform: str, secret: str, **fields: Any) -> tuple[bytes, dict[str, str]]:
    """The module's order body (``PrintgateOrderBody``) and its headers (``PrintgateSigner``), in PHP."""
    out = php("order", PHP_SIGN_AND_BODY, {"platform": platform, "secret": secret, **fields})
    return out["body"].encode(), dict(out["headers"])


# --- the module's callback, shared by both fakes -----------------------------------------------------

@dataclass
class ModuleCallback:
    """The module's callback controller: verify in PHP, then record files per order line."""

    webhook_secret: str | None = None
    # order id -> {line id -> job id}: the module's printgate_order_job rows
    order_jobs: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted events
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every request with its answer
    files: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (order, line) -> job
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before verifying

    def handle(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        body = raw.decode("utf-8", "replace")
        if self.fail_next:
            status = self.fail_next.pop(0)
            self.attempts.append({"status": status, "headers": headers, "body": body, "forced": True})
            return status, {"error": "forced failure"}
        verdict = php_verify_callback(self.webhook_secret, headers, body, seen=self.seen)
        status = verdict["status"]
        answer: dict[str, Any] = {"error": verdict.get("error")}
        if status == 200:
            event = verdict["event"]
            self.seen.append(event["messageId"])
            if event["type"] not in ("order.files_ready", "job.completed"):
                answer = {"ignored": event["type"]}
            elif not self.order_jobs.get(event["orderId"]):  # no printgate line on it
                status, answer = 404, {"error": "unknown order"}
            else:
                lines = self.order_jobs[event["orderId"]]
                names = []
                for job in event["jobs"]:
                    for line_id, job_id in lines.items():
                        if job_id == job["jobId"]:
                            self.files[(event["orderId"], line_id)] = job
                            names.extend(run["name"] for run in job["runs"])
                self.received.append({**event, "names": names})
                self.on_files(event["orderId"], names)
                answer = {"ok": True}
        self.attempts.append({"status": status, "headers": headers, "body": body})
        return status, answer

    def on_files(self, order_id: str, names: list[str]) -> None:
        """The platform's note on the order (a history comment, a private message)."""


# --- OpenCart -------------------------------------------------------------------------------------------

OC_ROUTES = {3: "extension/module/printgate/callback", 4: "extension/printgate/module/printgate.callback"}
OC_TEXT = {
    "login": "Success: API session successfully started!",
    "error_key": "Warning: Incorrect API Key!",
    "error_ip": "Warning: Your IP %s is not allowed to access this API!",
    "error_permission": "Warning: You do not have permission to access the API!",
    "success": "Success: You have modified orders!",
    "error_order": "Warning: Order could not be found!",
}


class FakeOpenCart(ModuleCallback):
    def __init__(self, version: int = 3, release: tuple[int, ...] = (4, 1)) -> None:
        super().__init__()
        self.version = version
        self.release = release if version == 4 else (3, 0)
        self.base = ""
        self.api_users: dict[str, str] = {}
        self.allowed_ips: set[str] = {"127.0.0.1"}
        self.sessions: dict[str, str] = {}
        self.sessions_opened = 0  # session tokens are numbered: a replayed test gets the recorded ones
        # order id -> {order_status_id, history: [{order_status_id, comment, notify}]}
        self.orders: dict[str, dict[str, Any]] = {}
        self.api_calls: list[dict[str, Any]] = []
        self.app = self._build()

    def reset(self, version: int = 3, release: tuple[int, ...] = (4, 1)) -> None:
        self.__init__(version, release)  # type: ignore[misc]

    def add_order(self, order_id: str, jobs: dict[str, str], status_id: int = 2) -> None:
        self.orders[order_id] = {"order_status_id": status_id, "history": []}
        self.order_jobs[order_id] = dict(jobs)

    def on_files(self, order_id: str, names: list[str]) -> None:
        order = self.orders.setdefault(order_id, {"order_status_id": 0, "history": []})
        order["history"].append({"order_status_id": order["order_status_id"], "notify": 0, "via": "module",
                                 "comment": f"printgate: print-ready files are available ({', '.join(names)})."})

    # -- OpenCart's API --

    def _login(self, form: dict[str, str], ip: str) -> dict[str, Any]:
        username, key = form.get("username", ""), form.get("key", "")
        ok = bool(username) and self.api_users.get(username) == key
        if self.version == 3:
            if not ok:
                return {"error": {"key": OC_TEXT["error_key"]}}
            if ip not in self.allowed_ips:
                return {"error": {"ip": OC_TEXT["error_ip"] % ip}}
        else:
            if not ok:
                return {"error": OC_TEXT["error_key"]}
            if ip not in self.allowed_ips:
                return {"error": OC_TEXT["error_ip"] % ip}
        self.sessions_opened += 1
        token = f"{self.sessions_opened:026x}"
        self.sessions[token] = username
        return {"success": OC_TEXT["login"], "api_token": token}

    def _history(self, order_id: str, form: dict[str, str]) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            return {"error": OC_TEXT["error_order"]}
        status_id = int(form.get("order_status_id") or 0)
        order["history"].append({"order_status_id": status_id, "comment": form.get("comment", ""),
                                 "notify": int(form.get("notify") or 0), "via": "api"})
        order["order_status_id"] = status_id  # addOrderHistory sets the order's status
        return {"success": OC_TEXT["success"]}

    def api(self, route: str, query: dict[str, str], form: dict[str, str], ip: str) -> dict[str, Any] | None:
        self.api_calls.append({"route": route, "query": query, "form": form})
        if route == ("api/login" if self.version == 3 else "api/account/login"):
            return self._login(form, ip)
        if query.get("api_token") not in self.sessions:
            return {"error": OC_TEXT["error_permission"]}
        if self.version == 3 and route == "api/order/info":
            order = self.orders.get(query.get("order_id", ""))
            if order is None:
                return {"error": OC_TEXT["error_order"]}
            return {"order": {"order_id": query["order_id"], "order_status_id": str(order["order_status_id"])},
                    "success": OC_TEXT["success"]}
        if self.version == 3 and route == "api/order/history":
            return self._history(query.get("order_id", ""), form)
        if self.version == 4 and self.release >= (4, 1) and route == "api/order":
            if query.get("call") != "history_add":
                return {"error": "Warning: Call could not be found!"}
            return self._history(form.get("order_id", ""), form)
        if self.version == 4 and self.release < (4, 1) and route == "api/sale/order.addHistory":
            return self._history(form.get("order_id", ""), form)
        return None  # no such controller: OpenCart's "page not found"

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/index.php", methods=["GET", "POST"])
        async def index(request: Request) -> Response:
            query = dict(request.query_params)
            route = query.get("route", "")
            raw = await request.body()
            if route == OC_ROUTES[self.version]:
                if request.method != "POST":
                    return JSONResponse({"error": "POST only"}, status_code=405)
                status, answer = self.handle(dict(request.headers), raw)
                return JSONResponse(answer, status_code=status)
            if route.startswith("api/"):
                form = dict(parse_qsl(raw.decode())) if raw else {}
                ip = request.client.host if request.client else ""
                answer = self.api(route, query, form, ip)
                if answer is not None:
                    return JSONResponse(answer)
            return Response("<h1>The page you requested cannot be found!</h1>", status_code=404,
                            media_type="text/html")

        return app


class FakeServer(LoopbackServer):
    """Runs a fake's ASGI app on a loopback port in a thread (the app is looked up per request)."""

    def __init__(self, fake: Any) -> None:
        super().__init__(lambda scope, receive, send: fake.app(scope, receive, send), "fake shop")
        self.fake = fake
        self.base = self.url + "/"


# --- what printgate sent, and cassettes ---------------------------------------------------------------

@dataclass
class Sent:
    method: str
    url: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Traffic:
    """Every request printgate made to a shop in this test, recorded live (record and replay alike)."""

    replaying: bool = False
    requests: list[Sent] = field(default_factory=list)

    def to(self, **query: str) -> list[Sent]:
        return [r for r in self.requests if all(r.query.get(k) == v for k, v in query.items())]

    def paths(self, path: str, method: str | None = None) -> list[Sent]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]


def operation(uri: str) -> str:
    """What a request does, stable across runs: path plus the routing parameters (no tokens, dates)."""
    parts = urlparse(uri)
    query = dict(parse_qsl(parts.query))
    keys = ("route", "call", "fc", "module", "controller", "display", "filter[id_order]")
    return parts.path + "?" + "&".join(f"{k}={query[k]}" for k in keys if k in query)


@contextmanager
def store_cassette(name: str) -> Iterator[Traffic]:
    """vcrpy cassette ``tests/connectors/cassettes/<name>.yaml`` (``PRINTGATE_VCR_RECORD``: ``once``
    replays when it exists, ``all`` re-records against the fake) plus a live :class:`Traffic`."""
    import httpx
    import vcr

    mode, replaying = cassettes.open_cassette(CASSETTES / f"{name}.yaml")
    traffic = Traffic(replaying=replaying)
    original_send = httpx.Client._send_single_request  # after auth: what goes on the wire

    def send(self: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
        if request.url.host != "testserver":
            content = request.read()
            traffic.requests.append(Sent(request.method, str(request.url), request.url.path,
                                         dict(parse_qsl(request.url.query.decode())), dict(request.headers),
                                         content))
        return original_send(self, request, *args, **kwargs)

    cassettes.require_clock()
    my_vcr = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode=mode,
                     match_on=[*cassettes.MATCH_ON, "operation"], ignore_hosts=["testserver"],
                     filter_headers=["authorization"], filter_post_data_parameters=["key"],
                     decode_compressed_response=True)
    my_vcr.register_matcher("operation", lambda r1, r2: _same(operation(r1.uri), operation(r2.uri)))
    cassettes.register(my_vcr)
    httpx.Client._send_single_request = send  # type: ignore[method-assign]
    try:
        with my_vcr.use_cassette(f"{name}.yaml"), cassettes.Shadow(traffic.replaying).around():
            yield traffic
    finally:
        httpx.Client._send_single_request = original_send  # type: ignore[method-assign]


def _same(a: str, b: str) -> None:
    if a != b:
        raise AssertionError(f"{a} != {b}")


# --- the merchant's side ------------------------------------------------------------------------------

def register_store(client: Any, auth: dict[str, str], platform: str, store_url: str, **extra: Any) -> dict[str, Any]:
    """``POST /store-modules/stores``: the store and its webhook secret (shown this once)."""
    created = client.post("/store-modules/stores", json={"platform": platform, "storeUrl": store_url, **extra},
                          headers=auth)
    assert created.status_code == 201, created.text
    data: dict[str, Any] = created.json()
    assert data["webhookSecret"].startswith("whsec_")
    return data


def post_order(client: Any, auth: dict[str, str], order_id: str, body: bytes, headers: dict[str, str]) -> Any:
    """The module's ``POST /orders/{orderId}``: Bearer sk, Standard Webhooks headers, the exact bytes."""
    return client.post(f"/orders/{order_id}", content=body,
                       headers={**auth, **headers, "content-type": "application/json"})
