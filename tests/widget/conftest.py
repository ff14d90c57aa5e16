"""The widget tests drive real headless Chromium against a real ``printgate serve``.

One server per test module (API, workers, embedded Redis in a temp data dir on a free port); one
browser per module that uses it; a fresh browser context (own localStorage) per test.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest

from tests.conftest import Server, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MM = 72 / 25.4
TERMINAL = ("ready", "partial", "rejected")


@pytest.fixture(scope="module")
def widget_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("widget-serve"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def pk(widget_server: Server) -> str:
    """The demo publishable key ``printgate serve`` issues for the local "default" account."""
    return (widget_server.data_dir / "demo-publishable.key").read_text().strip()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped, not session-scoped: while Playwright's sync API runs, it marks its event loop as
    the running loop of this thread between calls (``wait_for_future`` in playwright/_impl/_greenlets.py),
    so ``asyncio.run`` in any later test refused to start ("cannot be called from a running event
    loop"). Stopping Playwright at the end of the module ends its loop and clears that mark."""
    import asyncio

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    assert asyncio._get_running_loop() is None, "Playwright left its event loop marked as running"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# --- files -----------------------------------------------------------------------------------------

def clean_pdf(path: Path) -> Path:
    """A 1-page A4 flyer with 3 mm bleed and a TrimBox: passes the print-ready profile's reject checks."""
    bleed = 3 * MM
    width, height = 210 * MM + 2 * bleed, 297 * MM + 2 * bleed
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.draw_rect(page.rect, color=None, fill=(0.1, 0.4, 0.8))
    page.draw_rect(pymupdf.Rect(width * 0.3, height * 0.3, width * 0.7, height * 0.7), color=None, fill=(1, 0.8, 0))
    page.set_trimbox(pymupdf.Rect(bleed, bleed, width - bleed, height - bleed))
    page.set_bleedbox(page.rect)
    doc.save(path)
    doc.close()
    return path


def annotated_pdf(path: Path) -> Path:
    """The clean flyer with a sticky-note comment: the print-ready profile rejects annotations."""
    tmp = clean_pdf(path.with_name("base-" + path.name))
    doc = pymupdf.open(tmp)
    doc[0].add_text_annot((120, 120), "Please make the blue darker")
    doc.save(path)
    doc.close()
    return path


def not_a_pdf(path: Path) -> Path:
    path.write_text("This is a text file with a .pdf name.\n" * 40)
    return path


# --- page helpers ----------------------------------------------------------------------------------

def open_demo(page: Any, server: Server, pk: str, query: str = "") -> None:
    """Open /demo and record every widget CustomEvent into ``window.__events``."""
    page.add_init_script("""
      window.__events = [];
      ['ready','status','change','facts','proof','error','destroy'].forEach(function (name) {
        document.addEventListener('printgate:' + name, function (e) {
          window.__events.push({type: name, detail: e.detail, t: performance.now()});
        });
      });
    """)
    page.goto(f"{server.url}/demo?pk={pk}{'&' + query if query else ''}")
    page.wait_for_selector(".pg-zone", state="attached")


def events(page: Any, kind: str | None = None) -> list[dict[str, Any]]:
    got = page.evaluate("window.__events")
    return [e for e in got if kind is None or e["type"] == kind]


def last_status(page: Any) -> dict[str, Any]:
    statuses = events(page, "status")
    assert statuses, "no status event yet"
    return statuses[-1]["detail"]


def wait_terminal(page: Any, timeout_ms: int = 45000) -> dict[str, Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "(() => { const s = window.__events.filter(e => e.type === 'status'); "
            "return s.length && s[s.length - 1].detail.terminal; })()", timeout=timeout_ms)
    except PlaywrightTimeout as exc:
        trail = []
        for e in events(page):
            detail = e["detail"] or {}
            files = [(f.get("name"), f.get("status")) for f in detail.get("files") or []]
            entry = (e["type"], detail.get("status") or detail.get("code"), files)
            # an error event carries the server's answer (status and message): the cause, not only its code
            trail.append((*entry, detail["message"]) if detail.get("message") else entry)
        raise AssertionError(f"no terminal status; events: {trail}") from exc
    return last_status(page)


def drop_file(page: Any, path: Path, zone: str = ".pg-zone", mime: str = "application/pdf") -> None:
    """A real drag-and-drop: dragenter/dragover/drop with a DataTransfer holding the file."""
    payload = json.dumps({"name": path.name, "mime": mime, "data": list(path.read_bytes())})
    handle = page.evaluate_handle(f"""(() => {{
        const f = {payload};
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(f.data)], f.name, {{type: f.mime}}));
        return dt;
    }})()""")
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(zone, event, {"dataTransfer": handle})


# The client tokens this "widget" was handed, per (publishable key, job id): like printgate.js, the
# helper keeps the ``clientToken`` of each job it creates and sends it on every later call on that job.
_tokens: dict[tuple[str, str], str] = {}
_ON_JOB = re.compile(r"^/element/jobs/([^/?]+)")


def api(server: Server, pk: str, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    """A call with the publishable key, and on a job the job's client token (``token``: one the
    browser's widget holds, e.g. ``page.evaluate("element.jobToken()")``)."""
    headers = {"Authorization": f"Bearer {pk}"}
    on_job = _ON_JOB.match(path)
    if on_job and token:
        _tokens[(pk, on_job[1])] = token
    if on_job and (pk, on_job[1]) in _tokens:
        headers["Printgate-Job-Token"] = _tokens[(pk, on_job[1])]
    response = httpx.request(method, server.url + path, headers=headers, timeout=30, **kw)
    if path == "/element/jobs" and response.status_code == 201:
        body = response.json()
        _tokens[(pk, body["jobId"])] = body["clientToken"]
    return response


def job_token(pk: str, job_id: str) -> str:
    """The client token ``api`` holds for a job it created (for a stream URL's ``jobToken``)."""
    return _tokens[(pk, job_id)]


def wait_job(server: Server, pk: str, job_id: str, timeout: float = 30, token: str | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api(server, pk, "GET", f"/element/jobs/{job_id}", token=token).json()
        if body["terminal"]:
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def business_card_pdf(path: Path) -> Path:
    """An 85 x 55 mm card with 3 mm bleed and a TrimBox."""
    bleed = 3 * MM
    width, height = 85 * MM + 2 * bleed, 55 * MM + 2 * bleed
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.draw_rect(page.rect, color=None, fill=(0.85, 0.2, 0.2))
    page.draw_rect(pymupdf.Rect(width * 0.3, height * 0.3, width * 0.7, height * 0.7), color=None, fill=(1, 1, 1))
    page.set_trimbox(pymupdf.Rect(bleed, bleed, width - bleed, height - bleed))
    page.set_bleedbox(page.rect)
    doc.save(path)
    doc.close()
    return path


def photo(path: Path, px: int = 1800, seed: int = 0) -> Path:
    """A noisy RGB JPEG (noise keeps it large enough to watch an upload progress)."""
    import random

    from PIL import Image

    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (px, px), bytes(rnd.getrandbits(8) for _ in range(px * px * 3)))
    img.save(path, "JPEG", quality=92, dpi=(300, 300))
    return path
