"""Connector fixtures: a fake Shopify on loopback (and fake OpenCart and PrestaShop shops), app credentials, signed webhooks, cassettes.

Cassettes (vcrpy, one per test, ``tests/connectors/cassettes/<test>.yaml``) record printgate's calls
to the fake shop. ``PRINTGATE_VCR_RECORD`` picks the mode: ``once`` (default: replay when the
cassette exists, record when not) or ``all`` (re-record against the fake). On replay the fake is
not reached, so assertions read what printgate sent (``traffic``), which is captured live in both
modes; and every GraphQL document printgate sent is re-validated against the fake's schema checker,
so a malformed mutation fails in either mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

from tests import cassettes
from tests.fakes.opencart_store import FakeOpenCart, FakeServer
from tests.fakes.prestashop_store import FakePrestaShop
from tests.fakes.shopify_store import FakeShopify, FakeShopServer, validate

CLIENT_ID = "pgtest-client-id"
CLIENT_SECRET = "pgtest-client-secret"
OLD_SECRET = "pgtest-previous-secret"
SHOP = "pg-test.myshopify.com"
CASSETTES = Path(__file__).parent / "cassettes" / "shopify"
# Copies of shared/fixtures/shopify (Shopify's documented webhook bodies), kept with the tests.
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_order(name: str = "order.json") -> dict[str, Any]:
    """A documented ``orders/*`` webhook body, unwrapped from ``{"order": ...}``."""
    data = json.loads((FIXTURES / name).read_text())
    return dict(data.get("order", data))


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeShopServer]:
    server = FakeShopServer(FakeShopify(CLIENT_ID, CLIENT_SECRET)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oc_server() -> Iterator[FakeServer]:
    """The fake OpenCart shop (3 or 4: ``open_shop`` picks) for one test module's cassettes."""
    server = FakeServer(FakeOpenCart(3)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ps_server() -> Iterator[FakeServer]:
    """The fake PrestaShop shop for one test module's cassettes."""
    server = FakeServer(FakePrestaShop()).start()
    yield server
    server.stop()


@pytest.fixture
def fake_shop(fake_server: FakeShopServer) -> FakeShopify:
    fake_server.fake.reset()
    return fake_server.fake


@pytest.fixture
def shopify_env(instance: Any, fake_shop: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeShopify]:
    from printgate.connectors.shopify.config import reset_shopify_settings

    monkeypatch.setenv("PRINTGATE_SHOPIFY_API_KEY", CLIENT_ID)
    monkeypatch.setenv("PRINTGATE_SHOPIFY_API_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("PRINTGATE_SHOPIFY_API_SECRET_PREVIOUS", OLD_SECRET)
    monkeypatch.setenv("PRINTGATE_SHOPIFY_ADMIN_BASE", fake_shop.base + "/{shop}")
    reset_shopify_settings()
    yield fake_shop
    reset_shopify_settings()


# --- cassettes ------------------------------------------------------------------------------------

def _body_json(body: bytes | str | None) -> dict[str, Any]:
    if not body:
        return {}
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
        return data if isinstance(data, dict) else {}
    except ValueError:
        return dict(parse_qsl(text)) if "=" in text and "\n" not in text else {}


def _operation(request: Any) -> str:
    path = urlparse(request.uri).path
    if path.endswith("/graphql.json"):
        return "gql:" + str(_body_json(request.body).get("operationName"))
    if path.endswith("/oauth/access_token"):
        body = _body_json(request.body)
        return "token:" + str(body.get("grant_type") or ("code" if body.get("code") else "?"))
    return "other"


def _match_operation(r1: Any, r2: Any) -> None:
    if _operation(r1) != _operation(r2):
        raise AssertionError(f"{_operation(r1)} != {_operation(r2)}")


@dataclass
class Traffic:
    """What printgate sent to Shopify in this test (live, in record and replay mode alike)."""

    replaying: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    _last_body: Any = None

    def capture(self, request: Any) -> Any:
        body = request.body
        if body is not None and body is self._last_body:
            return request  # vcr shows each request several times (match, then record/play)
        self._last_body = body  # holding it keeps its identity unique
        self.requests.append({"method": request.method, "path": urlparse(request.uri).path,
                              "operation": _operation(request), "json": _body_json(request.body),
                              "headers": dict(request.headers), "size": len(body or b"")})
        return request

    # Values that appear in Shopify's answers but differ per run (jobIds in order data): recorded as
    # same-length placeholders, put back on replay.
    bound: list[tuple[str, str]] = field(default_factory=list)
    cassette: Any = None

    def bind(self, value: str) -> None:
        placeholder = f"job_pl{len(self.bound):02d}".ljust(len(value), "x")
        self.bound.append((placeholder, value))
        if self.replaying and self.cassette is not None:
            for _request, response in self.cassette.data:
                body = response["body"]["string"]
                if isinstance(body, bytes):
                    response["body"]["string"] = body.replace(placeholder.encode(), value.encode())
                else:
                    response["body"]["string"] = body.replace(placeholder, value)

    def scrub(self, response: dict[str, Any]) -> dict[str, Any]:
        body = response["body"]["string"]
        for placeholder, value in self.bound:
            if isinstance(body, bytes):
                body = body.replace(value.encode(), placeholder.encode())
            else:
                body = body.replace(value, placeholder)
        response["body"]["string"] = body
        return response

    def graphql(self, operation: str) -> list[dict[str, Any]]:
        return [r["json"].get("variables") or {} for r in self.requests if r["operation"] == f"gql:{operation}"]

    def operations(self) -> list[str]:
        return [r["operation"] for r in self.requests]


@pytest.fixture
def traffic(request: pytest.FixtureRequest) -> Iterator[Traffic]:
    import vcr

    name = request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
    mode, replaying = cassettes.open_cassette(CASSETTES / f"{name}.yaml")
    recorder = Traffic(replaying=replaying)
    cassettes.require_clock()
    my_vcr = vcr.VCR(
        cassette_library_dir=str(CASSETTES), record_mode=mode, match_on=[*cassettes.MATCH_ON, "operation"],
        ignore_hosts=["testserver"], filter_headers=["x-shopify-access-token"],
        before_record_request=recorder.capture, before_record_response=recorder.scrub,
        decode_compressed_response=True,
    )
    my_vcr.register_matcher("operation", _match_operation)
    cassettes.register(my_vcr)
    with my_vcr.use_cassette(f"{name}.yaml") as cassette, cassettes.Shadow(
            recorder.replaying, live_base=request.getfixturevalue("fake_server").url).around():
        recorder.cassette = cassette
        recorder.requests.clear()  # loading a cassette passes its stored requests through the hook
        recorder._last_body = None
        yield recorder
    for sent in recorder.requests:
        if sent["operation"].startswith("gql:"):
            validate(sent["json"]["query"], sent["json"].get("variables"), sent["json"].get("operationName"))


# --- signing ----------------------------------------------------------------------------------------

def webhook_headers(topic: str, body: bytes, *, secret: str = CLIENT_SECRET, shop: str = SHOP,
                    webhook_id: str | None = None, triggered_at: float | None = None,
                    prefixed: bool = True) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(triggered_at or time.time())) + ".000Z"
    values = {"Topic": topic, "Hmac-Sha256": digest, "Shop-Domain": shop, "API-Version": "2026-10",
              "Webhook-Id": webhook_id or str(uuid.uuid4()), "Event-Id": str(uuid.uuid4()), "Triggered-At": when}
    prefix = "X-Shopify-" if prefixed else "shopify-"
    return {"Content-Type": "application/json", **{prefix + k: v for k, v in values.items()}}


def install_query(params: dict[str, str], secret: str = CLIENT_SECRET) -> dict[str, str]:
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def connect_shop(client: Any, fake: FakeShopify, auth: dict[str, str], shop: str = SHOP) -> dict[str, Any]:
    """The merchant links the shop from printgate, approves on Shopify, Shopify calls back."""
    linked = client.post("/stores/shopify/link", json={"shop": shop}, headers=auth)
    assert linked.status_code == 201, linked.text
    state = dict(parse_qsl(urlparse(linked.json()["installUrl"]).query))["state"]
    params = install_query({"code": fake.issue_code(shop), "shop": shop, "state": state,
                            "timestamp": str(int(time.time())), "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvcGc"})
    response = client.get("/shopify/callback", params=params, follow_redirects=False)
    assert response.status_code == 302, response.text
    store = linked.json()["store"]
    current = client.get(f"/stores/{store['id']}", headers=auth).json()
    assert current["status"] == "connected"
    return dict(current)


def post_webhook(client: Any, topic: str, payload: dict[str, Any], **kwargs: Any) -> Any:
    body = json.dumps(payload).encode()
    return client.post("/webhooks/shopify", content=body, headers=webhook_headers(topic, body, **kwargs))


# --- jobs the way the widget makes them ------------------------------------------------------------

def artwork_pdf(path: Path, pages: int = 1) -> Path:
    """A small print file the default workflow accepts: vector shapes only (no unembedded fonts),
    A4 with 3 mm bleed and a trim box."""
    import pymupdf

    bleed = 3 / 25.4 * 72
    width, height = 595.28 + 2 * bleed, 841.89 + 2 * bleed
    doc = pymupdf.open()
    for index in range(pages):
        page = doc.new_page(width=width, height=height)
        page.draw_rect(page.rect, color=(0, 0, 0), fill=(0.1, 0.4, 0.7))
        page.draw_circle((width / 2, height / 2), 100 + 10 * index, color=(1, 1, 1), fill=(1, 0.8, 0))
        page.set_bleedbox(page.rect)
        page.set_trimbox(pymupdf.Rect(bleed, bleed, width - bleed, height - bleed))
    doc.save(path)
    doc.close()
    return path


@pytest.fixture
def artwork(tmp_path: Path) -> Path:
    return artwork_pdf(tmp_path / "artwork.pdf")


def widget_job(client: Any, account: str, pdf: Path, instance: Any, workflow_id: str = "wf_default") -> str:
    """Publishable key -> intake job -> presigned upload -> add file -> intake runs (drained)."""
    from tests.conftest import make_key

    pk = {"Authorization": f"Bearer {make_key(account, kind='publishable')}"}
    job = client.post("/element/jobs", json={"workflowId": workflow_id}, headers=pk)
    assert job.status_code == 201, job.text
    job_id = job.json()["jobId"]
    on_job = {**pk, "Printgate-Job-Token": job.json()["clientToken"]}  # as the widget sends it
    upload = client.post("/uploads", json={"mimeType": "application/pdf"}, headers=pk).json()
    form = upload["upload"]
    posted = client.post(form["url"].replace("http://testserver", ""), data=form["fields"],
                         files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")})
    assert posted.status_code == 204, posted.text
    added = client.post(f"/element/jobs/{job_id}/files", json={"fileRef": upload["fileRef"], "name": pdf.name},
                        headers=on_job)
    assert added.status_code == 201, added.text
    instance.drain()
    status = client.get(f"/element/jobs/{job_id}", headers=on_job).json()
    assert status["canProceed"] is True, json.dumps(status)[:3000]
    return str(job_id)


def paid_order(job_ids: list[str | None], *, order_id: int = 450789469, base: str = "order.json",
               customer_id: int = 207119551, email: str = "bob.norman@mail.example.com") -> dict[str, Any]:
    """The documented order, paid, its line items carrying ``_printgate_job_id`` properties."""
    order = fixture_order(base)
    order["id"] = order_id
    order["financial_status"] = "paid"
    order["email"] = email
    order["customer"] = {**(order.get("customer") or {}), "id": customer_id, "email": email}
    lines = order["line_items"]
    for index, job_id in enumerate(job_ids):
        if job_id is not None:
            lines[index]["properties"] = [*lines[index].get("properties", []),
                                          {"name": "_printgate_job_id", "value": job_id}]
    return order
