"""The widget's files (``/widget/v1/printgate.js`` and ``.css``) and the ``/demo`` product page.

``printgate.core.api.app`` includes ``router`` and calls ``mount_widget(app)``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from printgate.core.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEMO_TEMPLATE = Path(__file__).resolve().parent / "templates" / "demo.html"
# Built-in workflows the demo offers; any other published workflow id works through ?workflow=.
DEMO_WORKFLOWS = (
    ("wf_default", "Flyer: one print-ready PDF"),
    ("wf_business_cards", "Business cards: front and back, with soft proof"),
    ("wf_photo", "Photo prints: up to 10 images"),
)

router = APIRouter(include_in_schema=False)


class _WidgetFiles(StaticFiles):
    """Static files with a short shared cache: shops embed the URL, new versions must roll out."""

    async def get_response(self, path, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=300"
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def mount_widget(app: FastAPI) -> None:
    app.mount("/widget/v1", _WidgetFiles(directory=STATIC_DIR), name="widget")


_SCRIPT_HEADERS = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
_PATH_KEY = re.compile(r"^(v1|pk_(live|test)_[A-Za-z0-9_-]{8,100})$")


def _widget_file(key: str, name: str, media_type: str) -> FileResponse:
    """The same script (or CSS) for every key: the script reads the key back from its own URL."""
    if not _PATH_KEY.match(key):  # a secret key in a public URL, or anything else: not a script
        raise NotFound("Not found")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=_SCRIPT_HEADERS)


@router.get("/widget/{key}/printgate.js")
@router.get("/widget/{key}/filecheck.js")
@router.get("/element/{key}/filecheck.js")
def widget_script_for_key(key: str) -> FileResponse:
    """Filecheck's script URLs (``/element/{pk}/filecheck.js``, ``/element/v1/filecheck.js``), so a
    shop's Filecheck plugin loads printgate's widget by changing only the base URL."""
    return _widget_file(key, "printgate.js", "text/javascript")


@router.get("/widget/{key}/printgate.css")
@router.get("/widget/{key}/filecheck.css")
@router.get("/element/{key}/filecheck.css")
def widget_css_for_key(key: str) -> FileResponse:
    """The script loads its CSS from beside itself (``.js`` -> ``.css``)."""
    return _widget_file(key, "printgate.css", "text/css")


@router.get("/demo", response_class=HTMLResponse)
def demo(pk: str | None = None, workflow: str = Query("wf_default", max_length=80),
         presentation: str = Query("inline", pattern="^(inline|dialog)$"),
         locale: str = Query("en", max_length=16)) -> HTMLResponse:
    """A fake product page: the widget gates its "Add to cart" button and fills a hidden field."""
    from printgate.core.demo import demo_publishable_key

    key = pk or demo_publishable_key()
    options = "".join(
        f'<option value="{html.escape(wf)}"{" selected" if wf == workflow else ""}>{html.escape(label)}</option>'
        for wf, label in DEMO_WORKFLOWS
    )
    config = {"publishableKey": key, "workflowId": workflow, "presentation": presentation, "locale": locale,
              "mountSelector": "#pg-slot", "productId": "demo-" + workflow}
    page = (DEMO_TEMPLATE.read_text()
            .replace("{{options}}", options)
            .replace("{{config}}", json.dumps(config).replace("<", "\\u003c"))
            .replace("{{dialog_checked}}", " checked" if presentation == "dialog" else "")
            .replace("{{de_checked}}", " checked" if locale.startswith("de") else ""))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
