"""What reaches the browser: the order screen's "Print files" box and the product-page widget.
Secrets and printgate's signed URLs must never appear; everything from printgate is escaped."""

from __future__ import annotations

import base64
import json
import re

import pytest

from .conftest import ORDER_727, run_php

SK = "sk_test_never_in_html"
PK = "pk_test_public"
WHSEC = "whsec_" + base64.b64encode(b"render-test-secret-never-in-html").decode()
JOB = "job_01jf8n2q4vdddddddddddddddd"
OPTIONS = {
    "printgate_secret_key": SK,
    "printgate_publishable_key": PK,
    "printgate_webhook_secret": WHSEC,
    "printgate_base_url": "https://printgate.example",
    "printgate_default_workflow": "wf_default",
    "printgate_cart_button_selector": "#buy",
}
SIGNED = "https://printgate.example/files/abc?expires=1&signature=deadbeef"
RUNS = {
    "id": JOB,
    "status": "ready",
    "outcome": "warn",
    "canProceed": True,
    "runs": [
        {
            "id": "task_1",
            "name": 'card"><script>alert(1)</script>.pdf',
            "outcome": "warn",
            "status": "done",
            "hasOutput": True,
            "proofs": [{"url": SIGNED + "&p=1"}, {"url": SIGNED + "&p=2"}],
            "downloadUrl": SIGNED,
        },
        {
            "id": "task_2",
            "name": "back.pdf",
            "outcome": None,
            "status": "running",
            "hasOutput": False,
            "proofs": [],
        },
    ],
}


def render(
    responses: list | None = None,
    product_meta: dict | None = None,
    options: dict | None = None,
    order_meta: dict | None = None,
) -> dict:
    return run_php(
        {
            "cmd": "render",
            "options": {**OPTIONS, **(options or {})},
            "order_id": 727,
            "product_meta": product_meta or {},
            "orders": [
                {
                    "fixture": str(ORDER_727),
                    "item_meta": {"315": {"_printgate_job_id": JOB}},
                    "order_meta": order_meta or {},
                }
            ],
            "responses": [{"status": 200, "body": json.dumps(RUNS)}] if responses is None else responses,
        }
    )


@pytest.fixture(scope="module")
def page() -> dict:
    return render()


def test_meta_box_lists_job_status_proofs_and_download_buttons(page: dict):
    html = page["meta_box"]
    assert f"<code>{JOB}</code>" in html
    assert "ready · warn · can proceed" in html
    proxied = re.findall(r'<img src="([^"]+)"', html)
    assert proxied == [
        f"https://shop.example/wp-admin/admin-post.php?action=printgate_proof&amp;order_id=727&amp;job_id={JOB}&amp;run_id=task_1&amp;i={i}&amp;_wpnonce=fake"
        for i in (0, 1)
    ]
    downloads = re.findall(r'<a class="button" href="([^"]+)">Download print-ready file</a>', html)
    assert downloads == [
        f"https://shop.example/wp-admin/admin-post.php?action=printgate_download&amp;order_id=727&amp;job_id={JOB}&amp;run_id=task_1&amp;_wpnonce=fake"
    ]
    assert "<strong>back.pdf</strong>" in html


def test_meta_box_never_shows_secrets_or_signed_urls(page: dict):
    html = page["meta_box"]
    assert SK not in html and WHSEC not in html
    assert "signature=" not in html and "printgate.example/files" not in html


def test_meta_box_escapes_what_printgate_returns(page: dict):
    html = page["meta_box"]
    assert "<script>" not in html
    assert "card&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.pdf" in html


def test_meta_box_shows_sync_state_with_retry_link():
    html = render(
        order_meta={"_printgate_sync_pending": "1", "_printgate_sync_error": "printgate answered HTTP 503"}
    )["meta_box"]
    assert "the last attempt failed (printgate answered HTTP 503) and will be retried." in html
    assert "action=printgate_retry_sync&amp;order_id=727&amp;_wpnonce=fake" in html


def test_meta_box_reports_printgate_errors_instead_of_breaking():
    html = render(responses=[{"fail": "Connection refused"}])["meta_box"]
    assert "Could not load the job from printgate: printgate is unreachable: Connection refused" in html


def test_widget_mount_carries_only_the_publishable_key(page: dict):
    assert page["widget"] == (
        '<div id="printgate-slot-42" class="printgate-slot" data-product-id="42"></div>'
        '<input type="hidden" name="printgate_job_id" id="printgate-job-id-42" class="printgate-job-id" value="" />'
    )
    assert page["assets"] == [
        ["style", "printgate-widget", "https://printgate.example/widget/v1/printgate.css"],
        ["script", "printgate-widget", "https://printgate.example/widget/v1/printgate.js"],
        [
            "script",
            "printgate-product",
            "https://shop.example/wp-content/plugins/printgate-for-woocommerce/assets/js/printgate-product.js",
        ],
    ]
    [(handle, code, position)] = page["inline"]
    assert (handle, position) == ("printgate-product", "before")
    pushed = json.loads(code[code.index("push(") + 5 : code.rindex(");")])
    assert pushed["config"] == {
        "publishableKey": PK,
        "workflowId": "wf_default",
        "apiBase": "https://printgate.example",
        "mountSelector": "#printgate-slot-42",
        "cartButtonSelector": "#buy",
        "fieldName": "printgate_job_id",
        "presentation": "inline",
        "productId": 42,
        "required": True,
        "locale": "de-DE",
    }
    assert SK not in code and WHSEC not in code


def test_no_widget_without_workflow_or_publishable_key():
    assert render(product_meta={"_printgate_workflow": "none"})["widget"] == ""
    assert render(options={"printgate_publishable_key": ""})["widget"] == ""
