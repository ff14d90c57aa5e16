"""WordPress + WooCommerce from the release tarballs, installed the platform's way (WP-CLI), served by
``php -S``. Used by tests/stores/test_woocommerce.py and bench/real_stores.py."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.stores.conftest import MariaDB, PhpServer, run_php

WP_TARBALL = "wp-6.8.8.tgz"
WC_TARBALL = "woocommerce-10.0.2.tgz"
WP_CLI = "wp-cli.phar"
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin-pw-e2e"

WP_CONFIG = """<?php
define( 'DB_NAME', {db} );
define( 'DB_USER', {user} );
define( 'DB_PASSWORD', {password} );
define( 'DB_HOST', {host} );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $k ) {{
	define( $k, 'e2e-' . $k . '-' . {salt} );
}}
$table_prefix = 'wp_';
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'DISABLE_WP_CRON', true );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', {debug_log} );
define( 'WP_DEBUG_DISPLAY', false );
if ( ! defined( 'ABSPATH' ) ) {{
	define( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
"""


def php_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class WordPress:
    root: Path
    stores_dir: Path
    server: PhpServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def debug_log(self) -> Path:
        return self.root.parent / "wp-debug.log"

    def wp(self, *args: str, timeout: float = 300, check: bool = True) -> str:
        """WP-CLI against this site (``--user=admin`` where a command needs a capability); its stdout."""
        return self.wp_run(*args, timeout=timeout, check=check).stdout.strip()

    def wp_run(self, *args: str, timeout: float = 300, check: bool = True,
               file_cache: bool = True) -> subprocess.CompletedProcess[str]:
        """WP-CLI; ``file_cache``: OPcache's file cache keeps WordPress and WooCommerce compiled between
        WP-CLI processes (Plugin Check's PHP_CodeSniffer run crashes PHP 8.2 with it: off there)."""
        cache = self.root.parent / "opcache"
        cache.mkdir(exist_ok=True)
        opcache = ["-d", "opcache.enable_cli=1", "-d", f"opcache.file_cache={cache}"] if file_cache else []
        done = run_php(["-d", "memory_limit=512M", "-d", "error_reporting=E_ALL&~E_DEPRECATED&~E_NOTICE",
                        *opcache, str(self.stores_dir / WP_CLI), "--allow-root", f"--path={self.root}", *args],
                       timeout=timeout, check=check)
        return done

    def wp_json(self, *args: str) -> object:
        return json.loads(self.wp(*args, "--format=json"))

    def php_eval(self, code: str) -> str:
        return self.wp("eval", code)

    def log_tail(self) -> str:
        debug = self.debug_log.read_text(errors="replace")[-3000:] if self.debug_log.exists() else ""
        return f"php -S:\n{self.server.log_tail()}\nwp-debug.log:\n{debug}"


def extract(stores_dir: Path, root: Path) -> None:
    root.mkdir(parents=True)
    woo = root / "wp-content" / "plugins" / "woocommerce"
    subprocess.run(["tar", "-xzf", str(stores_dir / WP_TARBALL), "-C", str(root)], check=True)
    woo.mkdir(parents=True)
    subprocess.run(["tar", "-xzf", str(stores_dir / WC_TARBALL), "-C", str(woo)], check=True)
    # This WooCommerce copy ships src/Caching/WpCacheEngine.php that its class map loads as
    # WPCacheEngine.php (a fatal error on a case-sensitive file system): /work/shared/stores/README.md.
    engine = woo / "src" / "Caching"
    if (engine / "WpCacheEngine.php").exists() and not (engine / "WPCacheEngine.php").exists():
        (engine / "WPCacheEngine.php").symlink_to("WpCacheEngine.php")


def configure(root: Path, db: MariaDB, database: str) -> None:
    (root / "wp-config.php").write_text(WP_CONFIG.format(
        db=php_str(database), user=php_str(db.user), password=php_str(db.password),
        host=php_str(f"{db.host}:{db.port}"), salt=php_str(database),
        debug_log=php_str(str(root.parent / "wp-debug.log")),
    ))


def install_core(site: WordPress) -> None:
    site.wp("core", "install", f"--url={site.url}", "--title=printgate e2e shop", f"--admin_user={ADMIN_USER}",
            f"--admin_password={ADMIN_PASSWORD}", "--admin_email=merchant@example.com", "--skip-email")
    site.wp("plugin", "activate", "woocommerce")
    # A launched shop (new WooCommerce 10 stores start "coming soon"), in France, cash on delivery on,
    # "post name" permalinks: what a merchant sets up in the admin, in one WP-CLI process.
    # The first wp-admin visit within 30 s of activation goes to WooCommerce's setup wizard (the
    # _wc_activation_redirect transient): this merchant has set the shop up already.
    site.php_eval(
        "delete_transient('_wc_activation_redirect');"
        " update_option('woocommerce_coming_soon', 'no'); update_option('woocommerce_default_country', 'FR');"
        " update_option('woocommerce_currency', 'EUR');"
        " $cod = get_option('woocommerce_cod_settings', array()); $cod['enabled'] = 'yes';"
        " update_option('woocommerce_cod_settings', $cod);"
        " global $wp_rewrite; $wp_rewrite->set_permalink_structure('/%postname%/'); flush_rewrite_rules(false);")


def create_product(site: WordPress, name: str, price: str) -> int:
    return int(site.wp("wc", "product", "create", f"--name={name}", f"--regular_price={price}",
                       f"--user={ADMIN_USER}", "--porcelain").splitlines()[-1])
