"""A local fake PrestaShop shop with printgate's module installed, speaking the real wire.

- The module's callback (``index.php?fc=module&module=printgate&controller=callback``), verified by
  the module's own PHP (see ``tests.fakes.opencart_store.ModuleCallback``); an accepted event adds
  a private order message, as ``PrintgatePrestashop::addOrderMessage`` does.
- The Webservice under ``/api/``: the key as HTTP Basic user with an empty password (else 401 with
  PrestaShop's ``WWW-Authenticate`` realm); ``output_format=JSON`` answers JSON, otherwise XML.
  ``GET orders`` (``filter[field]=[a,b]`` intervals, ``date=1`` required to filter on dates,
  ``display=full``, ``sort``, ``limit``), ``GET orders/{id}``, ``GET order_states``,
  ``GET customers/{id}``, ``GET customer_threads?filter[id_order]=[n]``, and ``POST
  customer_threads`` / ``customer_messages`` with the documented XML schemas (required fields
  checked: ``id_lang``, ``id_contact``, ``token``; ``message``).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.opencart_store import ModuleCallback

REALM = 'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required."'
# PrestaShop's installed order states (id -> name, paid flag).
ORDER_STATES = {
    "1": ("Awaiting check payment", "0"), "2": ("Payment accepted", "1"), "3": ("Processing in progress", "1"),
    "4": ("Shipped", "1"), "5": ("Delivered", "1"), "6": ("Canceled", "0"), "7": ("Refunded", "1"),
    "8": ("Payment error", "0"), "10": ("Awaiting bank wire payment", "0"),
}
REQUIRED = {"customer_thread": ("id_lang", "id_contact", "token"), "customer_message": ("message",)}


def _xml_error(code: int, message: str, status: int) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">'
            f"<errors><error><code><![CDATA[{code}]]></code><message><![CDATA[{message}]]></message></error>"
            f"</errors></prestashop>")
    return Response(body, status_code=status, media_type="text/xml")


class FakePrestaShop(ModuleCallback):
    def __init__(self) -> None:
        super().__init__()
        self.base = ""
        self.webservice_key: str | None = None
        self.orders: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.ws_calls: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.app = self._build()

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def add_order(self, order_id: str, jobs: dict[str, str], *, state: str = "2", customer_id: str = "5",
                  email: str = "jean@example.fr", date_upd: str | None = None) -> None:
        self.customers.setdefault(customer_id, {"id": int(customer_id), "email": email, "firstname": "Jean",
                                                "lastname": "Dupont"})
        self.orders[order_id] = {
            "id": int(order_id), "id_customer": customer_id, "id_lang": "1", "id_shop": "1", "id_cart": "120",
            "current_state": state, "reference": "XKBKNABJK", "total_paid_tax_incl": "61.800000",
            "date_add": "2026-11-25 10:00:00",
            "date_upd": date_upd or datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "associations": {"order_rows": [{"id": line, "product_id": "19", "product_name": "Poster A2",
                                             "product_quantity": "3"} for line in jobs]},
        }
        self.order_jobs[order_id] = dict(jobs)

    def order_messages(self, order_id: str) -> list[dict[str, Any]]:
        threads = {tid for tid, t in self.threads.items() if t["id_order"] == order_id}
        return [m for m in self.messages.values() if m["id_customer_thread"] in threads]

    def _new_thread(self, fields: dict[str, str]) -> str:
        tid = str(next(self._ids))
        self.threads[tid] = {"id": tid, **fields}
        return tid

    def on_files(self, order_id: str, names: list[str]) -> None:
        order = self.orders.get(order_id) or {}
        tid = next((t for t, v in self.threads.items() if v["id_order"] == order_id), None) or self._new_thread(
            {"id_order": order_id, "id_customer": order.get("id_customer", "0"), "id_contact": "0",
             "id_lang": "1", "token": "modtoken", "status": "open", "email": ""})
        mid = str(next(self._ids))
        self.messages[mid] = {"id": mid, "id_customer_thread": tid, "private": "1", "via": "module",
                              "message": f"printgate: print-ready files are available ({', '.join(names)})."}

    # -- Webservice --

    def _authorized(self, request: Request) -> bool:
        import base64

        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic ") or not self.webservice_key:
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.webservice_key and password == ""

    @staticmethod
    def _interval(value: str) -> tuple[str, str] | None:
        if value.startswith("[") and value.endswith("]") and "," in value:
            low, high = value[1:-1].split(",", 1)
            return low, high
        return None

    def list_orders(self, query: dict[str, str]) -> list[dict[str, Any]] | Response:
        rows = list(self.orders.values())
        for key, value in query.items():
            if not key.startswith("filter["):
                continue
            name = key[7:-1]
            if name in ("date_upd", "date_add") and query.get("date") != "1":
                return _xml_error(33, "The 'date' parameter is required to filter on dates", 400)
            interval = self._interval(value)
            if interval:
                rows = [r for r in rows if interval[0] <= str(r.get(name)) <= interval[1]]
            else:
                wanted = value.strip("[]").split("|")
                rows = [r for r in rows if str(r.get(name)) in wanted]
        if query.get("sort") == "[date_upd_ASC]":
            rows.sort(key=lambda r: r["date_upd"])
        if "limit" in query:
            start, _, count = query["limit"].partition(",")
            rows = rows[int(start): int(start) + int(count)] if count else rows[: int(start)]
        if query.get("display") == "full":
            return rows
        return [{"id": r["id"]} for r in rows]

    def _create(self, resource: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            root = ElementTree.fromstring(raw)
        except ElementTree.ParseError:
            return 400, {"errors": [{"code": 127, "message": "XML error"}]}
        node = root.find(resource)
        if node is None:
            return 400, {"errors": [{"code": 89, "message": f"Unable to parse {resource}"}]}
        fields = {child.tag: (child.text or "") for child in node}
        missing = [f for f in REQUIRED[resource] if not fields.get(f)]
        if missing:
            return 400, {"errors": [{"code": 41, "message": f"property {resource}->{missing[0]} is empty"}]}
        if resource == "customer_thread":
            tid = self._new_thread(fields)
            return 201, {"customer_thread": {"id": int(tid), **fields}}
        if fields.get("id_customer_thread") not in self.threads:
            return 400, {"errors": [{"code": 41, "message": "Customer thread does not exist"}]}
        mid = str(next(self._ids))
        self.messages[mid] = {"id": mid, "via": "webservice", **fields}
        return 201, {"customer_message": {"id": int(mid), **fields}}

    def webservice(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Response:
        self.ws_calls.append({"method": method, "path": path, "query": query})
        as_json = query.get("output_format") == "JSON"
        parts = [p for p in path.split("/") if p]
        resource = parts[0] if parts else ""
        if method == "POST" and resource in ("customer_threads", "customer_messages") and len(parts) == 1:
            status, payload = self._create(resource[:-1], raw)
            return JSONResponse(payload, status_code=status)
        if method != "GET":
            return _xml_error(405, "Method not allowed", 405)
        if resource == "orders" and len(parts) == 1:
            rows = self.list_orders(query)
            if isinstance(rows, Response):
                return rows
            return JSONResponse({"orders": rows} if rows else [])
        single = {"orders": self.orders, "customers": self.customers}
        if resource in single and len(parts) == 2:
            row = single[resource].get(parts[1])
            if row is None:
                return _xml_error(87, "Id not found", 404)
            return JSONResponse({resource[:-1]: row})
        if resource == "order_states":
            return JSONResponse({"order_states": [{"id": int(i), "paid": paid, "name": [{"id": "1", "value": name}]}
                                                  for i, (name, paid) in ORDER_STATES.items()]})
        if resource == "customer_threads":
            order = query.get("filter[id_order]", "").strip("[]")
            rows = [{"id": int(t)} for t, v in self.threads.items() if not order or v["id_order"] == order]
            return JSONResponse({"customer_threads": rows} if rows else [])
        if not as_json:
            return _xml_error(22, "Resource not available", 400)
        return _xml_error(22, f"Resource of type \"{resource}\" does not exists", 400)

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/index.php", methods=["GET", "POST"])
        async def index(request: Request) -> Response:
            query = dict(request.query_params)
            if (query.get("fc"), query.get("module"), query.get("controller")) == ("module", "printgate", "callback"):
                if request.method != "POST":
                    return JSONResponse({"error": "POST only"}, status_code=405)
                status, answer = self.handle(dict(request.headers), await request.body())
                return JSONResponse(answer, status_code=status)
            return Response("Page not found", status_code=404)

        @app.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
        async def api(path: str, request: Request) -> Response:
            if not self._authorized(request):
                return Response("401 Unauthorized", status_code=401, headers={"WWW-Authenticate": REALM})
            return self.webservice(request.method, path, dict(request.query_params), await request.body())

        return app
