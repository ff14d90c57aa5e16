"""Dependency aliases so route signatures read like prose: ``session: SessionDep, caller: SecretKey``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlmodel import Session

from printgate.core.api import ratelimit
from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.errors import BadRequest, Forbidden, PayloadTooLarge, Unauthorized
from printgate.core.jobs.dialect import DIALECTS, HEADER, check_dialect
from printgate.core.keys import Principal, authenticate


async def get_session() -> AsyncIterator[Session]:
    """Async so FastAPI does not hop threads for it: creating a Session does no I/O."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("key") if request.url.path.startswith("/element/") else None


# Principals are cached briefly: the key lookup is the hot path of every request (and the auth
# dependencies run on the event loop, so a miss costs one short indexed query there). Revocation
# takes effect within this many seconds.
_PRINCIPAL_TTL_S = 5.0
_principal_cache: dict[str, tuple[float, Principal]] = {}


def cached_principal(raw: str) -> Principal | None:
    """The key's principal if it was authenticated within the last few seconds (and not forgotten
    since, as a revocation in this process does), else None: the caller authenticates it."""
    cached = _principal_cache.get(raw)
    if cached and time.monotonic() - cached[0] < _PRINCIPAL_TTL_S:
        return cached[1]
    return None


def _principal(request: Request, session: Session) -> Principal:
    raw = _bearer(request)
    if not raw:
        raise Unauthorized("Missing API key: send Authorization: Bearer sk_...")
    principal = cached_principal(raw)
    if principal is None:
        principal = authenticate(session, raw)
        _principal_cache[raw] = (time.monotonic(), principal)
    ratelimit.hit_for_key(request, principal.key_id, publishable=not principal.is_secret)
    request.state.principal = principal
    return principal


def forget_principals() -> None:
    _principal_cache.clear()


async def secret_key(request: Request, session: SessionDep) -> Principal:
    principal = _principal(request, session)
    if not principal.is_secret:
        raise Forbidden("This endpoint needs a secret key (sk_...); publishable keys are for the browser widget")
    return principal


async def any_key(request: Request, session: SessionDep) -> Principal:
    return _principal(request, session)


SecretKey = Annotated[Principal, Depends(secret_key)]
AnyKey = Annotated[Principal, Depends(any_key)]


async def status_dialect(caller: SecretKey, header: Annotated[str | None, Header(
        alias=HEADER, description="Job status words in this answer: `lifecycle` (idle … rejected) or `filecheck` "
                                  "(pending running done skipped error + outcome); default: the API key's")] = None,
                         ) -> str:
    """The status dialect jobs are shaped in for this request: the header's, else the key's."""
    if header is None:
        return caller.status_dialect
    try:
        return check_dialect(header.strip().lower())
    except ValueError as exc:
        raise BadRequest(f"{HEADER} must be one of {', '.join(DIALECTS)}") from exc


StatusDialect = Annotated[str, Depends(status_dialect)]


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


async def capped_body(request: Request) -> bytes:
    """The request body, read with a running count: a body over the cap is refused (413) as soon as
    it is known to be, before it is all read (a chunked body has no Content-Length to check first)."""
    if hasattr(request, "_body"):
        return bytes(request._body)
    limit = get_settings().max_json_body_bytes
    too_large = PayloadTooLarge(f"The request body is larger than {limit} bytes; send files as a fileRef "
                                "(POST /uploads) instead of inline base64")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette's own cache: request.body() returns it from now on
    return request._body


def parse_json(raw: bytes) -> Any:
    """JSON or a 400 that says why: malformed, nested too deep, or a string that is not valid Unicode
    (a lone surrogate such as ``"\\ud800"`` parses, then fails wherever the text is stored)."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise BadRequest("Malformed JSON: nested too deep") from exc
    except ValueError as exc:
        raise BadRequest(f"Malformed JSON: {exc}") from exc
    # Raw UTF-8 cannot hold a surrogate (json.loads refuses it); only a \\uD800-\\uDFFF escape can, so
    # the re-encoding that finds a lone one runs only for bodies that have such an escape.
    if _SURROGATE_ESCAPE.search(raw):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadRequest("Malformed JSON: a string is not valid Unicode (a lone surrogate)") from exc
    return value


async def json_body(request: Request) -> Any:
    raw = await capped_body(request)
    if not raw:
        return None
    return parse_json(raw)


JsonBody = Annotated[Any, Depends(json_body)]
