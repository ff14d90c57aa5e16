"""Fonts, Text & Strokes: embedding, subsetting, font types, sizes, hairlines, outlines, safe zone."""

from __future__ import annotations

from typing import Any

from ..catalog import DocContext, PageContext, check
from ..model import FontInfo, Violation, r1


def _used_fonts(ctx: DocContext) -> list[tuple[FontInfo, list[int]]]:
    """Fonts used on pages, one entry per distinct font (same name and kind merged), with pages."""
    merged: dict[tuple[str, str, bool, bool], tuple[FontInfo, set[int]]] = {}
    for p in ctx.pages:
        for key in p.font_keys:
            info = ctx.doc.fonts.get(key)
            if info is None:
                continue
            ident = (info.name, info.font_type, info.embedded, info.subset)
            merged.setdefault(ident, (info, set()))[1].add(p.page)
    return [(info, sorted(pages)) for info, pages in merged.values()]


def _font_violation(info: FontInfo, pages: list[int], **kw: Any) -> Violation:
    return Violation(page=pages[0], extra={"font": info.name, "fontType": info.font_type, "pages": pages[:100]}, **kw)


@check(
    "fonts_embedded",
    section="text",
    title="Fonts Embedded",
    default="reject",
    rule_id="font_not_embedded",
    target="fonts",
    scope="document",
    autofix="embed_fonts",
)
def fonts_embedded(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    """The embedding fix is offered only for a font this server has (or a standard-14 substitute):
    offering it for any font promised a fix that then could not run."""
    from printgate.core.fixes.server_fonts import embeddable

    return [
        _font_violation(info, pages, measured={"embedded": False}, autofix_params={"fonts": [info.name]},
                        autofix=embeddable(info.name))
        for info, pages in _used_fonts(ctx)
        if not info.embedded
    ]


@check(
    "font_subsetting",
    section="text",
    title="Font Subsetting",
    default="autofix",
    rule_id="font_not_subset",
    target="fonts",
    scope="document",
    autofix="subset_fonts",
)
def font_subsetting(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return [
        _font_violation(info, pages, measured={"subset": False}, autofix_params={"fonts": [info.name]})
        for info, pages in _used_fonts(ctx)
        if info.embedded and not info.subset and info.subtype != "Type3"
    ]


def _norm_type(t: str) -> str:
    return "".join(ch for ch in t.lower() if ch.isalnum())


@check(
    "font_types",
    section="text",
    title="Allowed Font Types",
    default="reject",
    rule_id="font_type_not_allowed",
    target="fonts",
    scope="document",
    settings={"disallowed": ["Type 3"]},
    options={"disallowed": ["Type 1", "Type 3", "TrueType", "OpenType", "CID Type 0", "CID Type 2"]},
)
def font_types(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    bad = {_norm_type(t) for t in s.get("disallowed") or []}
    if not bad:
        return []
    return [
        _font_violation(info, pages, measured={"type": info.font_type}, required={"disallowed": s.get("disallowed")})
        for info, pages in _used_fonts(ctx)
        if _norm_type(info.font_type) in bad
    ]


@check(
    "min_font_size",
    section="text",
    title="Minimum Font Size",
    default="warn",
    rule_id="text_too_small",
    target="text",
    settings={"pt": 5.0},
    aliases=("text.min_font_size_pt",),
)
def min_font_size(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    limit = float(s.get("pt") or s.get("min_pt") or 0)
    if p.min_font_size is None or limit <= 0 or p.min_font_size >= limit - 0.01:
        return []
    rects = [(p.page, r) for size, r in p.small_text_rects if size < limit - 0.01]
    return [
        Violation(
            page=p.page,
            measured={"pt": round(p.min_font_size, 2)},
            required={"pt": limit},
            values={"actual.min_pt": round(p.min_font_size, 1), "target.pt": limit},
            rects=rects[:20],
        )
    ]


@check(
    "min_stroke_width",
    section="text",
    title="Minimum Stroke Width",
    default="autofix",
    rule_id="stroke_too_thin",
    target="strokes",
    settings={"pt": 0.25},
    autofix="thicken_hairlines",
)
def min_stroke_width(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    limit = float(s.get("pt") or s.get("min_pt") or 0)
    if p.min_stroke is None or limit <= 0 or p.min_stroke >= limit - 0.001:
        return []
    rects = [(p.page, r) for w, r in p.thin_stroke_rects if w < limit - 0.001]
    return [
        Violation(
            page=p.page,
            measured={"pt": round(p.min_stroke, 3)},
            required={"pt": limit},
            values={"target.pt": limit},
            rects=rects[:20],
            autofix_params={"minWidth": limit},
        )
    ]


@check(
    "text_outlines",
    section="text",
    title="Text Outlines Required",
    default="autofix",
    rule_id="text_not_outlined",
    target="text",
    autofix="outline_text",
    aliases=("text.text_outlined_required",),
)
def text_outlines(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    if not p.text_ops:
        return []
    return [Violation(page=p.page, measured={"text_objects": p.text_ops})]


@check(
    "text_safe_zone",
    section="text",
    title="Text Safe Zone",
    default="reject",
    rule_id="text_outside_safe_zone",
    target="text",
    settings={"safe_zone_pt": 8.5},
)
def text_safe_zone(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    limit = float(s.get("safe_zone_pt") or 0)
    if limit <= 0:
        return []
    near = [m for m in p.text_marks if m.distance_pt < limit]
    if not near:
        return []
    return [
        Violation(
            page=p.page,
            measured={"pt": r1(max(near[0].distance_pt, 0.0))},
            required={"pt": limit},
            values={"target.safe_zone_pt": limit},
            rects=[(p.page, m.rect) for m in near[:20]],
        )
    ]
