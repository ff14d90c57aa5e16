"""Order bodies from real platform order fields, sent signed through the queue with a fake transport."""

from __future__ import annotations

import itertools
import json

from printgate.webhooks.signing import standard_verify

from .conftest import BASE, SECRET, SK, php_run

NOW = 1_764_000_000

# A row of OpenCart's `order` table as model checkout/order getOrder() returns it (OC 3 and 4 share
# these columns); totals are stored in the default currency, currency_value converts to the order's.
OC_ORDER = {
    "order_id": "1042",
    "invoice_no": "0",
    "invoice_prefix": "INV-2026-00",
    "store_id": "0",
    "store_name": "Print Shop",
    "store_url": "https://shop.example/",
    "customer_id": "17",
    "customer_group_id": "1",
    "firstname": "Zoë",
    "lastname": "O&#039;Brien",
    "email": "zoe@example.com",
    "telephone": "+44 20 7946 0000",
    "payment_firstname": "Zoë",
    "payment_lastname": "O'Brien",
    "payment_method": "Cash On Delivery",
    "payment_code": "cod",
    "shipping_method": "Flat Shipping Rate",
    "comment": "",
    "total": "54.0000",
    "order_status_id": "1",
    "language_id": "1",
    "language_code": "en-gb",
    "currency_id": "3",
    "currency_code": "EUR",
    "currency_value": "0.78460002",
    "ip": "203.0.113.9",
    "date_added": "2026-11-25 10:00:00",
    "date_modified": "2026-11-25 10:00:00",
}
OC_PRODUCTS = [
    {
        "order_product_id": "301",
        "order_id": "1042",
        "product_id": "50",
        "name": "Business Cards &amp; Co",
        "model": "BC-85x55",
        "quantity": "2",
        "price": "12.0000",
        "total": "24.0000",
        "tax": "2.4000",
        "reward": "0",
        "sku": "BC-STD",
    },
    {
        "order_product_id": "302",
        "order_id": "1042",
        "product_id": "51",
        "name": "Flyer A5",
        "model": "FL-A5",
        "quantity": "1",
        "price": "25.0000",
        "total": "25.0000",
        "tax": "2.5000",
        "reward": "0",
        "sku": "",
    },
    {
        "order_product_id": "303",
        "order_id": "1042",
        "product_id": "9",
        "name": "Gift wrap",
        "model": "GW",
        "quantity": "1",
        "price": "5.0000",
        "total": "5.0000",
        "tax": "0.0000",
        "reward": "0",
        "sku": "GW-1",
    },
]

# PrestaShop: Order fields, OrderDetail rows (Order::getOrderDetailList()), Customer fields.
PS_ORDER = {
    "id": 88,
    "id_order": 88,
    "reference": "XKBKNABJK",
    "id_customer": 5,
    "id_currency": 1,
    "id_cart": 120,
    "current_state": 2,
    "payment": "Bank wire",
    "module": "ps_wirepayment",
    "total_paid": "61.800000",
    "total_paid_tax_incl": "61.800000",
    "total_paid_tax_excl": "51.500000",
    "total_products": "44.500000",
    "total_shipping": "7.000000",
    "id_shop": 1,
    "id_lang": 1,
    "date_add": "2026-11-25 10:00:00",
}
PS_DETAILS = [
    {
        "id_order_detail": 401,
        "id_order": 88,
        "product_id": 19,
        "product_attribute_id": 0,
        "product_name": "Poster A2 - Paper : Matte",
        "product_quantity": 3,
        "product_reference": "POSTER-A2",
        "unit_price_tax_incl": "14.400000",
        "total_price_tax_incl": "43.200000",
        "total_price_tax_excl": "36.000000",
    },
    {
        "id_order_detail": 402,
        "id_order": 88,
        "product_id": 7,
        "product_attribute_id": 0,
        "product_name": "Mug",
        "product_quantity": 1,
        "product_reference": "",
        "unit_price_tax_incl": "11.400000",
        "total_price_tax_incl": "11.400000",
        "total_price_tax_excl": "9.500000",
    },
]
PS_CUSTOMER = {"id": 5, "firstname": "Jean", "lastname": "Dupont", "email": "jean@example.fr"}


def _opencart(script: list, later: list[int], status: str = "Processing") -> dict:
    return php_run(
        "order_opencart",
        now=NOW,
        order=OC_ORDER,
        products=OC_PRODUCTS,
        status=status,
        jobs={"301": "job_BC1", "302": "job_FL2"},
        storeUrl="https://shop.example",
        script=script,
        later=later,
    )


