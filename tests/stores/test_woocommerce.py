"""printgate for WooCommerce inside real WordPress 6.8.8 + WooCommerce 10.0.2, as a merchant and a
shopper use it: installed from the zip printgate builds, connected on its settings page, a workflow
assigned on the product page, the widget gating add-to-cart in headless Chromium, a Store API checkout,
and the print files on the admin order page. Each step's seconds go to bench/results/real_stores.json.

The site is installed once per module (WP-CLI, MariaDB of the session, ``php -S``); the tests run in
order and build on each other, as the merchant's day does.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from printgate.connectors import build_store_packages as packages
from tests.stores import wordpress as wp
from tests.stores.conftest import MariaDB, PhpServer, Printgate, StepClock
from tests.widget.conftest import annotated_pdf, clean_pdf, wait_terminal

pytestmark = [pytest.mark.real_store, pytest.mark.e2e]

PLATFORM = "woocommerce"
WORKFLOW = "wf_default"
CART_BUTTON = "form.cart .single_add_to_cart_button"
ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "address_1": "1 rue de la Paix", "city": "Paris",
           "postcode": "75001", "country": "FR", "email": "ada@example.com", "phone": "0100000000"}


@dataclass
class Shop:
    site: wp.WordPress
    clock: StepClock
    store_id: str = ""
    plugin_secret: str = ""
    product_id: int = 0
    state: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, stores_dir: Path, mariadb: MariaDB,
         printgate_launch: Any) -> Iterator[Shop]:
    base = tmp_path_factory.mktemp("woocommerce")
    clock = StepClock(PLATFORM)
    root = base / "wp"
    server = PhpServer(docroot=root, log_path=base / "php-server.log", workers=4)
    site = wp.WordPress(root=root, stores_dir=stores_dir, server=server)
    with clock.step("install WordPress + WooCommerce (WP-CLI, the platform alone)"):
        wp.extract(stores_dir, root)
        wp.configure(root, mariadb, mariadb.create_database("e2e_wordpress"))
        wp.install_core(site)
    server.start()
    try:
        yield Shop(site=site, clock=clock)
    finally:
        server.stop()
        clock.write()


# What wp-admin pages load that none of these tests looks at: WooCommerce Admin's analytics and
# onboarding REST calls, the compression test, images and fonts. Each REST call boots WordPress in a
# php -S worker; leaving them out keeps the admin steps to the pages themselves.
ADMIN_NOISE = re.compile(r"/wp-json/(wc-admin|wc-analytics)/|rest_route=%2F(wc-admin|wc-analytics)|"
                         r"action=wp-compression-test|\.(png|jpe?g|gif|svg|woff2?|ttf)(\?|$)")


def admin_context(browser: Any, shop: Shop) -> Any:
    """A browser signed in to wp-admin: through the login form the first time, then with the cookies
    that login set (one login per module, as a merchant stays signed in)."""
    if "admin_state" in shop.state:
        context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                      storage_state=shop.state["admin_state"])
        context.route(ADMIN_NOISE, lambda route: route.abort())
        return context
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.route(ADMIN_NOISE, lambda route: route.abort())
    page = context.new_page()
    # Straight to the settings page after signing in (WordPress's redirect_to), not the dashboard.
    page.goto(f"{shop.site.url}/wp-login.php?redirect_to={quote(settings_url(shop), safe='')}", wait_until="domcontentloaded")
    page.fill("#user_login", wp.ADMIN_USER)
    page.fill("#user_pass", wp.ADMIN_PASSWORD)
    page.click("#wp-submit")
    page.wait_for_url("**/wp-admin/**", wait_until="commit")
    shop.state["admin_landing"] = page
    assert any(c["name"].startswith("wordpress_logged_in_") for c in context.cookies()), shop.site.log_tail()
    shop.state["admin_state"] = context.storage_state()
    return context


def settings_url(shop: Shop) -> str:
    return f"{shop.site.url}/wp-admin/admin.php?page=wc-settings&tab=printgate"


# --- 1. install ------------------------------------------------------------------------------------

def test_1_plugin_zip_installs_and_activates_with_wp_cli(shop: Shop, tmp_path: Path) -> None:
    with shop.clock.step("install printgate's plugin zip (wp plugin install --activate)"):
        built = packages.write_zip(tmp_path / packages.WORDPRESS_ZIP, packages.wordpress_entries())
        shop.site.wp("plugin", "install", str(built), "--activate")
    plugins = {p["name"]: p for p in shop.site.wp_json("plugin", "list", "--skip-update-check")}  # type: ignore[union-attr]
    assert plugins["printgate-for-woocommerce"]["status"] == "active"
    assert plugins["printgate-for-woocommerce"]["version"] == "0.1.0"
    assert plugins["woocommerce"]["status"] == "active"


HPOS_STATE = (
    "use Automattic\\WooCommerce\\Utilities\\OrderUtil;"
    " $features = wc_get_container()->get(Automattic\\WooCommerce\\Internal\\Features\\FeaturesController::class);"
    " $plugins = $features->get_compatible_plugins_for_feature('custom_order_tables', true);"
    " echo wp_json_encode(array('hpos' => OrderUtil::custom_orders_table_usage_is_enabled(),"
    " 'sync' => get_option('woocommerce_custom_orders_table_data_sync_enabled'),"
    " 'compatible' => array_values($plugins['compatible']), 'incompatible' => array_values($plugins['incompatible'])));"
)


def test_1a_orders_use_hpos_with_sync_and_the_plugin_declares_it(shop: Shop) -> None:
    """High-performance order storage (custom order tables) on, with sync to the posts table, as
    WooCommerce's own settings page switches it: every later step (checkout, order sync, the admin
    order page) runs on HPOS. WooCommerce itself lists the plugin as compatible (its
    ``before_woocommerce_init`` declaration), so it would not block the switch."""
    state = json.loads(shop.site.php_eval(HPOS_STATE))
    if not state["hpos"] or state["sync"] != "yes":
        shop.site.php_eval(
            "$sync = wc_get_container()->get(Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\DataSynchronizer::class);"
            " $sync->create_database_tables();"
            " update_option('woocommerce_custom_orders_table_data_sync_enabled', 'yes');"
            " update_option('woocommerce_custom_orders_table_enabled', 'yes');")
        state = json.loads(shop.site.php_eval(HPOS_STATE))
    assert state["hpos"] is True and state["sync"] == "yes", state
    plugin = "printgate-for-woocommerce/printgate-for-woocommerce.php"
    assert plugin in state["compatible"] and plugin not in state["incompatible"], state


def test_1b_wordpress_plugin_check_finds_no_error(shop: Shop) -> None:
    """WordPress's Plugin Check (the plugin directory's review tool), from the shared stores folder."""
    plugins = shop.site.root / "wp-content" / "plugins"
    subprocess.run(["tar", "-xzf", str(shop.site.stores_dir / "plugin-check-1.2.0.tgz"), "-C", str(plugins)],
                   check=True)
    shop.site.wp("plugin", "activate", "plugin-check")
    try:
        done = shop.site.wp_run("plugin", "check", "printgate-for-woocommerce", "--format=json",
                                f"--require={plugins / 'plugin-check' / 'cli.php'}", check=False,
                                file_cache=False)
    finally:
        shop.site.wp("plugin", "deactivate", "plugin-check")
    assert done.returncode == 0, f"the check did not run: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    findings = [row | {"file": file} for file, rows in _plugin_check_rows(done.stdout) for row in rows]
    # Either the tool's own all-clear or its findings: never nothing (a check that did not run).
    assert findings or "Checks complete. No errors found." in done.stdout, done.stdout[-2000:]
    errors = [f"{f['file']}:{f.get('line')} {f.get('code')}: {f.get('message')}" for f in findings
              if f.get("type") == "ERROR"]
    assert errors == [], "\n".join(errors)


def _plugin_check_rows(out: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """``wp plugin check --format=json`` prints ``FILE: path`` then that file's findings as a JSON list."""
    rows: list[tuple[str, list[dict[str, Any]]]] = []
    current = ""
    for line in out.splitlines():
        if line.startswith("FILE:"):
            current = line[5:].strip()
        elif line.startswith("["):
            rows.append((current, json.loads(line)))
    return rows


