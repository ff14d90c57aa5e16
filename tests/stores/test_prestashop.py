"""printgate for PrestaShop inside real PrestaShop 8.2.1, as an employee and a shopper use it.

PrestaShop is installed with its own CLI installer (sample data) into the session's MariaDB and served
by ``php -S`` with its router; printgate's module zip goes into modules/ and is installed by
``bin/console prestashop:module install``; the employee logs in to the back office, fills in the
module's Configure page (save, Test connection), chooses the workflow in the product page's Modules
tab; the widget gates add-to-cart in headless Chromium; a guest checks out; the employee sets
"Payment accepted"; printgate verifies and processes the order and calls the module back; the files
panel, the download (its real type) and printgate's private note (as the shop's, not the customer's)
show on the admin order page. Each step's seconds go to bench/results/real_stores.json.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from printgate.connectors import build_store_packages as packages
from tests.stores._prestashop import PrestaShop, prestashop_round
from tests.stores.conftest import MariaDB, Printgate, StepClock
from tests.widget.conftest import annotated_pdf, clean_pdf

pytestmark = [pytest.mark.real_store, pytest.mark.e2e]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, stores_dir: Path,
         mariadb: MariaDB) -> Iterator[tuple[PrestaShop, StepClock]]:
    base = tmp_path_factory.mktemp("prestashop")
    clock = StepClock("prestashop8")
    ps = PrestaShop(base, stores_dir, mariadb)
    with clock.step("install PrestaShop 8.2.1 (CLI installer with sample data, the platform alone)"):
        ps.install()
    ps.serve()
    try:
        yield ps, clock
    finally:
        ps.stop()
        clock.write()


def test_prestashop8_from_install_to_files_on_the_admin_order_page(
        shop: tuple[PrestaShop, StepClock], printgate: Printgate, browser: Any, tmp_path: Path) -> None:
    ps, clock = shop
    package = packages.write_zip(tmp_path / "prestashop" / "printgate.zip", packages.prestashop_entries())
    files = (annotated_pdf(tmp_path / "bad.pdf"), clean_pdf(tmp_path / "good.pdf"))
    result = prestashop_round(ps, clock, printgate, browser, files, package)
    assert result["order"]["status"] == "written_back"
    assert result["order"]["files"][0]["name"] == "good.pdf"
