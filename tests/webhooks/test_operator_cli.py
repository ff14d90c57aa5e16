"""``printgate webhooks list|retry`` (issue 14): outbound deliveries whose retries are spent are kept
``failed``; an operator lists them across accounts and retries them with the checks of
``POST /webhook-deliveries/{id}/retry``."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance
from tests.core.test_signals_cli import cli  # noqa: F401  (the fixture)
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint, deliveries, emit_test_event


def test_failed_webhook_deliveries_are_listed_and_retried_from_the_command_line(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch, cli: Callable[..., tuple[int, str, str]]) -> None:  # noqa: F811
    monkeypatch.setenv("PRINTGATE_WEBHOOK_RETRY_SCHEDULE", "0")  # one retry, at once: the schedule is spent fast
    monkeypatch.setenv("PRINTGATE_WEBHOOK_RETRY_JITTER", "0")
    receiver.status = 500
    ep = create_endpoint(client, auth, receiver.url)
    emit_test_event(ep["id"], {"id": "job_a"})
    emit_test_event(ep["id"], {"id": "job_b"})
    instance.drain()
    failed = [d.id for d in deliveries(ep["id"])]
    assert [d.status for d in deliveries(ep["id"])] == ["failed", "failed"]
    tries = len(receiver.requests)

    code, out, _ = cli("webhooks", "list", "--failed", "--json")
    assert code == 0
    listed = json.loads(out)
    assert sorted(d["id"] for d in listed) == sorted(failed)
    assert all(d["status"] == "failed" and d["attempts"][-1]["statusCode"] == 500 for d in listed)
    assert cli("webhooks", "list", "--account", "nobody", "--json")[1].strip() == "[]"

    receiver.status = 200  # the merchant's server is back
    code, out, err = cli("webhooks", "retry", failed[0], "whd_nope")
    assert code == 2 and "Queued 1 delivery(ies)" in out and "whd_nope not retried: No such delivery" in err
    code, out, err = cli("webhooks", "retry", failed[0])  # pending now: refused as the API refuses it
    assert code == 2 and "already scheduled" in err
    code, out, _ = cli("webhooks", "retry", "--all-failed", "--json")
    assert code == 0 and json.loads(out) == {"retried": [failed[1]], "refused": {}}
    instance.drain()
    assert [d.status for d in deliveries(ep["id"])] == ["succeeded", "succeeded"]
    assert len(receiver.requests) == tries + 2
    assert cli("webhooks", "list", "--failed")[1].strip() == "No failed deliveries."
