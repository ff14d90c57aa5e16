"""``GET /jobs/{id}`` of an unchanged job, answered before FastAPI's routing and dependencies.

A client polls its job many times while nothing changes; each answer is the cached body
(``bodycache``) behind one indexed lookup. FastAPI's middleware, routing and dependency layers cost
several times that lookup, so this ASGI layer answers a poll outright when everything it needs is
already known: a secret key authenticated in the last seconds (``deps.cached_principal``), the
job's account and stamp from the database, and the body cached for that stamp. It counts the call
against the key's rate limit as the route does. Anything else (an unknown or publishable key, an
``Origin`` header, another query, a job not found, a changed job, a dialect header it cannot read)
goes on to the route, which stays the contract, fills the cache and gives every error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from printgate.core.api import ratelimit
from printgate.core.api.bodycache import job_bodies
from printgate.core.api.deps import cached_principal
from printgate.core.api.routes.jobs import JOB_STAMP_SQL
from printgate.core.db import get_engine
from printgate.core.errors import RateLimited
from printgate.core.jobs.dialect import HEADER, check_dialect
from printgate.core.storage import url_bucket

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PREFIX = "/jobs/"
_EXPANDS = {b"": "", b"expand=": "", b"expand=runs": "runs"}
_DIALECT_HEADER = HEADER.lower().encode()


class JobReadFastPath:
    """ASGI middleware: a poll of an unchanged job from a recently seen secret key."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(PREFIX):
            answer = cached_answer(scope)
            if answer is not None:
                status, body, extra = answer
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                           *extra]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def cached_answer(scope: Scope) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
    """(status, body, extra headers) for a poll this layer can answer, else None (the route's turn)."""
    job_id = scope["path"][len(PREFIX):]
    expand = _EXPANDS.get(scope.get("query_string", b""))
    if not job_id or "/" in job_id or expand is None or scope.get("root_path"):
        return None
    authorization = dialect_header = None
    for name, value in scope["headers"]:  # the first of repeated headers, as Starlette's mapping
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == _DIALECT_HEADER and dialect_header is None:
            dialect_header = value
        elif name == b"origin":
            return None  # a browser: the CORS layer answers it
    if authorization is None or authorization[:7].lower() != b"bearer ":
        return None
    principal = cached_principal(authorization[7:].decode("latin-1").strip())
    if principal is None or not principal.is_secret:
        return None
    dialect = principal.status_dialect
    if dialect_header is not None:
        try:
            dialect = check_dialect(dialect_header.decode("latin-1").strip().lower())
        except ValueError:
            return None
    with get_engine().connect() as conn:
        row = conn.execute(JOB_STAMP_SQL, {"id": job_id}).first()
    if row is None or row[0] != principal.account_id or row[2] is not None:
        return None
    body = job_bodies.get((job_id, expand, dialect), (str(row[1]), url_bucket()))
    if body is None:
        return None
    try:
        ratelimit.limiter.hit("api", principal.key_id)  # as the route counts a secret key's call
    except RateLimited as exc:
        from printgate.core.api.app import error_response

        limited = error_response(429, exc.message, {"Retry-After": str(exc.retry_after)})
        return 429, bytes(limited.body), [(b"retry-after", str(exc.retry_after).encode())]
    return 200, body, []


__all__ = ["JobReadFastPath", "cached_answer"]