# --- 2. connect ------------------------------------------------------------------------------------

def test_2_merchant_connects_on_the_settings_page(shop: Shop, printgate: Printgate, browser: Any) -> None:
    with shop.clock.step("connect: printgate store + the plugin's settings page (login, save, test)"):
        created = printgate.api("POST", "/woocommerce/stores", json={
            "storeUrl": shop.site.url, "pluginOnly": True, "name": "e2e WooCommerce"})
        assert created.status_code == 201, created.text
        shop.store_id = created.json()["store"]["id"]
        shop.plugin_secret = created.json()["pluginSecret"]

        context = admin_context(browser, shop)
        page = shop.state.pop("admin_landing")  # the login went straight to the settings page
        page.wait_for_url(settings_url(shop), wait_until="domcontentloaded")
        # No key saved yet: the workflow list cannot load, so the field takes the id (first-save fix).
        assert page.get_attribute("#printgate_default_workflow", "type") == "text"
        page.fill("#printgate_base_url", printgate.url)
        page.fill("#printgate_publishable_key", printgate.publishable_key)
        page.fill("#printgate_secret_key", printgate.secret_key)
        page.fill("#printgate_webhook_secret", shop.plugin_secret)
        page.fill("#printgate_default_workflow", WORKFLOW)
        page.check("#printgate_require_upload")
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click("button[name=save]")
        assert page.locator("#message.updated, .notice-success, div.updated").count() >= 1, page.content()[:3000]
        assert not page.locator("#message.error, div.error").count(), page.locator("div.error").all_inner_texts()

        # Saved once, and the workflow was kept: the list now loads with the saved key.
        assert page.evaluate("document.querySelector('#printgate_default_workflow').tagName") == "SELECT"
        assert page.eval_on_selector("#printgate_default_workflow", "s => s.value") == WORKFLOW
        options = page.eval_on_selector_all("#printgate_default_workflow option", "os => os.map(o => o.value)")
        assert WORKFLOW in options and len(options) >= 2, options
        # Secrets never come back into the page.
        html = page.content()
        assert printgate.secret_key not in html and shop.plugin_secret not in html

        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click("a.button:has-text('Test connection')")
        notice = page.locator(".notice-success").first.inner_text()
        assert "Connected to printgate" in notice, notice
        context.close()
    assert shop.site.wp("option", "get", "printgate_default_workflow") == WORKFLOW
    assert shop.site.wp("option", "get", "printgate_base_url") == printgate.url


