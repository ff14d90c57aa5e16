"""The PrestaShop module class's hooks as PrestaShop calls them, on a stubbed Module/Context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from printgate.connectors.build_store_packages import PRESTASHOP_ZIP

from .conftest import SECRET, SK, php_run, php_run_raw

CONFIG = {
    "PRINTGATE_URL": "http://printgate.test:8000",
    "PRINTGATE_PUBLISHABLE_KEY": "pk_test_1",
    "PRINTGATE_SECRET_KEY": SK,
    "PRINTGATE_WEBHOOK_SECRET": SECRET,
    "PRINTGATE_DEFAULT_WORKFLOW": "",
    "PRINTGATE_ALL_PRODUCTS": "0",
}
DETAILS = [
    {
        "id_order_detail": "401",
        "product_id": "19",
        "product_attribute_id": "0",
        "id_customization": "0",
        "product_name": "Poster A2",
        "product_quantity": "3",
        "product_reference": "POSTER-A2",
        "total_price_tax_incl": "43.200000",
    },
]
JOB = {
    "id": "job_PO1",
    "status": "ready",
    "outcome": "pass",
    "canProceed": True,
    "runs": [
        {
            "id": "task_9",
            "name": "poster.pdf",
            "outcome": "pass",
            "hasOutput": True,
            "proofs": [{"url": "https://files.test/p.png?sig=3"}],
            "previews": [{"url": "https://files.test/t.png?sig=4", "page": 1, "kind": "thumbnail"}],
            "downloadUrl": "https://files.test/poster.pdf?sig=9",
        }
    ],
}
ROUTES = {
    "GET /jobs/job_PO1?expand=runs": [{"status": 200, "body": JOB}],
    "GET /workflows": [{"status": 200, "body": {"workflows": [{"id": "wf_poster", "name": "Posters"}]}}],
    "POST /orders/88": [{"status": 200, "body": {"success": True}}],
}


@pytest.fixture(scope="module")
def module(extracted: dict[str, Path]) -> dict:
    lib = extracted[PRESTASHOP_ZIP] / "printgate/lib"
    return php_run("ps_module", lib=lib, config=CONFIG, routes=ROUTES, details=DETAILS)


def test_install_registers_hooks_and_hidden_tab(module: dict) -> None:
    assert module["install"] is True
    assert {
        "actionValidateOrder",
        "actionOrderStatusPostUpdate",
        "displayAdminOrderMain",
        "displayProductAdditionalInfo",
    } <= set(module["hooks"])
    assert module["tabs"] == [
        {
            "class_name": "AdminPrintgateFiles",
            "visible": False,
            "name": "printgate files",
            "parent_class_name": "AdminParentOrders",
        }
    ]
    assert module["url_after_install"] == "http://127.0.0.1:8000"
    assert module["uninstall"] is True
    assert module["tables_after_uninstall"] == []


def test_product_page_assets_and_config(module: dict) -> None:
    assets = {(a[0], a[1]): a[2] for a in module["assets"]}
    assert assets[("js", "printgate-widget")] == "http://printgate.test:8000/widget/v1/printgate.js"
    assert assets[("css", "printgate-widget")] == "http://printgate.test:8000/widget/v1/printgate.css"
    assert assets[("js", "printgate-front")] == "modules/printgate/views/js/front.js"
    config = module["js_def"]["printgateConfig"]
    assert config["mount"] == {
        "publishableKey": "pk_test_1",
        "workflowId": "wf_poster",
        "apiBase": "http://printgate.test:8000",
        "mountSelector": "#printgate-widget",
        "cartButtonSelector": '[data-button-action="add-to-cart"]',
        "fieldName": "printgate_job_id",
    }
    assert config["saveUrl"] == "https://boutique.test/module/printgate/savejob"
    assert SK not in json.dumps(module["js_def"]) and SECRET not in json.dumps(module["js_def"])
    widget = json.loads(module["widget_19"])
    assert widget["template"] == "views/templates/hook/product_widget.tpl"
    assert widget["vars"]["printgate_product_id"] == 19
    assert module["widget_7"] == ""


def test_cart_line_and_order_hooks(module: dict) -> None:
    [cart_job] = module["cart_jobs"]
    assert (cart_job["id_cart"], cart_job["id_product"], cart_job["job_id"]) == ("120", "19", "job_PO1")
    [row] = module["order_jobs"]
    assert (row["id_order_detail"], row["job_id"]) == ("401", "job_PO1")
    posts = [json.loads(r["body"]) for r in module["requests"] if r["key"] == "POST /orders/88"]
    assert [p["status"] for p in posts] == ["awaiting_bank_wire_payment", "payment_accepted"]
    assert posts[1]["items"][0]["jobId"] == "job_PO1"


def test_admin_order_panel_links_stay_in_the_shop(module: dict) -> None:
    panel = module["admin_order"]
    assert panel["template"] == "views/templates/hook/admin_order.tpl"
    [line] = panel["vars"]["printgate_lines"]
    assert (line["product"], line["job_id"], line["status"], line["live"]) == (
        "Poster A2",
        "job_PO1",
        "ready / pass",
        True,
    )
    [run] = line["runs"]
    assert run["download"].startswith(
        "https://boutique.test/admin-dev/index.php?controller=AdminPrintgateFiles&token=admintok&action=download"
    )
    assert "job_id=job_PO1" in run["download"] and "run_id=task_9" in run["download"]
    assert run["proofs"] == [
        "https://boutique.test/admin-dev/index.php?controller=AdminPrintgateFiles&token=admintok&action=proof&id_order=88&job_id=job_PO1&run_id=task_9&index=0"
    ]
    assert run["thumbnail"] == (
        "https://boutique.test/admin-dev/index.php?controller=AdminPrintgateFiles&token=admintok&action=thumbnail&id_order=88&job_id=job_PO1&run_id=task_9"
    )
    assert "sig=" not in json.dumps(panel) and SK not in json.dumps(panel)
    assert module["admin_order_empty"] == ""


def test_admin_product_tab(module: dict) -> None:
    tab = module["admin_product"]
    assert tab["template"] == "views/templates/admin/product_tab.tpl"
    assert tab["vars"]["printgate_workflow_id"] == "wf_poster"
    assert tab["vars"]["printgate_workflows"] == [{"id": "wf_poster", "name": "Posters"}]
    assert "action=saveProduct" in tab["vars"]["printgate_save_url"]
    assert module["product_after_delete"] == {"id_product": 19, "workflow_id": "", "required": 1}


def test_add_to_cart_gate_refuses_with_prestashop_s_error_shape(extracted: dict[str, Path]) -> None:
    raw = php_run_raw(
        "ps_gate",
        lib=extracted[PRESTASHOP_ZIP] / "printgate/lib",
        config=CONFIG,
        routes=ROUTES,
        details=DETAILS,
    )
    passed, refused = raw.split("passed-product-page\n")
    assert passed == "passed-7\npassed-admin\n"
    assert json.loads(refused) == {
        "hasError": True,
        "errors": ["Please upload your print file and wait until it has been checked."],
        "quantity": 0,
    }
