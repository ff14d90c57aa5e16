"""Every environment variable of the settings tree is documented in README.md's "Settings" table: the
tree (``printgate.core.config.Settings``) and every room's section class (a ``BaseSettings``
subclass anywhere under src/printgate, found by reading the source, so a new section is covered the
day it is written)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from pydantic_settings import BaseSettings

from printgate.core.config import Settings, env_names

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "printgate"


def _settings_classes() -> list[type[BaseSettings]]:
    found: list[type[BaseSettings]] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)
                 and any(isinstance(base, ast.Name) and base.id == "BaseSettings" for base in node.bases)]
        if names:
            module = importlib.import_module(".".join(path.relative_to(SRC.parent).with_suffix("").parts))
            found.extend(getattr(module, name) for name in names)
    return found


def _settings_table() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### Settings")
    end = readme.index("\n## ", start)
    return readme[start:end]


def test_every_settings_class_is_found() -> None:
    names = {cls.__name__ for cls in _settings_classes()}
    assert {"Settings", "WebhookSettings", "ShopifySettings", "WooCommerceSettings"} <= names, names


def test_every_variable_of_the_settings_tree_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", _settings_table()))
    missing = {cls.__name__: sorted(set(env_names(cls)) - documented) for cls in _settings_classes()}
    assert not any(missing.values()), f"undocumented settings (add them to README.md's Settings table): {missing}"


def test_the_table_documents_the_defaults_the_code_has() -> None:
    """A row's default is the field's default, for the plain values (numbers, words, booleans)."""
    rows = {}
    for line in _settings_table().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`PRINTGATE_"):
            variables = re.findall(r"`(PRINTGATE_[A-Z0-9_]+)`", cells[0])
            defaults = re.findall(r"`([^`]+)`", cells[1])
            if len(variables) == len(defaults):
                rows.update(zip(variables, defaults, strict=True))
    checked = 0
    for cls in _settings_classes():
        prefix = str(cls.model_config.get("env_prefix") or "")
        for name, info in cls.model_fields.items():
            default = info.default
            variable = f"{prefix}{name}".upper()
            if variable not in rows or not isinstance(default, bool | int | float | str):
                continue
            shown = rows[variable]
            if isinstance(default, bool):
                assert shown == str(default).lower(), (variable, shown, default)
            elif isinstance(default, int | float):
                assert float(shown) == float(default), (variable, shown, default)
            else:
                assert shown == default, (variable, shown, default)
            checked += 1
    assert checked >= 40, checked
    assert Settings.model_fields["widget_job_token"].default == rows["PRINTGATE_WIDGET_JOB_TOKEN"] == "enforce"
