"""What a library object may say, and what it may point at.

A misspelled key, a workflow pointing at a rule that does not exist, or a rule deleted from under
a workflow all used to fall back to permissive defaults silently: the gate loosened with nobody
told. So writes are checked here (400 naming the bad field's path) and a delete of an object that
another one references is refused (409 naming who references it).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from sqlmodel import Session, select

from printgate.core.errors import BadRequest, Conflict
from printgate.core.models import LibraryItem

TRIGGERS = ("uploads_accepted", "proof_approved", "order_placed", "manual", "api")
FILE_KINDS = ("pdf", "raster", "vector", "office", "archive", "font", "other")
ACCEPT_TYPES = (*FILE_KINDS, "png", "jpg", "jpeg", "tiff", "tif", "webp")
VALIDATE_CODES = ("auto", "1a", "1b", "2a", "2b", "2u", "3a", "3b", "3u", "4", "4e", "4f", "ua1", "ua2",
                  "x1a", "x3", "x4")  # PDF/X-1a, -3, -4: printgate's own (issue 12)
ON_FAIL = ("reject", "accept_with_warnings", "manual_review")
LABELS = {"workflow": "workflow", "rule": "rule", "profile": "profile", "preset": "optimize preset",
          "connector": "connector"}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(required)}


_STR = {"type": "string"}
_TEXT = {"type": ["string", "null"]}
# ``title`` everywhere: the library endpoints answer with one (printgate.core.library.titled), so an object read
# and written back as it came must be accepted.
_ENVELOPE = {"id": _STR, "name": _STR, "title": _TEXT, "enabled": {"type": "boolean"},
             "source": {"enum": ["domain", "store"]}, "description": _TEXT}
_UI = _obj({"title": _TEXT, "subtitle": _TEXT, "theme": {"enum": ["light", "dark", "system"]}, "accent": _STR,
            "showHeader": {"type": "boolean"}, "layout": _STR})


def _step() -> dict[str, Any]:
    from printgate.core.jobs.service import STEP_TYPES

    return _obj({"type": {"enum": list(STEP_TYPES)}, "label": _TEXT, "params": {"type": ["object", "null"]}},
                required=("type",))


@lru_cache
def _schemas() -> dict[str, dict[str, Any]]:
    check_map = {"type": "object"}  # check ids and settings are checked against the catalog, below
    return {
        "workflow": _obj({
            **_ENVELOPE, "ruleId": _TEXT, "published": {"type": "boolean"}, "trigger": {"enum": list(TRIGGERS)},
            "softProof": _obj({"enabled": {"type": "boolean"}, "approvalRequired": {"type": "boolean"},
                               "message": _TEXT, "affirmButtonText": _TEXT}),
            "processing": _obj({kind: {"type": "array", "items": _step()} for kind in FILE_KINDS}),
            "merge": {"enum": ["separate", "combine", "zip"]}, "ui": _UI,
        }),
        "rule": _obj({
            **_ENVELOPE, "title": _TEXT, "instructions": _TEXT, "ui": _UI,
            "cardinality": _obj({
                "min": {"type": "integer", "minimum": 0}, "max": {"type": "integer", "minimum": 1},
                "slots": {"type": "array", "items": {"anyOf": [
                    _STR, _obj({"name": _STR, "label": _TEXT}, required=("name",))]}},
            }),
            "accept": {"type": "array", "items": _obj({
                "fileType": {"enum": list(ACCEPT_TYPES)}, "maxBytes": {"type": "integer", "minimum": 1},
                "extensions": {"type": "array", "items": _STR}, "onFail": {"enum": list(ON_FAIL)},
                "check": _obj({"type": {"enum": ["preflight", "validate"]}, "profileId": _STR,
                               "enabled": {"type": "boolean"}, "standard": {"enum": list(VALIDATE_CODES)},
                               "profile": {"enum": list(VALIDATE_CODES)}, "autofix": {"type": "boolean"}}),
            }, required=("fileType",))},
        }),
        "profile": _obj({
            **_ENVELOPE, "kind": {"enum": ["pdf", "raster"]}, "checks": check_map,
            "pageRules": {"type": "array", "items": _obj({"pages": {"type": ["string", "integer"]},
                                                          "checks": check_map}, required=("pages", "checks"))},
        }),
        "preset": _obj({**_ENVELOPE, "params": _obj({"pdf": {"type": "object"}, "raster": {"type": "object"}})}),
        "connector": _obj({
            **_ENVELOPE, "title": _TEXT,
            "bindings": {"type": "array", "items": _obj({
                "source": {"enum": ["pageCount", "fileCount", "width", "height", "area"]},
                "control": _STR, "customSelector": _STR, "enabled": {"type": "boolean"},
                "convertFrom": {"anyOf": [{"enum": ["mm", "cm", "in", "pt"]}, {"type": "number"}]},
                "convertTo": {"anyOf": [{"enum": ["mm", "cm", "in", "pt"]}, {"type": "number"}]},
                "decimals": {"type": "integer", "minimum": 0}, "round": {"enum": ["round", "floor", "ceil"]},
                "set": {"enum": ["value", "text", "attr"]}, "attr": _STR, "emit": {"type": "array", "items": _STR},
            }, required=("source",))},
        }),
    }


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "body"


def _describe(error: ValidationError) -> str:
    """``path.of.field: what is wrong``; an unknown key is named in the path itself."""
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        return f"{_path([*error.absolute_path, unknown[0]])}: unknown key (allowed: {', '.join(allowed)})"
    return f"{_path(error.absolute_path)}: {error.message}"


# --- references ------------------------------------------------------------------------------------

def references(kind: str, body: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``(path, kind, id)`` of every library object ``body`` (a ``kind``) points at."""
    if kind == "workflow":
        if body.get("ruleId"):
            yield "ruleId", "rule", str(body["ruleId"])
        for file_kind, steps in (body.get("processing") or {}).items():
            for index, step in enumerate(steps or []):
                params = (step or {}).get("params") or {}
                if params.get("presetId"):
                    yield f"processing.{file_kind}.{index}.params.presetId", "preset", str(params["presetId"])
                if params.get("profileId") not in (None, "", "default", "auto"):
                    yield f"processing.{file_kind}.{index}.params.profileId", "profile", str(params["profileId"])
    elif kind == "rule":
        for index, entry in enumerate(body.get("accept") or []):
            profile_id = ((entry or {}).get("check") or {}).get("profileId")
            if profile_id not in (None, "", "default", "auto"):
                yield f"accept.{index}.check.profileId", "profile", str(profile_id)


