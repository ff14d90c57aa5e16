"""The connectors' own bodies (store modules, WooCommerce stores) are typed: unknown keys are refused
with a 400 that names the field (one formatter, ``printgate.core.errors.validation_message``)."""

from __future__ import annotations

from typing import Any

SHOP = "https://bodies-shop.example/"


def _create(client: Any, auth: dict[str, str], **body: Any) -> Any:
    return client.post("/store-modules/stores", json={"platform": "opencart", "storeUrl": SHOP, **body}, headers=auth)


def test_unknown_and_mistyped_keys_are_400_naming_the_field(client: Any, auth: dict[str, str]) -> None:
    cases = {
        "stroeUrl": ({"stroeUrl": SHOP}, "stroeUrl: Extra inputs are not permitted"),
        "platform": ({"platform": "magento"}, "platform: Input should be 'opencart' or 'prestashop'"),
        "ocVersion": ({"ocVersion": 5}, "ocVersion: Input should be 3 or 4"),
        "settings key": ({"settings": {"apiWriteBak": "always"}}, "settings.apiWriteBak: Extra inputs are not permitted"),
        "settings value": ({"settings": {"apiWriteBack": "sometimes"}}, "settings.apiWriteBack: Input should be"),
        "status slugs": ({"settings": {"paidStatuses": "paid"}}, "settings.paidStatuses: Input should be a valid list"),
        "credentials key": ({"apiCredentials": {"username": "u", "key": "k", "token": "t"}},
                            "apiCredentials.token: Extra inputs are not permitted"),
        "credentials missing": ({"apiCredentials": {"username": "u"}}, "apiCredentials.key: Field required"),
        "name": ({"name": 42}, "name: Input should be a valid string"),
    }
    for label, (body, message) in cases.items():
        response = _create(client, auth, **body)
        assert response.status_code == 400, (label, response.text)
        assert response.json()["message"].startswith(message), (label, response.json())
    # PrestaShop's credentials are PrestaShop's.
    wrong = client.post("/store-modules/stores", headers=auth, json={
        "platform": "prestashop", "storeUrl": SHOP, "apiCredentials": {"username": "u", "key": "k"}})
    assert wrong.status_code == 400 and wrong.json()["message"].startswith("apiCredentials.")
    assert client.get("/stores", headers=auth).json()["data"] == []


def test_valid_bodies_create_patch_and_rotate(client: Any, auth: dict[str, str]) -> None:
    created = _create(client, auth, ocVersion=4, name="Bodies",
                      apiCredentials={"username": "printgate", "key": "k" * 32, "orderStatusId": 2},
                      settings={"apiWriteBack": "always", "paidStatuses": ["bezahlt"]})
    assert created.status_code == 201, created.text
    store = created.json()["store"]
    assert store["ocVersion"] == 4 and store["settings"] == {"apiWriteBack": "always", "paidStatuses": ["bezahlt"]}
    assert store["apiCredentials"]["configured"] is True

    url = f"/store-modules/stores/{store['id']}"
    refused = client.patch(url, json={"apiCredential": None}, headers=auth)
    assert refused.status_code == 400 and refused.json()["message"] == "apiCredential: Extra inputs are not permitted"
    patched = client.patch(url, json={"apiCredentials": None, "settings": {"apiWriteBack": "never"}}, headers=auth)
    assert patched.status_code == 200, patched.text
    assert patched.json()["apiCredentials"] == {"configured": False}
    assert patched.json()["settings"] == {"apiWriteBack": "never", "paidStatuses": ["bezahlt"]}
    assert patched.json()["ocVersion"] == 4  # not named, not changed

    for bad, message in (({"overlapHours": True}, "overlapHours: Input should be a valid"),
                         ({"overlapHours": 24 * 15}, "overlapHours: Input should be less than or equal to 336"),
                         ({"overlap": 1}, "overlap: Extra inputs are not permitted")):
        response = client.post(f"{url}/rotate-secret", json=bad, headers=auth)
        assert response.status_code == 400 and response.json()["message"].startswith(message), response.text
    rotated = client.post(f"{url}/rotate-secret", json={"overlapHours": 1.5}, headers=auth)
    assert rotated.status_code == 200 and rotated.json()["previousSecretExpiresAt"]


def test_woocommerce_store_body_refuses_unknown_and_mistyped_keys(client: Any, auth: dict[str, str]) -> None:
    for body, message in (({"storeUrl": "https://woo.example", "consumerKy": "ck_1"},
                           "consumerKy: Extra inputs are not permitted"),
                          ({"storeUrl": "https://woo.example", "pluginOnly": "yes"},
                           "pluginOnly: Input should be a valid boolean"),
                          ({"storeUrl": "https://woo.example", "name": ["a"]}, "name: Input should be a valid string"),
                          (["https://woo.example"], "Input should be a valid dictionary")):
        response = client.post("/woocommerce/stores", json=body, headers=auth)
        assert response.status_code == 400 and response.json()["message"].startswith(message), response.text
    assert client.get("/stores", headers=auth).json()["data"] == []
