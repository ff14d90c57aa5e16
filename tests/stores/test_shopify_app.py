"""The Shopify side, checked against Shopify's own definitions, offline:

- every Admin GraphQL query and mutation the connector sends, validated against the Admin API schema
  of the version it calls (vendored from npm ``@shopify/dev-mcp``, see shopify_admin_schema/README.md);
- the theme app extension's blocks: their ``{% schema %}`` JSON, which ``shopify theme check`` does not
  validate, checked here against the rules of Shopify's theme app block schema (name, target,
  settings types and ids, defaults, select options, translation keys that exist in the locale files).
"""

from __future__ import annotations

import ast
import gzip
import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    build_client_schema,
    parse,
    validate,
)
from graphql.error import GraphQLSyntaxError

import printgate.connectors.shopify as shopify_pkg
from printgate.connectors.shopify.config import API_VERSION

SCHEMA_DIR = Path(__file__).resolve().parent / "shopify_admin_schema"
SHOPIFY_SRC = Path(shopify_pkg.__file__).resolve().parent
APP_DIR = SHOPIFY_SRC / "app"


@cache
def admin_schema() -> GraphQLSchema:
    path = SCHEMA_DIR / f"admin_{API_VERSION}.json.gz"
    assert path.exists(), f"no vendored Admin schema for the API version the connector calls ({API_VERSION})"
    with gzip.open(path) as fh:
        # assume_valid: Shopify's schema breaks a rule graphql-core checks on schemas themselves
        # (deprecated fields implementing non-deprecated interface fields); documents are still validated.
        return build_client_schema(json.load(fh)["data"], assume_valid=True)


