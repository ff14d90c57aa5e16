"""The widget sends its job's client token on every call on that job, over the live stream and over
polling, and still holds it after a page reload (the server enforces it by default: without it the
widget would see its own job as "not found")."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import Server
from tests.widget.conftest import clean_pdf, events, last_status, open_demo, wait_terminal

pytestmark = pytest.mark.e2e


def _record(page: Any) -> list[dict[str, Any]]:
    """Every request the page makes on a job: method, path, the token header and ``jobToken``."""
    seen: list[dict[str, Any]] = []

    def on_request(request: Any) -> None:
        url = urlparse(request.url)
        if url.path.startswith("/element/jobs/job_"):
            seen.append({"method": request.method, "path": url.path,
                         "header": request.headers.get("printgate-job-token"),
                         "query": (parse_qs(url.query).get("jobToken") or [None])[0]})

    page.on("request", on_request)
    return seen


def test_every_call_on_the_job_carries_its_token_across_a_reload(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    seen = _record(page)
    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    status = wait_terminal(page)
    assert status["canProceed"] is True, status
    job_id, token = status["jobId"], page.evaluate("element.jobToken()")
    assert token and token.startswith("jt_")
    streams = [r for r in seen if r["path"].endswith("/events")]
    assert streams and all(r["query"] == token for r in streams), streams
    calls = [r for r in seen if not r["path"].endswith("/events")]
    assert any(r["method"] == "POST" and r["path"].endswith("/files") for r in calls), calls
    assert all(r["header"] == token for r in calls), calls
    assert all(r["path"].startswith(f"/element/jobs/{job_id}") for r in seen)

    # Reload with the live stream blocked: the widget resumes its job from storage and polls it,
    # token and all; the server answers it (no "job not found").
    page.route("**/element/jobs/*/events*", lambda route: route.abort("connectionrefused"))
    seen.clear()
    page.reload()
    page.wait_for_selector(".pg-file")
    page.wait_for_function("window.__events.some(e => e.type === 'status' && e.detail.canProceed)")
    assert last_status(page)["jobId"] == job_id
    assert page.evaluate("element.jobToken()") == token
    assert not [e for e in events(page, "error") if e["detail"]["code"] == "job_not_found"]
    reads = [r for r in seen if r["method"] == "GET" and not r["path"].endswith("/events")]
    assert reads, seen
    assert all(r["header"] == token for r in reads), reads
