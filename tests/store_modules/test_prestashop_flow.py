"""The PrestaShop module's PrintgatePrestashop end to end on a fake PrestaShop (Db on an in-memory
MySQL stand-in, Configuration, Context, Order...): product setup, the AJAX-saved job, the add-to-cart
gate, order mapping, the queued signed order call, the callback with its order message, the file
proxy, uninstall."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from printgate.connectors.build_store_packages import PRESTASHOP_ZIP
from printgate.webhooks.signing import standard_headers, standard_verify

from .conftest import OTHER_SECRET, SECRET, SK, php_run_raw

DETAILS = [
    {
        "id_order_detail": "401",
        "id_order": "88",
        "product_id": "19",
        "product_attribute_id": "0",
        "id_customization": "0",
        "product_name": "Poster A2",
        "product_quantity": "3",
        "product_reference": "POSTER-A2",
        "total_price_tax_incl": "43.200000",
    },
    {
        "id_order_detail": "402",
        "id_order": "88",
        "product_id": "7",
        "product_attribute_id": "0",
        "id_customization": "0",
        "product_name": "Mug",
        "product_quantity": "1",
        "product_reference": "",
        "total_price_tax_incl": "11.400000",
    },
]
JOB = {
    "id": "job_PO1",
    "status": "ready",
    "outcome": "warn",
    "canProceed": True,
    "runs": [
        {
            "id": "task_9",
            "name": "poster.pdf",
            "outcome": "warn",
            "status": "done",
            "hasOutput": True,
            "proofs": [],
            "downloadUrl": "https://files.test/poster.pdf?sig=9",
        }
    ],
}


def _callback(order_id: str, msg_id: str, secret: str = SECRET) -> dict:
    body = json.dumps(
        {
            "type": "job.completed",
            "data": {
                "orderId": order_id,
                "jobs": [
                    {
                        "jobId": "job_PO1",
                        "status": "ready",
                        "runs": [
                            {
                                "name": "poster.pdf",
                                "downloadUrl": "https://files.test/poster.pdf?sig=9",
                                "proofs": [],
                            }
                        ],
                    },
                ],
            },
        }
    )
    return {
        "headers": standard_headers(secret, msg_id, body.encode(), timestamp=int(time.time())),
        "body": body,
    }


@pytest.fixture(scope="module")
def flow(extracted: dict[str, Path]) -> dict:
    first = _callback("88", "msg_ps_1")
    raw = php_run_raw(
        "ps_flow",
        lib=extracted[PRESTASHOP_ZIP] / "printgate/lib",
        config={
            "PRINTGATE_URL": "http://printgate.test:8000",
            "PRINTGATE_PUBLISHABLE_KEY": "pk_test_1",
            "PRINTGATE_SECRET_KEY": SK,
            "PRINTGATE_WEBHOOK_SECRET": SECRET,
            "PRINTGATE_DEFAULT_WORKFLOW": "wf_default",
            "PRINTGATE_ALL_PRODUCTS": "0",
            "PRINTGATE_SEND_ALL_ORDERS": "0",
        },
        routes={
            "GET /jobs/job_PO1?expand=runs": [{"status": 200, "body": JOB}],
            "GET /jobs/job_BAD?expand=runs": [
                {"status": 200, "body": {"id": "job_BAD", "status": "rejected", "canProceed": False}}
            ],
            "GET /jobs/job_DOWN?expand=runs": ["down"],
            "POST /orders/88": [{"status": 503, "body": "busy"}, {"status": 200, "body": {"success": True}}],
            "GET /jobs/job_PO1/runs/task_9/output": [{"status": 200, "body": "%PDF poster"}],
        },
        details=DETAILS,
        callbacks=[first, first, _callback("99", "msg_ps_2"), _callback("88", "msg_ps_3", OTHER_SECRET)],
    )
    before, result = raw.rsplit("\n--JSON--\n", 1)
    data = json.loads(result)
    data["proxied"] = before
    return data


def test_install_and_uninstall(flow: dict) -> None:
    ours = {
        "ps_printgate_product",
        "ps_printgate_cart_job",
        "ps_printgate_order_job",
        "ps_printgate_queue",
        "ps_printgate_webhook_seen",
    }
    assert flow["installed"] is True
    assert set(flow["tables"]) == ours
    assert flow["uninstalled"] is True
    assert flow["tables_after_uninstall"] == []
    assert flow["config_after_uninstall"] == []


def test_product_setup(flow: dict) -> None:
    assert flow["save_product"] == [True, True, False]
    assert flow["setup"] == {
        "19": {"workflow_id": "wf_poster", "required": True},
        "7": None,
        "8": None,
        "3": None,
    }


def test_job_saved_in_cookie_and_posted_field_wins(flow: dict) -> None:
    assert flow["save_job"] == [True, False]
    assert flow["cookie_writes"] == 1
    assert flow["incoming_saved"] == "job_PO1"
    assert flow["incoming_posted"] == "job_FIELD"


def test_add_to_cart_gate(flow: dict) -> None:
    assert flow["refusal"] == {
        "missing": "required",
        "bad": "not_ready",
        "ok": None,
        "down": None,
        "unknown": "not_ready",
        "ungated": None,
    }


def test_order_is_mapped_and_sent_signed_with_retry(flow: dict) -> None:
    [row] = flow["order_jobs"]
    assert (row["id_order"], row["id_order_detail"], row["id_product"], row["job_id"]) == (
        "88",
        "401",
        "19",
        "job_PO1",
    )
    assert flow["send"] == ["queued", "delivered"]
    assert flow["flush"] == {"delivered": 1, "retrying": 0, "failed": 0}
    posts = [r for r in flow["requests"] if r["key"] == "POST /orders/88"]
    assert len(posts) == 3
    assert posts[0]["body"] == posts[1]["body"]
    assert posts[0]["headers"]["webhook-id"] == posts[1]["headers"]["webhook-id"]
    for post in posts:
        standard_verify(SECRET, post["headers"], post["body"].encode())
    body = json.loads(posts[2]["body"])
    assert body == {
        "orderId": "88",
        "status": "payment_accepted",
        "currency": "EUR",
        "total": "54.60",
        "customer": {"id": 5, "name": "Jean Dupont", "email": "jean@example.fr"},
        "items": [
            {
                "itemId": 401,
                "productId": 19,
                "name": "Poster A2",
                "quantity": 3,
                "total": "43.20",
                "sku": "POSTER-A2",
                "jobId": "job_PO1",
            },
            {"itemId": 402, "productId": 7, "name": "Mug", "quantity": 1, "total": "11.40", "sku": ""},
        ],
        "source": "prestashop",
        "storeUrl": "https://boutique.test/",
    }
    assert json.loads(posts[0]["body"])["status"] == "awaiting_bank_wire_payment"
    assert [q["status"] for q in flow["queue"]] == ["delivered", "delivered"]


def test_callback_records_files_and_adds_one_private_message(flow: dict) -> None:
    assert [c["status"] for c in flow["callbacks"]] == [200, 409, 404, 401]
    [row] = flow["order_jobs_after_callback"]
    assert row["status"] == "ready"
    assert json.loads(row["files"])["runs"][0]["name"] == "poster.pdf"
    [message] = flow["messages"]
    assert message["message"] == "files ready: poster.pdf"
    assert message["private"] == 1
    # Written by the shop (its active SuperAdmin), not shown as the customer's own message.
    assert message["id_employee"] == 7
    assert flow["threads"] == 1


def test_files_and_proxy(flow: dict) -> None:
    [line] = flow["files"]
    assert line["live"] is True
    assert line["job"]["runs"][0]["id"] == "task_9"
    assert flow["proxy_foreign"] is False
    assert flow["proxy"] is True
    assert flow["proxied"] == "%PDF poster"