def _operations() -> dict[str, str]:
    """Every GraphQL document in the connector's modules: string constants that parse as operations."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(shopify_pkg.__path__, shopify_pkg.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not isinstance(value, str) or not re.match(r"\s*(query|mutation)\b", value):
                continue
            try:
                document = parse(value)
            except GraphQLSyntaxError as exc:
                found[f"{info.name}.{name}"] = value
                raise AssertionError(f"{info.name}.{name} is not valid GraphQL: {exc}") from exc
            if any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
                found[f"{info.name}.{name}"] = value
    return found


OPERATIONS = _operations()


def test_the_scan_finds_the_connectors_operations() -> None:
    names = {key.rsplit(".", 1)[1] for key in OPERATIONS}
    assert {"ORDERS_QUERY", "METAFIELDS_SET", "ORDER_UPDATE", "TAGS_ADD", "FILE_CREATE"} <= names, names
    assert len(OPERATIONS) >= 10, sorted(OPERATIONS)


def test_every_graphql_call_sends_a_scanned_operation() -> None:
    """Each call that sends GraphQL (``ShopifyAdmin.graphql``, the adapter's ``_call`` that wraps it and
    its ``pages`` that follows a listing's cursor) passes one of the scanned constants, under that
    operation's own name: no query is built inline, so the validation below covers everything the
    connector sends."""
    by_name = {key.rsplit(".", 1)[1]: text for key, text in OPERATIONS.items()}
    # Where each sending call takes its query and its operation name (session first for the adapter's).
    positions = {"graphql": (0, None), "_call": (1, 3), "pages": (1, 2)}
    calls = 0
    for path in sorted(SHOPIFY_SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in positions):
                continue
            at, name_at = positions[node.func.attr]
            query = node.args[at] if len(node.args) > at else None
            if isinstance(query, ast.Name) and query.id == "query":
                continue  # the wrapper forwarding its argument: its callers are checked
            where = f"{path.name}:{node.lineno}"
            assert isinstance(query, ast.Name) and query.id in by_name, f"{where} sends an unscanned query"
            calls += 1
            operation = node.args[name_at] if name_at is not None and len(node.args) > name_at else None
            if isinstance(operation, ast.Constant):
                defined = [d.name.value for d in parse(by_name[query.id]).definitions
                           if isinstance(d, OperationDefinitionNode) and d.name]
                assert defined == [operation.value], f"{where}: operation name {operation.value!r} vs {defined}"
    assert calls >= len(OPERATIONS), (calls, sorted(OPERATIONS))


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_is_valid_against_the_admin_schema(name: str) -> None:
    errors = validate(admin_schema(), parse(OPERATIONS[name]))
    assert not errors, f"{name} against Admin API {API_VERSION}: " + "; ".join(e.message for e in errors)


def test_the_validation_catches_a_wrong_field() -> None:
    """The check can fail: a misspelt field and a wrong argument type are reported."""
    bad = "query Q($id: ID!) { order(id: $id) { id notte } }"
    assert validate(admin_schema(), parse(bad))
    wrong_type = "mutation M($id: String!) { tagsAdd(id: $id, tags: [\"x\"]) { node { id } } }"
    assert validate(admin_schema(), parse(wrong_type))


# --- theme app extension blocks -------------------------------------------------------------------

SETTING_TYPES = {
    # input settings
    "checkbox", "number", "radio", "range", "select", "text", "textarea",
    # specialised settings
    "article", "blog", "collection", "collection_list", "color", "color_background", "color_scheme",
    "color_scheme_group", "font_picker", "html", "image_picker", "inline_richtext", "link_list",
    "liquid", "metaobject", "metaobject_list", "page", "product", "product_list", "richtext",
    "text_alignment", "url", "video", "video_url",
    # sidebar settings
    "header", "paragraph",
}
SIDEBAR = {"header", "paragraph"}
BLOCK_KEYS = {"name", "target", "settings", "javascript", "stylesheet", "enabled_on", "disabled_on",
              "class", "tag", "available_if", "default"}
TARGETS = {"section", "head", "body", "compliance_head"}


def blocks() -> list[Path]:
    return sorted(APP_DIR.glob("extensions/*/blocks/*.liquid"))


def block_schema(path: Path) -> dict[str, Any]:
    match = re.search(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", path.read_text(), re.S)
    assert match, f"{path.name} has no {{% schema %}}"
    value = json.loads(match.group(1))
    assert isinstance(value, dict)
    return value


def translations(extension: Path) -> dict[str, Any]:
    path = extension / "locales" / "en.default.schema.json"
    return json.loads(path.read_text()) if path.exists() else {}


def lookup(tree: dict[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def schema_problems(schema: dict[str, Any], locale: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def text(value: Any, where: str, limit: int | None = None) -> None:
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: must be a non-empty string")
            return
        if value.startswith("t:"):
            resolved = lookup(locale, value[2:])
            if not isinstance(resolved, str):
                problems.append(f"{where}: translation key {value[2:]} is missing from en.default.schema.json")
                return
            value = resolved
        if limit is not None and len(value) > limit:
            problems.append(f"{where}: longer than {limit} characters")

    problems += [f"unknown key {k!r}" for k in sorted(set(schema) - BLOCK_KEYS)]
    text(schema.get("name"), "name", 25)
    if schema.get("target") not in TARGETS:
        problems.append(f"target must be one of {sorted(TARGETS)}")
    if "enabled_on" in schema and "disabled_on" in schema:
        problems.append("enabled_on and disabled_on are exclusive")
    for key in ("enabled_on", "disabled_on"):
        if key in schema:
            rule = schema[key]
            if not isinstance(rule, dict) or set(rule) - {"templates", "groups"} or not all(
                    isinstance(v, list) and all(isinstance(x, str) for x in v) for v in rule.values()):
                problems.append(f"{key} must map templates/groups to lists of names")
    settings = schema.get("settings", [])
    if not isinstance(settings, list):
        return [*problems, "settings must be a list"]
    ids: set[str] = set()
    for index, setting in enumerate(settings):
        where = f"settings[{index}]"
        kind = setting.get("type") if isinstance(setting, dict) else None
        if kind not in SETTING_TYPES:
            problems.append(f"{where}: unknown type {kind!r}")
            continue
        if kind in SIDEBAR:
            text(setting.get("content"), f"{where}.content")
            continue
        sid = setting.get("id")
        if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", sid):
            problems.append(f"{where}: id must be letters, digits, _ or -")
        elif sid in ids:
            problems.append(f"{where}: duplicate id {sid}")
        else:
            ids.add(sid)
        text(setting.get("label"), f"{where}.label")
        if "info" in setting:
            text(setting["info"], f"{where}.info")
        default = setting.get("default")
        if kind in ("select", "radio"):
            options = setting.get("options")
            if not isinstance(options, list) or not options:
                problems.append(f"{where}: {kind} needs options")
                continue
            values = []
            for o_index, option in enumerate(options):
                if not isinstance(option, dict) or not isinstance(option.get("value"), str):
                    problems.append(f"{where}.options[{o_index}]: needs a string value")
                    continue
                values.append(option["value"])
                text(option.get("label"), f"{where}.options[{o_index}].label")
            if default is not None and default not in values:
                problems.append(f"{where}: default {default!r} is not an option")
        elif kind == "checkbox" and default is not None and not isinstance(default, bool):
            problems.append(f"{where}: checkbox default must be true/false")
        elif kind in ("number", "range") and default is not None and not isinstance(default, int | float):
            problems.append(f"{where}: {kind} default must be a number")
        elif kind in ("text", "textarea", "url", "richtext", "inline_richtext", "html", "liquid") \
                and default is not None and not isinstance(default, str):
            problems.append(f"{where}: {kind} default must be a string")
        if kind == "url" and isinstance(default, str) and default and not default.startswith(("/", "shopify://")):
            problems.append(f"{where}: a url default must be a store path")
        if kind == "range":
            for key in ("min", "max", "step"):
                if not isinstance(setting.get(key), int | float):
                    problems.append(f"{where}: range needs a numeric {key}")
    return problems


def test_the_app_has_theme_blocks() -> None:
    assert [p.name for p in blocks()] == ["upload.liquid"]


@pytest.mark.parametrize("path", blocks(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_theme_block_schema_is_valid(path: Path) -> None:
    schema = block_schema(path)
    assert schema_problems(schema, translations(path.parent.parent)) == []


def test_block_schema_rules_catch_mistakes() -> None:
    """The rules can fail: each broken schema is reported for what is wrong with it."""
    locale = {"blocks": {"x": {"name": "X"}}}
    good = {"name": "t:blocks.x.name", "target": "section",
            "settings": [{"type": "select", "id": "p", "label": "P", "default": "a",
                          "options": [{"value": "a", "label": "A"}]}]}
    assert schema_problems(good, locale) == []
    broken = [
        ({**good, "target": "footer"}, "target"),
        ({**good, "name": "t:blocks.y.name"}, "translation key blocks.y.name"),
        ({**good, "name": "x" * 26}, "longer than 25"),
        ({**good, "settings": [{**good["settings"][0], "default": "b"}]}, "default 'b' is not an option"),
        ({**good, "settings": [{"type": "txt", "id": "a", "label": "A"}]}, "unknown type 'txt'"),
        ({**good, "settings": [{"type": "text", "id": "a", "label": "A"}] * 2}, "duplicate id a"),
        ({**good, "colour": 1}, "unknown key 'colour'"),
    ]
    for schema, expected in broken:
        problems = schema_problems(schema, locale)
        assert any(expected in p for p in problems), (expected, problems)


def test_block_settings_are_what_the_block_reads() -> None:
    """Each setting the block's Liquid reads (``block.settings.X``) is declared, and each declared
    one is read."""
    for path in blocks():
        declared = {s["id"] for s in block_schema(path).get("settings", []) if "id" in s}
        liquid = path.read_text().split("{% schema %}")[0]
        used = set(re.findall(r"block\.settings\.([A-Za-z0-9_]+)", liquid))
        assert used == declared, (path.name, used ^ declared)


# --- Shopify CLI: app build and theme check ---------------------------------------------------------

SHOPIFY_CLI_VERSION = "3.92.1"


@pytest.fixture(scope="module")
def shopify_cli() -> Path:
    """npm ``@shopify/cli``, installed once per machine (``PRINTGATE_SHOPIFY_CLI_DIR``, default
    ~/.cache/printgate-shopify-cli-VERSION) from the npm registry; Node 20+ is the machine's."""
    base = Path(os.environ.get("PRINTGATE_SHOPIFY_CLI_DIR")
                or Path.home() / ".cache" / f"printgate-shopify-cli-{SHOPIFY_CLI_VERSION}")
    binary = base / "node_modules" / ".bin" / "shopify"
    if not binary.exists():
        base.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--prefix", str(base), "--no-audit", "--no-fund",
                               "--loglevel=error", f"@shopify/cli@{SHOPIFY_CLI_VERSION}"],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and binary.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    return binary


