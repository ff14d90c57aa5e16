"""Request bodies are validated against Filecheck's published OpenAPI schemas, verbatim, plus the
additions DECISIONS.md makes (``context`` on submits, ``webhook`` as a string or an object)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from printgate.core.errors import BadRequest

SPEC_PATH = Path(__file__).parent / "filecheck-openapi.json"

CONTEXT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "artworkSize": {"type": "object", "additionalProperties": False,
                        "properties": {"width_mm": {"type": "number", "exclusiveMinimum": 0},
                                       "height_mm": {"type": "number", "exclusiveMinimum": 0}}},
        "pageCount": {"type": "object", "additionalProperties": False,
                      "properties": {"min": {"type": "integer", "minimum": 0}, "max": {"type": "integer", "minimum": 0}}},
        "fileCount": {"type": "object", "additionalProperties": False,
                      "properties": {"min": {"type": "integer", "minimum": 0}, "max": {"type": "integer", "minimum": 0}}},
        "bleed": {"type": "object", "additionalProperties": False,
                  "properties": {"required_mm": {"type": "number", "minimum": 0}}},
        "safety": {"type": "object", "additionalProperties": False,
                   "properties": {"min_mm": {"type": "number", "minimum": 0}}},
    },
}
WEBHOOK_ANY: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "pattern": "^https?://"},
        {"type": "object", "additionalProperties": False, "required": ["url"],
         "properties": {"url": {"type": "string", "pattern": "^https?://"},
                        "headers": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 16}}},
    ]
}
METADATA_MAX_BYTES = 4096


@lru_cache
def _spec() -> dict[str, Any]:
    spec = json.loads(SPEC_PATH.read_text())
    schemas = spec["components"]["schemas"]
    for name in ("JobsPost", "JobsPreflightPost", "FixPost"):
        schemas[name]["properties"]["context"] = copy.deepcopy(CONTEXT_SCHEMA)
    for name in ("JobsPost", "JobsPreflightPost", "FixPost", "PreviewsPost", "JobsOptimizePost", "JobsValidatePost"):
        if "webhook" in schemas[name]["properties"]:
            schemas[name]["properties"]["webhook"] = copy.deepcopy(WEBHOOK_ANY)
    # printgate's own: a workflow's split step can run in a job of its own too.
    step_types = schemas["JobsPost"]["$defs"]["stepType"]["enum"]
    if "split_pages" not in step_types:
        step_types.append("split_pages")
    # printgate's own: a one-off optimize names a library preset (``GET /optimize-presets``).
    schemas["JobsOptimizePost"]["$defs"]["sourceObject"]["properties"]["presetId"] = {
        "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$",
        "description": "An optimize preset id; its params apply, with this source's params (if any) over them."}
    # printgate's own: the PDF/X codes (x1a, x3, x4) beside Filecheck's PDF/A and PDF/UA ones (issue 12).
    from printgate.core.library_integrity import VALIDATE_CODES

    codes = schemas["JobsValidatePost"]["$defs"]["profileCode"]["enum"]
    codes.extend(code for code in VALIDATE_CODES if code not in codes)
    # Printgate's own store modules send these too (DECISIONS 8).
    order = schemas["OrderRequest"]["properties"]
    order["source"] = {"type": "string", "enum": ["wp", "shopify", "woocommerce", "opencart", "prestashop", "api"]}
    return spec


@lru_cache
def _validator(name: str) -> Draft202012Validator:
    spec = _spec()
    schema = {"$ref": f"#/components/schemas/{name}", **{k: v for k, v in spec.items() if k == "components"}}
    return Draft202012Validator(schema)


def _describe(error: ValidationError, name: str) -> str:
    path = ".".join(str(p) for p in error.absolute_path) or "body"
    message = error.message
    if error.validator == "additionalProperties":
        message = message.replace("Additional properties are not allowed", "Unknown key(s) not allowed")
    if error.validator == "oneOf" and path.startswith("sources."):
        return f"{path}: give exactly one of url, file, fileRef"
    if error.validator == "required":
        missing = message.split("'")[1] if "'" in message else message
        return f"{missing} is required." + (f" (at {path})" if path != "body" else "")
    return f"{path}: {message}"


def validate_body(name: str, body: Any) -> dict[str, Any]:
    """Validate ``body`` against the named component schema; raise 400 with a readable message."""
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    error = best_match(_validator(name).iter_errors(body))
    if error is not None:
        raise BadRequest(_describe(error, name))
    meta = body.get("metaData")
    if meta is not None and len(json.dumps(meta)) > METADATA_MAX_BYTES:
        raise BadRequest("metaData must serialize to 4 KB or less")
    return body


def filecheck_spec() -> dict[str, Any]:
    return copy.deepcopy(_spec())
