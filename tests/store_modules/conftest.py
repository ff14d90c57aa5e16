"""Helpers for driving the store modules' PHP code from pytest with plain php-cli."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.clock import php_env
from tests.support import source_dir

LIB = source_dir("connectors", "store_php")
DRIVER = Path(__file__).parent / "php" / "driver.php"
PHP = shutil.which("php")

SECRET = "whsec_" + base64.b64encode(b"printgate-store-module-test-key!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a-different-key-for-negative-tst").decode()
SK = "sk_test_4f9c2b"
BASE = "http://printgate.test:8000"


def php_run(action: str, lib: Path = LIB, **payload: Any) -> Any:
    """Run one driver scenario and return its decoded JSON output."""
    return json.loads(php_run_raw(action, lib, **payload).rsplit("\n--JSON--\n", 1)[1])


def php_run_raw(action: str, lib: Path = LIB, **payload: Any) -> str:
    """Run one driver scenario; return everything it printed (output, then ``--JSON--`` and the result)."""
    assert PHP, "php-cli is required (scripts/apt-packages.txt installs it)"
    request = {"lib": str(lib), "action": action, "secret": SECRET, "sk": SK, "base": BASE, **payload}
    proc = subprocess.run(
        [PHP, "-d", "display_errors=stderr", "-d", "error_reporting=-1", str(DRIVER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=php_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    return proc.stdout


@pytest.fixture(scope="session")
def php() -> str:
    assert PHP, "php-cli is required (scripts/apt-packages.txt installs it)"
    return PHP


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three packages, built once per test session."""
    from printgate.connectors import build_store_packages

    out = tmp_path_factory.mktemp("packages")
    return {path.relative_to(out).as_posix(): path for path in build_store_packages.build(out)}


@pytest.fixture(scope="session")
def extracted(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each package unpacked, keyed by zip name."""
    root = tmp_path_factory.mktemp("extracted")
    dirs = {}
    for name, path in built.items():
        with zipfile.ZipFile(path) as archive:
            archive.extractall(root / name)
        dirs[name] = root / name
    return dirs
