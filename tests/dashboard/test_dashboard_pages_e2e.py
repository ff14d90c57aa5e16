"""The rest of the dashboard end to end, in headless Chromium against a real ``printgate serve``: an
owner builds a preflight profile in the Library (an error shown beside its field first), runs a New
Job preflight on a defective PDF uploaded with progress and sees its findings and proof arrive live,
drops a file for a Fix and downloads the fixed PDF, creates an API key and a staff user; the staff
user finds no Library, keys or settings; another account's job is a 404 by URL; a form without its
CSRF token is refused. Screenshots of the main pages (desktop and 390 px wide) are saved under an
artifacts dir whose path the test prints (under ``$PRINTGATE_TEST_ARTIFACTS`` when set)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import CLI, Server, clean_env, make_clean_pdf, start_server
from tests.widget.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)  # two shared cores: a page may take seconds under load
PASSWORD = "a long enough password"
OWNER, STAFF = "owner@acme.test", "sam@acme.test"


@pytest.fixture(scope="module")
def dash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("dashboard-pages"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def cli(server: Server, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*CLI, *args], input=stdin, env=clean_env(PRINTGATE_DATA_DIR=str(server.data_dir)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def sign_in(page: Any, server: Server, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/dashboard/")
    page.wait_for_url("**/dashboard/login?next=*")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/dashboard/")


def nav(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Dashboard").get_by_role("link", name=name, exact=True)


class Shots:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        print(f"artifacts: {root}")

    def __call__(self, page: Any, name: str) -> None:
        path = self.root / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")


def test_owner_and_staff_use_library_new_job_settings_in_a_browser(dash_server: Server, browser: Any,
                                                                   tmp_path: Path) -> None:
    server = dash_server
    cli(server, "users", "create", "--account", "acme", "--email", OWNER, "--role", "owner", "--password-stdin",
        stdin=PASSWORD + "\n")
    # PRINTGATE_TEST_ARTIFACTS keeps them past pytest's clean-up of old tmp dirs.
    shots = Shots(Path(os.environ.get("PRINTGATE_TEST_ARTIFACTS") or tmp_path) / "artifacts")
    defective = make_clean_pdf(tmp_path / "no-bleed.pdf", bleed_mm=0)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, server, OWNER)
    expect(page.locator("svg.chart")).to_be_visible()
    shots(page, "desktop-home")

    # Library: a new preflight profile; a target that is not a number is refused beside its check.
    nav(page, "Library").click()
    page.get_by_role("link", name="New preflight profile").click()
    page.get_by_label("Name", exact=True).fill("Gate e2e")
    for check, action in (("bleed", "reject"), ("trimbox", "off"), ("output_intent", "off"),
                          ("pdf_version", "off"), ("pdfx", "off")):
        page.locator(f"#a-{check}").select_option(action)
    page.locator("#s-bleed-required_mm").fill("three")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#err-check-bleed")).to_contain_text("checks.bleed.required_mm: must be a number")
    expect(page.locator("#a-bleed")).to_have_value("reject")  # the rest of the form as typed
    shots(page, "desktop-library-error")
    page.locator("#s-bleed-required_mm").fill("3")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/dashboard/library/profiles/prof_\w+\?saved=1"))
    profile_id = page.url.split("/")[-1].split("?")[0]
    expect(page.locator(".notice")).to_have_text("Saved.")
    shots(page, "desktop-library-profile")
    page.goto(f"{server.url}/dashboard/library")
    expect(page.get_by_role("link", name="Gate e2e", exact=True)).to_be_visible()
    shots(page, "desktop-library")

    # New Job: a preflight with that profile; the file goes up with progress, the result arrives live.
    nav(page, "New job").click()
    page.get_by_label("Run a preflight").check()
    expect(page.get_by_label("Optimize preset (Optimize)")).to_be_hidden()
    page.get_by_label("Preflight profile (Preflight and Fix)").select_option(profile_id)
    page.locator("#file").set_input_files(str(defective))
    expect(page.locator("#upload-line")).to_contain_text("Uploaded no-bleed.pdf", timeout=20000)
    assert page.locator("#upload-progress").evaluate("p => p.value") == 100
    assert page.locator("#file-ref").input_value().startswith("upload_")
    shots(page, "desktop-new-job")
    page.get_by_role("button", name="Start the job").click()
    page.wait_for_url(re.compile(r".*/dashboard/jobs/job_\w+$"))
    expect(page.locator(".job-title .badge")).to_have_text("Rejected", timeout=60000)
    assert page.locator(".check.sev-reject code").first.inner_text() == "bleed"
    expect(page.locator(".images figcaption").first).to_contain_text("Proof, page 1")
    shots(page, "desktop-new-job-result")

    # Fix, the file dropped on the box; the fixed PDF downloads.
    nav(page, "New job").click()
    page.get_by_label("Fix (preflight, autofix, check again)").check()
    page.get_by_label("Preflight profile (Preflight and Fix)").select_option("prof_print_ready")
    page.evaluate("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], name, {type: 'application/pdf'}));
        document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true}));
    }""", ["dropped.pdf", base64.b64encode(defective.read_bytes()).decode()])
    expect(page.locator("#upload-line")).to_contain_text("Uploaded dropped.pdf", timeout=20000)
    page.get_by_role("button", name="Start the job").click()
    page.wait_for_url(re.compile(r".*/dashboard/jobs/job_\w+$"))
    download_link = page.locator(".downloads a", has_text="Download")
    expect(download_link.first).to_be_visible(timeout=60000)
    with page.expect_download() as downloading:
        download_link.first.click()
    fixed = Path(downloading.value.path()).read_bytes()
    assert fixed.startswith(b"%PDF") and fixed != defective.read_bytes()

    # Settings: a key, shown once; then a staff user added from Users.
    nav(page, "Settings").click()
    page.get_by_label("Name", exact=True).fill("shop server")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_have_value(re.compile(r"^sk_live_"))
    shots(page, "desktop-settings")
    nav(page, "Users").click()
    page.get_by_label("Email address").fill(STAFF)
    page.get_by_label("Role").select_option("staff")
    page.get_by_label(re.compile("^Password")).fill("staff password 123")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator(".notice")).to_contain_text(f"Created staff {STAFF}")

    # Another account's job, by URL: a 404.
    other_key = json.loads(cli(server, "keys", "create", "--json", "--account", "globex"))["key"]
    theirs = httpx.post(f"{server.url}/jobs/preflight", headers={"Authorization": f"Bearer {other_key}"}, timeout=30,
                        json={"sources": [{"file": base64.b64encode(defective.read_bytes()).decode()}]})
    assert theirs.status_code == 201, theirs.text
    their_id = theirs.json()["job"]["id"]
    response = page.goto(f"{server.url}/dashboard/jobs/{their_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    # A form whose CSRF token is gone is refused, and nothing is saved.
    page.goto(f"{server.url}/dashboard/library/profiles/new")
    page.evaluate("document.querySelector('form.editor input[name=csrf_token]').remove()")
    page.get_by_label("Name", exact=True).fill("Forged")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save").click()
    assert posted.value.status == 403
    expect(page.locator("[role=alert]")).to_contain_text("did not come from this dashboard")
    page.goto(f"{server.url}/dashboard/library")
    assert page.get_by_role("link", name="Forged", exact=True).count() == 0
    assert not errors, errors

    # Phone width: the main pages, one column.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    sign_in(small, server, OWNER)
    for name, path in (("home", "/dashboard/"), ("new-job", "/dashboard/new"), ("library", "/dashboard/library"),
                       ("library-profile", f"/dashboard/library/profiles/{profile_id}"), ("settings", "/dashboard/settings"),
                       ("workflow", "/dashboard/library/workflows/wf_default")):
        small.goto(server.url + path)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
        shots(small, f"phone-{name}")
    phone.close()
    context.close()

    # Staff: no Library, New job, keys or settings; their links are not shown.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = staff_context.new_page()
    sign_in(staff, server, STAFF, "staff password 123")
    for hidden in ("Library", "Settings", "New job", "Users"):
        assert nav(staff, hidden).count() == 0, hidden
    assert nav(staff, "Jobs").count() == 1
    for path in ("/dashboard/library", "/dashboard/settings", "/dashboard/new",
                 f"/dashboard/library/profiles/{profile_id}"):
        response = staff.goto(server.url + path)
        assert response is not None and response.status == 403, path
        expect(staff.locator("[role=alert]")).to_contain_text("Only an owner")
    shots(staff, "desktop-staff-refused")
    staff.goto(f"{server.url}/dashboard/jobs")
    assert staff.locator("table.jobs tbody tr").count() >= 2  # they still read the jobs
    staff_context.close()
