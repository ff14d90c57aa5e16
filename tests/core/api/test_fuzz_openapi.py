"""Property-based fuzzing of the API from its own OpenAPI document (Schemathesis): every operation,
fed generated parameters and bodies with a real secret key, never answers 5xx.

The example count per operation is bounded (and derandomized) so the run fits CI's time; a failure
names the operation and prints the call as curl. ``/health`` is left out: its 503 without workers is
its answer, not a crash."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings

EXAMPLES = 6


def test_no_operation_answers_5xx(app: FastAPI, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.core.config import reset_settings

    monkeypatch.setenv("PRINTGATE_SYNC_WAIT_S", "0.2")  # no worker runs here: `sync: true` must not wait 27 s
    reset_settings()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/health":
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(headers=auth)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}\n"
                f"{case.as_curl_command()}")

        try:
            call()
        except AssertionError as exc:
            failures.append(str(exc).split("\nFalsifying")[0])
    assert operations > 60
    assert not failures, "\n\n".join(failures)
