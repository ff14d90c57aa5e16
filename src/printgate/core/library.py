"""The library: workflows, upload rules, preflight profiles, optimize presets, connectors.

Built-in objects (wire ``source: "store"``) come from code and have stable ids; a tenant's own
objects (``source: "domain"``) live in ``library_item`` and shadow a built-in with the same id.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlmodel import Session, select

from printgate.core import library_integrity
from printgate.core.clock import utcnow
from printgate.core.errors import BadRequest, NotFound
from printgate.core.ids import new_id
from printgate.core.models import LibraryItem

KINDS = {
    "workflow": "wf",
    "rule": "rule",
    "profile": "prof",
    "preset": "opt",
    "connector": "conn",
}

PDF_PROCESSING = [
    {"type": "autofix"},
    {"type": "repreflight"},
    {"type": "previews"},
    {"type": "proof"},
    {"type": "deliver"},
]
RASTER_PROCESSING = [{"type": "previews"}, {"type": "proof"}, {"type": "deliver"}]

_BUILTIN_WORKFLOWS: list[dict[str, Any]] = [
    {
        "id": "wf_default", "name": "Print-ready PDF", "ruleId": "rule_default", "published": True,
        "trigger": "order_placed", "softProof": {"enabled": False, "approvalRequired": False},
        "processing": {"pdf": PDF_PROCESSING, "raster": RASTER_PROCESSING}, "merge": "separate",
    },
    {
        "id": "wf_instant", "name": "Print-ready PDF, processed on upload", "ruleId": "rule_default",
        "published": True, "trigger": "uploads_accepted",
        "softProof": {"enabled": True, "approvalRequired": False},
        "processing": {"pdf": PDF_PROCESSING, "raster": RASTER_PROCESSING}, "merge": "separate",
    },
    {
        "id": "wf_business_cards", "name": "Business cards (front and back)", "ruleId": "rule_business_cards",
        "published": True, "trigger": "order_placed",
        "softProof": {"enabled": True, "approvalRequired": True},
        "processing": {"pdf": PDF_PROCESSING, "raster": RASTER_PROCESSING}, "merge": "combine",
    },
    {
        "id": "wf_photo", "name": "Photo prints", "ruleId": "rule_photo", "published": True,
        "trigger": "order_placed", "softProof": {"enabled": False, "approvalRequired": False},
        "processing": {"pdf": PDF_PROCESSING, "raster": RASTER_PROCESSING}, "merge": "separate",
    },
]

_MB = 1024 * 1024
_BUILTIN_RULES: list[dict[str, Any]] = [
    {
        "id": "rule_default", "name": "One print-ready PDF", "title": "Upload your artwork",
        "instructions": "One PDF with 3 mm bleed, fonts embedded.",
        "cardinality": {"min": 1, "max": 1},
        "accept": [
            {"fileType": "pdf", "maxBytes": 500 * _MB, "check": {"type": "preflight", "profileId": "prof_print_ready"},
             "onFail": "reject"},
            {"fileType": "raster", "maxBytes": 100 * _MB,
             "check": {"type": "preflight", "profileId": "prof_photo_raster"}, "onFail": "accept_with_warnings"},
        ],
    },
    {
        "id": "rule_business_cards", "name": "Business card, front and back", "title": "Front and back",
        "instructions": "85 x 55 mm with 3 mm bleed on every side.",
        "cardinality": {"slots": ["Front", "Back"], "min": 1, "max": 2},
        "accept": [
            {"fileType": "pdf", "maxBytes": 100 * _MB,
             "check": {"type": "preflight", "profileId": "prof_business_card"}, "onFail": "reject"},
        ],
    },
    {
        "id": "rule_photo", "name": "Photos", "title": "Upload your photos",
        "instructions": "JPEG, PNG or TIFF at 300 dpi for the print size.",
        "cardinality": {"min": 1, "max": 10},
        "accept": [
            {"fileType": "raster", "maxBytes": 100 * _MB,
             "check": {"type": "preflight", "profileId": "prof_photo_raster"}, "onFail": "accept_with_warnings"},
        ],
    },
]

_BUILTIN_PRESETS: list[dict[str, Any]] = [
    {
        "id": "opt_print", "name": "Print (300 dpi, keep quality)",
        "params": {"pdf": {"scaleImages": {"targetRes": {"bw": 1200, "gray": 300, "color": 300},
                                            "minRes": {"bw": 1200, "gray": 450, "color": 450}},
                           "strip": {"javascript": True, "thumbnails": True, "privateData": True}}},
    },
    {
        "id": "opt_screen", "name": "Screen (150 dpi, JPEG 75)",
        "params": {"pdf": {"scaleImages": {"targetRes": {"bw": 300, "gray": 150, "color": 150}},
                           "compression": {"colorFilter": "jpeg", "grayFilter": "jpeg", "jpegQuality": 75},
                           "strip": {"javascript": True, "thumbnails": True, "privateData": True,
                                     "attachments": True}}},
    },
]

_BUILTIN_CONNECTORS: list[dict[str, Any]] = [
    {
        "id": "conn_page_count_quantity", "name": "Page count sets quantity", "title": "Page count to quantity",
        "bindings": [{"source": "pageCount", "control": "quantity", "set": "value"}],
    },
]


def _builtin_profiles() -> list[dict[str, Any]]:
    try:
        from printgate.core.preflight import get_builtin_profiles
    except ImportError:
        return []
    return list(get_builtin_profiles())


def builtins(kind: str) -> list[dict[str, Any]]:
    table = {
        "workflow": _BUILTIN_WORKFLOWS, "rule": _BUILTIN_RULES, "preset": _BUILTIN_PRESETS,
        "connector": _BUILTIN_CONNECTORS,
    }
    items = _builtin_profiles() if kind == "profile" else table[kind]
    return [copy.deepcopy(item) for item in items]


def _wire_builtin(item: dict[str, Any]) -> dict[str, Any]:
    out = {"id": item["id"], "name": item.get("name", item["id"]), "enabled": item.get("enabled", True),
           "source": "store"}
    out.update({k: v for k, v in item.items() if k not in ("id", "name", "enabled", "source")})
    return out


def _wire_row(row: LibraryItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "name": row.name, "enabled": row.enabled, "source": "domain"}
    out.update({k: v for k, v in (row.body or {}).items() if k not in ("id", "name", "enabled", "source")})
    return out


def titled(item: dict[str, Any]) -> dict[str, Any]:
    """The object as the library endpoints answer it: with a ``title`` beside its ``name``, since
    Filecheck's plugins list workflows (and the rest) by ``title``. Only the answer gets the default:
    a rule's own ``title`` is the widget's heading, and a rule without one keeps the widget's."""
    return item if item.get("title") else {**item, "title": item.get("name") or item["id"]}


