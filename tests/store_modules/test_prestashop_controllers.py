"""The PrestaShop module's front controllers (callback, savejob, cron) and its hidden admin
controller, each run as PrestaShop would run it (they answer by exit)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from printgate.connectors.build_store_packages import PRESTASHOP_ZIP
from printgate.webhooks.signing import standard_headers

from .conftest import SECRET, SK, php_run_raw

CONFIG = {
    "PRINTGATE_URL": "http://printgate.test:8000",
    "PRINTGATE_PUBLISHABLE_KEY": "pk_test_1",
    "PRINTGATE_SECRET_KEY": SK,
    "PRINTGATE_WEBHOOK_SECRET": SECRET,
}


def _run(
    extracted: dict[str, Path],
    controller: str,
    *,
    method: str = "POST",
    get: dict | None = None,
    post: dict | None = None,
    server: dict | None = None,
    access: list[str] | None = None,
) -> str:
    return php_run_raw(
        "ps_controller",
        lib=extracted[PRESTASHOP_ZIP] / "printgate/lib",
        config=CONFIG,
        controller=controller,
        server={"REQUEST_METHOD": method, **(server or {})},
        get=get or {},
        post=post or {},
        access=access or [],
    )


def test_callback_refuses_get(extracted: dict[str, Path]) -> None:
    assert json.loads(_run(extracted, "callback", method="GET")) == {"error": "POST only"}


def test_callback_verifies_then_parses(extracted: dict[str, Path]) -> None:
    signed = standard_headers(SECRET, "msg_ps_empty", b"", timestamp=int(time.time()))
    server = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed.items()}
    assert json.loads(_run(extracted, "callback", server=server)) == {
        "error": "body is not a printgate event"
    }
    forged = server | {"HTTP_WEBHOOK_ID": "msg_other"}
    assert json.loads(_run(extracted, "callback", server=forged)) == {"error": "signature does not match"}


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ({"token": "statictok", "product_id": "19", "job_id": "job_PO1"}, {"success": True}),
        ({"token": "wrong", "product_id": "19", "job_id": "job_PO1"}, {"error": "invalid token"}),
        ({"token": "statictok", "product_id": "19", "job_id": "<img>"}, {"error": "invalid product or job"}),
    ],
)
def test_savejob(extracted: dict[str, Path], post: dict, expected: dict) -> None:
    assert json.loads(_run(extracted, "savejob", post=post)) == expected


def test_cron_needs_its_key(extracted: dict[str, Path]) -> None:
    assert json.loads(_run(extracted, "cron", method="GET", get={"key": "nope"})) == {"error": "bad key"}
    assert json.loads(_run(extracted, "cron", method="GET", get={"key": "{cron}"})) == {
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
    }


def test_admin_controller_saves_product_setting_with_edit_right(extracted: dict[str, Path]) -> None:
    post = {"printgate_workflow_id": "wf_poster", "printgate_required": "1"}
    get = {"action": "saveProduct", "id_product": "19"}
    assert json.loads(
        _run(extracted, "AdminPrintgateFiles", get=get, post=post, access=["view", "edit"])
    ) == {
        "success": True,
        "message": "Settings updated.",
    }
    assert _run(extracted, "AdminPrintgateFiles", get=get, post=post, access=["view"]) == "Access denied."
    bad = post | {"printgate_workflow_id": "../x"}
    assert (
        json.loads(_run(extracted, "AdminPrintgateFiles", get=get, post=bad, access=["edit"]))["success"]
        is False
    )


def test_admin_download_refuses_files_of_other_orders(extracted: dict[str, Path]) -> None:
    get = {"action": "download", "id_order": "88", "job_id": "job_X", "run_id": "task_1"}
    assert _run(extracted, "AdminPrintgateFiles", get=get, access=["view"]) == (
        "This file does not belong to the order or printgate refused it."
    )
    assert _run(extracted, "AdminPrintgateFiles", get=get, access=[]) == "Access denied."