# --- 3. product + storefront gate -----------------------------------------------------------------

def test_3_workflow_assigned_on_the_product_page(shop: Shop, browser: Any) -> None:
    with shop.clock.step("assign the workflow on the product's edit page"):
        shop.product_id = wp.create_product(shop.site, "Flyer A4", "9.99")
        context = admin_context(browser, shop)
        page = context.new_page()
        page.goto(f"{shop.site.url}/wp-admin/post.php?post={shop.product_id}&action=edit", wait_until="domcontentloaded")
        page.click("li.printgate_options a")
        page.select_option("#_printgate_workflow", WORKFLOW)
        page.select_option("#_printgate_require", "yes")
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click("#publish")
        assert page.eval_on_selector("#_printgate_workflow", "s => s.value") == WORKFLOW
        context.close()
    assert shop.site.wp("post", "meta", "get", str(shop.product_id), "_printgate_workflow") == WORKFLOW


def shopper_page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script("""
      window.__events = [];
      ['ready','status','change','facts','proof','error','destroy'].forEach(function (name) {
        document.addEventListener('printgate:' + name, function (e) {
          window.__events.push({type: name, detail: e.detail, t: performance.now()});
        });
      });
    """)
    shop_state = {"errors": errors}
    return context, (page, shop_state)


def cart_items(page: Any, shop: Shop) -> list[dict[str, Any]]:
    answer = page.request.get(f"{shop.site.url}/?rest_route=/wc/store/v1/cart")
    assert answer.ok, answer.text()
    return list(answer.json()["items"])


