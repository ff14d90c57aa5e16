"""printgate -> store side: one signed POST, and what came back.

The body is signed with Standard Webhooks headers by every secret still valid (current first), so a
store side holding either the new or the rotated-out secret accepts it during the overlap, plus
Filecheck's ``x-filecheck-signature`` from the current one. ``webhook-id`` is fixed per order and
event (:func:`message_id`): a re-send is the same message, which the store side answers 409.

The transport is the outbound webhooks' (``printgate.webhooks.outbound.post``): the URL guard, the
timeouts, same-origin 307/308 only, a bounded read of the answer.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from printgate.webhooks.outbound import Outcome, post, signature_headers
from printgate.webhooks.settings import get_webhook_settings


@dataclass(frozen=True)
class Reply:
    """One signed POST's result. ``status_code`` is None when no answer came (refused, timeout)."""

    url: str
    status_code: int | None
    duration_ms: int
    error: str | None
    text: str | None  # the start of the answer (bounded)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def refused(self) -> bool:
        """Nothing was sent: the URL points inside this network (``printgate.core.net``)."""
        return self.status_code is None and (self.error or "").startswith("refused")

    def json(self) -> Any:
        """The answer as JSON, or None when it is not JSON (an HTML page, an empty body)."""
        try:
            return json.loads(self.text or "")
        except ValueError:
            return None


def message_id(*parts: str) -> str:
    """A ``webhook-id`` that is the same on every attempt for one order's event."""
    return "msg_" + hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def post_signed(url: str, secrets_: list[str], msg_id: str, body: bytes) -> Reply:
    """POST ``body`` to ``url`` signed with ``secrets_`` (current first); never raises."""
    if not secrets_:
        raise ValueError("a signed call needs a secret")
    headers = {"content-type": "application/json", "user-agent": get_webhook_settings().user_agent,
               **signature_headers(secrets_, msg_id, body, int(time.time()))}
    outcome: Outcome = post(url, headers, body)
    return Reply(url=outcome.url or url, status_code=outcome.status_code, duration_ms=outcome.duration_ms,
                 error=outcome.error, text=outcome.snippet)