def cli_env() -> dict[str, str]:
    return {**os.environ, "SHOPIFY_CLI_NO_ANALYTICS": "1", "CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0"}


def test_shopify_theme_check_finds_no_error_in_our_blocks(shopify_cli: Path, tmp_path: Path) -> None:
    """One run over a copy of the extension with one broken block added: the run fails (exit 1,
    so the check can fail) and every error it reports is in the broken block, none in ours."""
    app = shutil.copytree(APP_DIR, tmp_path / "app")
    extension = app / "extensions" / "printgate-upload"
    (extension / "blocks" / "zz-broken.liquid").write_text(
        "{% if product %}<p>{{ product.title }</p>\n"
        "{% schema %}{\"name\": \"Broken\", \"target\": \"section\"}{% endschema %}\n")
    done = subprocess.run([str(shopify_cli), "theme", "check", "--path", str(extension),
                           "--fail-level", "error", "--output", "json"],
                          capture_output=True, text=True, timeout=300, env=cli_env())
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout[done.stdout.index("["):])
    errors = [(Path(f["path"]).name, o.get("check")) for f in report for o in f.get("offenses", [])
              if o.get("severity") == "error"]
    assert errors and {name for name, _ in errors} == {"zz-broken.liquid"}, errors
    assert "upload.liquid" in {Path(f["path"]).name for f in report}, "our block was checked"


def test_shopify_app_build(shopify_cli: Path, tmp_path: Path) -> None:
    app = shutil.copytree(APP_DIR, tmp_path / "app")
    done = subprocess.run([str(shopify_cli), "app", "build", "--path", str(app)],
                          capture_output=True, text=True, timeout=300, env=cli_env())
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "printgate built!" in output, output[-3000:]
    assert (app / "extensions" / "printgate-upload" / "dist").is_dir() or "Bundling theme extension" in output