def test_4_widget_gates_add_to_cart_then_the_shopper_checks_out(
        shop: Shop, printgate: Printgate, browser: Any, tmp_path: Path) -> None:
    assert shop.product_id, "needs test_3"
    context, (page, state) = shopper_page(browser)
    url = shop.site.php_eval(f"echo get_permalink({shop.product_id});")
    with shop.clock.step("storefront: defective file keeps add-to-cart locked"):
        page.goto(url)
        page.wait_for_selector(".printgate-slot .pg-zone", state="attached", timeout=20000)
        assert page.is_disabled(CART_BUTTON), "add-to-cart must be locked before an upload"
        page.set_input_files(".printgate-slot .pg-zone input[type=file]", str(annotated_pdf(tmp_path / "commented.pdf")))
        rejected = wait_terminal(page)
        assert rejected["status"] == "rejected" and rejected["canProceed"] is False, rejected
        assert page.is_disabled(CART_BUTTON)
        # A shopper who submits the form anyway (past the widget's lock): the server asks printgate
        # about the job in the form and refuses it.
        job_id = rejected["jobId"]
        assert page.eval_on_selector("input[name=printgate_job_id]", "e => e.value") == "", \
            "the widget fills the field only for a job that can proceed"
        with page.expect_navigation():
            page.eval_on_selector("form.cart", """(f, job) => {
                f.querySelector('input[name=printgate_job_id]').value = job;
                const i = document.createElement('input');
                i.type = 'hidden'; i.name = 'add-to-cart'; i.value = f.querySelector('[name="add-to-cart"]').value;
                f.appendChild(i); HTMLFormElement.prototype.submit.call(f); }""", job_id)
        error = page.locator(".woocommerce-error, .wc-block-components-notice-banner.is-error").first.inner_text()
        assert "not passed the checks" in error, error
        assert cart_items(page, shop) == []

    with shop.clock.step("storefront: good file unlocks add-to-cart; added to the cart"):
        page.wait_for_selector(".printgate-slot .pg-zone", state="attached", timeout=20000)
        page.set_input_files(".printgate-slot .pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
        passed = wait_terminal(page)
        assert passed["canProceed"] is True, passed
        assert not page.is_disabled(CART_BUTTON)
        good_job = passed["jobId"]
        assert page.eval_on_selector("input[name=printgate_job_id]", "e => e.value") == good_job
        with page.expect_navigation():
            page.click(CART_BUTTON)
        items = cart_items(page, shop)
        assert [i["id"] for i in items] == [shop.product_id], items
        print_file = [d for d in items[0]["item_data"] if d["key"] == "Print file"]
        assert print_file and print_file[0]["value"] == "flyer.pdf", items[0]["item_data"]

    with shop.clock.step("checkout (Store API, cash on delivery)"):
        nonce = page.request.get(f"{shop.site.url}/?rest_route=/wc/store/v1/cart").headers["nonce"]
        done = page.request.post(f"{shop.site.url}/?rest_route=/wc/store/v1/checkout", headers={"Nonce": nonce},
                                 data={"billing_address": ADDRESS, "shipping_address": ADDRESS,
                                       "payment_method": "cod"})
        assert done.ok, done.text()
        order = done.json()
        assert order["status"] == "processing", order
    shop.state.update(order_id=int(order["order_id"]), job_id=good_job, rejected_job=job_id,
                      checkout_at=time.monotonic())
    context.close()
    assert not state["errors"], f"JavaScript errors on the product page: {state['errors']}"


# --- 4. printgate gets the order, processes it, files on the admin order page ----------------------

def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last})")


