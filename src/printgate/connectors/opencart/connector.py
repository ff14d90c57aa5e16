"""OpenCart's side of the pipeline: the signed callback to the extension, OpenCart's API as the
second path, and reconciliation.

OpenCart has no API that lists orders, so :meth:`OpenCartAdapter.fetch_recent_orders` reconciles
from the orders the extension has sent to printgate (every status change is posted and, while
printgate is down, queued and retried by the extension): an order whose files are ready but whose
callback failed is delivered again, and the extension's queue brings the calls printgate missed.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.opencart.api import OpenCartApi
from printgate.connectors.store_modules import StoreModuleAdapter, credentials, oc_version


class OpenCartAdapter(StoreModuleAdapter):
    platform = "opencart"

    def __init__(self, connection: StoreConnection) -> None:
        super().__init__(connection)
        self.version = oc_version(connection) or 3

    def api_configured(self) -> bool:
        creds = credentials(self.connection)
        return bool(creds.get("username") and creds.get("key"))

    def api(self) -> OpenCartApi:
        creds = credentials(self.connection)
        return OpenCartApi(self.connection.shop, self.version, creds["username"], creds["key"])

    def api_note(self, session: Session, sync: OrderSync, text: str) -> dict[str, Any]:
        creds = credentials(self.connection)
        status = creds.get("orderStatusId")
        with self.api() as api:
            try:
                result = api.add_history(sync.external_id, text, order_status_id=status)
            except AdapterError as exc:
                if not exc.retryable or "permission" not in str(exc).lower():
                    raise
                api.login()  # the api session expired between login and call: once more
                result = api.add_history(sync.external_id, text, order_status_id=status)
        return {"via": f"opencart{self.version}-api", **result}

