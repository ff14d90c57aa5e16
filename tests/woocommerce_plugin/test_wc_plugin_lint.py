"""Static checks on the WordPress plugin: PHP syntax, plugin headers, escaping/i18n conventions."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import PHP_DIR, PLUGIN_DIR, php_binary

PLUGIN_PHP = sorted(PLUGIN_DIR.rglob("*.php"))
TEST_PHP = sorted(PHP_DIR.rglob("*.php"))
TEXT_DOMAIN = "printgate-for-woocommerce"
NO_WP_CLASSES = [
    "class-printgate-signature-exception.php",
    "class-printgate-signer.php",
    "class-printgate-transport-exception.php",
    "interface-printgate-transport.php",
    "class-printgate-api-exception.php",
    "class-printgate-api-client.php",
    "class-printgate-order-payload.php",
    "class-printgate-retry.php",
]


def _rel(path: Path) -> str:
    return str(path.relative_to(PLUGIN_DIR if PLUGIN_DIR in path.parents else PHP_DIR.parent))


def test_plugin_has_the_expected_files():
    names = {str(p.relative_to(PLUGIN_DIR)) for p in PLUGIN_DIR.rglob("*") if p.is_file()}
    for required in [
        "printgate-for-woocommerce.php",
        "readme.txt",
        "uninstall.php",
        "languages/printgate-for-woocommerce.pot",
        "includes/class-printgate-signer.php",
        "includes/class-printgate-api-client.php",
        "assets/js/printgate-product.js",
    ]:
        assert required in names, required


@pytest.mark.parametrize("path", PLUGIN_PHP + TEST_PHP, ids=_rel)
def test_php_lint(path: Path):
    proc = subprocess.run([php_binary(), "-l", str(path)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No syntax errors detected" in proc.stdout


@pytest.mark.parametrize("path", PLUGIN_PHP, ids=_rel)
def test_every_plugin_file_refuses_direct_access(path: Path):
    guard = "WP_UNINSTALL_PLUGIN" if path.name == "uninstall.php" else "ABSPATH"
    head = path.read_text()[:2500]
    assert re.search(rf"defined\( '{guard}' \).{{0,60}}?\bexit;", head, re.S), (
        f"{path.name} has no {guard} guard"
    )


def test_main_file_header_and_hpos_declaration():
    main = (PLUGIN_DIR / "printgate-for-woocommerce.php").read_text()
    header = main[: main.index("*/")]
    for field in [
        "Plugin Name:",
        "Version:",
        "Requires PHP:",
        "Text Domain:          printgate-for-woocommerce",
        "Domain Path:          /languages",
        "WC requires at least:",
        "Requires Plugins:     woocommerce",
    ]:
        assert field in header, field
    assert "FeaturesUtil::declare_compatibility( 'custom_order_tables', PRINTGATE_WC_FILE, true )" in main
    assert "before_woocommerce_init" in main


def test_readme_txt_headers_match_the_plugin_version():
    readme = (PLUGIN_DIR / "readme.txt").read_text()
    assert readme.startswith("=== printgate for WooCommerce ===")
    version = re.search(
        r"^ \* Version:\s+(\S+)", (PLUGIN_DIR / "printgate-for-woocommerce.php").read_text(), re.M
    )
    assert version is not None
    assert f"Stable tag: {version.group(1)}" in readme
    for section in ["== Description ==", "== Installation ==", "== Changelog =="]:
        assert section in readme


@pytest.mark.parametrize("name", NO_WP_CLASSES)
def test_testable_classes_call_no_wordpress_functions(name: str):
    source = (PLUGIN_DIR / "includes" / name).read_text()
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    for fn in [
        "get_option",
        "wp_remote_",
        "esc_html",
        "__(",
        "add_action",
        "add_filter",
        "wc_get_order",
        "apply_filters",
    ]:
        assert fn not in code, f"{name} calls {fn}"


I18N_FUNCTIONS = r"\b(?:__|_e|_n|_x|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\("


def _call_arguments(source: str, open_paren: int) -> str:
    """The text between a call's parentheses (string literals respected)."""
    depth, i, quote = 0, open_paren, None
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return source[open_paren + 1 : i]
        i += 1
    raise AssertionError("unbalanced call")


@pytest.mark.parametrize("path", [p for p in PLUGIN_PHP if p.name != "uninstall.php"], ids=_rel)
def test_translated_strings_use_the_plugin_text_domain(path: Path):
    source = path.read_text()
    calls = [m.end() - 1 for m in re.finditer(I18N_FUNCTIONS, source)]
    for pos in calls:
        args = _call_arguments(source, pos).strip()
        assert args.endswith(f"'{TEXT_DOMAIN}'"), f"{path.name}: {args[:80]!r} lacks the text domain"


def test_pot_lists_every_translatable_string(tmp_path: Path):
    out = tmp_path / "fresh.pot"
    files = [str(p.relative_to(PLUGIN_DIR)) for p in PLUGIN_PHP]
    subprocess.run(
        [
            "xgettext",
            "--language=PHP",
            "--from-code=UTF-8",
            "-k__",
            "-k_e",
            "-kesc_html__",
            "-kesc_html_e",
            "-kesc_attr__",
            "-kesc_attr_e",
            "-k_n:1,2",
            "-o",
            str(out),
            *files,
        ],
        cwd=PLUGIN_DIR,
        check=True,
        capture_output=True,
        timeout=60,
    )

    def msgids(text: str) -> set[str]:
        return set(re.findall(r'^msgid "(.+)"$', text, re.M))

    fresh = msgids(out.read_text())
    shipped = msgids((PLUGIN_DIR / "languages" / "printgate-for-woocommerce.pot").read_text())
    assert fresh, "no strings extracted"
    assert fresh - shipped == set(), "languages/printgate-for-woocommerce.pot is stale"


def test_secret_key_and_webhook_secret_never_reach_the_storefront():
    product = (PLUGIN_DIR / "includes" / "class-printgate-product.php").read_text()
    render = product[product.index("function render_widget") : product.index("function posted_job_id")]
    assert "publishable_key()" in render
    assert "secret_key" not in render and "webhook_secret" not in render
    js = (PLUGIN_DIR / "assets" / "js" / "printgate-product.js").read_text()
    assert "sk_" not in js and "whsec" not in js


@pytest.mark.parametrize("path", PLUGIN_PHP, ids=_rel)
def test_admin_post_handlers_check_capability_and_nonce(path: Path):
    source = path.read_text()
    for handler in re.findall(
        r"add_action\(\s*'admin_post_' \. self::(\w+),\s*array\( \$this, '(\w+)' \)", source
    ):
        body = source[source.index(f"function {handler[1]}(") :]
        body = body[: body.index("\n\t}\n")]
        assert "current_user_can" in body or "require_capability()" in body, (
            f"{handler[1]} lacks a capability check"
        )
        assert "check_admin_referer" in body or "wp_verify_nonce" in body, f"{handler[1]} lacks a nonce check"