def printgate_order(printgate: Printgate, shop: Shop) -> dict[str, Any] | None:
    answer = printgate.api("GET", f"/stores/{shop.store_id}/orders/{shop.state['order_id']}")
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_5_order_reaches_printgate_without_anyone_opening_wp_admin(shop: Shop, printgate: Printgate) -> None:
    """Action Scheduler only runs when triggered (WP-Cron is off here, nobody opens wp-admin): the
    plugin's loopback runner must send the order right after checkout."""
    assert shop.state.get("order_id"), "needs test_4"
    with shop.clock.step("order reaches printgate (no wp-admin visit, no cron)"):
        row = wait_for(lambda: printgate_order(printgate, shop), 20, "printgate received the order")
    waited = time.monotonic() - shop.state["checkout_at"]
    assert waited < 20, waited
    order_meta = shop.site.php_eval(
        f"$o = wc_get_order({shop.state['order_id']}); echo wp_json_encode(array("
        "'synced' => $o->get_meta('_printgate_synced_at'), 'pending' => $o->get_meta('_printgate_sync_pending')));")
    assert json.loads(order_meta)["synced"], order_meta
    assert row is not None and row["steps"]["received"]["status"] == "done", row
    # Sent by the plugin's loopback runner, through Action Scheduler's own runner (its log says so).
    logs = shop.site.php_eval(
        "$ids = as_get_scheduled_actions(array('hook' => 'printgate_sync_order', 'group' => 'printgate',"
        f" 'args' => array({shop.state['order_id']}), 'status' => 'complete'), 'ids');"
        " foreach ($ids as $id) { foreach (ActionScheduler::logger()->get_logs($id) as $l) {"
        " echo $l->get_message(), \"\\n\"; } }")
    assert "action started via printgate loopback" in logs, logs


def test_5b_the_loopback_runner_refuses_a_forged_call(shop: Shop) -> None:
    """The logged-out admin-ajax handler only runs what this site signed with its own salt."""
    payload = json.dumps({"runs": [["printgate_sync_order", [shop.state["order_id"]]]], "time": int(time.time())})
    forged = httpx.post(f"{shop.site.url}/wp-admin/admin-ajax.php?action=printgate_run_now",
                        data={"payload": payload, "sig": "0" * 64}, timeout=30)
    assert forged.status_code == 403, forged.text
    assert forged.json() == {"ran": 0}
    unknown = httpx.post(f"{shop.site.url}/wp-admin/admin-ajax.php?action=printgate_run_now", data={}, timeout=30)
    assert unknown.status_code == 403


def test_6_printgate_processes_and_the_files_show_on_the_admin_order_page(
        shop: Shop, printgate: Printgate, browser: Any) -> None:
    assert shop.state.get("order_id"), "needs test_4"
    job_id = shop.state["job_id"]
    with shop.clock.step("printgate verifies + processes the job; order delivered"):
        def delivered() -> dict[str, Any] | None:
            row = printgate_order(printgate, shop)
            return row if row and row.get("status") == "written_back" else None
        wait_for(delivered, 90, f"order delivered in printgate ({printgate_order(printgate, shop)})")
        job = printgate.api("GET", f"/jobs/{job_id}?expand=runs").json()
        runs = [r for r in job.get("runs", []) if r.get("hasOutput")]
        assert runs, job

    with shop.clock.step("admin order page shows the files; download is the PDF"):
        context = admin_context(browser, shop)
        page = context.new_page()
        edit_url = shop.site.php_eval(f"echo wc_get_order({shop.state['order_id']})->get_edit_order_url();")
        assert "page=wc-orders" in edit_url and "action=edit" in edit_url, f"not the HPOS order screen: {edit_url}"
        page.goto(edit_url, wait_until="domcontentloaded")
        box = page.locator("#printgate-print-files-box")
        box.wait_for()
        # Each delivered file with its thumbnail (the job's preview, proxied by the plugin with the
        # secret key), and the proof the workflow made.
        thumbs = box.locator("img.printgate-thumbnail-img")
        assert thumbs.count() == len(runs), box.inner_html()
        src = thumbs.first.get_attribute("src")
        assert src and "action=printgate_thumbnail" in src and "sig=" not in src, src
        thumb = page.request.get(src)
        assert thumb.status == 200, thumb.text()[:500]
        assert thumb.headers["content-type"].split(";")[0] == "image/png", thumb.headers
        assert thumb.body()[:8] == b"\x89PNG\r\n\x1a\n"
        proofs = box.locator(".printgate-proofs img")
        assert proofs.count() >= 1, box.inner_html()
        proof = page.request.get(proofs.first.get_attribute("src") or "")
        assert proof.status == 200 and proof.headers["content-type"].startswith("image/"), proof.headers
        # Without the admin's session the image is not served (admin-post.php has no logged-out handler: 400).
        anonymous = httpx.get(src, timeout=30, follow_redirects=False)
        assert anonymous.status_code in (302, 400, 403) and not anonymous.content.startswith(b"\x89PNG"), anonymous
        assert box.locator("code", has_text=job_id).count() == 1
        assert "Sent to printgate" in box.inner_text()
        links = box.locator("a.button:has-text('Download print-ready file')")
        assert links.count() >= 1, box.inner_html()
        href = links.first.get_attribute("href")
        assert href
        download = page.request.get(href)
        assert download.status == 200
        assert download.headers["content-type"].split(";")[0] == "application/pdf", download.headers
        assert "attachment" in download.headers.get("content-disposition", "")
        assert download.body()[:5] == b"%PDF-"
        # The note printgate's "files ready" event asked for: written by the loopback runner too.
        wait_for(lambda: "the print files are ready" in order_notes(shop, shop.state["order_id"]),
                 30, "files-ready order note")
        context.close()


