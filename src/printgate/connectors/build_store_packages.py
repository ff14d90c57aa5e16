"""Build the store-side packages printgate ships for WordPress, OpenCart and PrestaShop.

    python -m printgate.connectors.build_store_packages OUTDIR

writes four zips into OUTDIR, one folder per platform, each under the file name its installer
expects (so the merchant uploads it as it is):

- ``opencart3/printgate.ocmod.zip``: OpenCart 3 (``install.xml`` + ``upload/``), installed from
  Extensions > Installer, then enabled under Extensions > Modules.
- ``opencart4/printgate.ocmod.zip``: OpenCart 4 (``install.json`` + ``admin/``, ``catalog/``,
  ``system/``). OpenCart 4 names the extension after the uploaded file (``printgate``), which the
  PHP namespaces ``...\\Extension\\Printgate\\...`` rely on.
- ``prestashop/printgate.zip``: the PrestaShop module folder ``printgate/``, uploaded in
  Modules > Module Manager.
- ``wordpress/printgate-for-woocommerce.zip``: the WordPress plugin folder
  ``printgate-for-woocommerce/`` (the folder is the plugin's slug and text domain), uploaded in
  Plugins > Add New > Upload Plugin or installed with ``wp plugin install ZIP``. Its developer notes
  (``README.md``) stay out: WordPress reads ``readme.txt``.

The platform-free PHP classes in ``connectors/store_php`` (signing, API client, order body, queue,
callback) are copied into each package; the OpenCart bridge in ``opencart/extension/common`` into
both OpenCart packages. Archives are reproducible: sorted entries, fixed timestamps.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

CONNECTORS = Path(__file__).resolve().parent
STORE_PHP = CONNECTORS / "store_php"
OPENCART = CONNECTORS / "opencart" / "extension"
PRESTASHOP = CONNECTORS / "prestashop" / "module" / "printgate"
WORDPRESS = CONNECTORS / "woocommerce" / "plugin"
WORDPRESS_SLUG = "printgate-for-woocommerce"

# Paths under OUTDIR. The file names are what the platforms' installers require.
OC3_ZIP = "opencart3/printgate.ocmod.zip"
OC4_ZIP = "opencart4/printgate.ocmod.zip"
PRESTASHOP_ZIP = "prestashop/printgate.zip"
WORDPRESS_ZIP = f"wordpress/{WORDPRESS_SLUG}.zip"

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_NAMES = {".DS_Store", "__pycache__", "Thumbs.db"}
_INDEX_PHP = (
    "<?php\n"
    "header('Expires: Mon, 26 Jul 1997 05:00:00 GMT');\n"
    "header('Cache-Control: no-store, no-cache, must-revalidate');\n"
    "header('Location: ../');\n"
    "exit;\n"
)

Entries = dict[str, bytes]


def _tree(root: Path, prefix: str) -> Entries:
    """Every file under root, keyed by its path inside the archive."""
    out: Entries = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not (set(path.relative_to(root).parts) & _SKIP_NAMES):
            out[prefix + path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def _library(prefix: str, *, opencart: bool) -> Entries:
    entries = {prefix + p.name: p.read_bytes() for p in sorted(STORE_PHP.glob("*.php"))}
    if opencart:
        entries |= {prefix + p.name: p.read_bytes() for p in sorted((OPENCART / "common").glob("*.php"))}
    return entries


def _languages(admin_dir: str, catalog_dir: str) -> Entries:
    entries: Entries = {}
    for lang_dir in sorted((OPENCART / "common" / "language").iterdir()):
        entries[f"{admin_dir.format(lang=lang_dir.name)}printgate.php"] = (
            lang_dir / "admin.php"
        ).read_bytes()
        entries[f"{catalog_dir.format(lang=lang_dir.name)}printgate.php"] = (
            lang_dir / "catalog.php"
        ).read_bytes()
    return entries


def opencart3_entries() -> Entries:
    src = OPENCART / "oc3"
    entries = {"install.xml": (src / "install.xml").read_bytes()}
    entries |= _tree(src / "upload", "upload/")
    entries |= _languages(
        "upload/admin/language/{lang}/extension/module/", "upload/catalog/language/{lang}/extension/module/"
    )
    entries |= _library("upload/system/library/printgate/", opencart=True)
    return entries


def opencart4_entries() -> Entries:
    src = OPENCART / "oc4"
    entries = {"install.json": (src / "install.json").read_bytes()}
    for part in ("admin", "catalog"):
        entries |= _tree(src / part, f"{part}/")
    entries |= _languages("admin/language/{lang}/module/", "catalog/language/{lang}/module/")
    entries |= _library("system/library/printgate/", opencart=True)
    return entries


def prestashop_entries() -> Entries:
    entries = _tree(PRESTASHOP, "printgate/")
    entries |= _library("printgate/lib/", opencart=False)
    # PrestaShop's convention (and its module validator): an index.php guard in every folder.
    folders = {name.rsplit("/", 1)[0] for name in entries}
    for folder in list(folders):
        parts = folder.split("/")
        folders |= {"/".join(parts[:i]) for i in range(1, len(parts))}
    for folder in sorted(folders):
        entries.setdefault(f"{folder}/index.php", _INDEX_PHP.encode())
    return entries


def wordpress_entries() -> Entries:
    entries = _tree(WORDPRESS, f"{WORDPRESS_SLUG}/")
    entries.pop(f"{WORDPRESS_SLUG}/README.md", None)
    return entries


def write_zip(path: Path, entries: Entries) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name])
    return path


def build(outdir: Path) -> list[Path]:
    """Write the four packages into outdir and return their paths."""
    return [
        write_zip(outdir / OC3_ZIP, opencart3_entries()),
        write_zip(outdir / OC4_ZIP, opencart4_entries()),
        write_zip(outdir / PRESTASHOP_ZIP, prestashop_entries()),
        write_zip(outdir / WORDPRESS_ZIP, wordpress_entries()),
    ]


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build printgate's WordPress, OpenCart and PrestaShop packages.")
    parser.add_argument("outdir", type=Path, help="directory to write the zips into")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for path in build(args.outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
