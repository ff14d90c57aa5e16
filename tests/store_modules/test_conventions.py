"""The OpenCart extension, the PrestaShop module and their shared PHP follow PSR-12 (PHP_CodeSniffer
3.13 from the stores folder, tests/store_modules/psr12.xml) with zero errors, and every PHP file of
the built packages passes ``php -l``. (PSR-12's warnings, the soft 120-column line limit and mixed
declarations/side effects in the platforms' entry files, are not errors.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from printgate.connectors import build_store_packages as packages
from tests.support import shared_dir

ROOT = Path(__file__).resolve().parents[2]
STORES_DIR = Path(os.environ.get("PRINTGATE_STORES_DIR") or shared_dir("stores"))
CONNECTORS = ROOT / "src" / "printgate" / "connectors"
RULESET = Path(__file__).with_name("psr12.xml")
SOURCES = [CONNECTORS / "opencart" / "extension", CONNECTORS / "prestashop" / "module", CONNECTORS / "store_php"]
PHP = shutil.which("php")


@pytest.fixture(scope="module")
def phpcs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tarball = STORES_DIR / "phpcs-wpcs-3.1.0.tgz"
    assert tarball.is_file(), f"PHP_CodeSniffer is not in {STORES_DIR} (set PRINTGATE_STORES_DIR)"
    dest = tmp_path_factory.mktemp("phpcs")
    with tarfile.open(tarball) as archive:
        archive.extractall(dest, filter="data")
    return dest / "phpcs" / "PHP_CodeSniffer" / "bin" / "phpcs"


def _phpcs(phpcs: Path, *paths: Path) -> dict:
    assert PHP, "php-cli is required (scripts/apt-packages.txt installs it)"
    done = subprocess.run([PHP, str(phpcs), f"--standard={RULESET}", "--report=json", "-q", *map(str, paths)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.stdout.strip(), done.stderr
    return json.loads(done.stdout)


def test_modules_follow_psr12_with_no_error(phpcs: Path) -> None:
    report = _phpcs(phpcs, *SOURCES)
    errors = {path: [f"{m['line']}: {m['source']}" for m in info["messages"] if m["type"] == "ERROR"]
              for path, info in report["files"].items() if info["errors"]}
    assert report["totals"]["errors"] == 0, errors
    assert len(report["files"]) >= 30  # every PHP file of the three trees was read


def test_the_ruleset_catches_a_violation(phpcs: Path, tmp_path: Path) -> None:
    """The check is live: a file breaking PSR-12 fails it."""
    bad = tmp_path / "Bad.php"
    bad.write_text("<?php\nclass bad_name { function X(){ if($a){return 1;} } }\n")
    report = _phpcs(phpcs, bad)
    assert report["totals"]["errors"] >= 3, report


def test_every_packaged_php_file_lints(tmp_path: Path) -> None:
    assert PHP, "php-cli is required"
    checked = 0
    for name, entries in ((packages.OC3_ZIP, packages.opencart3_entries()),
                          (packages.OC4_ZIP, packages.opencart4_entries()),
                          (packages.PRESTASHOP_ZIP, packages.prestashop_entries())):
        archive = packages.write_zip(tmp_path / name, entries)
        out = tmp_path / (name + ".d")
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(out)
        for path in sorted(out.rglob("*.php")):
            done = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True, timeout=60, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            checked += 1
    assert checked >= 60, checked
