"""What a replayed store call must match, for every cassette family (Shopify, WooCommerce, OpenCart,
PrestaShop).

A cassette answers a request only when the request means the same as the recorded one: same method,
host and path, same query parameters and the same body (JSON, form or text), GraphQL variables
included. Only what differs on every run is left out of the comparison: printgate's ids, times,
signatures and tokens, loopback ports, and the secrets that are scrubbed before recording. So a change
that makes printgate send another order id, page, status or note fails the replay instead of being
answered with the recorded reply.

Every family also replays on the cassettes' fixed clock (``tests/clock.py``): :func:`require_clock`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlparse

from tests import clock

if TYPE_CHECKING:
    import httpx

# Values that differ between two runs of the same test, in the order they are replaced.
_VOLATILE: list[tuple[re.Pattern[str], str]] = [
    # printgate's ids (``job_01jf8n...``: a 26-character ULID) and the cassettes' same-length placeholders
    (re.compile(r"\b([a-z]+)_[0-9a-z]{26}\b"), r"\1_<id>"),
    (re.compile(r"\bjob_pl\d\dx*\b"), "job_<id>"),
    (re.compile(r"@@([a-z]+)@@"), r"\1_<id>"),
    # times: ISO 8601 and SQL datetimes, RFC 1123 dates, epoch seconds/milliseconds
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b1[6-9]\d{8}(\d{3})?\b"), "<epoch>"),
    # loopback ports of the fakes and of the test server
    (re.compile(r"\b(127\.0\.0\.1|localhost):\d+"), r"\1:<port>"),
    # signatures, tokens and random hex or base64 strings
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b(sig|signature|token|hmac|nonce|state|expires|exp)=[^&\s\"'\\]+"), r"\1=<v>"),
    (re.compile(r"\b[0-9a-f]{24,}\b"), "<hex>"),
    (re.compile(r"(<token><!\[CDATA\[)[^\]]*"), r"\1<v>"),  # a PrestaShop customer thread's random token
    (re.compile(r"(?<![A-Za-z0-9_])[A-Za-z0-9_\-]{32,}={0,2}"), "<token>"),
]
# Parameters that carry credentials (scrubbed from cassettes, so never compared). ``key`` is one only in a
# query (PrestaShop's and OpenCart's API key); in a form it can be a staged upload's object key.
SECRET_PARAMS = frozenset({"consumer_key", "consumer_secret", "ws_key", "api_token", "user_token", "token",
                           "access_token", "client_secret"})
SECRET_QUERY_PARAMS = SECRET_PARAMS | {"key"}
# Fields whose value is a property of a file made in this run (a PDF's size changes with its timestamps).
RUN_FILE_FIELDS = frozenset({"fileSize"})


def stable(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _stable_value(value: Any) -> Any:
    if isinstance(value, str):
        return stable(value)
    if isinstance(value, dict):
        return {k: "<this run>" if k in RUN_FILE_FIELDS else _stable_value(v)
                for k, v in value.items() if k not in SECRET_PARAMS}
    if isinstance(value, list):
        return [_stable_value(v) for v in value]
    return value


def stable_query(uri: str) -> list[tuple[str, str]]:
    return sorted((k, stable(v)) for k, v in parse_qsl(urlparse(uri).query, keep_blank_values=True)
                  if k not in SECRET_QUERY_PARAMS)


_PART_NAME = re.compile(r'Content-Disposition: form-data; name="([^"]*)"(?:; filename="([^"]*)")?')


def _multipart(text: str) -> dict[str, str] | None:
    """Form fields of a multipart body; a file part by its file name (its bytes are a PDF made this run)."""
    boundary = text.split("\r\n", 1)[0]
    if not boundary.startswith("--") or "Content-Disposition: form-data" not in text:
        return None
    fields: dict[str, str] = {}
    for part in text.split(boundary)[1:]:
        head, _, value = part.partition("\r\n\r\n")
        named = _PART_NAME.search(head)
        if named:
            fields[named.group(1)] = (f"<file {named.group(2)}>" if named.group(2) is not None
                                      else stable(value.removesuffix("\r\n")))
    return fields


def stable_body(body: bytes | str | None) -> Any:
    """The body's meaning: parsed JSON or form fields with volatile values replaced, else its text."""
    if not body:
        return None
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    form = _multipart(text)
    if form is not None:
        return _stable_value(form)
    try:
        return _stable_value(json.loads(text))
    except ValueError:
        pass
    if "=" in text and "\n" not in text and " " not in text:
        return _stable_value(dict(parse_qsl(text, keep_blank_values=True)))
    return stable(text)


