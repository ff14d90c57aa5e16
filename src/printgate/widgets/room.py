"""The widgets room's wiring: the widget's files, the demo page, the merchant dashboard (API processes only)."""

from __future__ import annotations

from printgate.core.wiring import Wiring


def install(wiring: Wiring) -> None:
    if wiring.app is not None:
        from printgate.widgets import routes
        from printgate.widgets.dashboard import routes as dashboard

        wiring.route(routes.router)
        wiring.mount(routes.mount_widget)
        wiring.route(dashboard.router)
        wiring.mount(dashboard.mount)
