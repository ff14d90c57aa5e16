"""The Shopify app package: app config (webhooks, compliance), theme block, admin link, app page."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from tests.support import source_dir

APP = source_dir("connectors", "shopify", "app")
BLOCK = APP / "extensions" / "printgate-upload"


def test_app_toml_declares_order_topics_and_compliance_topics() -> None:
    config = tomllib.loads((APP / "shopify.app.toml").read_text())
    subs = config["webhooks"]["subscriptions"]
    topics = {t for s in subs for t in s.get("topics", [])}
    compliance = {t for s in subs for t in s.get("compliance_topics", [])}
    assert topics == {"orders/create", "orders/paid", "orders/cancelled", "app/uninstalled"}
    assert compliance == {"customers/data_request", "customers/redact", "shop/redact"}
    assert {s["uri"] for s in subs} == {"https://printgate.example.com/webhooks/shopify"}
    from printgate.connectors.shopify.config import API_VERSION, ShopifySettings

    assert config["webhooks"]["api_version"] == API_VERSION
    assert set(config["access_scopes"]["scopes"].split(",")) == set(ShopifySettings().scopes.split(","))
    assert config["auth"]["redirect_urls"] == ["https://printgate.example.com/shopify/callback"]
    assert config["application_url"].endswith("/shopify/app") and config["embedded"] is True


def test_admin_link_targets_the_order_page() -> None:
    ext = tomllib.loads((APP / "extensions" / "printgate-order-link" / "shopify.extension.toml").read_text())
    [link] = ext["extensions"]
    assert link["type"] == "admin_link"
    assert link["targeting"] == [{"target": "admin.order-details.action.link", "url": "app://orders"}]


def _schema(liquid: str) -> dict[str, Any]:
    match = re.search(r"{%\s*schema\s*%}(.*?){%\s*endschema\s*%}", liquid, re.S)
    assert match
    return dict(json.loads(match.group(1)))


def _lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        node = node[part]
    return node


def test_theme_block_mounts_the_widget_with_a_hidden_line_item_property() -> None:
    assert tomllib.loads((BLOCK / "shopify.extension.toml").read_text())["type"] == "theme"
    liquid = (BLOCK / "blocks" / "upload.liquid").read_text()
    schema = _schema(liquid)
    assert schema["target"] == "section" and schema["enabled_on"] == {"templates": ["product"]}
    ids = {s["id"] for s in schema["settings"]}
    assert {"workflow_id", "publishable_key", "api_base", "presentation"} <= ids
    assert "fieldName: 'properties[_printgate_job_id]'" in liquid
    assert "/widget/v1/printgate.js" in liquid and "Printgate.mount(config)" in liquid
    assert "product.metafields.printgate.workflow_id" in liquid
    # Every translation key the block uses exists.
    schema_locale = json.loads((BLOCK / "locales" / "en.default.schema.json").read_text())
    for key in re.findall(r'"t:([\w.]+)"', json.dumps(schema)):
        assert isinstance(_lookup(schema_locale, key), str), key
    storefront = json.loads((BLOCK / "locales" / "en.default.json").read_text())
    for key in re.findall(r"'([\w.]+)' \| t", liquid):
        assert isinstance(_lookup(storefront, key), str), key


def test_widget_reads_the_block_options() -> None:
    """The block's option names are the ones the widget's Printgate.mount reads."""
    js = (source_dir("widgets", "static") / "printgate.js").read_text()
    for option in ("publishableKey", "workflowId", "apiBase", "cartButtonSelector", "fieldName", "presentation",
                   "productId", "locale"):
        assert f"cfg.{option}" in js, option


def test_embedded_app_page(client: Any, monkeypatch: Any) -> None:
    from printgate.connectors.shopify.config import reset_shopify_settings

    monkeypatch.setenv("PRINTGATE_SHOPIFY_API_KEY", "pg-app-key")
    reset_shopify_settings()
    page = client.get("/shopify/app")
    reset_shopify_settings()
    assert page.status_code == 200
    assert '<meta name="shopify-api-key" content="pg-app-key">' in page.text
    assert "http://testserver/shopify/session" in page.text and "shopify.idToken()" in page.text
