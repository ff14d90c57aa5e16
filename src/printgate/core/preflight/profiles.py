"""Preflight profiles: the built-in ones (stable ids) and turning any profile into a per-page plan."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .catalog import ACTIONS, registry, resolve_id

CheckConfig = tuple[str, dict[str, Any]]  # (action, settings)


def _defaults(kind: str, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}
    for spec in registry().values():
        if spec.kind != kind:
            continue
        checks[spec.id] = {"action": spec.default_action, **copy.deepcopy(spec.settings)}
    for cid, ov in (overrides or {}).items():
        checks.setdefault(cid, {}).update(ov)
    return checks


def _builtin() -> list[dict[str, Any]]:
    return [
        {
            "id": "prof_print_ready",
            "name": "Print-Ready PDF",
            "kind": "pdf",
            "description": "General print-ready PDF: every check at the documented default action and target.",
            "checks": _defaults("pdf"),
            "pageRules": [],
        },
        {
            "id": "prof_pdfx4",
            "name": "PDF/X-4 Compliant",
            "kind": "pdf",
            "description": "PDF/X-4 declaration, output intent, embedded fonts, trim boxes; live transparency allowed.",
            "checks": _defaults(
                "pdf",
                {
                    "pdfx": {"action": "reject", "standard": "PDF/X-4"},
                    "output_intent": {"action": "reject"},
                    "trimbox": {"action": "reject", "required_mm": 0.0},
                    "transparency": {"action": "off"},
                    "layers": {"action": "warn"},
                    "pdf_version": {"action": "warn", "min": "1.4", "max": "1.7"},
                    "color_mode": {"action": "warn", "allowed": ["CMYK", "Grayscale"]},
                    "text_outlines": {"action": "off"},
                    "font_subsetting": {"action": "off"},
                },
            ),
            "pageRules": [],
        },
        {
            "id": "prof_business_card",
            "name": "Business Card 85 × 55 mm",
            "kind": "pdf",
            "description": "85 × 55 mm cards (either orientation), 1–2 pages, 3 mm bleed, 3 mm safety margin.",
            "checks": _defaults(
                "pdf",
                {
                    "page_count": {"action": "reject", "min": 1, "max": 2},
                    "page_size": {"action": "reject", "sizes": [{"width_mm": 85, "height_mm": 55}], "tolerance_mm": 0.5},
                    "bleed": {"action": "autofix", "required_mm": 3.0, "tolerance_mm": 0.2},
                    "safety_margin": {"action": "warn", "min_mm": 3.0},
                    "min_font_size": {"action": "warn", "pt": 6.0},
                    "image_min_resolution": {"action": "warn", "dpi": 250},
                },
            ),
            "pageRules": [],
        },
        {
            "id": "prof_large_format",
            "name": "Large Format Poster",
            "kind": "pdf",
            "description": "Posters and banners: lower resolution floor for viewing distance, 5 mm bleed, ink limit.",
            "checks": _defaults(
                "pdf",
                {
                    "page_count": {"action": "reject", "min": 1, "max": 1},
                    "bleed": {"action": "autofix", "required_mm": 5.0, "tolerance_mm": 0.5},
                    "image_min_resolution": {"action": "warn", "dpi": 100},
                    "image_max_resolution": {"action": "autofix", "dpi": 400},
                    "min_font_size": {"action": "warn", "pt": 10.0},
                    "ink_coverage": {"action": "warn", "percent": 300},
                    "text_safe_zone": {"action": "warn", "safe_zone_pt": 28.35},
                    "safety_margin": {"action": "warn", "min_mm": 10.0},
                    "text_outlines": {"action": "off"},
                },
            ),
            "pageRules": [],
        },
        {
            "id": "prof_offset_cmyk",
            "name": "Offset CMYK (strict)",
            "kind": "pdf",
            "description": "Conventional offset: CMYK/gray only, no spot colours, TAC 300 %, pure-K black text.",
            "checks": _defaults(
                "pdf",
                {
                    "color_mode": {"action": "reject", "allowed": ["CMYK", "Grayscale"]},
                    "image_color_mode": {"action": "reject", "allowed": ["CMYK", "Grayscale"]},
                    "ink_coverage": {"action": "reject", "percent": 300},
                    "spot_colors": {"action": "reject", "max_count": 0},
                    "rich_black": {"action": "autofix", "scope": "text"},
                    "overprint": {"action": "warn", "reject_white": True},
                    "output_intent": {"action": "warn"},
                },
            ),
            "pageRules": [],
        },
        {
            "id": "prof_photo_raster",
            "name": "Photo Print",
            "kind": "raster",
            "description": "Photo uploads (JPEG, PNG, TIFF, WebP): 300 dpi at print size (a 10 × 15 cm print "
                           "unless the product says otherwise), alpha flattened, ICC embedded.",
            "checks": _defaults(
                "raster",
                {
                    # The product's print size: a job's artworkSize (connector binding, line item) wins.
                    "raster_resolution": {"action": "reject", "min_dpi": 300,
                                          "print_width_mm": 102, "print_height_mm": 152},
                    "raster_color_mode": {"action": "autofix", "allowed": ["RGB", "CMYK", "Grayscale"]},
                    "raster_transparency": {"action": "autofix", "allow": False, "background": "#FFFFFF"},
                },
            ),
            "pageRules": [],
        },
    ]


_BUILTIN_CACHE: list[dict[str, Any]] | None = None


def get_builtin_profiles() -> list[dict[str, Any]]:
    """Built-in profiles with stable ids (served read-only by GET /profiles/{id}). Returns copies."""
    global _BUILTIN_CACHE
    if _BUILTIN_CACHE is None:
        _BUILTIN_CACHE = _builtin()
    return copy.deepcopy(_BUILTIN_CACHE)


def get_builtin_profile(profile_id: str) -> dict[str, Any] | None:
    return next((p for p in get_builtin_profiles() if p["id"] == profile_id), None)


# --------------------------------------------------------------------------- page ranges


def parse_pages(spec: Any, page_count: int) -> set[int]:
    """``"1"``, ``"2-10"``, ``"1,3,5"``, ``"2-n"`` (also ``"last"``, ``"n"``) -> set of 1-based pages."""
    if isinstance(spec, int):
        return {spec} if 1 <= spec <= page_count else set()
    if isinstance(spec, list | tuple):
        out: set[int] = set()
        for part in spec:
            out |= parse_pages(part, page_count)
        return out
    out = set()
    for raw in str(spec or "").replace(" ", "").lower().split(","):
        if not raw:
            continue

        def num(tok: str) -> int:
            if tok in ("n", "last", "end", ""):
                return page_count
            return int(tok)

        try:
            if "-" in raw:
                a, b = raw.split("-", 1)
                lo, hi = num(a or "1"), num(b)
                out.update(range(max(lo, 1), min(hi, page_count) + 1))
            else:
                v = num(raw)
                if 1 <= v <= page_count:
                    out.add(v)
        except ValueError:
            continue
    return out


# --------------------------------------------------------------------------- plan


def _entry(raw: Any) -> tuple[str | None, dict[str, Any]]:
    """A profile's check entry -> (action or None, settings). Accepts flat or nested settings."""
    if isinstance(raw, str):
        return raw, {}
    if isinstance(raw, bool):
        return (None if raw else "off"), {}
    if not isinstance(raw, dict):
        return None, {}
    settings = {k: v for k, v in raw.items() if k not in ("action", "settings", "target", "enabled")}
    for nested in ("settings", "target"):
        if isinstance(raw.get(nested), dict):
            settings.update(raw[nested])
    action = raw.get("action")
    if raw.get("enabled") is False:
        action = "off"
    return action, settings


