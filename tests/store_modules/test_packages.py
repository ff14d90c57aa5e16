"""The four store packages: layout of the zips, PHP syntax of every file, packaged code runs."""

from __future__ import annotations

import json
import subprocess
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from printgate.connectors import build_store_packages as packages
from printgate.webhooks.signing import standard_verify
from tests.support import source_dir

from .conftest import SECRET, php_run

SOURCES = sorted(
    path
    for root in (("store_php",), ("opencart", "extension"), ("prestashop", "module"), ("woocommerce", "plugin"))
    for path in source_dir("connectors", *root).rglob("*.php")
)


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_sources_found() -> None:
    assert len(SOURCES) >= 20
    assert {p.name for p in SOURCES} >= {
        "Signer.php",
        "printgate.php",
        "PrintgateOpencart.php",
        "callback.php",
    }


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(source_dir("connectors"))) for p in SOURCES])
def test_php_lint(php: str, path: Path) -> None:
    proc = subprocess.run([php, "-l", str(path)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No syntax errors detected" in proc.stdout


def test_every_packaged_php_file_is_a_linted_source(php: str, extracted: dict[str, Path]) -> None:
    sources = {path.read_bytes() for path in SOURCES}
    guards = []
    for zip_name, root in extracted.items():
        for path in root.rglob("*.php"):
            if path.name == "index.php" and zip_name == packages.PRESTASHOP_ZIP:
                guards.append(path)
                continue
            assert path.read_bytes() in sources, f"{zip_name}: {path.relative_to(root)} is not a source file"
    assert guards
    proc = subprocess.run(
        [php, "-l", str(guards[0])], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stdout


def test_four_zips_are_written(built: dict[str, Path]) -> None:
    assert sorted(built) == sorted([packages.OC3_ZIP, packages.OC4_ZIP, packages.PRESTASHOP_ZIP, packages.WORDPRESS_ZIP])
    for path in built.values():
        assert zipfile.is_zipfile(path)
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None


def test_opencart3_layout(built: dict[str, Path]) -> None:
    entries = names(built[packages.OC3_ZIP])
    assert "install.xml" in entries
    assert all(name == "install.xml" or name.startswith("upload/") for name in entries)
    assert set(entries) >= {
        "upload/admin/controller/extension/module/printgate.php",
        "upload/admin/language/en-gb/extension/module/printgate.php",
        "upload/admin/view/template/extension/module/printgate.twig",
        "upload/catalog/controller/extension/module/printgate.php",
        "upload/catalog/language/en-gb/extension/module/printgate.php",
        "upload/system/library/printgate/autoload.php",
        "upload/system/library/printgate/PrintgateOpencart.php",
    }
    with zipfile.ZipFile(built[packages.OC3_ZIP]) as archive:
        manifest = ET.fromstring(archive.read("install.xml"))
        controller = archive.read("upload/catalog/controller/extension/module/printgate.php").decode()
    assert manifest.tag == "modification"
    assert manifest.findtext("code") == "printgate"
    assert manifest.findtext("name") == "printgate"
    assert "class ControllerExtensionModulePrintgate extends Controller" in controller
    assert "public function callback()" in controller


def test_opencart4_layout(built: dict[str, Path]) -> None:
    entries = names(built[packages.OC4_ZIP])
    assert "install.json" in entries
    assert not any(name.startswith("upload/") for name in entries)
    assert set(entries) >= {
        "admin/controller/module/printgate.php",
        "admin/language/en-gb/module/printgate.php",
        "admin/view/template/module/printgate.twig",
        "catalog/controller/module/printgate.php",
        "catalog/language/en-gb/module/printgate.php",
        "system/library/printgate/PrintgateOpencart.php",
    }
    with zipfile.ZipFile(built[packages.OC4_ZIP]) as archive:
        manifest = json.loads(archive.read("install.json"))
        admin = archive.read("admin/controller/module/printgate.php").decode()
        catalog = archive.read("catalog/controller/module/printgate.php").decode()
    assert manifest["name"] == "printgate"
    assert manifest["version"]
    assert "namespace Opencart\\Admin\\Controller\\Extension\\Printgate\\Module;" in admin
    assert "namespace Opencart\\Catalog\\Controller\\Extension\\Printgate\\Module;" in catalog
    assert "'addHistory'" in admin


def test_prestashop_layout(built: dict[str, Path]) -> None:
    entries = names(built[packages.PRESTASHOP_ZIP])
    assert all(name.startswith("printgate/") for name in entries)
    assert set(entries) >= {
        "printgate/printgate.php",
        "printgate/config.xml",
        "printgate/logo.png",
        "printgate/index.php",
        "printgate/controllers/front/callback.php",
        "printgate/controllers/admin/AdminPrintgateFilesController.php",
        "printgate/lib/autoload.php",
        "printgate/views/templates/hook/admin_order.tpl",
    }
    folders = {name.rsplit("/", 1)[0] for name in entries}
    assert all(f"{folder}/index.php" in entries for folder in folders)
    with zipfile.ZipFile(built[packages.PRESTASHOP_ZIP]) as archive:
        config = ET.fromstring(archive.read("printgate/config.xml"))
        module = archive.read("printgate/printgate.php").decode()
        logo = archive.read("printgate/logo.png")
    assert config.findtext("name") == "printgate"
    assert logo.startswith(b"\x89PNG")
    assert "class Printgate extends Module" in module
    for hook in ("actionValidateOrder", "actionOrderStatusPostUpdate", "displayAdminOrderMain"):
        assert f"'{hook}'" in module


def test_builds_are_reproducible(built: dict[str, Path], tmp_path: Path) -> None:
    again = {path.relative_to(tmp_path).as_posix(): path for path in packages.build(tmp_path)}
    for name, path in built.items():
        assert again[name].read_bytes() == path.read_bytes()


def test_cli_writes_into_outdir(tmp_path: Path) -> None:
    assert packages.main([str(tmp_path / "dist")]) == 0
    dist = tmp_path / "dist"
    assert sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*.zip")) == sorted(
        [packages.OC3_ZIP, packages.OC4_ZIP, packages.PRESTASHOP_ZIP, packages.WORDPRESS_ZIP]
    )
    # Each installer's file name: OpenCart's "<code>.ocmod.zip", PrestaShop's "<module>.zip",
    # WordPress's "<plugin slug>.zip".
    assert {p.name for p in dist.rglob("*.zip")} == {"printgate.ocmod.zip", "printgate.zip",
                                                     "printgate-for-woocommerce.zip"}


@pytest.mark.parametrize(
    ("zip_name", "lib"),
    [
        (packages.OC3_ZIP, "upload/system/library/printgate"),
        (packages.OC4_ZIP, "system/library/printgate"),
        (packages.PRESTASHOP_ZIP, "printgate/lib"),
    ],
)
def test_packaged_library_signs_for_printgate(extracted: dict[str, Path], zip_name: str, lib: str) -> None:
    now = int(time.time())
    body = '{"orderId":"5"}'
    headers = php_run("sign", lib=extracted[zip_name] / lib, body=body, timestamp=now)
    assert standard_verify(SECRET, headers, body.encode(), now=now) == headers["webhook-id"]
