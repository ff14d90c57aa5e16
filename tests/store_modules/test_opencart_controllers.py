"""The OC 3 and OC 4 controllers as OpenCart calls them (events, AJAX routes, callback, cron,
settings page, install/uninstall), on stubbed OpenCart plumbing and the in-memory database."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from printgate.connectors.build_store_packages import OC3_ZIP, OC4_ZIP
from printgate.webhooks.signing import standard_headers

from .conftest import SECRET, SK, php_run

PAGE = (
    '<div id="content"><form id="form-product"><input type="hidden" name="product_id" value="50" id="input-product-id"/>'
    '<button type="submit" id="button-cart">Add</button></form></div><footer></footer>'
)
SETTINGS = {
    "status": 1,
    "url": "http://printgate.test:8000",
    "publishable_key": "pk_test_1",
    "secret_key": SK,
    "webhook_secret": SECRET,
    "default_workflow": "",
    "all_products": 0,
    "send_all_orders": 0,
}
JOB = {
    "id": "job_BC1",
    "status": "ready",
    "outcome": "pass",
    "canProceed": True,
    "runs": [
        {
            "id": "task_1",
            "name": "cards.pdf",
            "outcome": "pass",
            "hasOutput": True,
            "proofs": [],
            "downloadUrl": None,
        }
    ],
}
ROUTES = {
    "GET /jobs/job_BC1?expand=runs": [{"status": 200, "body": JOB}],
    "GET /workflows": [
        {"status": 200, "body": {"workflows": [{"id": "wf_cards", "name": "Business cards"}]}}
    ],
    "POST /orders/1042": [{"status": 200, "body": {"success": True}}],
}
LAYOUT = {
    3: (OC3_ZIP, "upload", "extension/module/printgate", "/", "extension/module/"),
    4: (OC4_ZIP, "", "extension/printgate/module/printgate", ".", "module/"),
}


def _run(extracted: dict[str, Path], version: int, side: str) -> dict:
    zip_name, prefix, _, _, lang_dir = LAYOUT[version]
    root = extracted[zip_name] / prefix if prefix else extracted[zip_name]
    empty_body_headers = standard_headers(SECRET, f"msg_empty_{version}", b"", timestamp=int(time.time()))
    return php_run(
        f"oc_{side}",
        lib=root / "system/library/printgate",
        opencart=True,
        version=version,
        root=str(root),
        language=str(
            root
            / ("catalog" if side == "catalog" else "admin")
            / "language/en-gb"
            / lang_dir
            / "printgate.php"
        ),
        settings=SETTINGS,
        routes=ROUTES,
        page=PAGE,
        callback_server={"HTTP_" + k.upper().replace("-", "_"): v for k, v in empty_body_headers.items()},
    )


@pytest.fixture(scope="module", params=[3, 4], ids=["oc3", "oc4"])
def catalog(request: pytest.FixtureRequest, extracted: dict[str, Path]) -> tuple[int, dict]:
    return request.param, _run(extracted, request.param, "catalog")


@pytest.fixture(scope="module", params=[3, 4], ids=["oc3", "oc4"])
def admin(request: pytest.FixtureRequest, extracted: dict[str, Path]) -> tuple[int, dict]:
    return request.param, _run(extracted, request.param, "admin")


def test_product_page_gets_the_widget_and_the_save_route(catalog: tuple[int, dict]) -> None:
    version, out = catalog
    _, _, route, sep, _ = LAYOUT[version]
    page = out["product_page"]
    assert (
        page.index('name="product_id"') < page.index('id="printgate-widget"') < page.index('id="button-cart"')
    )
    assert f'"saveUrl":"https://shop.test/index.php?route={route}{sep}saveJob' in page.replace("\\/", "/")
    assert '"workflowId":"wf_cards"' in page


def test_save_job_route(catalog: tuple[int, dict]) -> None:
    _, out = catalog
    assert "HTTP/1.1 405 Method Not Allowed" in out["save_get"][0]
    assert json.loads(out["save_post"][1]) == {"success": True}


def test_cart_add_event(catalog: tuple[int, dict]) -> None:
    version, out = catalog
    adds = out["cart_add"]
    assert adds["with_saved_job"] == {"success": "Added to cart"}
    message = "Please upload your print file and wait until it has been checked."
    assert adds["product_page_without_job"] == {"error": {"printgate": message}}
    listing = adds["listing_without_job"]
    assert listing["error"] == {"printgate": message}
    expected = "https://shop.test/index.php?route=product/product&" + (
        "language=en-gb&product_id=50" if version == 4 else "product_id=50"
    )
    assert listing["redirect"] == expected
    [line] = out["cart"]
    assert line["quantity"] == "1"


def test_order_events_map_and_send(catalog: tuple[int, dict]) -> None:
    _, out = catalog
    [row] = out["order_jobs"]
    assert row["job_id"] == "job_BC1"
    assert out["requests"].count("POST /orders/1042") == 1


def test_callback_route(catalog: tuple[int, dict]) -> None:
    _, out = catalog
    assert "HTTP/1.1 405 Method Not Allowed" in out["callback_get"][0]
    headers, body = out["callback_empty_body"]
    assert "HTTP/1.1 400 Bad Request" in headers
    assert json.loads(body) == {"error": "body is not a printgate event"}


def test_cron_route(catalog: tuple[int, dict]) -> None:
    _, out = catalog
    assert "HTTP/1.1 403 Forbidden" in out["cron_bad"][0]
    assert out["cron_ok"][1] == {"delivered": 0, "retrying": 0, "failed": 0}


def test_install_registers_the_version_s_events(admin: tuple[int, dict]) -> None:
    version, out = admin
    _, _, route, sep, _ = LAYOUT[version]
    events = out["events"]
    history = "*addHistory" if version == 4 else "/addOrderHistory"
    assert events["printgate_order_history"] == [
        f"catalog/model/checkout/order{history}/after",
        f"{route}{sep}orderHistory",
    ]
    assert events["printgate_admin_order_info"] == [
        "admin/view/sale/order_info/before",
        f"{route}{sep}orderInfo",
    ]
    assert events["printgate_product_view"] == [
        "catalog/view/product/product/after",
        f"{route}{sep}productView",
    ]
    assert len(events) == 10
    assert "oc_printgate_order_job" in out["tables"]


def test_settings_page(admin: tuple[int, dict]) -> None:
    version, out = admin
    _, _, route, sep, _ = LAYOUT[version]
    view = out["index_view"]
    assert view["route"] == route
    data = view["data"]
    assert data["workflows"] == [{"id": "wf_cards", "name": "Business cards"}]
    assert data["has_secret_key"] is True and data["has_webhook_secret"] is True
    assert data["module_printgate_secret_key"] == "" and data["module_printgate_webhook_secret"] == ""
    assert SK not in json.dumps(data) and SECRET not in json.dumps(data)
    assert data["callback_url"] == f"https://shop.test/index.php?route={route}{sep}callback"


def test_settings_save_validates_and_keeps_secrets(admin: tuple[int, dict]) -> None:
    version, out = admin
    if version == 4:
        assert set(out["save_bad"]["error"]) == {"url", "secret-key"}
        assert out["save_good"] == {"success": "Success: you have saved the printgate settings."}
    else:
        assert set(out["save_bad"]) == {"url", "secret_key"}
        assert len(out["save_good"]) == 1
    settings = out["settings"]
    assert settings["module_printgate_url"] == "https://print.example.com"
    assert settings["module_printgate_secret_key"] == SK
    assert settings["module_printgate_webhook_secret"] == SECRET
    assert settings["module_printgate_all_products"] == 1


def test_test_connection_needs_the_user_token(admin: tuple[int, dict]) -> None:
    _, out = admin
    assert out["test_without_token"]["ok"] is False
    assert out["test"] == {
        "ok": True,
        "message": "1 workflow(s) available.",
        "workflows": [{"id": "wf_cards", "name": "Business cards"}],
    }


def test_product_form_and_save(admin: tuple[int, dict]) -> None:
    _, out = admin
    form = out["product_form"]
    assert (
        form.index('<input name="model">')
        < form.index('name="printgate_workflow_id"')
        < form.index("</form>")
    )
    assert '<option value="wf_cards">Business cards</option>' in form
    assert out["product_row"] == {"product_id": "50", "workflow_id": "wf_cards", "required": "0"}


def test_order_page_panel_and_download_guard(admin: tuple[int, dict]) -> None:
    version, out = admin
    _, _, route, sep, _ = LAYOUT[version]
    # The panel is a tab of the order page's view data, after the tabs already there (no HTML surgery).
    tabs = out["order_info_tabs"]
    assert [t["code"] for t in tabs] == ["cod", "printgate"]
    assert tabs[1]["title"] == "printgate print files"
    info = tabs[1]["content"]
    assert info.startswith('<div class="printgate-panel') and 'id="printgate-order-files"' in info
    assert (
        f"route={route}{sep}download&amp;user_token=tok123&amp;order_id=1042&amp;job_id=job_BC1&amp;run_id=task_1"
        in info
    )
    # An order without printgate lines gets no tab.
    assert not out["order_info_other"]  # no "tabs" key added (an empty PHP array is [] in JSON)
    assert "HTTP/1.1 403 Forbidden" in out["download_without_token"][0]
    assert "HTTP/1.1 404 Not Found" in out["download_foreign"][0]


def test_uninstall_cleans_up(admin: tuple[int, dict]) -> None:
    _, out = admin
    assert out["events_after_uninstall"] == []
    assert not [t for t in out["tables_after_uninstall"] if "printgate" in t]
    assert out["settings_after_uninstall"] is None
