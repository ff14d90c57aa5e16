"""PrestaShop 8.2.1 installed for real (its CLI installer, MariaDB, ``php -S`` with its router), and
driven as its merchant (back office) and a shopper (storefront, guest checkout) use it.

Test-only adjustments, as ../shared/stores/README.md records them: PHP 8.2 is above PrestaShop 8's
declared range (the installer's version gate is raised), and the language packs it would download are
replaced by empty ones (no network here).
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import httpx

from tests.stores._platforms_oc_ps import (
    SHOPPER,
    Element,
    ServedShop,
    _obj,
    extract,
    form_fields,
    parse_html,
    query,
    shop_client,
    upload_bad_then_good,
    wait_order,
)
from tests.stores.conftest import MariaDB, PhpServer, run_php

EMPLOYEE_EMAIL, EMPLOYEE_PASSWORD = "admin@example.com", "Adminpw123"
ADMIN_DIR = "admin-e2e"


class PrestaShop(ServedShop):
    def __init__(self, workdir: Path, stores_dir: Path, db: MariaDB) -> None:
        self.root = workdir / "prestashop"
        self.stores_dir, self.db = stores_dir, db
        self.dbname = "e2e_prestashop"
        self.router = workdir / "ps-router.php"
        self.server = PhpServer(docroot=self.root, log_path=workdir / "php-prestashop.log", router=self.router,
                                workers=4, ini={"memory_limit": "1G"})
        self.url = self.server.url
        self.admin = httpx.Client(timeout=120, follow_redirects=False)
        self.admin_base = f"{self.url}/{ADMIN_DIR}/index.php"

    # -- install and serve --
    def install(self) -> None:
        extract(self.stores_dir / "prestashop-8.2.1.tgz", self.root)
        gate = self.root / "install" / "install_version.php"
        gate.write_text(gate.read_text().replace("_PS_INSTALL_MAXIMUM_PHP_VERSION_ID_', 81099",
                                                 "_PS_INSTALL_MAXIMUM_PHP_VERSION_ID_', 80299"))
        for sub in ("var/logs", "var/cache", "var/sessions"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        zipfile.ZipFile(self.root / "translations" / "sf-en-US.zip", "w").close()
        tarfile.open(self.root / "translations" / "en.gzip", "w:gz").close()
        self.db.create_database(self.dbname)
        out = run_php(["-d", "memory_limit=1G", str(self.root / "install" / "index_cli.php"),
                       f"--domain=127.0.0.1:{self.server.port}", f"--db_server={self.db.host}:{self.db.port}",
                       f"--db_name={self.dbname}", f"--db_user={self.db.user}", f"--db_password={self.db.password}",
                       "--prefix=ps_", f"--email={EMPLOYEE_EMAIL}", f"--password={EMPLOYEE_PASSWORD}",
                       "--language=en", "--country=us", "--firstname=Ada", "--lastname=Admin", "--fixtures=1"],
                      timeout=600).stdout
        assert "Installation successful" in out, out[-2000:]
        # As the installer asks: remove install/, rename the back office folder.
        shutil.rmtree(self.root / "install")
        (self.root / "admin").rename(self.root / ADMIN_DIR)
        router = (self.stores_dir / "ps8-router.php").read_text()
        self.router.write_text(router.replace("__DIR__ . '/ps8'", repr(str(self.root))))

    def logs(self) -> str:
        tails = [p.read_text(errors="replace")[-2000:] for p in (self.root / "var" / "logs").glob("*.log")]
        return "\n".join(tails) + self.server.log_tail()

    def install_module(self, package: Path) -> str:
        """The module zip into modules/, installed by PrestaShop's own console."""
        with zipfile.ZipFile(package) as archive:
            archive.extractall(self.root / "modules")
        return run_php(["-d", "memory_limit=1G", str(self.root / "bin" / "console"),
                        "prestashop:module", "install", "printgate"], cwd=self.root, timeout=300).stdout

    # -- back office --
    def login(self) -> None:
        self.admin.get(f"{self.admin_base}?controller=AdminLogin")
        resp = self.admin.post(f"{self.admin_base}?rand=1&controller=AdminLogin", data={
            "ajax": "1", "controller": "AdminLogin", "submitLogin": "1", "email": EMPLOYEE_EMAIL,
            "passwd": EMPLOYEE_PASSWORD, "redirect": ""})
        assert resp.json().get("hasErrors") is False, resp.text[:500]

    def legacy_page(self, controller: str, **params: Any) -> tuple[str, Element]:
        """A legacy back-office page. Opened without its token, PrestaShop shows the "invalid token"
        page whose link carries the right one, which the employee follows."""
        url = f"{self.admin_base}?controller={controller}&" + "&".join(f"{k}={v}" for k, v in params.items())
        page = parse_html(self.admin.get(url).text)
        if "token" not in url:
            links = [a.attrs["href"] for a in page.find_all("a")
                     if f"controller={controller}" in a.attrs.get("href", "") and "token=" in a.attrs["href"]]
            assert links, f"no link to {controller}"
            url = httpx.URL(self.admin_base).join(links[0].replace("&amp;", "&")).__str__()
            resp = self.admin.get(url)
            assert resp.status_code == 200, resp.status_code
            page = parse_html(resp.text)
        return url, page

    def menu_link(self, path: str) -> str:
        """A Symfony back-office URL with the CSRF token the dashboard's menu links carry."""
        _, dashboard = self.legacy_page("AdminDashboard")
        tokens = [query(a.attrs["href"])["_token"] for a in dashboard.find_all("a")
                  if "/sell/" in a.attrs.get("href", "") and "_token=" in a.attrs["href"]]
        assert tokens, "no back-office menu links"
        return f"{self.url}/{ADMIN_DIR}/index.php{path}?_token={tokens[0]}"

    def connect(self, printgate_url: str, sk: str, pk: str, whsec: str, workflow: str) -> tuple[Element, Element]:
        """Modules > printgate > Configure: save the settings, then "Test connection"."""
        _, page = self.legacy_page("AdminModules", configure="printgate")
        form = page.find("form", id="module_form")
        assert form is not None, "printgate's configuration form is missing"
        data = form_fields(form) | {
            "PRINTGATE_URL": printgate_url, "PRINTGATE_PUBLISHABLE_KEY": pk, "PRINTGATE_SECRET_KEY": sk,
            "PRINTGATE_WEBHOOK_SECRET": whsec, "PRINTGATE_DEFAULT_WORKFLOW": workflow, "submitPrintgate": "1"}
        action = str(httpx.URL(self.admin_base).join(form.attrs["action"].replace("&amp;", "&")))
        saved = parse_html(self.admin.post(action, data=data).text)
        data.pop("submitPrintgate")
        data |= {"submitPrintgateTest": "", "PRINTGATE_SECRET_KEY": "", "PRINTGATE_WEBHOOK_SECRET": ""}
        tested = parse_html(self.admin.post(action, data=data).text)
        return saved, tested

    def assign_workflow(self, product_id: int, workflow: str, required: bool = True) -> dict[str, Any]:
        """Catalog > Products > edit > Modules tab: printgate's fields, saved by their Save button."""
        resp = self.admin.get(self.menu_link(f"/sell/catalog/products-v2/{product_id}/edit"))
        assert resp.status_code == 200, resp.status_code
        page = parse_html(resp.text)
        box = page.find("div", id="printgate-product-setting")
        assert box is not None, "printgate's product fields are missing from the product page's Modules tab"
        select = box.find("select", id="printgate-workflow")
        assert select is not None and workflow in [o.attrs.get("value") for o in select.find_all("option")]
        button = box.find("button", id="printgate-save")
        assert button is not None
        result = self.admin.post(button.attrs["data-url"].replace("&amp;", "&"), data={
            "printgate_workflow_id": workflow, "printgate_required": "1" if required else "0"})
        return _obj(result)

    def order_page(self, order_id: int) -> Element:
        resp = self.admin.get(self.menu_link(f"/sell/orders/{order_id}/view"))
        assert resp.status_code == 200, resp.status_code
        return parse_html(resp.text)

    def set_status(self, order_id: int, status: str) -> None:
        """The order page's status form (Update status), as the employee uses it."""
        page = self.order_page(order_id)
        form = next((f for f in page.find_all("form") if f.find("select", name="update_order_status[new_order_status_id]")),
                    None)
        assert form is not None, "no status form on the order page"
        select = form.find("select", name="update_order_status[new_order_status_id]")
        assert select is not None
        state = [o.attrs["value"] for o in select.find_all("option") if o.text().strip().lower() == status.lower()]
        assert state, f"no order status {status!r}"
        data = form_fields(form) | {"update_order_status[new_order_status_id]": state[0]}
        resp = self.admin.post(str(httpx.URL(self.url).join(form.attrs["action"].replace("&amp;", "&"))), data=data)
        assert resp.status_code in (200, 302), resp.status_code

    def last_order_id(self) -> int:
        return int(self.sql("SELECT MAX(id_order) FROM ps_orders").strip() or 0)

    # -- the shopper's checkout --
    def checkout(self, shop: httpx.Client) -> None:
        """PrestaShop's one-page checkout as a guest: each step's form, posted as the page posts it."""
        order_url = f"{self.url}/index.php?controller=order"
        shop.headers.pop("X-Requested-With", None)
        page = parse_html(shop.get(order_url, follow_redirects=True).text)
        form = page.find("form", id="customer-form")
        assert form is not None, "no personal information form"
        data = form_fields(form) | {
            "id_gender": "2", "firstname": SHOPPER["firstname"], "lastname": SHOPPER["lastname"],
            "email": SHOPPER["email"], "password": "", "continue": "1"}
        for box in form.find_all("input", type="checkbox"):
            if "required" in box.attrs:
                data[box.attrs["name"]] = box.attrs.get("value", "1")
        page = self._post_step(shop, form, data)
        form = next((f for f in page.find_all("form") if f.find("input", name="address1")), None)
        assert form is not None, "no address form"
        data = form_fields(form) | {"firstname": SHOPPER["firstname"], "lastname": SHOPPER["lastname"],
                                    "address1": "1 Print Street", "city": "Springfield", "postcode": "62701",
                                    "phone": SHOPPER["telephone"], "confirm-addresses": "1"}
        country = form.find("select", name="id_country")
        if country is not None and not data.get("id_country"):
            data["id_country"] = next(o.attrs["value"] for o in country.find_all("option")
                                      if o.text().strip() == "United States")
        state = form.find("select", name="id_state")
        if state is None and form.attrs.get("data-refresh-url"):
            # Choosing the country makes the page fetch the country's address form (US: with states).
            refresh = form.attrs["data-refresh-url"].replace("&amp;", "&")
            refreshed = shop.post(("http:" + refresh) if refresh.startswith("//") else refresh, data={
                "id_country": data["id_country"], "id_address": form.attrs.get("data-id-address", "0")})
            state = parse_html(refreshed.json()["address_form"]).find("select", name="id_state")
        if state is not None:
            data["id_state"] = next(o.attrs["value"] for o in state.find_all("option") if o.attrs.get("value"))
        page = self._post_step(shop, form, data)
        form = page.find("form", id="js-delivery")
        assert form is not None, f"no delivery step: {page.text()[:500]}"
        page = self._post_step(shop, form, form_fields(form) | {"confirmDeliveryOption": "1"})
        options = [el for el in page.find_all("input", name="payment-option")]
        assert options, "no payment options"
        chosen = None
        for option in options:
            module = option.attrs.get("data-module-name", "")
            if module in ("ps_cashondelivery", "ps_wirepayment"):
                chosen = option
                break
        assert chosen is not None, [o.attrs for o in options]
        pay_form = page.find("form", id=f"payment-{chosen.attrs['id']}-form")
        assert pay_form is not None, "no payment form for the chosen option"
        conditions = {el.attrs["name"]: "1" for el in page.find_all("input")
                      if el.attrs.get("name", "").startswith("conditions_to_approve")}
        done = shop.post(pay_form.attrs["action"].replace("&amp;", "&"), data=form_fields(pay_form) | conditions)
        assert done.status_code in (200, 302), done.status_code
        confirmation = done.headers.get("location", "")
        assert "order-confirmation" in confirmation or "controller=order-confirmation" in confirmation, \
            f"no order confirmation: {done.status_code} {confirmation} {done.text[:500]}"

    def _post_step(self, shop: httpx.Client, form: Element, data: dict[str, Any]) -> Element:
        action = form.attrs.get("action", "").replace("&amp;", "&") or f"{self.url}/index.php?controller=order"
        resp = shop.post(str(httpx.URL(self.url).join(action)), data=data, follow_redirects=True)
        assert resp.status_code == 200, resp.status_code
        page = parse_html(resp.text)
        errors = [el.text() for el in page.find_all() if "alert-danger" in el.attrs.get("class", "") and el.text()
                  and "display: none" not in el.attrs.get("style", "")]
        assert not errors, f"checkout step refused: {errors}"
        return page


