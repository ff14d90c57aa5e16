"""OpenCart 3, OpenCart 4 and PrestaShop 8 installed for real (MariaDB + ``php -S`` on loopback).

Used by tests/stores/test_opencart*.py, test_prestashop*.py and bench/real_stores.py. Everything runs
from the release tarballs in ``PRINTGATE_STORES_DIR`` (default ``../shared/stores`` beside the
checkout), in temp dirs, on free ports; each process is started in its own process group and stopped
with it. The merchant's steps go through the platforms' own admin endpoints (login, Extension
Installer / module manager, settings form), the shopper's through the storefront.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.stores.conftest import MariaDB, PhpServer, run_php

ADMIN_USER, ADMIN_EMAIL, ADMIN_PASSWORD = "admin", "admin@example.com", "Adminpw123"


# ---- HTML, read as a document ------------------------------------------------------------------------

class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.text_parts: list[str] = []

    def text(self) -> str:
        return "".join(self.text_parts + [c.text() for c in self.children]).strip()

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        out = []
        for el in self.iter():
            if tag and el.tag != tag:
                continue
            if all(el.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()):
                out.append(el)
        return out

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Builder(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.node = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(el)
        if tag not in _VOID:
            self.node = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.node.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.node))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data: str) -> None:
        self.node.text_parts.append(data)


def parse_html(text: str) -> Element:
    """The page as a tree. Script contents are data of <script>, so markup inside a JS string is not an element."""
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


def form_fields(form: Element) -> dict[str, str]:
    """The values a browser would submit for a form (text inputs, hidden, checked boxes, selected options)."""
    data: dict[str, str] = {}
    for el in form.iter():
        name = el.attrs.get("name")
        if not name:
            continue
        if el.tag == "input":
            kind = el.attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in el.attrs:
                continue
            if kind in ("submit", "button", "file"):
                continue
            data[name] = el.attrs.get("value", "")
        elif el.tag == "select":
            options = el.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            if chosen:
                data[name] = chosen[0].attrs.get("value", chosen[0].text())
        elif el.tag == "textarea":
            data[name] = el.text()
    return data


def extract(tarball: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(dest)], check=True, timeout=300)
    return dest


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


# ---- the shopper, in headless Chromium --------------------------------------------------------------------

FILE_INPUT = ".pg-zone input[type=file]"
TERMINAL = ("ready", "partial", "rejected")


def wait_judged(page: Any, timeout_ms: int = 60000) -> str:
    """Wait until the widget's job reaches a verdict (its root's data-status); return that status."""
    selector = ", ".join(f'[data-status="{status}"]' for status in TERMINAL)
    page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
    return str(page.locator("[data-status]").first.get_attribute("data-status"))


def upload_bad_then_good(page: Any, cart_button: str, bad: Path, good: Path) -> dict[str, Any]:
    """On a product page with the widget: a defective file keeps add-to-cart locked, a good one unlocks it."""
    page.wait_for_selector(FILE_INPUT, state="attached", timeout=30000)
    locked_before = page.is_disabled(cart_button)
    page.set_input_files(FILE_INPUT, str(bad))
    bad_state = wait_judged(page)
    locked_after_bad = page.is_disabled(cart_button)
    page.set_input_files(FILE_INPUT, str(good))  # replaces the rejected file, as the shopper does
    page.wait_for_selector('[data-can-proceed="true"]', state="attached", timeout=60000)
    page.wait_for_function(f"() => !document.querySelector({json.dumps(cart_button)}).disabled", timeout=30000)
    good_state = wait_judged(page)
    return {"locked_before": locked_before, "bad_state": bad_state, "locked_after_bad": locked_after_bad,
            "good_state": good_state, "unlocked": not page.is_disabled(cart_button)}


SHOPPER = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "telephone": "0123456789",
           "address_1": "1 Print Street", "city": "London", "postcode": "EC1A 1BB"}


def shop_client(cookies: list[dict[str, Any]]) -> httpx.Client:
    """An HTTP client in the shopper's browser session (the cookies of the Playwright context)."""
    client = httpx.Client(timeout=60, headers={"X-Requested-With": "XMLHttpRequest"})
    for cookie in cookies:
        client.cookies.set(cookie["name"], cookie["value"], domain=cookie.get("domain", ""))
    return client