def list_items(session: Session, kind: str, account_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(LibraryItem).where(LibraryItem.kind == kind, LibraryItem.account_id == account_id)
    ).all()
    own = {row.id: _wire_row(row) for row in rows}
    merged = [own.pop(item["id"]) if item["id"] in own else _wire_builtin(item) for item in builtins(kind)]
    return merged + sorted(own.values(), key=lambda item: item["id"])


def get_item(session: Session, kind: str, item_id: str, account_id: str) -> dict[str, Any]:
    row = session.exec(
        select(LibraryItem).where(LibraryItem.kind == kind, LibraryItem.account_id == account_id,
                                  LibraryItem.id == item_id)
    ).first()
    if row is not None:
        return _wire_row(row)
    for item in builtins(kind):
        if item["id"] == item_id:
            return _wire_builtin(item)
    label = {"preset": "Optimize preset"}.get(kind, kind.capitalize())
    raise NotFound(f"{label} not found: {item_id}")


def find_item(session: Session, kind: str, item_id: str, account_id: str) -> dict[str, Any] | None:
    try:
        return get_item(session, kind, item_id, account_id)
    except NotFound:
        return None


def save_item(session: Session, kind: str, account_id: str, body: dict[str, Any],
              item_id: str | None = None) -> dict[str, Any]:
    """Create (no id) or replace a tenant object; replacing a built-in id makes a shadowing copy.

    The body is checked first (``printgate.core.library_integrity``): unknown keys, bad values and references
    to objects that do not exist are a 400 naming the field, never a silent permissive default.
    """
    library_integrity.validate(session, kind, account_id, body)
    body = dict(body)
    body.pop("source", None)
    name = body.pop("name", None)
    enabled = body.pop("enabled", True)
    body.pop("id", None)
    item_id = item_id or new_id(KINDS[kind])
    row = session.exec(
        select(LibraryItem).where(LibraryItem.kind == kind, LibraryItem.account_id == account_id,
                                  LibraryItem.id == item_id)
    ).first()
    if row is None:
        if not name:
            raise BadRequest("name is required")
        row = LibraryItem(kind=kind, id=item_id, account_id=account_id, name=name, enabled=enabled, body=body)
    else:
        row.name = name or row.name
        row.enabled = enabled
        row.body = body
        row.updated_at = utcnow()
    session.add(row)
    session.commit()
    return _wire_row(row)


def delete_item(session: Session, kind: str, account_id: str, item_id: str) -> None:
    row = session.exec(
        select(LibraryItem).where(LibraryItem.kind == kind, LibraryItem.account_id == account_id,
                                  LibraryItem.id == item_id)
    ).first()
    if row is None:
        raise NotFound(f"{kind.capitalize()} not found: {item_id}")
    library_integrity.refuse_delete_in_use(session, kind, account_id, item_id)
    session.delete(row)
    session.commit()
