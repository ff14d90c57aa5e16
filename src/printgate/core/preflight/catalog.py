"""The one registry of preflight checks.

A check is a function decorated with :func:`check`. Page-scoped checks are called once per page
with that page's effective settings (page rules applied); document-scoped checks once per file.
Adding a check means adding one decorated function in ``core/preflight/checks/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .messages import MESSAGES
from .model import DocFacts, PageFacts, Violation

ACTIONS = ("reject", "warn", "autofix", "off")
SECTIONS = ("geometry", "color", "text", "images", "structure", "raster")


@dataclass
class PageContext:
    page: PageFacts
    doc: DocFacts
    context: dict[str, Any]


@dataclass
class DocContext:
    doc: DocFacts
    pages: list[PageFacts]
    context: dict[str, Any]
    page_settings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # per page (action, settings)


class SkipCheck(Exception):
    """Raised by a check that cannot be evaluated (no target configured, nothing to measure)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


CheckFn = Callable[[Any, dict[str, Any]], Iterable[Violation] | None]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    section: str
    kind: str  # pdf | raster
    title: str
    scope: str  # page | document
    default_action: str
    settings: dict[str, Any]
    rule_id: str
    target: str
    autofix_strategy: str | None
    autofix_runner: str
    needs: frozenset[str]
    aliases: tuple[str, ...]
    fn: CheckFn
    options: dict[str, list[Any]]
    extra_rule_ids: tuple[str, ...]

    @property
    def messages(self) -> dict[str, str]:
        return MESSAGES.get(self.id, {})

    def describe(self) -> dict[str, Any]:
        msgs = self.messages
        return {
            "id": self.id,
            "section": self.section,
            "kind": self.kind,
            "title": self.title,
            "scope": self.scope,
            "ruleId": self.rule_id,
            "ruleIds": [self.rule_id, *self.extra_rule_ids],
            "defaultAction": self.default_action,
            "settings": dict(self.settings),
            "schema": {k: _schema(k, v, self.options.get(k)) for k, v in self.settings.items()},
            "autofix": {
                "available": self.autofix_strategy is not None,
                "runner": self.autofix_runner if self.autofix_strategy else None,
                "strategy": self.autofix_strategy,
            },
            "aliases": list(self.aliases),
            "messages": {"issue": msgs.get("issue"), "fix": msgs.get("fix"), "autofix": msgs.get("autofix")},
        }


NUMERIC_HINTS = ("_mm", "_px", "_pt", "_dpi", "width", "height", "percent", "count", "min", "max")


def _schema(name: str, default: Any, options: list[Any] | None) -> dict[str, Any]:
    """A small JSON-schema-like description of one setting, inferred from its default."""
    if isinstance(default, bool):
        kind = "boolean"
    elif isinstance(default, int | float):
        kind = "number"
    elif isinstance(default, list):
        kind = "array"
    elif isinstance(default, str):
        kind = "string"
    elif options is None and any(h in name for h in NUMERIC_HINTS):
        kind = "number"
    else:
        kind = "string"
    out: dict[str, Any] = {"type": kind, "default": default, "nullable": default is None}
    if options is not None:
        out["options"] = list(options)
    return out


_REGISTRY: dict[str, CheckSpec] = {}
_ALIASES: dict[str, str] = {}


def check(
    check_id: str,
    *,
    section: str,
    title: str,
    default: str,
    rule_id: str,
    target: str,
    kind: str = "pdf",
    scope: str = "page",
    settings: dict[str, Any] | None = None,
    autofix: str | None = None,
    runner: str = "optimize",
    needs: Iterable[str] = (),
    aliases: Iterable[str] = (),
    options: dict[str, list[Any]] | None = None,
    also_emits: Iterable[str] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Register a check. ``autofix`` is the strategy name the fix engine implements, if any."""
    if default not in ACTIONS:
        raise ValueError(f"bad default action {default!r} for {check_id}")
    if section not in SECTIONS:
        raise ValueError(f"bad section {section!r} for {check_id}")

    def deco(fn: CheckFn) -> CheckFn:
        if check_id in _REGISTRY:
            raise ValueError(f"check {check_id} registered twice")
        spec = CheckSpec(
            id=check_id,
            section=section,
            kind=kind,
            title=title,
            scope=scope,
            default_action=default,
            settings=dict(settings or {}),
            rule_id=rule_id,
            target=target,
            autofix_strategy=autofix,
            autofix_runner=runner,
            needs=frozenset(needs),
            aliases=tuple(aliases),
            fn=fn,
            options=dict(options or {}),
            extra_rule_ids=tuple(also_emits),
        )
        _REGISTRY[check_id] = spec
        for alias in spec.aliases:
            _ALIASES[alias] = check_id
        return fn

    return deco


def _load() -> None:
    # Importing the modules registers their checks.
    from .checks import color, fonts, geometry, images, raster, structure  # noqa: F401


_LOADED: list[bool] = []


def registry() -> dict[str, CheckSpec]:
    # Importing one check module registers only its own checks: always load them all once.
    if not _LOADED:
        _load()
        _LOADED.append(True)
    return _REGISTRY


def resolve_id(check_id: str) -> str | None:
    """Map an id or a known alias (e.g. ``geom.page_count``) to the registered id."""
    reg = registry()
    if check_id in reg:
        return check_id
    return _ALIASES.get(check_id)


def check_catalog(kind: str | None = None) -> list[dict[str, Any]]:
    """Every check, for the API and the admin UI: id, section, default action, settings, autofix."""
    return [spec.describe() for spec in registry().values() if kind is None or spec.kind == kind]