def order_notes(shop: Shop, order_id: int) -> str:
    return shop.site.php_eval(
        f"foreach (wc_get_order_notes(array('order_id' => {order_id})) as $n) echo $n->content, \"\\n\";")


def buy_with_a_good_file(browser: Any, shop: Shop, tmp_path: Path) -> tuple[int, str]:
    """The shopper's happy path, compact: upload, add to cart, Store API checkout."""
    context, (page, _state) = shopper_page(browser)
    page.goto(shop.site.php_eval(f"echo get_permalink({shop.product_id});"))
    page.wait_for_selector(".printgate-slot .pg-zone", state="attached", timeout=20000)
    page.set_input_files(".printgate-slot .pg-zone input[type=file]", str(clean_pdf(tmp_path / "poster.pdf")))
    passed = wait_terminal(page)
    assert passed["canProceed"] is True, passed
    with page.expect_navigation():
        page.click(CART_BUTTON)
    nonce = page.request.get(f"{shop.site.url}/?rest_route=/wc/store/v1/cart").headers["nonce"]
    done = page.request.post(f"{shop.site.url}/?rest_route=/wc/store/v1/checkout", headers={"Nonce": nonce},
                             data={"billing_address": ADDRESS, "shipping_address": ADDRESS, "payment_method": "cod"})
    assert done.ok, done.text()
    order_id = int(done.json()["order_id"])
    context.close()
    return order_id, str(passed["jobId"])


def test_7_plain_permalinks_files_ready_still_reaches_the_plugin(
        shop: Shop, printgate: Printgate, browser: Any, tmp_path: Path) -> None:
    """WordPress's default "Plain" permalinks: /wp-json/... is the home page (HTTP 200). printgate must
    find the REST root the WordPress way and deliver "files ready" to the plugin all the same."""
    assert shop.product_id, "needs test_3"
    shop.site.php_eval("global $wp_rewrite; $wp_rewrite->set_permalink_structure(''); flush_rewrite_rules(false);")
    home = httpx.post(f"{shop.site.url}/wp-json/printgate/v1/events", json={"type": "x"}, timeout=30)
    assert home.status_code == 200 and "json" not in home.headers.get("content-type", ""), \
        "with plain permalinks a POST to /wp-json/... is the home page, HTTP 200"
    rest = httpx.post(f"{shop.site.url}/?rest_route=/printgate/v1/events", json={"type": "x"}, timeout=30)
    assert rest.status_code == 401 and rest.json()["data"]["plugin"] == "printgate-for-woocommerce", rest.text

    order_id, _job = buy_with_a_good_file(browser, shop, tmp_path)
    shop.state["order_id"] = order_id
    wait_for(lambda: (printgate_order(printgate, shop) or {}).get("status") == "written_back", 90,
             "plain-permalink order written back")
    wait_for(lambda: "the print files are ready" in order_notes(shop, order_id), 30,
             f"files-ready note with plain permalinks (printgate: {printgate_order(printgate, shop)})")