@dataclass
class Plan:
    kind: str
    base: dict[str, CheckConfig]
    rules: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    profile_id: str | None = None

    def for_pages(self, page_count: int) -> list[dict[str, CheckConfig]]:
        """Effective config per page (index 0 = page 1). Pages without a rule share ``base``."""
        configs: list[dict[str, CheckConfig]] = [self.base] * page_count
        for spec, overrides in self.rules:
            for pg in sorted(parse_pages(spec, page_count)):
                cfg = dict(configs[pg - 1])
                for raw_id, raw in overrides.items():
                    cid = resolve_id(raw_id)
                    if cid is None or (cid not in cfg and cid not in self.base):
                        continue
                    action, settings = _entry(raw)
                    old_action, old_settings = cfg.get(cid) or self.base[cid]
                    cfg[cid] = (_valid_action(action) or old_action, {**old_settings, **settings})
                configs[pg - 1] = cfg
        return configs


def _valid_action(action: Any) -> str | None:
    if action is None:
        return None
    a = str(action).lower()
    a = {"fix": "autofix", "auto-fix": "autofix", "auto_fix": "autofix", "info": "warn", "ignore": "off"}.get(a, a)
    return a if a in ACTIONS else None


def build_plan(profile: dict[str, Any] | None, kind: str) -> Plan:
    """Every check of ``kind`` with its action and settings; ``None`` = documented defaults."""
    reg = registry()
    notes: list[dict[str, Any]] = []
    base: dict[str, CheckConfig] = {}
    if profile is None or not isinstance(profile.get("checks"), dict):
        for spec in reg.values():
            if spec.kind == kind:
                base[spec.id] = (spec.default_action, copy.deepcopy(spec.settings))
        return Plan(kind, base, notes=notes, profile_id=(profile or {}).get("id"))
    pkind = profile.get("kind")
    if not pkind:
        # No declared kind: infer it from the checks it names.
        kinds = {reg[cid].kind for cid in (resolve_id(k) for k in profile["checks"]) if cid is not None}
        pkind = kinds.pop() if len(kinds) == 1 else None
    if pkind and pkind != kind:
        notes.append(
            {
                "code": "profile_kind_mismatch",
                "message": f"Profile is for {pkind} files but the upload is a {kind} file; documented defaults used.",
            }
        )
        plan = build_plan(None, kind)
        plan.notes = notes
        plan.profile_id = profile.get("id")
        return plan
    # A configured profile: checks not named in it are off ("toggle a check on to enable it").
    for spec in reg.values():
        if spec.kind == kind:
            base[spec.id] = ("off", copy.deepcopy(spec.settings))
    for raw_id, raw in profile["checks"].items():
        cid = resolve_id(raw_id)
        if cid is None or reg[cid].kind != kind:
            notes.append({"code": "unknown_check", "message": f"Unknown check {raw_id!r} ignored.", "checkId": raw_id})
            continue
        action, settings = _entry(raw)
        act = _valid_action(action) if action is not None else reg[cid].default_action
        if act is None:
            notes.append({"code": "bad_action", "message": f"Invalid action {action!r} for {raw_id}; check off."})
            act = "off"
        base[cid] = (act, {**base[cid][1], **settings})
    rules = []
    for rule in profile.get("pageRules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("checks"), dict):
            rules.append((rule.get("pages"), rule["checks"]))
    return Plan(kind, base, rules, notes, profile.get("id"))