def _differ(what: str, recorded: Any, live: Any) -> None:
    if recorded != live:
        raise AssertionError(f"{what} differs from the cassette: {live!r} != {recorded!r} "
                             "(if the change is meant, re-record: PRINTGATE_VCR_RECORD=all)")


def match_query(r1: Any, r2: Any) -> None:
    _differ("query", stable_query(r2.uri), stable_query(r1.uri))


def match_body(r1: Any, r2: Any) -> None:
    _differ("body", stable_body(r2.body), stable_body(r1.body))


MATCH_ON = ["method", "host", "path", "stable_query", "stable_body"]


def register(my_vcr: Any) -> Any:
    """Add the matchers of :data:`MATCH_ON` to a ``vcr.VCR``."""
    my_vcr.register_matcher("stable_query", match_query)
    my_vcr.register_matcher("stable_body", match_body)
    return my_vcr


def open_cassette(path: Path) -> tuple[str, bool]:
    """The vcrpy record mode for ``path`` (``PRINTGATE_VCR_RECORD``: ``once`` replays an existing
    cassette, ``all`` records it again) and whether it replays. Recording again starts from an empty
    file: vcrpy's ``all`` keeps the old interactions, and a replay would answer with those first."""
    mode = os.environ.get("PRINTGATE_VCR_RECORD", "once")
    if mode == "all":
        path.unlink(missing_ok=True)
    return mode, mode != "all" and path.exists()


@dataclass
class Shadow:
    """On replay, each store call also reaches the live fake store, and its answer must equal the
    cassette's (status and body, volatile values aside). The fake's state then follows the test's own
    setup (``woo.add_order(...)`` has its effect on replay too), and a cassette that no longer says
    what the fake would answer for this setup fails the test instead of answering for it."""

    replaying: bool
    # The live fake's base URL, for URLs printgate took from a recorded answer (they name the port the
    # fake had when the cassette was recorded).
    live_base: str | None = None
    ignore_hosts: tuple[str, ...] = ("testserver",)
    mismatches: list[str] = field(default_factory=list)
    calls: int = 0

    def compare(self, request: httpx.Request, recorded: httpx.Response, live: httpx.Response) -> None:
        self.calls += 1
        what = f"{request.method} {request.url.path}"
        if recorded.status_code != live.status_code:
            self.mismatches.append(f"{what}: the cassette answers {recorded.status_code}, the fake {live.status_code}")
            return
        old, new = stable_body(recorded.content), stable_body(live.content)
        if old != new:
            self.mismatches.append(f"{what}: the cassette answers {old!r}, the fake {new!r}")

    def to_live(self, request: httpx.Request) -> httpx.Request:
        import httpx

        if not self.live_base:
            return request
        live = httpx.URL(self.live_base)
        if request.url.host != live.host or request.url.port == live.port:
            return request
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        return httpx.Request(request.method, request.url.copy_with(port=live.port), headers=headers,
                             content=request.content)

    @contextmanager
    def around(self) -> Iterator[Shadow]:
        """Enter inside ``use_cassette``: wraps vcrpy's transport patch, calls the real one too."""
        import httpx

        replayed = httpx.HTTPTransport.handle_request  # vcrpy's patch
        real = _REAL_HANDLE_REQUEST
        shadow = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            if not shadow.replaying or request.url.host in shadow.ignore_hosts:
                return replayed(transport, request)
            request.read()  # buffered: it is sent twice
            response = replayed(transport, request)
            response.read()
            live = real(transport, shadow.to_live(request))
            live.read()
            shadow.compare(request, response, live)
            # Handed on unread (the caller may stream it): same status, headers and (decoded) body.
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
            return httpx.Response(response.status_code, headers=headers, stream=httpx.ByteStream(response.content),
                                  request=request, extensions=response.extensions)

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
        try:
            yield self
        finally:
            httpx.HTTPTransport.handle_request = replayed  # type: ignore[method-assign]
        assert not self.mismatches, ("the cassette no longer matches the fake store for this test's setup "
                                     "(re-record: PRINTGATE_VCR_RECORD=all):\n" + "\n".join(self.mismatches))


def _real_handle_request() -> Any:
    import httpx

    return httpx.HTTPTransport.handle_request


_REAL_HANDLE_REQUEST = _real_handle_request()  # taken before any cassette patches it


def require_clock() -> None:
    """A cassette replays only on the clock it was recorded on (``@pytest.mark.cassette``)."""
    assert clock.on_cassette_clock(), (
        "this test opens a cassette without the cassettes' fixed clock: mark it @pytest.mark.cassette")
