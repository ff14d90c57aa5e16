"""Outbound events: printgate tells merchants' servers what happened.

Four modules, in the order an event travels: :mod:`.emit` (a core signal -> the event and its
delivery rows), :mod:`.payloads` (the bodies), :mod:`.delivery` (the queue entry point, retries,
sweep) and :mod:`.transport` (signing and the one HTTP attempt). The names below are importable
from ``printgate.webhooks.outbound`` as before.

Payloads
--------
Registered endpoints (``/webhook-endpoints``, format ``printgate``) receive every event type in one
envelope::

    {"type": "job.completed", "timestamp": "2026-07-29T10:15:41.000Z", "data": {...}}

``data`` is the job exactly as ``GET /jobs/{id}`` returns it (``printgate.core.wire.job_wire``, with its
``summary``) for ``job.*`` events, and the order (``order_data``) for ``order.*`` events, plus
``jobs`` with each job's deliverables for ``order.files_ready``.

Filecheck sends no envelope (API.md §9) and clients infer the event from the body's shape. So a
job's own ``webhook`` (``{url, headers}`` from the submission), called once the job reaches a
terminal status, and endpoints registered with ``format: "filecheck"`` receive Filecheck's bodies:
``job.completed`` = the job summary spread + ``tasks`` (sdk-fixtures/webhook.job-completed.json),
``job.created`` = ``{id, status, channel, ruleId, customerId, orderId, taskCount, created}``.

Status dialect
--------------
A job's status in a body is spoken in the receiver's dialect (``printgate.core.jobs.dialect``): an endpoint's
``statusDialect`` (by default that of the request that registered it: its key's, or the
``Printgate-Status-Dialect`` header), and for a job's own ``webhook`` the dialect of the request that
submitted the job. The event keeps the lifecycle bodies; a receiver in another dialect gets its own
body on its delivery row, shaped and serialized once per dialect. Same event, same ``webhook-id``.

Signing
-------
Every request carries Standard Webhooks headers: ``webhook-id`` (the event id, the same on every
retry and every endpoint), ``webhook-timestamp`` (of this attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``). For 24 h after a secret rotation the
previous secret signs too, as a second space-separated ``v1,`` signature. Every signed request also
carries ``x-filecheck-signature`` (DECISIONS.md 11): the bare hex HMAC-SHA256 of the raw body keyed with
the same endpoint secret string, which is what Filecheck's SDK ``constructEvent`` verifies
(``signing.filecheck_signature`` says why that key). That header holds one value, so only the current
secret signs it. A job's own webhook is signed with the account's default secret: that of its oldest
endpoint, if it has one.

Delivery
--------
On a core signal, one transaction writes the event (payload serialized once) and one
``webhook_delivery`` row per receiver; then one queue message per delivery (Saleor's model).
Each attempt is recorded (status code, duration, response snippet, error, next retry). Failures
retry with exponential backoff and jitter for about 41 h (``PRINTGATE_WEBHOOK_RETRY_SCHEDULE``).
An endpoint that keeps failing (``disable_after_failures`` consecutive attempts spanning at least
``disable_after_s``) is disabled with a reason until the merchant enables it again. Redirects are
followed only to the same origin and only as 307/308 (which keep the POST). Rows are the record:
:func:`sweep` re-queues deliveries whose message was lost and takes back those of dead workers.
"""

from __future__ import annotations

from printgate.webhooks import _queue
from printgate.webhooks.outbound.delivery import backoff_s, deliver, retry_delivery, sweep
from printgate.webhooks.outbound.emit import (
    RESERVED_HEADERS,
    _endpoints_for,
    emit,
    on_job_completed,
    on_job_created,
    on_job_processed,
    on_job_reviewed,
    on_order_captured,
)
from printgate.webhooks.outbound.payloads import (
    Shaper,
    envelope,
    filecheck_completed,
    filecheck_created,
    order_data,
)
from printgate.webhooks.outbound.transport import (
    Outcome,
    account_default_endpoint,
    endpoint_secrets,
    post,
    signature_headers,
)

__all__ = [
    "RESERVED_HEADERS", "Outcome", "Shaper", "_endpoints_for", "_queue", "account_default_endpoint", "backoff_s",
    "deliver", "emit", "endpoint_secrets", "envelope", "filecheck_completed", "filecheck_created",
    "on_job_completed", "on_job_created", "on_job_processed", "on_job_reviewed", "on_order_captured",
    "order_data", "post", "retry_delivery", "signature_headers", "sweep",
]
