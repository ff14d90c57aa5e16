"""Library objects: Filecheck's read endpoints plus printgate's write endpoints (DECISIONS 13).

Writes are checked by ``printgate.core.library_integrity``: 400 naming the bad field, 409 on deleting an
object another one still references.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from printgate.core import library
from printgate.core.api.deps import JsonBody, SecretKey, SessionDep
from printgate.core.errors import BadRequest

router = APIRouter(tags=["library"])

# path segment -> (library kind, list envelope, item envelope)
RESOURCES = {
    "workflows": ("workflow", "workflows", "workflow"),
    "connectors": ("connector", "connectors", "connector"),
    "rules": ("rule", "rules", "rule"),
    "profiles": ("profile", "profiles", "profile"),
    "optimize-presets": ("preset", "presets", "preset"),
}


def _register(path: str, kind: str, many: str, one: str) -> None:
    def list_items(session: SessionDep, caller: SecretKey) -> dict[str, Any]:
        return {many: [library.titled(item) for item in library.list_items(session, kind, caller.account_id)]}

    def get_item(session: SessionDep, caller: SecretKey, item_id: str) -> dict[str, Any]:
        return {one: library.titled(library.get_item(session, kind, item_id, caller.account_id))}

    def create_item(session: SessionDep, caller: SecretKey, body: JsonBody) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("Request body must be a JSON object")
        return {one: library.titled(library.save_item(session, kind, caller.account_id, body, item_id=body.get("id")))}

    def replace_item(session: SessionDep, caller: SecretKey, item_id: str, body: JsonBody) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("Request body must be a JSON object")
        return {one: library.titled(library.save_item(session, kind, caller.account_id, body, item_id=item_id))}

    def delete_item(session: SessionDep, caller: SecretKey, item_id: str) -> dict[str, Any]:
        library.delete_item(session, kind, caller.account_id, item_id)
        return {"id": item_id, "deleted": True}

    router.add_api_route(f"/{path}", list_items, methods=["GET"], name=f"list_{path}")
    router.add_api_route(f"/{path}/", list_items, methods=["GET"], include_in_schema=False)
    router.add_api_route(f"/{path}/{{item_id}}", get_item, methods=["GET"], name=f"get_{kind}")
    router.add_api_route(f"/{path}", create_item, methods=["POST"], status_code=201, name=f"create_{kind}")
    router.add_api_route(f"/{path}/{{item_id}}", replace_item, methods=["PUT"], name=f"replace_{kind}")
    router.add_api_route(f"/{path}/{{item_id}}", delete_item, methods=["DELETE"], name=f"delete_{kind}")


for _path, (_kind, _many, _one) in RESOURCES.items():
    _register(_path, _kind, _many, _one)


@router.get("/checks")
def list_checks(caller: SecretKey) -> dict[str, Any]:
    """printgate's own: every preflight check with its settings, defaults and autofix."""
    from printgate.core.preflight import check_catalog

    return {"checks": list(check_catalog())}
