"""PrestaShop's signed order calls (bodies and signatures from the module's PHP) and how its order
states, named by the merchant in any language, map to the pipeline's paid / pending / cancelled."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.opencart_store import php, php_signed_order, post_order, register_store
from tests.store_modules.test_orders import PS_CUSTOMER, PS_DETAILS, PS_ORDER

SHOP = "https://boutique.example/"


def ps_call(secret: str, status: str = "Payment accepted", **sign: Any) -> tuple[bytes, dict[str, str]]:
    return php_signed_order("prestashop", secret, order=PS_ORDER, details=PS_DETAILS, customer=PS_CUSTOMER,
                            currency="EUR", status=status, jobs={"401": "job_01unknownjob0000000000000"},
                            storeUrl=SHOP, **sign)


def test_prestashop_signed_call_reaches_its_store(client: Any, auth: dict[str, str], instance: Any) -> None:
    opencart = register_store(client, auth, "opencart", "https://shop.example/")
    created = register_store(client, auth, "prestashop", SHOP)
    body, headers = ps_call(created["webhookSecret"])
    answers = [post_order(client, auth, "88", body, headers) for _ in range(2)]  # the module's retry
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    instance.drain()
    synced = client.get(f"/stores/{created['store']['id']}/orders/88", headers=auth).json()
    assert synced["platform"] == "prestashop" and synced["financialStatus"] == "paid"
    assert [(line["lineId"], line["productId"], line["jobId"]) for line in synced["lines"]] == [
        ("401", "19", "job_01unknownjob0000000000000"), ("402", "7", None)]
    assert synced["status"] == "failed" and "job not found" in synced["lastError"]
    assert client.get(f"/stores/{opencart['store']['id']}/orders", headers=auth).json()["data"] == []

    # The OpenCart store's secret does not sign PrestaShop calls; a forged one is refused.
    forged = post_order(client, auth, "88", *ps_call(opencart["webhookSecret"]))
    assert forged.status_code == 401 and "source" in forged.json()["message"]
    wrong = post_order(client, auth, "88", *ps_call("whsec_" + "WllaWlla" * 4))
    assert wrong.status_code == 401


def php_slug(name: str) -> str:
    """The module's status slug (``PrintgateOrderBody::status``), computed by its PHP."""
    body, _ = php_signed_order("prestashop", "whsec_" + "QUJD" * 8, order=PS_ORDER, details=[], customer=PS_CUSTOMER,
                               currency="EUR", status=name, jobs={}, storeUrl=SHOP)
    import json

    return str(json.loads(body)["status"])


@pytest.mark.parametrize(("name", "expected"), [
    ("Payment accepted", "paid"), ("Processing in progress", "paid"), ("Shipped", "paid"),
    ("Remote payment accepted", "paid"), ("Paiement accepté", "paid"), ("Zahlung eingegangen", "paid"),
    ("Awaiting bank wire payment", "pending"), ("Awaiting check payment", "pending"),
    ("Awaiting Cash On Delivery validation", "pending"), ("On backorder (not paid)", "pending"),
    ("Payment error", "pending"), ("En attente de virement bancaire", "pending"),
    ("Canceled", "cancelled"), ("Refunded", "cancelled"), ("Annulé", "cancelled"), ("Remboursé", "cancelled"),
    ("Storniert", "cancelled"),
])
def test_prestashop_state_names_map_to_the_pipeline(name: str, expected: str) -> None:
    from printgate.connectors.store_modules import normalize_status

    assert normalize_status(php_slug(name)) == expected


def test_merchant_status_lists_win_over_the_defaults() -> None:
    from printgate.connectors.store_modules import normalize_status

    settings = {"pendingStatuses": ["preparation_en_cours"], "paidStatuses": ["payment_error"],
                "cancelledStatuses": ["archived"]}
    assert normalize_status("preparation_en_cours", settings) == "pending"
    assert normalize_status("payment_error", settings) == "paid"
    assert normalize_status("archived", settings) == "cancelled"
    assert normalize_status(None) == "pending"
    assert php("slug", "<?php require json_decode(stream_get_contents(STDIN), true)['lib'] . '/autoload.php';"
               " echo json_encode(PrintgateOrderBody::status(''));", {}) == "pending"
