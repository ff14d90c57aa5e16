"""The one registry of fixes, keyed by the strategy names preflight findings carry.

Adding a fix is adding one function decorated with :func:`fix`. The function receives the working
document (``WorkDoc`` for PDFs, ``RasterDoc`` for images) and a :class:`FixRequest`; it returns a human-readable detail string when it changed
something, or raises :class:`FixSkipped` with the reason it could not (or need not) act.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


class FixSkipped(Exception):
    """The fix did not change the file; ``reason`` says why, for the customer and the merchant."""

    def __init__(self, reason: str, *, satisfied: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        # True when there is simply nothing (left) to fix, e.g. an earlier fix already solved it.
        self.satisfied = satisfied


@dataclass
class FixRequest:
    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    pages: list[int] | None = None  # 1-based; None = every page
    rule_ids: list[str] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)  # the report's findings behind this request
    # Told (pages done, pages in all) by a fix that works page by page, so a long file shows where it
    # is; ``apply_fixes`` sets it from its caller's callback (never a global).
    on_pages: Callable[[int, int], None] | None = field(default=None, repr=False, compare=False)

    def pages_done(self, done: int, total: int) -> None:
        """Report progress through the pages; a no-op when nobody listens."""
        if self.on_pages is not None:
            self.on_pages(done, total)

    def page_indexes(self, page_count: int) -> list[int]:
        """0-based indexes this request applies to, ignoring pages that do not exist."""
        if self.pages is None:
            return list(range(page_count))
        return sorted({p - 1 for p in self.pages if 1 <= p <= page_count})


@dataclass
class FixResult:
    detail: str
    pages: list[int] | None = None  # pages actually changed, when the fix knows
    # Why this fix makes the file larger, in the customer's words, when the fix knows better than
    # the generic note of its strategy (the size guard quotes it when the file outgrows its limit).
    why_larger: str | None = None


FixFn = Callable[[Any, FixRequest], "str | FixResult"]


@dataclass(frozen=True)
class FixSpec:
    strategy: str
    order: int  # lower runs first: structure, geometry, content, colour, output intent, version
    summary: str
    aliases: tuple[str, ...]
    default_params: dict[str, Any]
    fn: FixFn
    kind: str = "pdf"  # pdf | raster
    # Checks (ids or aliases) whose action a profile must set to "autofix" itself before this fix runs
    # unasked: the documented default of such a check is no request (outlining a whole book is not
    # something to do because nobody said otherwise). Empty: the finding's schedule decides.
    needs_profile: tuple[str, ...] = ()
    # Runs whenever the report offers it, even when the profile's action is warn or reject: the fix
    # only adds what is missing and changes nothing on the page (embedding the very font named).
    when_offered: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "kind": self.kind,
            "summary": self.summary,
            "aliases": list(self.aliases),
            "defaultParams": dict(self.default_params),
        }


_REGISTRY: dict[str, dict[str, FixSpec]] = {"pdf": {}, "raster": {}}
_ALIASES: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {"pdf": {}, "raster": {}}


def fix(
    strategy: str,
    *,
    order: int,
    summary: str,
    aliases: Iterable[str | tuple[str, dict[str, Any]]] = (),
    params: dict[str, Any] | None = None,
    kind: str = "pdf",
    needs_profile: Iterable[str] = (),
    when_offered: bool = False,
) -> Callable[[FixFn], FixFn]:
    """Register ``fn`` for ``strategy`` (on PDFs, or ``kind="raster"`` on images). An alias may carry
    params, e.g. ``("mirror_bleed", {"mode": "mirror"})``; see :class:`FixSpec` for the rest."""

    def deco(fn: FixFn) -> FixFn:
        if strategy in _REGISTRY[kind]:
            raise ValueError(f"fix {strategy} registered twice")
        names: list[str] = []
        for alias in aliases:
            name, extra = (alias, {}) if isinstance(alias, str) else alias
            _ALIASES[kind][name] = (strategy, dict(extra))
            names.append(name)
        _REGISTRY[kind][strategy] = FixSpec(strategy, order, summary, tuple(names), dict(params or {}), fn, kind,
                                            tuple(needs_profile), when_offered)
        return fn

    return deco


_LOADED: list[bool] = []


def _load() -> None:
    # Importing the modules registers their fixes.
    from printgate.core.fixes import (  # noqa: F401
        color,
        fonts,
        geometry,
        images,
        pdfa,
        pdfx,
        raster,
        spots,
        strokes,
        structure,
    )

    _LOADED.append(True)


def registry(kind: str = "pdf") -> dict[str, FixSpec]:
    if not _LOADED:
        _load()
    return _REGISTRY[kind]


def resolve(strategy: str, kind: str = "pdf") -> tuple[FixSpec, dict[str, Any]] | None:
    """The spec for a strategy name or alias, plus params implied by the alias."""
    reg = registry(kind)
    if strategy in reg:
        return reg[strategy], {}
    if strategy in _ALIASES[kind]:
        name, extra = _ALIASES[kind][strategy]
        return reg[name], dict(extra)
    return None


def fix_catalog(kind: str | None = None) -> list[dict[str, Any]]:
    """Every registered fix (PDF first, then raster), each kind in the order its fixes run."""
    kinds = [kind] if kind else ["pdf", "raster"]
    return [spec.describe() for k in kinds for spec in sorted(registry(k).values(), key=lambda s: s.order)]
