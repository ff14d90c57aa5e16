"""The dashboard end to end: a real ``printgate serve``, a user made with the command line, headless
Chromium signing in, reading the jobs, opening a job with findings, following it live, and approving
a held job in the review queue. Screenshots of each page, on a desktop and at a phone's width, are
saved under the test's tmp dir (their paths are printed)."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import CLI, Server, clean_env, make_clean_pdf, start_server
from tests.widget.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough password"
EMAIL = "owner@acme.test"


@pytest.fixture(scope="module")
def dash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("dashboard-serve"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One browser for the module (see tests/widget/conftest.py on why not for the session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def api(server: Server, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, server.url + path, headers={"Authorization": f"Bearer {server.secret_key}"},
                         timeout=30, **kw)


def submit(server: Server, pdf: Path, profile: str, on_fail: str) -> str:
    created = api(server, "POST", "/jobs", json={
        "sources": [{"file": base64.b64encode(pdf.read_bytes()).decode(), "name": pdf.name,
                     "steps": [{"type": "preflight", "params": {"profileId": profile}}, {"type": "previews"}]}],
        "policy": {"onFail": on_fail}, "orderId": "1042"})
    assert created.status_code == 201, created.text
    return str(created.json()["job"]["id"])


def wait_status(server: Server, job_id: str, wanted: tuple[str, ...], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api(server, "GET", f"/jobs/{job_id}").json()["job"]
        if job["status"] in wanted:
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {wanted}")


def shot(page: Any, shots: Path, name: str) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def sign_in(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/dashboard/jobs")
    page.wait_for_url("**/dashboard/login?next=*")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/jobs")


def test_sign_in_browse_follow_and_approve_in_a_browser(dash_server: Server, browser: Any, tmp_path: Path) -> None:
    server = dash_server
    env = clean_env(PRINTGATE_DATA_DIR=str(server.data_dir))
    made = subprocess.run([*CLI, "users", "create", "--account", "acme", "--email", EMAIL, "--role", "owner",
                           "--password-stdin"], input=PASSWORD + "\n", env=env, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    checks = {"bleed": {"action": "reject"}, "trimbox": {"action": "off"}, "output_intent": {"action": "off"},
              "pdf_version": {"action": "off"}, "pdfx": {"action": "off"}}
    profile = api(server, "POST", "/profiles", json={"name": "gate", "kind": "pdf", "checks": checks})
    assert profile.status_code in (200, 201), profile.text
    profile_id = profile.json()["profile"]["id"]
    clean = submit(server, make_clean_pdf(tmp_path / "flyer.pdf"), profile_id, "reject")
    held = submit(server, make_clean_pdf(tmp_path / "no-bleed.pdf", bleed_mm=0), profile_id, "manual_review")
    followed = submit(server, make_clean_pdf(tmp_path / "poster-no-bleed.pdf", bleed_mm=0), profile_id,
                      "manual_review")
    wait_status(server, clean, ("ready", "partial"))
    for job_id in (held, followed):
        wait_status(server, job_id, ("review",))

    shots = tmp_path / "screenshots"
    shots.mkdir()
    for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{server.url}/dashboard/jobs")
        page.wait_for_url("**/dashboard/login?next=*")
        assert page.evaluate("document.activeElement.id") == "email"  # the form is ready to type into
        shot(page, shots, f"{label}-login")
        sign_in(page, server)
        page.keyboard.press("Tab")  # on every page the first stop is the skip link, to the content
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        rows = page.locator("table.jobs tbody tr")
        assert rows.count() == 3
        assert page.locator("table.jobs").get_by_text("Waiting for review").count() == 2
        assert page.locator("table.jobs").get_by_text("Clean").count() == 1
        shot(page, shots, f"{label}-jobs")
        page.get_by_role("link", name=held).click()
        page.wait_for_url(f"**/dashboard/jobs/{held}")
        assert page.locator(".check.sev-reject code").first.inner_text() == "bleed"
        assert page.locator(".images img").count() >= 1
        assert page.locator("details.raw").get_attribute("open") is None
        shot(page, shots, f"{label}-job")
        page.get_by_role("link", name="Review queue").click()
        page.wait_for_url("**/dashboard/review")
        assert page.locator("article.review-item").count() == 2
        shot(page, shots, f"{label}-review")
        assert not errors, errors
        context.close()

    # Desktop again: approve one held job through the queue, and watch the other one change live.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.url}/dashboard/review")
    item = page.locator("article.review-item", has=page.get_by_role("link", name=held))
    item.get_by_label("Note").fill("Bleed is fine for this product")
    item.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/dashboard/review?decided=approve*")
    assert f"Job {held} approved" in page.locator(".notice").inner_text()
    shot(page, shots, "desktop-review-after-approve")
    approved = wait_status(server, held, ("partial",), timeout=10)
    assert approved["canProceed"] is True
    assert approved["review"]["reviewedBy"] == f"user:{EMAIL}"

    page.goto(f"{server.url}/dashboard/jobs/{followed}")
    page.evaluate("window.__notReloaded = true")
    assert page.locator(".job-title .badge").inner_text() == "Waiting for review"
    decided = api(server, "POST", f"/jobs/{followed}/review", json={"decision": "reject", "note": "by API"})
    assert decided.status_code == 200, decided.text
    # No reload: the page's script polls status.json and swaps the job in (under the page's CSP).
    expect(page.locator(".job-title .badge")).to_have_text("Rejected", timeout=10000)
    expect(page.locator("#live-line")).to_contain_text("Finished: Rejected", timeout=10000)
    assert "Rejected by key_" in page.locator(".review-state").inner_text()
    assert page.evaluate("window.__notReloaded") is True
    shot(page, shots, "desktop-job-after-live-update")
    context.close()