def opencart4_checkout(shop: httpx.Client, url: str) -> int:
    """OpenCart 4's one-page checkout as a guest: the requests its page's scripts send, in order."""
    lang = "&language=en-gb"
    page = parse_html(shop.get(f"{url}/index.php?route=checkout/checkout{lang}").text)
    form = page.find("form", id="form-register")
    assert form is not None, "OpenCart 4 checkout has no register/guest form"
    data = form_fields(form)
    country = data.get("shipping_country_id") or "222"
    zones = shop.get(f"{url}/index.php?route=localisation/country{lang}&country_id={country}").json()["zone"]
    data |= {"account": "0", "firstname": SHOPPER["firstname"], "lastname": SHOPPER["lastname"],
             "email": SHOPPER["email"], "telephone": SHOPPER["telephone"],
             "shipping_firstname": SHOPPER["firstname"], "shipping_lastname": SHOPPER["lastname"],
             "shipping_address_1": SHOPPER["address_1"], "shipping_city": SHOPPER["city"],
             "shipping_postcode": SHOPPER["postcode"], "shipping_country_id": country,
             "shipping_zone_id": str(zones[0]["zone_id"]), "password": ""}
    saved = shop.post(f"{url}/index.php?route=checkout/register.save{lang}", data=data).json()
    assert "success" in saved, f"guest details refused: {saved}"
    quote = shop.post(f"{url}/index.php?route=checkout/shipping_method.quote{lang}").json()
    assert "shipping_methods" in quote, quote
    method = next(iter(next(iter(quote["shipping_methods"].values()))["quote"].values()))["code"]
    chosen = shop.post(f"{url}/index.php?route=checkout/shipping_method.save{lang}", data={"shipping_method": method}).json()
    assert "success" in chosen, chosen
    methods = shop.post(f"{url}/index.php?route=checkout/payment_method.getMethods{lang}").json()
    assert "payment_methods" in methods, methods
    cod = methods["payment_methods"]["cod"]["option"]["cod"]["code"]
    paid = shop.post(f"{url}/index.php?route=checkout/payment_method.save{lang}", data={"payment_method": cod}).json()
    assert "success" in paid, paid
    confirm = parse_html(shop.get(f"{url}/index.php?route=checkout/confirm.confirm{lang}").text)
    assert confirm.find("button", id="button-confirm") is not None, "no Confirm Order button"
    done = shop.post(f"{url}/index.php?route=extension/opencart/payment/cod.confirm{lang}").json()
    assert "redirect" in done, f"order not confirmed: {done}"
    success = shop.get(done["redirect"].replace("&amp;", "&"))
    assert success.status_code == 200
    return 0


def _opencart_status_id(page: Element, name: str) -> str:
    select = page.find("select", name="order_status_id")
    assert select is not None, "no order status field on the order page"
    for option in select.find_all("option"):
        if option.text().strip().lower() == name.lower():
            return option.attrs["value"]
    raise AssertionError(f"no order status {name!r}")


def _radio_values(root: Element, name: str) -> list[str]:
    return [el.attrs.get("value", "") for el in root.find_all("input", name=name)]


def _obj(resp: httpx.Response) -> dict[str, Any]:
    """A JSON answer as a dict (PHP encodes an empty array, OpenCart 3's "no error", as [])."""
    data = resp.json()
    return data if isinstance(data, dict) else {}


