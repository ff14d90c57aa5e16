"""Loading the main plugin file as WordPress would: declarations, hooks, the REST route."""

from __future__ import annotations

import pytest

from .conftest import run_php


@pytest.fixture(scope="module")
def booted() -> dict:
    return run_php({"cmd": "boot", "woocommerce": True})


def test_declares_hpos_and_block_checkout_compatibility(booted: dict):
    assert booted["features"] == [
        ["custom_order_tables", "printgate-for-woocommerce.php", True],
        ["cart_checkout_blocks", "printgate-for-woocommerce.php", True],
    ]


def test_every_registered_callback_exists_and_takes_the_arguments_wordpress_passes(booted: dict):
    for hook in booted["hooks"]:
        assert hook["callable"], hook
        if hook["params"] is not None:
            assert hook["params"] >= hook["accepted"] or hook["accepted"] == 1, hook


@pytest.mark.parametrize(
    ("hook", "callback"),
    [
        ("woocommerce_before_add_to_cart_button", "Printgate_Product::render_widget"),
        ("woocommerce_add_to_cart_validation", "Printgate_Product::validate_add_to_cart"),
        ("woocommerce_add_cart_item_data", "Printgate_Product::add_cart_item_data"),
        ("woocommerce_get_item_data", "Printgate_Product::cart_item_display"),
        ("woocommerce_checkout_create_order_line_item", "Printgate_Product::save_line_item"),
        ("woocommerce_product_data_tabs", "Printgate_Product::product_tab"),
        ("woocommerce_admin_process_product_object", "Printgate_Product::save_product"),
        ("woocommerce_checkout_order_processed", "Printgate_Order_Sync::on_classic_checkout"),
        ("woocommerce_store_api_checkout_order_processed", "Printgate_Order_Sync::on_store_api_checkout"),
        ("woocommerce_order_status_changed", "Printgate_Order_Sync::on_status_changed"),
        ("printgate_sync_order", "Printgate_Order_Sync::send"),
        ("printgate_sync_sweep", "Printgate_Order_Sync::sweep"),
        ("add_meta_boxes", "Printgate_Admin_Order::add_meta_box"),
        ("admin_post_printgate_download", "Printgate_Admin_Order::handle_download"),
        ("admin_post_printgate_proof", "Printgate_Admin_Order::handle_proof"),
        ("admin_post_printgate_retry_sync", "Printgate_Admin_Order::handle_retry"),
        ("admin_post_printgate_test_connection", "Printgate_Settings::test_connection"),
        ("woocommerce_settings_tabs_array", "Printgate_Settings::add_tab"),
        ("rest_api_init", "Printgate_Events::register_route"),
        ("printgate_event_note", "Printgate_Events::add_note"),
    ],
)
def test_hook_is_registered(booted: dict, hook: str, callback: str):
    assert {"hook": hook, "callback": callback} in [
        {"hook": h["hook"], "callback": h["callback"]} for h in booted["hooks"]
    ]


def test_the_only_logged_out_handler_is_the_signed_loopback(booted: dict):
    """Logged-out admin-ajax/admin-post handlers: only the loopback runner, which checks an HMAC
    keyed with the site's salt (tests/stores/test_woocommerce.py sends it a forged one)."""
    assert [
        (h["hook"], h["callback"])
        for h in booted["hooks"]
        if h["hook"].startswith("wp_ajax_nopriv_") or h["hook"].startswith("admin_post_nopriv_")
    ] == [("wp_ajax_nopriv_printgate_run_now", "Printgate_Async::handle")]


def test_events_route(booted: dict):
    assert booted["routes"] == [
        {
            "namespace": "printgate/v1",
            "route": "/events",
            "methods": "POST",
            "permission": "__return_true",
            "callable": True,
        }
    ]


def test_without_woocommerce_only_a_notice_is_registered():
    answer = run_php({"cmd": "boot", "woocommerce": False})
    hooks = {h["hook"] for h in answer["hooks"]}
    assert "admin_notices" in hooks
    assert "woocommerce_add_to_cart_validation" not in hooks
    assert answer["routes"] == []
