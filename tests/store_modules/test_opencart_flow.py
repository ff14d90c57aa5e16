"""The OpenCart bridge end to end on a fake OpenCart (registry, cart, in-memory MySQL stand-in):
product setup, widget, AJAX save, gated add to cart, order mapping, queued signed order call,
printgate's callback, the admin panel and the file proxy, uninstall."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from printgate.connectors.build_store_packages import OC3_ZIP
from printgate.webhooks.signing import standard_headers, standard_verify

from .conftest import OTHER_SECRET, SECRET, SK, php_run_raw

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
            "status": "done",
            "hasOutput": True,
            "proofs": [{"url": "https://files.test/p.png?sig=1"}],
            "downloadUrl": "https://files.test/o.pdf?sig=2",
        }
    ],
}


def _callback(order_id: str, msg_id: str, secret: str = SECRET) -> dict:
    body = json.dumps(
        {
            "type": "order.files_ready",
            "data": {
                "orderId": order_id,
                "jobs": [
                    {
                        "jobId": "job_BC1",
                        "status": "ready",
                        "runs": [
                            {
                                "name": "cards.pdf",
                                "downloadUrl": "https://files.test/o.pdf?sig=2",
                                "proofs": [{"url": "https://files.test/p.png?sig=1"}],
                            },
                        ],
                    }
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
    first = _callback("1042", "msg_cb_1")
    raw = php_run_raw(
        "oc_flow",
        lib=extracted[OC3_ZIP] / "upload/system/library/printgate",
        opencart=True,
        settings={
            "status": 1,
            "url": "http://printgate.test:8000",
            "publishable_key": "pk_test_1",
            "secret_key": SK,
            "webhook_secret": SECRET,
            "default_workflow": "wf_default",
            "all_products": 0,
            "send_all_orders": 0,
        },
        routes={
            "GET /jobs/job_BC1?expand=runs": [{"status": 200, "body": JOB}],
            "GET /jobs/job_BAD?expand=runs": [
                {
                    "status": 200,
                    "body": {"id": "job_BAD", "status": "rejected", "canProceed": False, "runs": []},
                }
            ],
            "POST /orders/1042": ["down", {"status": 200, "body": {"success": True}}],
            "GET /jobs/job_BC1/runs/task_1/output": [{"status": 200, "body": "%PDF-1.7 print-ready"}],
        },
        callbacks=[first, first, _callback("7", "msg_cb_2"), _callback("1042", "msg_cb_3", OTHER_SECRET)],
    )
    before, result = raw.rsplit("\n--JSON--\n", 1)
    data = json.loads(result)
    data["proxied"] = before
    return data


def test_install_creates_and_uninstall_drops_the_tables(flow: dict) -> None:
    ours = {
        "oc_printgate_product",
        "oc_printgate_cart_job",
        "oc_printgate_order_job",
        "oc_printgate_queue",
        "oc_printgate_webhook_seen",
    }
    assert ours <= set(flow["tables"])
    assert not ours & set(flow["tables_after_uninstall"])
    assert "oc_order" in flow["tables_after_uninstall"]


def test_product_setup_and_widget(flow: dict) -> None:
    assert flow["setup"] == {
        "50": {"workflow_id": "wf_cards", "required": True},
        "51": None,
        "52": None,
        "53": {"workflow_id": "wf_default", "required": False},
    }
    assert '"workflowId":"wf_cards"' in flow["widget"]["50"]
    assert SK not in flow["widget"]["50"] and SECRET not in flow["widget"]["50"]
    assert flow["widget"]["51"] == ""


def test_ajax_save_needs_the_session_token_and_a_job_id(flow: dict) -> None:
    assert flow["save_bad_token"]["status"] == 403
    assert flow["save_bad_job"]["status"] == 400
    assert flow["save_ok"] == {"status": 200, "body": {"success": True}}


def test_add_to_cart_is_gated_and_the_job_follows_the_cart_line(flow: dict) -> None:
    assert flow["add_missing"] == "upload first"
    assert flow["cart_after_missing"] == 0
    assert flow["add_bad"] == "not ready"
    assert flow["cart_after_bad"] == 0
    assert flow["add_ok"] is None
    assert flow["add_plain"] is None
    assert flow["session_jobs_after_add"] == []
    cart = {row["product_id"]: row for row in flow["cart"]}
    assert set(cart) == {"50", "9"}
    [cart_job] = flow["cart_jobs"]
    assert (cart_job["cart_id"], cart_job["product_id"], cart_job["job_id"]) == (
        cart["50"]["cart_id"],
        "50",
        "job_BC1",
    )


def test_order_lines_get_their_job(flow: dict) -> None:
    [row] = flow["order_jobs"]
    assert (row["order_id"], row["product_id"], row["job_id"]) == ("1042", "50", "job_BC1")


def test_order_call_is_queued_while_down_and_delivered_once(flow: dict) -> None:
    assert flow["history_pending"] == "queued"
    [queued] = flow["queue_after_down"]
    assert queued["status"] == "pending" and "unreachable" in queued["last_error"]
    assert flow["flush"] == {"delivered": 1, "retrying": 0, "failed": 0}
    assert flow["history_processing"] == "delivered"
    assert [row["status"] for row in flow["queue"]] == ["delivered", "delivered"]
    posts = [r for r in flow["requests"] if r["key"] == "POST /orders/1042"]
    assert len(posts) == 4
    assert (
        posts[0]["headers"]["webhook-id"]
        == posts[1]["headers"]["webhook-id"]
        != posts[2]["headers"]["webhook-id"]
    )
    for post in posts:
        assert post["headers"]["Authorization"] == f"Bearer {SK}"
        standard_verify(SECRET, post["headers"], post["body"].encode())
    first, last = json.loads(posts[1]["body"]), json.loads(posts[2]["body"])
    assert first["status"] == "pending" and last["status"] == "processing"
    assert last == first | {"status": "processing"}
    assert last["items"] == [
        {
            "itemId": 1,
            "productId": 50,
            "name": "Business Cards",
            "quantity": 2,
            "total": "24.00",
            "sku": "BC-STD",
            "jobId": "job_BC1",
        },
        {"itemId": 2, "productId": 9, "name": "Gift wrap", "quantity": 1, "total": "6.00", "sku": "GW"},
    ]
    assert last["customer"] == {"id": 17, "name": "Zoe Martin", "email": "zoe@example.com"}
    assert (last["orderId"], last["currency"], last["total"], last["source"]) == (
        "1042",
        "EUR",
        "30.00",
        "opencart",
    )


def test_callback_records_files_once_and_refuses_the_rest(flow: dict) -> None:
    statuses = [c["status"] for c in flow["callbacks"]]
    assert statuses == [200, 409, 404, 401]
    [row] = flow["order_jobs_after_callback"]
    assert row["status"] == "ready"
    assert json.loads(row["files"])["runs"][0]["name"] == "cards.pdf"
    [history] = flow["order_history"]
    assert history["order_id"] == "1042" and history["notify"] == "0"
    assert history["comment"] == "printgate: print-ready files are available (cards.pdf)."


def test_admin_panel_and_proxy_keep_keys_and_signed_urls_server_side(flow: dict) -> None:
    panel = flow["panel"]
    assert "cards.pdf" in panel and "ready / pass" in panel
    assert "<td>Business Cards</td>" in panel
    assert "sig=" not in panel and "files.test" not in panel and SK not in panel
    assert (
        "route=extension/module/printgate/download&amp;user_token=tok&amp;order_id=1042&amp;job_id=job_BC1&amp;run_id=task_1"
        in panel
    )
    assert flow["proxy_foreign_job"] is False
    assert flow["proxy_other_order"] is False
    assert flow["proxy"] is True
    assert flow["proxied"] == "%PDF-1.7 print-ready"
    download = [r for r in flow["requests"] if r["key"] == "GET /jobs/job_BC1/runs/task_1/output"]
    assert len(download) == 1
    assert download[0]["headers"]["Authorization"] == f"Bearer {SK}"


def test_job_follows_its_product_after_an_admin_edit_of_the_lines(flow: dict) -> None:
    assert flow["history_after_edit"] == "delivered"
    posts = [r for r in flow["requests"] if r["key"] == "POST /orders/1042"]
    edited = json.loads(posts[3]["body"])
    assert [(i["itemId"], i["productId"], i.get("jobId")) for i in edited["items"]] == [
        (3, 9, None),
        (4, 50, "job_BC1"),
    ]