def opencart3_checkout(shop: httpx.Client, url: str) -> None:
    """OpenCart 3's step-by-step checkout as a guest: each step's form, fetched and posted as its page does."""
    base = f"{url}/index.php?route="
    assert shop.get(base + "checkout/checkout").status_code == 200
    guest = parse_html(shop.get(base + "checkout/guest").text)
    data = form_fields(guest)
    country = data.get("country_id") or "222"
    zones = shop.get(base + f"checkout/checkout/country&country_id={country}").json()["zone"]
    data |= {"firstname": SHOPPER["firstname"], "lastname": SHOPPER["lastname"], "email": SHOPPER["email"],
             "telephone": SHOPPER["telephone"], "address_1": SHOPPER["address_1"], "city": SHOPPER["city"],
             "postcode": SHOPPER["postcode"], "country_id": country, "zone_id": str(zones[0]["zone_id"]),
             "shipping_address": "1"}
    saved = _obj(shop.post(base + "checkout/guest/save", data=data))
    assert not saved.get("error"), f"guest details refused: {saved}"
    shipping = parse_html(shop.get(base + "checkout/shipping_method").text)
    methods = _radio_values(shipping, "shipping_method")
    assert methods, "no shipping method offered"
    chosen = _obj(shop.post(base + "checkout/shipping_method/save", data={"shipping_method": methods[0], "comment": ""}))
    assert not chosen.get("error"), chosen
    payment = parse_html(shop.get(base + "checkout/payment_method").text)
    payments = _radio_values(payment, "payment_method")
    assert "cod" in payments, f"cash on delivery not offered: {payments}"
    data = {"payment_method": "cod", "comment": ""}
    if payment.find("input", name="agree") is not None:
        data["agree"] = "1"
    paid = _obj(shop.post(base + "checkout/payment_method/save", data=data))
    assert not paid.get("error"), paid
    confirm = parse_html(shop.get(base + "checkout/confirm").text)
    assert confirm.find("input", id="button-confirm") or confirm.find("button", id="button-confirm"), \
        "no Confirm Order button"
    done = _obj(shop.post(base + "extension/payment/cod/confirm"))
    assert "redirect" in done, f"order not confirmed: {done}"
    assert shop.get(done["redirect"].replace("&amp;", "&")).status_code == 200


# ---- OpenCart 3 and 4 -----------------------------------------------------------------------------------

OPENCART_TARBALLS = {3: "opencart-3.0.5.0.tgz", 4: "opencart-4.1.0.4.tgz"}