def private_messages(shop: PrestaShop, order_id: int) -> list[dict[str, str]]:
    rows = shop.sql("SELECT cm.id_employee, cm.private, cm.message FROM ps_customer_message cm"
                    " JOIN ps_customer_thread ct ON ct.id_customer_thread = cm.id_customer_thread"
                    f" WHERE ct.id_order = {int(order_id)} ORDER BY cm.id_customer_message")
    out = []
    for line in rows.splitlines():
        employee, private, message = line.split("\t", 2)
        out.append({"id_employee": employee, "private": private, "message": message})
    return out



CART_BUTTON = '[data-button-action="add-to-cart"]'


def prestashop_round(ps: PrestaShop, clock: Any, printgate: Any, browser: Any, files: tuple[Path, Path],
                     package: Path, product_id: int = 6, other_product_id: int = 7,
                     workflow: str = "wf_default") -> dict[str, Any]:
    """Install printgate into a running PrestaShop, connect it, sell a product with a checked file, and
    find the print files (and printgate's private note) on the admin order page."""
    bad, good = files
    out: dict[str, Any] = {}
    with clock.step("install printgate (module zip into modules/, bin/console prestashop:module install)"):
        console = ps.install_module(package)
    assert "succeeded" in console, console
    hooks = ps.sql("SELECT h.name FROM ps_hook_module hm JOIN ps_hook h ON h.id_hook = hm.id_hook"
                   " JOIN ps_module m ON m.id_module = hm.id_module WHERE m.name = 'printgate'").split()
    assert {"displayAdminOrderMain", "actionValidateOrder", "actionDispatcherBefore"} <= set(hooks), hooks
    with clock.step("connect to printgate (back-office login, Configure page save + Test connection)"):
        ps.login()
        created = printgate.api("POST", "/store-modules/stores", json={
            "platform": "prestashop", "storeUrl": ps.url + "/", "name": "PrestaShop 8 e2e"})
        assert created.status_code in (200, 201), created.text
        store = created.json()
        saved, tested = ps.connect(printgate.url, printgate.secret_key, printgate.publishable_key,
                                   store["webhookSecret"], workflow)
    confirmations = [el.text() for el in tested.find_all() if "alert-success" in el.attrs.get("class", "")]
    assert any("workflow(s) available" in text for text in confirmations), confirmations
    assert not [el for el in saved.find_all() if "alert-danger" in el.attrs.get("class", "")]
    out["store_id"] = store["store"]["id"]
    with clock.step("assign the workflow (product page, Modules tab)"):
        answer = ps.assign_workflow(product_id, workflow)
    assert answer.get("success") is True, answer
    assert ps.sql(f"SELECT workflow_id, required FROM ps_printgate_product WHERE id_product = {product_id}").split() \
        == [workflow, "1"]
    # The server-side gate: an add without a checked file is refused; other products are not affected.
    with httpx.Client(timeout=60, headers={"X-Requested-With": "XMLHttpRequest"}) as other:
        product_page = parse_html(other.get(f"{ps.url}/index.php?id_product={other_product_id}&controller=product",
                                            follow_redirects=True).text)
        form = product_page.find("form", id="add-to-cart-or-refresh")
        assert form is not None, "no add-to-cart form on the product page"
        fields = form_fields(form) | {"add": "1", "action": "update", "qty": "1", "ajax": "1"}
        cart = form.attrs["action"].replace("&amp;", "&")
        refused = _obj(other.post(cart, data=fields | {"id_product": str(product_id)}))
        assert refused.get("hasError") is True and "print file" in " ".join(refused.get("errors", [])), refused
        plain = _obj(other.post(cart, data=fields | {"id_product": str(other_product_id)}))
        assert plain.get("success") is True, plain
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        with clock.step("storefront: defective file keeps add-to-cart locked, good file unlocks it"):
            page.goto(f"{ps.url}/index.php?id_product={product_id}&controller=product")
            gate = upload_bad_then_good(page, CART_BUTTON, bad, good)
        assert gate["locked_before"] and gate["locked_after_bad"] and gate["bad_state"] == "rejected", gate
        assert gate["unlocked"] and gate["good_state"] in ("ready", "partial"), gate
        job_id = page.input_value("#printgate-job-id")
        assert job_id.startswith("job_"), job_id
        with clock.step("add to cart and check out (guest, bank wire)"):
            with page.expect_response(lambda r: "controller=cart" in r.url or "/cart" in r.url) as added:
                page.click(CART_BUTTON)
            assert _obj(added.value).get("success") is True, added.value.text()[:500]
            with shop_client(context.cookies()) as shop:
                ps.checkout(shop)
        assert not errors, f"JavaScript errors on the product page: {errors}"
    finally:
        context.close()
    order_id = ps.last_order_id()
    line = ps.sql(f"SELECT job_id FROM ps_printgate_order_job WHERE id_order = {order_id}").split()
    assert line == [job_id], (line, job_id, ps.logs())
    with clock.step("printgate receives, verifies and processes the order (employee: Payment accepted)"):
        ps.set_status(order_id, "Payment accepted")
        synced = wait_order(printgate, out["store_id"], str(order_id))
    assert [line["jobId"] for line in synced["lines"]] == [job_id]
    with clock.step("print files on the admin order page, downloaded"):
        order_page = ps.order_page(order_id)
        panel = order_page.find("div", id="printgate-order-files")
        assert panel is not None, "no printgate files panel on the order page"
        assert job_id in panel.text()
        downloads = [a.attrs["href"].replace("&amp;", "&") for a in panel.find_all("a")
                     if "action=download" in a.attrs.get("href", "")]
        proofs = [img.attrs["src"].replace("&amp;", "&") for img in panel.find_all("img")
                  if "printgate-proof" in img.attrs.get("class", "")]
        # The delivered file's thumbnail (the job's preview), proxied by the module with the secret key.
        thumbs = [img.attrs["src"].replace("&amp;", "&") for img in panel.find_all("img")
                  if "printgate-thumbnail" in img.attrs.get("class", "")]
        assert len(downloads) == 1, downloads
        assert len(thumbs) == 1 and "action=thumbnail" in thumbs[0] and "sig=" not in thumbs[0], thumbs
        file = ps.admin.get(downloads[0])
        thumb = ps.admin.get(thumbs[0])
        proof = ps.admin.get(proofs[0]) if proofs else None
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png", thumb.headers
    assert thumb.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert file.status_code == 200 and file.headers["content-type"] == "application/pdf", file.headers
    assert file.content.startswith(b"%PDF-") and 'filename="good.pdf"' in file.headers["content-disposition"]
    if proof is not None:
        assert proof.status_code == 200 and proof.headers["content-type"].startswith("image/"), proof.headers
    # printgate's note is the shop's own private message, not one the customer wrote.
    notes = [el for el in order_page.find_all("p") if "good.pdf" in el.text() and "message" in el.attrs.get("class", "")]
    assert notes, "printgate's message is not on the order page"
    assert all("employee-message--private" in el.attrs["class"] for el in notes), [el.attrs for el in notes]
    messages = private_messages(ps, order_id)
    assert [m["private"] for m in messages] == ["1"] and messages[0]["id_employee"] != "0", messages
    out.update(order_id=order_id, job_id=job_id, order=synced)
    return out
