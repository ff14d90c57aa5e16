"""printgate for OpenCart inside real OpenCart 3.0.5.0 and 4.1.0.4, as a merchant and a shopper use it.

OpenCart is installed with its own CLI installer into the session's MariaDB and served by ``php -S``;
printgate's ``.ocmod.zip`` goes through the admin's Extension Installer (upload, install, module
install), the settings page connects it to the session's ``printgate serve``, the product form gets a
workflow, the widget gates add-to-cart in headless Chromium, a guest checks out, the merchant marks the
order Processing, and the print files show on the admin order page, downloadable. Each step's seconds
go to bench/results/real_stores.json (``bench/real_stores.py`` prints the table).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from printgate.connectors import build_store_packages as packages
from tests.stores._platforms_oc_ps import OpenCart, opencart_round
from tests.stores.conftest import MariaDB, Printgate, StepClock
from tests.widget.conftest import annotated_pdf, clean_pdf

pytestmark = [pytest.mark.real_store, pytest.mark.e2e]

PACKAGES = {3: packages.opencart3_entries, 4: packages.opencart4_entries}


@pytest.fixture(scope="module", params=[3, 4], ids=["opencart3", "opencart4"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, stores_dir: Path,
         mariadb: MariaDB) -> Iterator[tuple[OpenCart, StepClock]]:
    version = request.param
    base = tmp_path_factory.mktemp(f"opencart{version}")
    clock = StepClock(f"opencart{version}")
    oc = OpenCart(version, base, stores_dir, mariadb)
    with clock.step(f"install OpenCart {version} (CLI installer, the platform alone)"):
        oc.install()
    oc.serve()
    try:
        yield oc, clock
    finally:
        oc.stop()
        clock.write()


def test_from_install_to_files_on_the_admin_order_page(
        shop: tuple[OpenCart, StepClock], printgate: Printgate, browser: Any, tmp_path: Path) -> None:
    oc, clock = shop
    package = packages.write_zip(tmp_path / f"opencart{oc.version}" / "printgate.ocmod.zip", PACKAGES[oc.version]())
    files = (annotated_pdf(tmp_path / "bad.pdf"), clean_pdf(tmp_path / "good.pdf"))
    if oc.version == 3:
        # The merchant gives the product a SKU on the same form: OpenCart 3 has product.sku, and the order
        # line printgate receives carries it.
        result = opencart_round(oc, clock, printgate, browser, files, package, product_fields={"sku": "FLYER-A4"})
        assert result["order"]["lines"][0]["sku"] == "FLYER-A4"
    else:
        result = opencart_round(oc, clock, printgate, browser, files, package)
        # OpenCart 4.1's product table has no sku: the order line carries the product's model instead.
        assert result["order"]["lines"][0]["sku"] == "product 11"
    assert result["order"]["status"] == "written_back"