def _check_settings(path: str, checks: dict[str, Any]) -> None:
    """Check ids (or their aliases) from the catalog, actions, and each check's own setting names."""
    try:
        from printgate.core.preflight import check_catalog
        from printgate.core.preflight.catalog import resolve_id
    except ImportError:
        return
    catalog = {c["id"]: c for c in check_catalog()}
    unknown = sorted(cid for cid in checks if resolve_id(cid) is None)
    if unknown:
        raise BadRequest(f"{path}: unknown check ids: {', '.join(unknown)}")
    for check_id, setting in checks.items():
        where = f"{path}.{check_id}"
        if isinstance(setting, (str, bool)):
            setting = {"action": setting} if isinstance(setting, str) else {}
        if not isinstance(setting, dict):
            raise BadRequest(f"{where}: must be an object, an action or a boolean")
        if setting.get("action") not in (None, "reject", "warn", "autofix", "off"):
            raise BadRequest(f"check {check_id}: action must be reject, warn, autofix or off (at {where}.action)")
        known = set(catalog[resolve_id(check_id) or check_id].get("schema") or {})
        for nested in ("settings", "target"):
            if nested in setting and not isinstance(setting[nested], dict):
                raise BadRequest(f"{where}.{nested}: must be an object")
        named = [(f"{where}.{k}", k) for k in setting if k not in ("action", "enabled", "settings", "target")]
        named += [(f"{where}.{n}.{k}", k) for n in ("settings", "target") for k in setting.get(n) or {}]
        for key_path, key in named:
            if key not in known:
                raise BadRequest(f"{key_path}: unknown setting of {check_id} (its settings: "
                                 f"{', '.join(sorted(known)) or 'none'})")


def check_shape(kind: str, body: dict[str, Any]) -> None:
    """The checks that need no database (a profile file on the command line gets them too)."""
    error = best_match(Draft202012Validator(_schemas()[kind]).iter_errors(body))
    if error is not None:
        raise BadRequest(_describe(error))
    if kind == "profile":
        _check_settings("checks", body.get("checks") or {})
        for index, rule in enumerate(body.get("pageRules") or []):
            _check_settings(f"pageRules.{index}.checks", rule["checks"])
    if kind == "rule":
        card = body.get("cardinality") or {}
        if "min" in card and "max" in card and card["min"] > card["max"]:
            raise BadRequest("cardinality.min: must not be larger than cardinality.max")


def validate(session: Session, kind: str, account_id: str, body: dict[str, Any]) -> None:
    """400 naming the path of the first bad field: unknown keys, wrong values, dangling references."""
    check_shape(kind, body)
    from printgate.core.library import find_item

    for path, ref_kind, ref_id in references(kind, body):
        if find_item(session, ref_kind, ref_id, account_id) is None:
            raise BadRequest(f"{path}: {LABELS[ref_kind]} not found: {ref_id}")


def users_of(session: Session, kind: str, account_id: str, item_id: str) -> list[str]:
    """The account's library objects that reference ``item_id`` (built-ins only reference built-ins)."""
    rows = session.exec(select(LibraryItem).where(LibraryItem.account_id == account_id)).all()
    return sorted(f"{LABELS[row.kind]} {row.id}" for row in rows
                  if any(ref_kind == kind and ref_id == item_id
                         for _, ref_kind, ref_id in references(row.kind, dict(row.body or {}))))


def refuse_delete_in_use(session: Session, kind: str, account_id: str, item_id: str) -> None:
    """409 when deleting ``item_id`` would leave another object pointing at nothing, which would
    silently replace what it enforces with permissive defaults. Deleting a tenant copy that shadows a
    built-in is fine: the references fall back to the built-in, not to nothing."""
    from printgate.core.library import builtins

    if any(item["id"] == item_id for item in builtins(kind)):
        return
    users = users_of(session, kind, account_id, item_id)
    if users:
        raise Conflict(f"{LABELS[kind].capitalize()} {item_id} is in use by {', '.join(users)}; "
                       "change or delete those first")
