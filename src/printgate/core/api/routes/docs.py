"""The API reference at ``/docs`` (Swagger UI), with every asset served by printgate.

FastAPI's own page loads Swagger UI from a CDN, so on a machine without internet access (a print
shop's back office, a locked-down server) ``/docs`` was a blank page. The assets come from the
``fastapi-offline`` package (MIT): the Swagger UI build, shipped in its wheel. There is no ``/redoc``:
ReDoc fetches its logo from its CDN whatever it is told, and one reference page is enough.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"
OPENAPI_URL = "/openapi.json"
TITLE = "printgate API"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL, title=TITLE, oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png")


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()



def mount_docs(app: FastAPI) -> None:
    """``FastAPI(docs_url=None, redoc_url=None)`` plus this router and its Swagger UI files."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
