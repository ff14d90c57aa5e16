"""The API reference works without internet access: /docs loads everything from printgate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.widget.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e


def _render(server: Server, path: str, ready: str) -> tuple[Any, list[str]]:
    """Open ``path`` in Chromium with every request to another host refused; return what it drew."""
    from playwright.sync_api import sync_playwright

    elsewhere: list[str] = []

    def only_printgate(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_printgate)
            page.goto(f"{server.url}{path}")
            page.wait_for_selector(ready, timeout=30000)
            drawn = page.evaluate(f"document.querySelectorAll({ready!r}).length")
        finally:
            browser.close()
    return drawn, elsewhere


def test_swagger_ui_renders_from_printgate_alone(server: Server) -> None:
    operations, elsewhere = _render(server, "/docs", ".opblock")
    assert elsewhere == [], f"/docs asked other hosts: {elsewhere}"
    spec = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    expected = sum(len([m for m in ops if m in ("get", "post", "put", "delete", "patch")])
                   for ops in spec["paths"].values())
    # every operation drawn (one with two tags is drawn under each), Filecheck's 21 among them
    assert expected > 21 and operations >= expected
    # No page left that would load from a CDN.
    assert httpx.get(f"{server.url}/redoc", timeout=10).status_code == 404
