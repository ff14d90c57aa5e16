"""The OpenCart bridge's pure parts: page injection, the widget snippet, the files panel, settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from printgate.connectors.build_store_packages import OC3_ZIP

from .conftest import SECRET, php_run

PRODUCT_PAGE = """<html><body><div id="content"><div class="container-fluid">
<div id="product"><input type="text" name="quantity" value="1" id="input-quantity" class="form-control" />
<input type="hidden" name="product_id" value="50" />
<button type="button" id="button-cart" class="btn btn-primary">Add to Cart</button></div>
<form action="x" method="post" id="form-product"><input name="model"></form>
</div></div>
<footer><div class="container">Powered</div></footer></body></html>"""

LABELS = {
    "title": "printgate print files",
    "product": "Product",
    "job": "Job",
    "status": "Status",
    "files": "Files",
    "proof": "Proof",
    "thumbnail": "Thumbnail",
    "download": "Download",
    "offline": "offline",
    "pending": "Files are not ready yet.",
}

SIGNED_DOWNLOAD = "https://files.printgate.test/out/flyer.pdf?X-Sig=SECRETSIG"
SIGNED_PROOF = "https://files.printgate.test/proof/p1.png?X-Sig=PROOFSIG"
SIGNED_PREVIEW = "https://files.printgate.test/preview/p1.png?X-Sig=PREVIEWSIG"
SIGNED_THUMB = "https://files.printgate.test/thumb/p1.png?X-Sig=THUMBSIG"


@pytest.fixture(scope="module")
def lib(extracted: dict[str, Path]) -> Path:
    return extracted[OC3_ZIP] / "upload/system/library/printgate"


def _html(lib: Path, config: dict) -> dict:
    lines = [
        {
            "row": {"order_product_id": "301", "job_id": "job_BC1", "status": ""},
            "job": {
                "id": "job_BC1",
                "status": "ready",
                "outcome": "pass",
                "canProceed": True,
                "runs": [
                    {
                        "id": "task_1",
                        "name": "flyer<script>.pdf",
                        "outcome": "pass",
                        "status": "done",
                        "hasOutput": True,
                        "proofs": [{"url": SIGNED_PROOF}],
                        "previews": [{"url": SIGNED_PREVIEW, "page": 1, "kind": "preview"},
                                     {"url": SIGNED_THUMB, "page": 1, "kind": "thumbnail"}],
                        "downloadUrl": SIGNED_DOWNLOAD,
                    }
                ],
            },
            "live": True,
        },
        {
            "row": {"order_product_id": "302", "job_id": "job_FL2", "status": "processing"},
            "job": None,
            "live": False,
        },
    ]
    return php_run(
        "oc_html",
        lib=lib,
        opencart=True,
        page=PRODUCT_PAGE,
        config=config,
        lines=lines,
        names={"301": "Cards &amp; <b>Co</b>", "302": "Flyer"},
        labels=LABELS,
    )


def _config(**overrides: object) -> dict:
    config = {
        "mount": {
            "publishableKey": "pk_test_1",
            "workflowId": "wf_print",
            "apiBase": "http://printgate.test:8000",
            "mountSelector": "#printgate-widget",
            "cartButtonSelector": "#button-cart",
            "fieldName": "printgate_job_id",
        },
        "productId": 50,
        "required": True,
        "saveUrl": "https://shop.test/index.php?route=x&a=1",
        "token": "t0k",
        "messages": {"unavailable": "x"},
    }
    config.update(overrides)
    return config


def test_widget_goes_inside_the_product_form_after_product_id(lib: Path) -> None:
    out = _html(lib, _config())
    page = out["product"]
    assert (
        page.index('name="product_id"') < page.index('id="printgate-widget"') < page.index('id="button-cart"')
    )
    assert '<input type="hidden" name="printgate_job_id" id="printgate-job-id" value="">' in page
    assert 'src="http://printgate.test:8000/widget/v1/printgate.js"' in page
    assert 'href="http://printgate.test:8000/widget/v1/printgate.css"' in page
    assert '"publishableKey":"pk_test_1"' in page
    assert '"fieldName":"printgate_job_id"' in page
    assert '"cartButtonSelector":"#button-cart"' in page
    assert "Printgate.mount(cfg.mount)" in page


def test_widget_snippet_contains_no_secret_and_escapes_script_breakers(lib: Path) -> None:
    out = _html(lib, _config(messages={"unavailable": "</script><script>alert(1)</script>"}))
    snippet = out["snippet"]
    assert "sk_" not in snippet and SECRET not in snippet
    assert "</script><script>alert(1)" not in snippet
    assert "\\u003C/script\\u003E" in snippet


def test_form_injection(lib: Path) -> None:
    out = _html(lib, _config())
    form = out["form"]
    assert form.index('<input name="model">') < form.index('<p id="fields"></p>') < form.index("</form>")


def test_files_panel_links_only_to_the_shop_and_escapes(lib: Path) -> None:
    panel = _html(lib, _config())["panel"]
    assert "X-Sig" not in panel and "files.printgate.test" not in panel
    assert "Bearer" not in panel
    download = "index.php?route=extension/module/printgate/download&amp;user_token=tok&amp;order_id=1042&amp;job_id=job_BC1&amp;run_id=task_1"
    proof = "index.php?route=extension/module/printgate/proof&amp;user_token=tok&amp;order_id=1042&amp;job_id=job_BC1&amp;run_id=task_1&amp;index=0"
    assert f'href="{download}"' in panel
    assert f'src="{proof}"' in panel
    # The run's thumbnail (its "thumbnail" preview), proxied by the shop, before its proof.
    thumbnail = "index.php?route=extension/module/printgate/thumbnail&amp;user_token=tok&amp;order_id=1042&amp;job_id=job_BC1&amp;run_id=task_1"
    assert f'class="printgate-thumbnail" src="{thumbnail}"' in panel
    assert panel.index(thumbnail) < panel.index(proof)
    assert 'alt="Thumbnail"' in panel
    assert "flyer&lt;script&gt;.pdf" in panel
    assert "Cards &amp; &lt;b&gt;Co&lt;/b&gt;" in panel
    assert "ready / pass" in panel
    assert "Files are not ready yet." in panel
    assert panel.count("<tr>") == 3


def test_events_follow_each_opencart_version(lib: Path) -> None:
    out = _html(lib, _config())
    assert out["events3"]["printgate_order_history"] == [
        "catalog/model/checkout/order/addOrderHistory/after",
        "orderHistory",
    ]
    assert out["events4"]["printgate_order_history"] == [
        "catalog/model/checkout/order*addHistory/after",
        "orderHistory",
    ]
    assert out["events3"]["printgate_cart_add"][0] == "catalog/controller/checkout/cart/add/after"
    assert out["events4"]["printgate_cart_add"][0] == "catalog/controller/checkout/cart.add/after"
    assert out["events3"]["printgate_admin_order_info"][0] == "admin/view/sale/order_info/before"


def test_settings_validate_and_keep_saved_secrets(lib: Path) -> None:
    post = {
        "module_printgate_status": "1",
        "module_printgate_url": "https://print.example.com/",
        "module_printgate_publishable_key": "pk_live_1",
        "module_printgate_secret_key": "",
        "module_printgate_webhook_secret": "",
        "module_printgate_default_workflow": "wf_print",
    }
    out = php_run(
        "oc_settings",
        lib=lib,
        opencart=True,
        post=post,
        saved={"secret_key": "sk_live_saved", "webhook_secret": SECRET},
    )
    assert out["errors"] == []
    settings = out["settings"]
    assert settings["module_printgate_url"] == "https://print.example.com"
    assert settings["module_printgate_secret_key"] == "sk_live_saved"
    assert settings["module_printgate_webhook_secret"] == SECRET
    assert settings["module_printgate_status"] == 1
    assert settings["module_printgate_all_products"] == 0

    bad = post | {
        "module_printgate_url": "ftp://x",
        "module_printgate_publishable_key": "sk_live_oops",
        "module_printgate_secret_key": "pk_wrong",
        "module_printgate_webhook_secret": "whsec_***",
    }
    errors = php_run("oc_settings", lib=lib, opencart=True, post=bad, saved={})["errors"]
    assert errors == {
        "url": "error_url",
        "publishable_key": "error_publishable_key",
        "secret_key": "error_secret_key",
        "webhook_secret": "error_webhook_secret",
    }


FIRED = [
    # OpenCart 3 and 4.0 name model events route/method, 4.1 route.method.
    "model/checkout/order/addOrderHistory/after",
    "model/checkout/order/addHistory/after",
    "model/checkout/order.addHistory/after",
    "model/checkout/order/addOrder/after",
    "model/checkout/order.addOrder/after",
    "model/checkout/order/editOrder/after",
    "model/checkout/order/getOrder/after",
    "controller/checkout/cart/add/after",
    "controller/checkout/cart.add/after",
    "controller/checkout/cart.remove/after",
    "view/product/product/after",
    "view/product/category/after",
    "view/sale/order_info/before",
    "view/sale/order_info/after",
    "model/catalog/product/editProduct/after",
    "model/catalog/product.editProduct/after",
    "model/catalog/product/addProduct/after",
]


def test_triggers_match_exactly_the_events_opencart_fires(lib: Path) -> None:
    out = php_run("oc_triggers", lib=lib, opencart=True, fired=FIRED)
    oc3, oc4 = out["3"], out["4"]
    assert oc3["printgate_order_history"] == ["model/checkout/order/addOrderHistory/after"]
    assert oc4["printgate_order_history"] == [
        "model/checkout/order/addHistory/after",
        "model/checkout/order.addHistory/after",
    ]
    assert oc3["printgate_order_add"] == ["model/checkout/order/addOrder/after"]
    assert oc4["printgate_order_add"] == [
        "model/checkout/order/addOrder/after",
        "model/checkout/order.addOrder/after",
    ]
    assert oc3["printgate_cart_add"] == ["controller/checkout/cart/add/after"]
    assert oc4["printgate_cart_add"] == ["controller/checkout/cart.add/after"]
    assert oc4["printgate_admin_product_edit"] == [
        "model/catalog/product/editProduct/after",
        "model/catalog/product.editProduct/after",
    ]
    for version in (oc3, oc4):
        assert version["printgate_product_view"] == ["view/product/product/after"]
        assert version["printgate_admin_order_info"] == ["view/sale/order_info/before"]
        assert version["printgate_order_edit"][0] == "model/checkout/order/editOrder/after"