def test_opencart_order_body_is_filecheck_shaped_and_signed() -> None:
    out = _opencart([{"status": 200, "body": '{"success":true,"affectedJobIds":["job_BC1","job_FL2"]}'}], [])
    assert out["results"] == ["delivered"]
    [request] = out["requests"]
    assert request["method"] == "POST"
    assert request["url"] == f"{BASE}/orders/1042"
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert (
        standard_verify(SECRET, request["headers"], request["body"].encode(), now=NOW)
        == request["headers"]["webhook-id"]
    )
    assert json.loads(request["body"]) == {
        "orderId": "1042",
        "status": "processing",
        "currency": "EUR",
        "total": "42.37",
        "customer": {"id": 17, "name": "Zoë O'Brien", "email": "zoe@example.com"},
        "items": [
            {
                "itemId": 301,
                "productId": 50,
                "name": "Business Cards & Co",
                "quantity": 2,
                "total": "18.83",
                "sku": "BC-STD",
                "jobId": "job_BC1",
            },
            {
                "itemId": 302,
                "productId": 51,
                "name": "Flyer A5",
                "quantity": 1,
                "total": "19.62",
                "sku": "FL-A5",
                "jobId": "job_FL2",
            },
            {
                "itemId": 303,
                "productId": 9,
                "name": "Gift wrap",
                "quantity": 1,
                "total": "3.92",
                "sku": "GW-1",
            },
        ],
        "source": "opencart",
        "storeUrl": "https://shop.example/",
    }
    assert out["queue"][0]["status"] == "delivered"


def test_prestashop_order_body_is_filecheck_shaped_and_signed() -> None:
    out = php_run(
        "order_prestashop",
        now=NOW,
        order=PS_ORDER,
        details=PS_DETAILS,
        customer=PS_CUSTOMER,
        currency="EUR",
        status="Payment accepted",
        jobs={"401": "job_PO1"},
        storeUrl="https://boutique.example/",
        script=[{"status": 201, "body": "{}"}],
        later=[],
    )
    assert out["results"] == ["delivered"]
    [request] = out["requests"]
    assert request["url"] == f"{BASE}/orders/88"
    standard_verify(SECRET, request["headers"], request["body"].encode(), now=NOW)
    assert json.loads(request["body"]) == {
        "orderId": "88",
        "status": "payment_accepted",
        "currency": "EUR",
        "total": "61.80",
        "customer": {"id": 5, "name": "Jean Dupont", "email": "jean@example.fr"},
        "items": [
            {
                "itemId": 401,
                "productId": 19,
                "name": "Poster A2 - Paper : Matte",
                "quantity": 3,
                "total": "43.20",
                "sku": "POSTER-A2",
                "jobId": "job_PO1",
            },
            {"itemId": 402, "productId": 7, "name": "Mug", "quantity": 1, "total": "11.40", "sku": ""},
        ],
        "source": "prestashop",
        "storeUrl": "https://boutique.example/",
    }


def test_down_then_up_delivers_exactly_once_with_same_id_and_body() -> None:
    # Refused, then 503, then accepted; later flushes find nothing left to send.
    out = _opencart(
        ["down", {"status": 503, "body": "busy"}, {"status": 200, "body": "{}"}], [30, 60, 120, 3600, 86400]
    )
    assert out["results"][0] == "queued"
    # 30 s later: backoff (60 s) not elapsed, nothing sent.
    assert out["results"][1] == {"delivered": 0, "retrying": 0, "failed": 0}
    assert out["results"][2] == {"delivered": 0, "retrying": 1, "failed": 0}
    assert out["results"][3] == {"delivered": 1, "retrying": 0, "failed": 0}
    assert out["results"][4:] == [{"delivered": 0, "retrying": 0, "failed": 0}] * 2
    requests = out["requests"]
    assert len(requests) == 3
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1
    assert len({r["body"] for r in requests}) == 1
    stamps = [int(r["headers"]["webhook-timestamp"]) for r in requests]
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]
    for request, stamp in zip(requests, stamps, strict=True):
        standard_verify(SECRET, request["headers"], request["body"].encode(), now=stamp)
    [row] = out["queue"]
    assert row["status"] == "delivered"
    assert row["attempts"] == 3


def test_rejected_body_is_not_retried_forever() -> None:
    out = _opencart([{"status": 400, "body": '{"error":true,"message":"bad"}'}], [86400])
    assert out["results"] == ["failed", {"delivered": 0, "retrying": 0, "failed": 0}]
    assert len(out["requests"]) == 1
    assert "HTTP 400" in out["queue"][0]["last_error"]


def test_auth_failure_keeps_the_order_queued() -> None:
    out = _opencart(
        [{"status": 401, "body": '{"message":"Unauthorized"}'}, {"status": 200, "body": "{}"}], [61]
    )
    assert out["results"] == ["queued", {"delivered": 1, "retrying": 0, "failed": 0}]


def test_newer_status_supersedes_queued_older_one() -> None:
    bodies = [
        {"orderId": "7", "status": "pending", "items": []},
        {"orderId": "7", "status": "processing", "items": []},
    ]
    out = php_run("supersede", now=NOW, bodies=bodies, script=["down", "down", {"status": 200, "body": "{}"}])
    assert out["results"][:2] == ["queued", "queued"]
    assert out["results"][2] == {"delivered": 1, "retrying": 0, "failed": 0}
    assert [row["status"] for row in out["queue"]] == ["superseded", "delivered"]
    assert json.loads(out["requests"][-1]["body"])["status"] == "processing"


def test_backoff_grows_and_is_capped() -> None:
    # One refused send per flush; the gap between attempts doubles.
    out = _opencart(["down"] * 4 + [{"status": 200, "body": "{}"}], [60, 120, 240, 480])
    stamps = [int(r["headers"]["webhook-timestamp"]) for r in out["requests"]]
    assert [b - a for a, b in itertools.pairwise(stamps)] == [60, 120, 240, 480]
    assert out["queue"][0]["status"] == "delivered"
