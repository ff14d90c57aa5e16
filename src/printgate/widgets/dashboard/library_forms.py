"""Library objects as forms and back: each kind's fields, the body a posted form makes, and where an
error of the library's own validation (``printgate.core.library_integrity``: "path: what is wrong")
is shown.

The form only turns fields into the body the API would take (``POST /profiles`` and the rest); the
library checks it, as it checks the API's. Keys a form has no field for stay in "Other settings
(JSON)", so an object read and saved comes back whole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from printgate.core.library_integrity import TRIGGERS

# URL segment -> (library kind, singular label, plural label)
KINDS: dict[str, tuple[str, str, str]] = {
    "workflows": ("workflow", "Workflow", "Workflows"),
    "rules": ("rule", "Upload rule", "Upload rules"),
    "profiles": ("profile", "Preflight profile", "Preflight profiles"),
    "presets": ("preset", "Optimize preset", "Optimize presets"),
    "connectors": ("connector", "Connector", "Connectors"),
}
MERGE = ("separate", "combine", "zip")
PROFILE_KINDS = ("pdf", "raster")
ACTIONS = ("reject", "warn", "autofix", "off")

# The keys each kind's form has a field for; the rest of a body goes to the "extra" JSON field.
_FIELDS: dict[str, tuple[str, ...]] = {
    "workflow": ("name", "enabled", "ruleId", "published", "trigger", "softProof", "merge", "processing"),
    "rule": ("name", "enabled", "title", "instructions", "cardinality", "accept"),
    "profile": ("name", "enabled", "kind", "checks"),
    "preset": ("name", "enabled", "params"),
    "connector": ("name", "enabled", "title", "bindings"),
}
_ENVELOPE_READ_ONLY = ("id", "source")


class FormError(Exception):
    """A field the form itself could not read (not JSON, not a number): shown next to that field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field_name, message


@dataclass
class CheckRow:
    id: str
    title: str
    section: str
    default_action: str
    autofix: bool
    action: str  # "" = the check's default
    settings: list[dict[str, Any]] = field(default_factory=list)  # {name, type, value, options, nullable}


def _json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) if value not in (None, {}, []) else ""


def _setting_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("array", "object"):  # a string is the field as typed, sent back after an error
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if kind == "boolean":
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if kind == "number" else str(value)
    return str(value)


def check_rows(catalog: list[dict[str, Any]], checks: dict[str, Any], profile_kind: str) -> list[CheckRow]:
    """Every check of the catalog for a profile of ``profile_kind``, with the profile's action and
    settings (the catalog's defaults where the profile says nothing)."""
    rows = []
    for entry in catalog:
        if entry.get("kind") not in (profile_kind, "any", None):
            continue
        own = checks.get(entry["id"])
        if own is None:
            own = next((checks[a] for a in entry.get("aliases") or [] if a in checks), None)
        own = {"action": own} if isinstance(own, str) else (own if isinstance(own, dict) else {})
        merged = {**own.get("settings", {}), **own.get("target", {}),
                  **{k: v for k, v in own.items() if k not in ("action", "enabled", "settings", "target")}}
        settings = []
        for name, schema in (entry.get("schema") or {}).items():
            kind = schema.get("type", "string")
            value = merged.get(name, schema.get("default"))
            chosen = [str(v) for v in value] if isinstance(value, list) else []
            settings.append({"name": name, "type": kind, "value": _setting_text(value, kind), "chosen": chosen,
                             "options": schema.get("options"), "nullable": bool(schema.get("nullable")),
                             "default": _setting_text(schema.get("default"), kind)})
        action = own.get("action") or ""
        if own.get("enabled") is False:
            action = "off"
        rows.append(CheckRow(id=entry["id"], title=entry.get("title") or entry["id"], section=entry.get("section", ""),
                             default_action=entry.get("defaultAction", "reject"),
                             autofix=bool((entry.get("autofix") or {}).get("available")), action=action,
                             settings=settings))
    return rows


