"""Which store signed a call: the signature picks the store, then the timestamp is judged.

One account may run several shops on several platforms; each has its own secret (and, after a
rotation, the previous one for the overlap). The call is attributed first, whatever its age, so a
stale call from a known store gets the precise answer ("check the shop's clock") instead of "no
store matches".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from printgate.connectors.base.models import StoreConnection
from printgate.core.errors import Unauthorized
from printgate.webhooks.signing import STANDARD_TOLERANCE_S, SignatureError, header, standard_verify

SIGNATURE_HEADER = "webhook-signature"


def is_signed(headers: Mapping[str, str]) -> bool:
    return bool(header(headers, SIGNATURE_HEADER))


def attribute(connections: Iterable[StoreConnection], secrets_of: Callable[[StoreConnection], list[str]],
              headers: Mapping[str, str], raw: bytes, *, now: float | None = None,
              tolerance_s: int = STANDARD_TOLERANCE_S) -> StoreConnection | None:
    """The first of ``connections`` whose secret signed ``raw``; None when none did.

    Raises :class:`Unauthorized` when a store's secret matches but the timestamp is outside the
    tolerance (or missing): that call is the store's, and it is refused.
    """
    if not is_signed(headers):
        return None
    current = time.time() if now is None else now
    for connection in connections:
        secrets_ = secrets_of(connection)
        if not secrets_:
            continue
        try:
            standard_verify(secrets_, headers, raw, now=current, tolerance_s=10**10)
        except SignatureError as exc:
            if "missing" in str(exc) or "not an integer" in str(exc):
                raise Unauthorized(f"Order call signature: {exc}") from exc
            continue
        stamp = int(header(headers, "webhook-timestamp") or 0)
        if abs(current - stamp) > tolerance_s:
            raise Unauthorized("Order call signature: webhook-timestamp is outside the 5-minute tolerance: "
                               "check the shop's clock")
        return connection
    return None
