"""Every store platform printgate speaks: one line each. A new platform is a folder with a
``platform()`` returning its ``PlatformSpec``, and one line here."""

from __future__ import annotations

from collections.abc import Callable

from printgate.connectors import opencart, prestashop, shopify, woocommerce
from printgate.connectors.base.spec import PlatformSpec

PLATFORMS: tuple[Callable[[], PlatformSpec], ...] = (
    shopify.platform,
    woocommerce.platform,
    opencart.platform,
    prestashop.platform,
)
