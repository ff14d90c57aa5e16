"""The store platforms this process knows, as installed by ``printgate.connectors.room``.

Filled once per process by the composition root from ``printgate.connectors.platforms.PLATFORMS``;
the shared pipeline asks it for a connection's adapter and a platform's line-item keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from printgate.connectors.base.adapter import PlatformAdapter
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.base.spec import PlatformSpec

_specs: dict[str, PlatformSpec] = {}


def install(specs: Iterable[PlatformSpec]) -> None:
    for spec in specs:
        _specs[spec.name] = spec


def platforms() -> list[str]:
    return sorted(_specs)


def spec_for(platform: str) -> PlatformSpec:
    spec = _specs.get(platform)
    if spec is None:
        raise LookupError(f"no connector installed for platform {platform!r}")
    return spec


def adapter_for(connection: StoreConnection) -> PlatformAdapter:
    return spec_for(connection.platform).adapter(connection)


def line_item_keys(platform: str) -> tuple[str, ...]:
    spec = _specs.get(platform)
    return spec.line_item_keys if spec else ()
