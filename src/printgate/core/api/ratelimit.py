"""The API's one rate limiter, shared by every API process through Redis.

Buckets (limits in ``printgate.core.config.Settings``, per minute, with a minute's worth of burst):

- ``api``: authenticated calls, per secret key (``rate_limit_per_minute``);
- ``widget``: calls with a publishable key (the browser widget's ``/element/*``, its live stream, and
  whatever else a pk_ key may call), per key *and* client address: the key is public, so one
  abuser must not spend a shop's whole allowance (``rate_limit_widget_per_minute``);
- ``signin``: dashboard sign-in attempts, per client address (``rate_limit_signin_per_minute``);
- ``upload``: presigned form uploads, per client address (``rate_limit_uploads_per_minute``).

Unauthenticated paths are limited by ``RateLimitMiddleware`` from the rules registered with
``limit_path`` (core registers its upload target; the composition root the dashboard's sign-in).

The algorithm is GCRA (a token bucket stored as one timestamp per caller), run as a Lua script on
Redis's own clock, so two API processes, or two machines, count against the same allowance. A
refused call is a 429 with ``Retry-After``. If Redis cannot be reached, each process falls back to a
bucket of its own (logged), rather than refusing every call or none.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request

from printgate.core.config import get_settings
from printgate.core.errors import RateLimited

log = logging.getLogger("printgate.ratelimit")

BUCKETS = ("api", "widget", "signin", "upload")

# KEYS[1]: the caller's key. ARGV: emission interval (µs per call), tolerance (µs of burst), calls
# wanted. Returns {calls granted, µs to wait}: at least one call granted, at most those wanted, or
# none and the wait until one would be.
_GCRA = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3] or '1')
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local room = math.floor((now + tolerance - tat) / interval)
if room < 1 then return {0, tat + interval - now - tolerance} end
local granted = math.min(room, wanted)
local new_tat = tat + granted * interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {granted, 0}
"""

# A process takes calls from Redis in batches of a tenth of a second's worth at the full rate (at
# most LEASE_MAX_CALLS), and spends them within LEASE_S: the hot path of a busy key asks Redis once
# per batch, not once per call. A limit under 1,200 a minute is counted call by call.
LEASE_CALLS_PER_MINUTE = 600
LEASE_MAX_CALLS = 50
LEASE_S = 1.0


def limit_for(bucket: str) -> int:
    """The bucket's allowance per minute (0: unlimited)."""
    settings = get_settings()
    return {
        "api": settings.rate_limit_per_minute,
        "widget": settings.rate_limit_widget_per_minute,
        "signin": settings.rate_limit_signin_per_minute,
        "upload": settings.rate_limit_uploads_per_minute,
    }[bucket]


class _LocalBuckets:
    """This process's own token buckets: the fallback while Redis is unreachable."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> float:
        rate = per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[key] = (tokens - 1, now)
            return 0.0


class Limiter:
    def __init__(self) -> None:
        self._local = _LocalBuckets()
        self._script: Any = None
        self._script_client: Any = None
        self._warned_at = 0.0
        self._leases: dict[str, tuple[int, float]] = {}  # key -> (calls left, monotonic time taken)
        self._lease_lock = threading.Lock()

    def _redis_take(self, key: str, per_minute: int, wanted: int) -> tuple[int, float]:
        """(calls granted, seconds to wait when none was) from the shared bucket."""
        from printgate.core.queue import get_redis

        client = get_redis()
        if self._script is None or self._script_client is not client:
            self._script = client.register_script(_GCRA)
            self._script_client = client
        interval = max(1, 60_000_000 // per_minute)  # µs; a limit over 60 million a minute counts as that
        granted, wait_us = self._script(keys=[key], args=[interval, interval * per_minute, wanted])
        return int(granted), int(wait_us) / 1_000_000

    def _from_lease(self, key: str) -> bool:
        with self._lease_lock:
            left, taken = self._leases.get(key, (0, 0.0))
            if left > 0 and time.monotonic() - taken < LEASE_S:
                self._leases[key] = (left - 1, taken)
                return True
            return False

    def hit(self, bucket: str, identity: str) -> None:
        """Count one call of ``identity`` against ``bucket``; a 429 (``RateLimited``) when over."""
        per_minute = limit_for(bucket)
        if per_minute <= 0:
            return
        key = f"printgate:rl:{bucket}:{hashlib.sha256(identity.encode()).hexdigest()[:32]}"
        batch = min(LEASE_MAX_CALLS, per_minute // LEASE_CALLS_PER_MINUTE)
        if batch > 1 and self._from_lease(key):
            return
        try:
            granted, wait = self._redis_take(key, per_minute, max(batch, 1))
            if granted > 1:
                with self._lease_lock:
                    self._leases[key] = (granted - 1, time.monotonic())
        except Exception as exc:  # Redis away: limit in this process rather than not at all
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                log.warning("rate limits are per process while Redis is unreachable: %s", exc)
            wait = self._local.take(key, per_minute)
        if wait > 0:
            raise RateLimited(f"Too many requests ({bucket}: {per_minute} per minute); retry later",
                              retry_after=max(1, int(wait) + (1 if wait % 1 else 0)))


limiter = Limiter()


def client_address(request: Request) -> str:
    """The caller's address: the connection's, or with ``rate_limit_trust_forwarded`` (behind one
    reverse proxy of the operator's) the last hop its ``X-Forwarded-For`` names."""
    if get_settings().rate_limit_trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.client.host if request.client else ""


def hit_for_key(request: Request, key_id: str, publishable: bool) -> None:
    """The limit for an authenticated call: per secret key, or per publishable key and address."""
    if publishable:
        limiter.hit("widget", f"{key_id}|{client_address(request)}")
    else:
        limiter.hit("api", key_id)


# (method, path prefix, bucket): unauthenticated paths limited per client address.
_PATH_RULES: list[tuple[str, str, str]] = []


def limit_path(method: str, prefix: str, bucket: str) -> None:
    """Limit ``method`` calls under ``prefix`` per client address in ``bucket`` (idempotent)."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown rate-limit bucket {bucket!r}")
    rule = (method.upper(), prefix, bucket)
    if rule not in _PATH_RULES:
        _PATH_RULES.append(rule)


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RateLimitMiddleware:
    """ASGI layer: a call on a registered path is counted before anything reads its body."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _PATH_RULES:
            method, path = scope.get("method", ""), scope.get("path", "")
            for rule_method, prefix, bucket in _PATH_RULES:
                if method == rule_method and path.startswith(prefix):
                    try:
                        limiter.hit(bucket, client_address(Request(scope)))
                    except RateLimited as exc:
                        from printgate.core.api.app import error_response

                        response = error_response(429, exc.message, {"Retry-After": str(exc.retry_after)})
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)
