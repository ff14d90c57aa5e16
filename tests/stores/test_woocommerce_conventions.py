"""The WordPress plugin against WordPress's own coding standard: PHP_CodeSniffer with the WordPress
Coding Standards from the shared stores folder (phpcs-wpcs-3.1.0.tgz), zero findings at error level;
and ``php -l`` on every file of the zip printgate builds. (``wp plugin check`` needs a WordPress
install: it runs in test_woocommerce.py on the site installed there.)"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from printgate.connectors import build_store_packages as packages
from tests.stores.conftest import run_php

pytestmark = pytest.mark.real_store


@pytest.fixture(scope="module")
def phpcs(stores_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("phpcs")
    subprocess.run(["tar", "-xzf", str(stores_dir / "phpcs-wpcs-3.1.0.tgz"), "-C", str(root)], check=True)
    base = root / "phpcs"
    # The bundled CodeSniffer.conf names another machine's paths: the standards are given here.
    paths = ",".join(str(base / name) for name in ("PHPCSUtils", "PHPCSExtra", "WPCS"))
    return [str(base / "PHP_CodeSniffer" / "bin" / "phpcs"), "--runtime-set", "installed_paths", paths]


def test_wordpress_coding_standards_find_no_error(phpcs: list[str]) -> None:
    done = run_php([*phpcs, "--standard=WordPress", "--report=json", "-q", str(packages.WORDPRESS)],
                   check=False, timeout=300)
    report = json.loads(done.stdout[done.stdout.index("{"):])
    assert report["files"], "phpcs checked no file"
    checked = {Path(name).name for name in report["files"]}
    assert {"printgate-for-woocommerce.php", "class-printgate-async.php", "printgate-product.js"} <= checked
    errors = [f"{Path(name).name}:{m['line']} {m['source']}: {m['message']}"
              for name, found in report["files"].items() for m in found["messages"] if m["type"] == "ERROR"]
    assert errors == [], "\n".join(errors)
    assert report["totals"]["errors"] == 0


def test_phpcs_does_report_a_violation(phpcs: list[str], tmp_path: Path) -> None:
    """The check above can fail: the same command finds an unescaped echo."""
    bad = tmp_path / "bad-plugin"
    bad.mkdir()
    (bad / "bad.php").write_text("<?php\n/**\n * Bad.\n *\n * @package Bad\n */\n\necho $_GET['x'];\n")
    done = run_php([*phpcs, "--standard=WordPress", "--report=json", "-q", str(bad)], check=False)
    report = json.loads(done.stdout[done.stdout.index("{"):])
    sources = {m["source"] for f in report["files"].values() for m in f["messages"] if m["type"] == "ERROR"}
    assert "WordPress.Security.EscapeOutput.OutputNotEscaped" in sources, sources


def test_every_php_file_of_the_built_zip_lints(tmp_path: Path) -> None:
    built = packages.write_zip(tmp_path / packages.WORDPRESS_ZIP, packages.wordpress_entries())
    with zipfile.ZipFile(built) as archive:
        archive.extractall(tmp_path / "x")
        names = archive.namelist()
    assert all(n.startswith(f"{packages.WORDPRESS_SLUG}/") for n in names), names
    assert f"{packages.WORDPRESS_SLUG}/printgate-for-woocommerce.php" in names
    assert f"{packages.WORDPRESS_SLUG}/readme.txt" in names
    assert f"{packages.WORDPRESS_SLUG}/README.md" not in names, "developer notes stay out of the plugin zip"
    php_files = sorted((tmp_path / "x").rglob("*.php"))
    assert len(php_files) >= 15
    for path in php_files:
        done = run_php(["-l", str(path)], check=False)
        assert done.returncode == 0 and "No syntax errors" in done.stdout, done.stdout + done.stderr