class ServedShop:
    """A PHP shop served by ``php -S`` on its own MariaDB database, with an admin session."""

    server: PhpServer
    admin: httpx.Client
    db: MariaDB
    dbname: str

    def serve(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.admin.close()

    def sql(self, statement: str) -> str:
        return self.db.sql(statement, database=self.dbname)


class OpenCart(ServedShop):
    """One OpenCart shop, installed with its own CLI installer and served by php -S."""

    def __init__(self, version: int, workdir: Path, stores_dir: Path, db: MariaDB) -> None:
        self.version, self.db, self.stores_dir = version, db, stores_dir
        self.root = workdir / f"oc{version}"
        self.dbname = f"e2e_opencart{version}"
        self.server = PhpServer(docroot=self.root, log_path=workdir / f"php-oc{version}.log", workers=3)
        self.url = self.server.url
        self.admin = httpx.Client(timeout=60, follow_redirects=False)
        self.token = ""
        self.sep = "." if version == 4 else "/"
        self.route = "extension/printgate/module/printgate" if version == 4 else "extension/module/printgate"

    # -- install and serve --
    def install(self) -> None:
        """Extract the release and run OpenCart's own CLI installer against the session's MariaDB."""
        extract(self.stores_dir / OPENCART_TARBALLS[self.version], self.root)
        shutil.copy(self.root / "config-dist.php", self.root / "config.php")
        shutil.copy(self.root / "admin" / "config-dist.php", self.root / "admin" / "config.php")
        self.db.create_database(self.dbname)
        out = run_php([str(self.root / "install" / "cli_install.php"), "install",
                       "--username", ADMIN_USER, "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD,
                       "--http_server", self.url + "/", "--language", "en-gb", "--db_driver", "mysqli",
                       "--db_hostname", self.db.host, "--db_username", self.db.user,
                       "--db_password", self.db.password, "--db_database", self.dbname,
                       "--db_port", str(self.db.port), "--db_prefix", "oc_"], cwd=self.root / "install").stdout
        assert "SUCCESS" in out.upper(), f"OpenCart {self.version} install failed: {out[-2000:]}"
        # As the installer asks: remove the install folder before the shop goes live.
        shutil.rmtree(self.root / "install")

    def error_log(self) -> str:
        logs = list((self.root / "system" / "storage" / "logs").glob("*.log"))
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in logs) + self.server.log_tail()

    # -- admin --
    def admin_url(self, route: str, **params: Any) -> str:
        query = {"route": route, **({"user_token": self.token} if self.token else {}), **params}
        return f"{self.url}/admin/index.php?{urllib.parse.urlencode(query)}"

    def login(self) -> None:
        if self.version == 4:
            page = parse_html(self.admin.get(f"{self.url}/admin/index.php").text)
            form = page.find("form", id="form-login")
            assert form is not None, "OpenCart 4 login form not found"
            resp = self.admin.post(form.attrs["action"], data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
            body = resp.json()
            assert "redirect" in body, f"OpenCart 4 login refused: {body}"
            self.token = query(body["redirect"])["user_token"]
        else:
            page = parse_html(self.admin.get(f"{self.url}/admin/index.php?route=common/login").text)
            form = next(f for f in page.find_all("form") if f.find("input", name="password"))
            data = form_fields(form) | {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
            resp = self.admin.post(form.attrs["action"], data=data)
            assert resp.status_code == 302, f"OpenCart 3 login refused: {resp.status_code}"
            self.token = query(resp.headers["location"])["user_token"]

    def get_json(self, url: str, **kw: Any) -> dict[str, Any]:
        resp = self.admin.post(url, **kw) if kw else self.admin.get(url)
        try:
            data = resp.json()
        except ValueError as exc:
            raise AssertionError(f"{url}: not JSON ({resp.status_code}): {resp.text[:800]}") from exc
        assert isinstance(data, dict), data
        return data

    def install_extension(self, package: Path) -> None:
        """Extensions > Installer: upload the .ocmod.zip, install it, then install the module."""
        files = {"file": (package.name, package.read_bytes(), "application/zip")}
        up = self.get_json(self.admin_url("marketplace/installer" + self.sep + "upload"), files=files)
        assert "error" not in up, f"upload refused: {up}"
        if self.version == 4:
            listing = parse_html(self.admin.get(self.admin_url("marketplace/installer.list")).text)
            links = [a.attrs["href"] for a in listing.find_all("a") if "installer.install" in a.attrs.get("href", "")
                     and any(el.tag == "tr" and "printgate" in el.text() for el in a.ancestors())]
            assert len(links) == 1, f"expected printgate's row in the installer list, found {links}"
            step = self.get_json(links[0].replace("&amp;", "&"))
            while "next" in step and "error" not in step:
                step = self.get_json(step["next"].replace("&amp;", "&"))
            assert "error" not in step, f"extension install failed: {step}"
            modules = parse_html(self.admin.get(self.admin_url("extension/module")).text)
        else:
            step = up
            while "next" in step and "error" not in step:
                step = self.get_json(step["next"].replace("&amp;", "&"), data={})
            assert "error" not in step, f"extension install failed: {step}"
            # The install.xml modification is applied by Extensions > Modifications > Refresh.
            refresh = self.admin.get(self.admin_url("marketplace/modification/refresh"))
            assert refresh.status_code in (200, 302), refresh.status_code
            modules = parse_html(self.admin.get(self.admin_url("extension/extension/module")).text)
        links = [a.attrs["href"].replace("&amp;", "&") for a in modules.find_all("a")
                 if "install" in a.attrs.get("href", "") and "extension=printgate" in a.attrs.get("href", "")
                 and "uninstall" not in a.attrs.get("href", "")]
        assert links, "printgate is not listed under Extensions > Modules"
        result = self.admin.get(links[0])
        assert result.status_code in (200, 302), result.text[:500]
        if self.version == 4:
            assert "error" not in result.json(), result.text

    def settings_page(self) -> Element:
        resp = self.admin.get(self.admin_url(self.route))
        assert resp.status_code == 200, resp.text[:500]
        return parse_html(resp.text)

    def connect(self, printgate_url: str, sk: str, pk: str, whsec: str, workflow: str) -> dict[str, Any]:
        """The module's settings page, as the merchant fills it in: save, then "Test connection"."""
        page = self.settings_page()
        form = page.find("form", id="form-module") or next(
            f for f in page.find_all("form") if f.find("input", name="module_printgate_url"))
        data = form_fields(form) | {
            "module_printgate_status": "1", "module_printgate_url": printgate_url,
            "module_printgate_publishable_key": pk, "module_printgate_secret_key": sk,
            "module_printgate_webhook_secret": whsec, "module_printgate_default_workflow": workflow,
        }
        action = form.attrs.get("action", "").replace("&amp;", "&") or self.admin_url(self.route)
        resp = self.admin.post(action, data=data)
        if self.version == 4:
            assert "success" in resp.json(), resp.text
        else:
            assert resp.status_code in (200, 302), resp.status_code
        test = self.get_json(self.admin_url(self.route + self.sep + "test"), data={})
        return test

    def assign_workflow(self, product_id: int, workflow: str, required: bool = True,
                        fields: dict[str, str] | None = None) -> None:
        """The product form with printgate's fields, saved as the merchant saves it."""
        if self.version == 4:
            url = self.admin_url("catalog/product.form", product_id=product_id)
        else:
            url = self.admin_url("catalog/product/edit", product_id=product_id)
        page = parse_html(self.admin.get(url).text)
        form = page.find("form", id="form-product")
        assert form is not None, "product form not found"
        select = form.find("select", name="printgate_workflow_id")
        assert select is not None, "printgate's workflow field is missing from the product form"
        offered = [o.attrs.get("value") for o in select.find_all("option")]
        assert workflow in offered, f"{workflow} not offered: {offered}"
        data: dict[str, Any] = form_fields(form) | (fields or {})
        data["printgate_workflow_id"] = workflow
        # The hidden "0" and the checkbox's "1", as a browser sends a ticked box after its hidden twin.
        data["printgate_required"] = ["0", "1"] if required else "0"
        action = form.attrs.get("action", "").replace("&amp;", "&") or url
        resp = self.admin.post(action, data=data)
        if self.version == 4:
            assert "success" in resp.json(), resp.text[:1000]
        else:
            assert resp.status_code in (200, 302), resp.status_code
        row = self.sql(f"SELECT workflow_id, required FROM oc_printgate_product WHERE product_id = {int(product_id)}")
        assert row.split() == [workflow, "1" if required else "0"], row
    def order_page(self, order_id: int) -> tuple[str, Element]:
        route = "sale/order.info" if self.version == 4 else "sale/order/info"
        resp = self.admin.get(self.admin_url(route, order_id=order_id))
        assert resp.status_code == 200, resp.status_code
        return resp.text, parse_html(resp.text)


    def set_status(self, order_id: int, status: str) -> None:
        """The order page's "Add History" form: the merchant moves the order on (payment received)."""
        _, page = self.order_page(order_id)
        # OpenCart 4 has a form-history form; OpenCart 3 the same fields in the history tab, sent by script.
        history = page.find("div", id="history")
        form = page.find("form", id="form-history") if self.version == 4 else (history.parent if history else None)
        assert form is not None, "no history form on the order page"
        data = form_fields(form) | {"order_status_id": _opencart_status_id(page, status), "notify": "0",
                                    "comment": "Payment received"}
        if self.version == 4:
            store = (page.find("select", id="input-store") or page.find("input", id="input-store"))
            params = {"call": "history_add", "store_id": store.attrs.get("value", "0") if store else "0",
                      "language": "en-gb", "currency": "USD", "order_id": order_id}
            result = self.get_json(self.admin_url("sale/order.call", **params), data=data)
            assert "success" in result, f"status change refused: {result}"
        else:
            # OpenCart 3 sends the history through its catalog API, which answers only to allowed IPs:
            # the merchant adds the back office's address under System > Users > API (user/api/edit).
            api_id = self.sql("SELECT `value` FROM oc_setting WHERE `key` = 'config_api_id'").strip()
            api_page = parse_html(self.admin.get(self.admin_url("user/api/edit", api_id=api_id)).text)
            api_form = api_page.find("form", id="form-api")
            assert api_form is not None, "no API user form"
            fields: dict[str, Any] = form_fields(api_form)
            ips = [v for k, v in fields.items() if k.startswith("api_ip[")]
            fields = {k: v for k, v in fields.items() if not k.startswith("api_ip[")}
            fields["api_ip[]"] = sorted(set(ips) | {"127.0.0.1"})
            saved = self.admin.post(api_form.attrs["action"].replace("&amp;", "&"), data=fields)
            assert saved.status_code in (200, 302), saved.status_code
            _, page = self.order_page(order_id)
            script = " ".join(el.text() for el in page.find_all("script"))
            token = re.search(r"api/order/history&api_token=([A-Za-z0-9]+)", script)
            assert token, "the order page opened no API session"
            result = self.admin.post(f"{self.url}/index.php", params={
                "route": "api/order/history", "api_token": token.group(1), "store_id": "0", "order_id": order_id},
                data={"order_status_id": data["order_status_id"], "notify": "0", "override": "0", "append": "0",
                      "comment": data["comment"]}).json()
            assert "success" in result, f"status change refused: {result}"
    def checkout(self, shop: httpx.Client) -> None:
        """The shopper's checkout, as a guest, in the session of their browser."""
        if self.version == 4:
            opencart4_checkout(shop, self.url)
        else:
            opencart3_checkout(shop, self.url)

    def last_order_id(self) -> int:
        return int(self.sql("SELECT MAX(order_id) FROM oc_order").strip() or 0)


# ---- the whole round, shared by the OpenCart 3 and 4 tests and bench/real_stores.py ------------------------

ORDER_STEPS_DONE = ("received", "verified", "attached", "processing", "delivered", "written_back")


def wait_order(printgate: Any, store_id: str, order_id: str, timeout: float = 120) -> dict[str, Any]:
    """printgate's record of the store order, once every step is done (or the last one seen)."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        orders = printgate.api("GET", f"/stores/{store_id}/orders").json().get("data", [])
        found = [o for o in orders if str(o.get("orderId")) == str(order_id)]
        if found:
            last = found[0]
            if all(last["steps"][s]["status"] == "done" for s in ORDER_STEPS_DONE):
                return last
            if last.get("status") in ("failed", "cancelled"):
                break
        time.sleep(0.5)
    raise AssertionError(f"order {order_id} did not reach written_back: {json.dumps(last)[:2000]}\n"
                         f"{printgate.log_tail()}")


def opencart_round(oc: OpenCart, clock: Any, printgate: Any, browser: Any, files: tuple[Path, Path],
                   package: Path, product_id: int = 40, other_product_id: int = 43,
                   workflow: str = "wf_default", product_fields: dict[str, str] | None = None) -> dict[str, Any]:
    """Install printgate into a running OpenCart, connect it, sell a product with a checked file, and
    find the print files on the admin order page. Asserts each step; returns what a test may check more."""
    bad, good = files
    out: dict[str, Any] = {}
    with clock.step("install printgate (Extension Installer upload + install, module install)"):
        oc.login()
        oc.install_extension(package)
    events = oc.sql("SELECT `code` FROM oc_event WHERE `code` LIKE 'printgate%'").split()
    assert len(events) == 10, events
    assert "printgate_admin_order_info" in events
    with clock.step("connect to printgate (settings page save + Test connection)"):
        created = printgate.api("POST", "/store-modules/stores", json={
            "platform": "opencart", "storeUrl": oc.url + "/", "ocVersion": oc.version,
            "name": f"OpenCart {oc.version} e2e"})
        assert created.status_code in (200, 201), created.text
        store = created.json()
        test = oc.connect(printgate.url, printgate.secret_key, printgate.publishable_key,
                          store["webhookSecret"], workflow)
    assert test["ok"] is True, test
    assert workflow in [w["id"] for w in test["workflows"]]
    out["store_id"] = store["store"]["id"]
    with clock.step("assign the workflow on the product form"):
        oc.assign_workflow(product_id, workflow, fields=product_fields)
    cart_add = f"{oc.url}/index.php?route=checkout/cart{oc.sep}add"
    # Server-side gate, and the 4.1 regression (every add-to-cart failed once printgate was installed).
    with httpx.Client(timeout=30) as other:
        refused = _obj(other.post(cart_add, data={"product_id": product_id, "quantity": 1}))
        assert "printgate" in refused.get("error", {}), refused
        plain = _obj(other.post(cart_add, data={"product_id": other_product_id, "quantity": 1}))
        assert "success" in plain, f"a product without printgate could not be added: {plain}\n{oc.error_log()}"
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        with clock.step("storefront: defective file keeps add-to-cart locked, good file unlocks it"):
            page.goto(f"{oc.url}/index.php?route=product/product&product_id={product_id}")
            gate = upload_bad_then_good(page, "#button-cart", bad, good)
        assert gate["locked_before"] and gate["locked_after_bad"] and gate["bad_state"] == "rejected", gate
        assert gate["unlocked"] and gate["good_state"] in ("ready", "partial"), gate
        job_id = page.input_value("#printgate-job-id")
        assert job_id.startswith("job_"), job_id
        with clock.step("add to cart and check out (guest, cash on delivery)"):
            with page.expect_response(lambda r: "checkout/cart" in r.url and r.request.method == "POST") as added:
                page.click("#button-cart")
            assert "success" in _obj(added.value), added.value.text()
            with shop_client(context.cookies()) as shop:
                oc.checkout(shop)
        assert not errors, f"JavaScript errors on the product page: {errors}"
    finally:
        context.close()
    order_id = oc.last_order_id()
    assert order_id > 0, oc.error_log()
    line = oc.sql(f"SELECT job_id FROM oc_printgate_order_job WHERE order_id = {order_id}").split()
    assert line == [job_id], (line, job_id, oc.error_log())
    with clock.step("printgate receives, verifies and processes the order (merchant: status Processing)"):
        oc.set_status(order_id, "Processing")
        synced = wait_order(printgate, out["store_id"], str(order_id))
    assert [line["jobId"] for line in synced["lines"]] == [job_id]
    assert synced["files"] and synced["files"][0]["jobId"] == job_id
    with clock.step("print files on the admin order page, downloaded"):
        _, order_page = oc.order_page(order_id)
        tab_link = [a for a in order_page.find_all("a") if a.attrs.get("href") == "#tab-printgate"]
        pane = order_page.find("div", id="tab-printgate")
        panel = pane.find("div", id="printgate-order-files") if pane else None
        assert tab_link and panel is not None, "no printgate tab with the files panel on the order page"
        assert not any(el.tag == "script" for el in panel.ancestors())
        assert job_id in panel.text()
        downloads = [a.attrs["href"] for a in panel.find_all("a") if f"printgate{oc.sep}download" in a.attrs["href"]]
        proofs = [img.attrs["src"] for img in panel.find_all("img") if "printgate-proof" in img.attrs.get("class", "")]
        # The delivered file's thumbnail (the job's preview), proxied by the extension with the secret key.
        thumbs = [img.attrs["src"] for img in panel.find_all("img") if "printgate-thumbnail" in img.attrs.get("class", "")]
        assert len(downloads) == 1, downloads
        assert len(thumbs) == 1 and f"printgate{oc.sep}thumbnail" in thumbs[0] and "sig=" not in thumbs[0], thumbs
        file = oc.admin.get(downloads[0])
        thumb = oc.admin.get(thumbs[0])
        proof = oc.admin.get(proofs[0]) if proofs else None
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png", thumb.headers
    assert thumb.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert file.status_code == 200 and file.headers["content-type"] == "application/pdf", file.headers
    assert file.content.startswith(b"%PDF-") and 'filename="good.pdf"' in file.headers["content-disposition"]
    if proof is not None:
        assert proof.status_code == 200 and proof.headers["content-type"].startswith("image/"), proof.headers
    history = oc.sql(f"SELECT comment FROM oc_order_history WHERE order_id = {order_id}")
    assert "good.pdf" in history, history
    out.update(order_id=order_id, job_id=job_id, order=synced, download=file)
    return out