def values_of(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """The form's field values for a library object (as the library answers it)."""
    values: dict[str, Any] = {"name": item.get("name", ""), "enabled": item.get("enabled", True)}
    if kind == "workflow":
        soft = item.get("softProof") or {}
        values.update(ruleId=item.get("ruleId") or "", published=bool(item.get("published")),
                      trigger=item.get("trigger") or "order_placed", merge=item.get("merge") or "separate",
                      soft_enabled=bool(soft.get("enabled")), soft_required=bool(soft.get("approvalRequired")),
                      soft_extra=_json_text({k: v for k, v in soft.items() if k not in ("enabled", "approvalRequired")}),
                      processing=_json_text(item.get("processing")))
    elif kind == "rule":
        card = item.get("cardinality") or {}
        values.update(title=item.get("title") or "", instructions=item.get("instructions") or "",
                      card_min=card.get("min", ""), card_max=card.get("max", ""),
                      card_extra=_json_text({k: v for k, v in card.items() if k not in ("min", "max")}),
                      accept=_json_text(item.get("accept")))
    elif kind == "profile":
        values.update(kind=item.get("kind") or "pdf", checks=item.get("checks") or {})
    elif kind == "preset":
        values.update(params=_json_text(item.get("params")))
    elif kind == "connector":
        values.update(title=item.get("title") or "", bindings=_json_text(item.get("bindings")))
    extra = {k: v for k, v in item.items() if k not in _FIELDS[kind] and k not in _ENVELOPE_READ_ONLY}
    values["extra"] = _json_text(extra)
    return values


def _str(form: FormData, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _json_field(form: FormData, name: str, *, want: type) -> Any:
    raw = _str(form, name, 200_000)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FormError(name, f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, want):
        raise FormError(name, f"{name}: must be a JSON {'object' if want is dict else 'list'}")
    return value


def _int_field(form: FormData, name: str, path: str) -> int | None:
    raw = _str(form, name, 20)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FormError(name, f"{path}: must be a whole number") from None


def _setting_value(raw: str, schema: dict[str, Any], path: str, field_name: str) -> tuple[bool, Any]:
    """(given, value) of one check setting typed into the form; blank means "the default"."""
    kind = schema.get("type", "string")
    if raw == "":
        return (True, None) if schema.get("nullable") and schema.get("default") is not None else (False, None)
    try:
        if kind == "number":
            number = float(raw)
            return True, int(number) if number.is_integer() and "." not in raw else number
        if kind == "boolean":
            return True, raw == "true"
        if kind in ("array", "object"):
            return True, json.loads(raw)
    except ValueError:
        raise FormError(field_name, f"{path}: must be {'a number' if kind == 'number' else 'JSON'}") from None
    return True, raw


def profile_checks(form: FormData, catalog: list[dict[str, Any]], profile_kind: str) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    for entry in catalog:
        if entry.get("kind") not in (profile_kind, "any", None):
            continue
        cid = entry["id"]
        action = _str(form, f"check.{cid}.action", 20)
        setting: dict[str, Any] = {"action": action} if action else {}
        for name, schema in (entry.get("schema") or {}).items():
            field_name = f"check.{cid}.{name}"
            if schema.get("type") == "array" and schema.get("options"):  # ticked boxes, one value each
                by_text = {str(option): option for option in schema["options"]}
                ticked = [by_text[v] for v in form.getlist(field_name) if isinstance(v, str) and v in by_text]
                if sorted(map(str, ticked)) != sorted(map(str, schema.get("default") or [])):
                    setting[name] = ticked
                continue
            given, value = _setting_value(_str(form, field_name, 20_000), schema, f"checks.{cid}.{name}",
                                          f"check.{cid}")
            if given and value != schema.get("default"):
                setting[name] = value
        if setting:
            checks[cid] = setting
    return checks


def body_of(kind: str, form: FormData, catalog: list[dict[str, Any]]) -> dict[str, Any]:
    """The library body a posted form makes. Raises ``FormError`` for a field it cannot read."""
    body: dict[str, Any] = _json_field(form, "extra", want=dict) or {}
    body.update(name=_str(form, "name", 200), enabled=form.get("enabled") == "on")
    if kind == "workflow":
        body.update(ruleId=_str(form, "ruleId", 200) or None, published=form.get("published") == "on",
                    trigger=_str(form, "trigger", 40), merge=_str(form, "merge", 20))
        soft = _json_field(form, "soft_extra", want=dict) or {}
        body["softProof"] = {**soft, "enabled": form.get("soft_enabled") == "on",
                             "approvalRequired": form.get("soft_required") == "on"}
        processing = _json_field(form, "processing", want=dict)
        if processing is not None:
            body["processing"] = processing
    elif kind == "rule":
        body.update(title=_str(form, "title", 200) or None, instructions=_str(form, "instructions") or None)
        card = dict(_json_field(form, "card_extra", want=dict) or {})
        for key in ("min", "max"):
            number = _int_field(form, f"card_{key}", f"cardinality.{key}")
            if number is not None:
                card[key] = number
        if card:
            body["cardinality"] = card
        accept = _json_field(form, "accept", want=list)
        if accept is not None:
            body["accept"] = accept
    elif kind == "profile":
        body["kind"] = _str(form, "kind", 20) or "pdf"
        body["checks"] = profile_checks(form, catalog, body["kind"])
    elif kind == "preset":
        params = _json_field(form, "params", want=dict)
        if params is not None:
            body["params"] = params
    elif kind == "connector":
        body["title"] = _str(form, "title", 200) or None
        bindings = _json_field(form, "bindings", want=list)
        if bindings is not None:
            body["bindings"] = bindings
    return body


# Where a message of the library's validation belongs: the form field of its path.
_FIELD_OF_PATH: dict[str, dict[str, str]] = {
    "workflow": {"softProof": "softProof", "processing": "processing", "ruleId": "ruleId", "trigger": "trigger",
                 "merge": "merge", "published": "published"},
    "rule": {"cardinality": "cardinality", "accept": "accept", "title": "title", "instructions": "instructions"},
    "profile": {"kind": "kind", "pageRules": "extra"},
    "preset": {"params": "params"},
    "connector": {"bindings": "bindings", "title": "title"},
}
_AT = re.compile(r"\(at ([\w.]+)\)")


def field_of(kind: str, message: str) -> str:
    """The form field an error message of ``library_integrity`` (``path: what``) is about."""
    found = _AT.search(message)
    path = found.group(1) if found else message.split(":", 1)[0].strip()
    parts = path.split(".")
    if kind == "profile" and parts[0] == "checks":
        return f"check.{parts[1]}" if len(parts) > 1 else "checks"
    if parts[0] in ("name", "enabled"):
        return parts[0]
    if message.startswith("name is required"):
        return "name"
    return _FIELD_OF_PATH.get(kind, {}).get(parts[0], "extra" if " " not in parts[0] else "form")


_TRIGGER_WORDS = {"uploads_accepted": "When the uploads are accepted", "proof_approved": "When the proof is approved",
                  "order_placed": "When the order is placed", "manual": "Manually", "api": "By the API"}
TRIGGER_LABELS = {trigger: _TRIGGER_WORDS.get(trigger, trigger) for trigger in TRIGGERS}
