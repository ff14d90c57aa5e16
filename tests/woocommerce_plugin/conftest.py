"""Helpers for driving the WooCommerce plugin's PHP classes from pytest through php-cli."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clock import php_env
from tests.support import source_dir

PLUGIN_DIR = source_dir("connectors", "woocommerce", "plugin")
PHP_DIR = Path(__file__).resolve().parent / "php"
HARNESS = PHP_DIR / "harness.php"
FIXTURES = Path("/work/shared/fixtures/woocommerce")
ORDER_727 = FIXTURES / "order_727.json"

PHP = shutil.which("php")


def php_binary() -> str:
    """php-cli; without it these tests fail (never skip): the plugin is untested otherwise."""
    assert PHP is not None, "php-cli is required for tests/woocommerce_plugin (apt install php-cli)"
    return PHP


def run_php(command: dict[str, Any]) -> dict[str, Any]:
    """Run one harness command and return its decoded JSON answer."""
    proc = subprocess.run(
        [php_binary(), "-d", "display_errors=stderr", str(HARNESS)],
        input=json.dumps(command),
        capture_output=True,
        text=True,
        timeout=30,
        env=php_env({**os.environ, "PRINTGATE_PLUGIN_DIR": str(PLUGIN_DIR)}),
    )
    assert proc.returncode == 0, f"php exited {proc.returncode}: {proc.stderr}\n{proc.stdout}"
    return json.loads(proc.stdout)


@pytest.fixture
def php():
    return run_php
