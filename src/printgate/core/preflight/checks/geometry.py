"""Page Checks (the Geometry section): count, size, orientation, bleed, trim, margins, rotation, layout."""

from __future__ import annotations

from typing import Any

from ..catalog import DocContext, PageContext, SkipCheck, check
from ..model import PageFacts, Rect, Violation, effective_trim, mm_to_pt, pt_to_mm, r1

SIDES = ("top", "right", "bottom", "left")


def _sides(setting: Any) -> tuple[str, ...]:
    if setting in (None, "all", "All", ["all"]):
        return SIDES
    if isinstance(setting, str):
        setting = [setting]
    return tuple(s.lower() for s in setting if str(s).lower() in SIDES) or SIDES


def target_sizes(settings: dict[str, Any], context: dict[str, Any]) -> list[tuple[float, float]]:
    """Allowed trim sizes in mm; the SDK context's artworkSize wins over the profile."""
    art = (context or {}).get("artworkSize") or {}
    w, h = art.get("width_mm", art.get("width")), art.get("height_mm", art.get("height"))
    if w and h:
        return [(float(w), float(h))]
    out = []
    for s in settings.get("sizes") or []:
        try:
            if isinstance(s, dict):
                out.append((float(s["width_mm"]), float(s["height_mm"])))
            else:
                out.append((float(s[0]), float(s[1])))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
    return out


def bleed_sides_pt(page: PageFacts, trim: Rect) -> dict[str, float]:
    outer = page.bleed if page.bleed is not None else page.crop
    outer = (max(outer[0], page.media[0]), max(outer[1], page.media[1]),
             min(outer[2], page.media[2]), min(outer[3], page.media[3]))
    return {
        "left": max(0.0, trim[0] - outer[0]),
        "bottom": max(0.0, trim[1] - outer[1]),
        "right": max(0.0, outer[2] - trim[2]),
        "top": max(0.0, outer[3] - trim[3]),
    }


def _size_mm(box: Rect, rotation: int) -> tuple[float, float]:
    w, h = pt_to_mm(box[2] - box[0]), pt_to_mm(box[3] - box[1])
    return (h, w) if rotation % 180 == 90 else (w, h)


@check(
    "page_count",
    section="geometry",
    title="Page Count",
    default="reject",
    rule_id="page_count_mismatch",
    target="document",
    scope="document",
    settings={"min": 1, "max": None, "exact": []},
    aliases=("geom.page_count",),
)
def page_count(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    n = ctx.doc.page_count
    pc = (ctx.context or {}).get("pageCount") or {}
    lo = pc.get("min", s.get("min"))
    hi = pc.get("max", s.get("max"))
    exact = [int(x) for x in (s.get("exact") or [])] if not pc else []
    ok = (n in exact) if exact else ((lo is None or n >= int(lo)) and (hi is None or n <= int(hi)))
    if ok:
        return []
    if exact:
        lo, hi = min(exact), max(exact)
    required: dict[str, Any] = {"min": lo, "max": hi}
    if exact:
        required["allowed"] = exact
    return [
        Violation(
            measured={"pages": n},
            required={"pages": required},
            values={"actual.pageCount": n, "target.min": lo if lo is not None else 1, "target.max": hi if hi is not None else "any"},
        )
    ]


@check(
    "page_size",
    section="geometry",
    title="Page Size",
    default="reject",
    rule_id="page_size_mismatch",
    target="pages",
    settings={"sizes": [], "tolerance_mm": 0.5},
)
def page_size(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    sizes = target_sizes(s, ctx.context)
    if not sizes:
        raise SkipCheck("no page size configured")
    page = ctx.page
    trim, _ = effective_trim(page, ctx.context, sizes)
    w, h = _size_mm(trim, 0)
    tol = float(s.get("tolerance_mm") or 0.5)
    for tw, th in sizes:
        if (abs(w - tw) <= tol and abs(h - th) <= tol) or (abs(w - th) <= tol and abs(h - tw) <= tol):
            return []
    tw, th = sizes[0]
    return [
        Violation(
            page=page.page,
            measured={"mm": [r1(w), r1(h)]},
            required={"mm": [[r1(a), r1(b)] for a, b in sizes]},
            values={"width": r1(w), "height": r1(h), "target.width": r1(tw), "target.height": r1(th)},
            rects=[(page.page, trim)],
            autofix=False,
        )
    ]


def orientation_of(w: float, h: float) -> str:
    if abs(w - h) <= 1.0:
        return "square"
    return "landscape" if w > h else "portrait"


@check(
    "orientation",
    section="geometry",
    title="Orientation",
    default="off",
    rule_id="orientation_mismatch",
    target="pages",
    settings={"allowed": ["portrait", "landscape", "square"]},
    options={"allowed": ["portrait", "landscape", "square"]},
)
def orientation(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    allowed = [str(a).lower() for a in (s.get("allowed") or [])]
    if isinstance(s.get("allowed"), str):
        allowed = [s["allowed"].lower()]
    if not allowed:
        return []
    page = ctx.page
    w, h = _size_mm(page.trim_or_media, page.rotation)
    actual = orientation_of(w, h)
    if actual in allowed:
        return []
    return [
        Violation(
            page=page.page,
            measured={"orientation": actual},
            required={"orientation": allowed},
            values={"target.allowed": " or ".join(allowed)},
            rects=[(page.page, page.trim_or_media)],
        )
    ]


@check(
    "bleed",
    section="geometry",
    title="Bleed Lines",
    default="autofix",
    rule_id="bleed_missing",
    target="pages",
    settings={"required_mm": 3.0, "tolerance_mm": 0.2, "fill": "mirror", "sides": "all"},
    autofix="mirror_bleed",
    options={"fill": ["none", "mirror", "scale"], "sides": ["all", "top", "right", "bottom", "left"]},
)
def bleed(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    page = ctx.page
    required = float(((ctx.context or {}).get("bleed") or {}).get("required_mm") or s.get("required_mm") or 0)
    if required <= 0:
        return []
    tol = float(s.get("tolerance_mm") or 0)
    trim, _ = effective_trim(page, ctx.context, target_sizes(s, ctx.context) or _ctx_sizes(ctx))
    sides = bleed_sides_pt(page, trim)
    wanted = _sides(s.get("sides"))
    measured = {k: pt_to_mm(v) for k, v in sides.items() if k in wanted}
    short = {k: v for k, v in measured.items() if v < required - tol}
    if not short:
        return []
    fill = str(s.get("fill") or "mirror").lower()
    params: dict[str, Any] = {"bleed_mm": required, "mode": "scale" if fill in ("scale", "stretch") else "mirror"}
    worst = min(measured.values())
    return [
        Violation(
            page=page.page,
            measured={"mm": r1(worst)},
            required={"mm": r1(required)},
            extra={"sides_mm": {k: r1(v) for k, v in measured.items()}},
            values={"target.required_mm": r1(required)},
            rects=[(page.page, page.crop)],
            autofix_params=params,
            autofix=fill != "none",
        )
    ]


def _ctx_sizes(ctx: PageContext) -> list[tuple[float, float]]:
    return target_sizes({}, ctx.context)


@check(
    "trimbox",
    section="geometry",
    title="Trimbox",
    default="autofix",
    rule_id="trimbox_missing",
    target="pages",
    settings={"required_mm": 3.0, "tolerance_mm": 0.2, "sides": "all"},
    autofix="set_trimbox",
    options={"sides": ["all", "top", "right", "bottom", "left"]},
    also_emits=("trimbox_invalid", "trimbox_incorrect"),
)
def trimbox(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    page = ctx.page
    required = float(s.get("required_mm") or 0)
    tol = float(s.get("tolerance_mm") or 0)
    sizes = _ctx_sizes(ctx)
    if page.trim is None:
        inferred, was_inferred = effective_trim(page, ctx.context, sizes)
        # Inferred from the order size (page = size + bleed) or, failing that, the visible page.
        params: dict[str, Any] = {"box": "trim", "rect": [round(v, 3) for v in inferred]}
        return [
            Violation(
                page=page.page,
                rule_id="trimbox_missing",
                measured={"mm": None},
                required={"mm": r1(required)},
                values={"target.required_mm": r1(required)},
                rects=[(page.page, page.crop)],
                extra={"inferred": was_inferred},
                autofix_params=params,
            )
        ]
    trim = page.trim
    media = page.media
    if trim[0] < media[0] - 0.5 or trim[1] < media[1] - 0.5 or trim[2] > media[2] + 0.5 or trim[3] > media[3] + 0.5:
        return [
            Violation(
                page=page.page,
                rule_id="trimbox_invalid",
                measured={"mm": None},
                required={"mm": r1(required)},
                extra={"reason": "TrimBox extends beyond the MediaBox"},
                values={"target.required_mm": r1(required)},
                rects=[(page.page, trim)],
                autofix=False,
            )
        ]
    if required <= 0:
        return []
    inset = {
        "left": pt_to_mm(trim[0] - media[0]),
        "bottom": pt_to_mm(trim[1] - media[1]),
        "right": pt_to_mm(media[2] - trim[2]),
        "top": pt_to_mm(media[3] - trim[3]),
    }
    wanted = _sides(s.get("sides"))
    bad = {k: v for k, v in inset.items() if k in wanted and v < required - tol}
    if not bad:
        return []
    return [
        Violation(
            page=page.page,
            rule_id="trimbox_incorrect",
            measured={"mm": r1(min(inset[k] for k in wanted))},
            required={"mm": r1(required)},
            extra={"sides_mm": {k: r1(v) for k, v in inset.items() if k in wanted}},
            values={"target.required_mm": r1(required)},
            rects=[(page.page, trim)],
            autofix=False,
        )
    ]


@check(
    "safety_margin",
    section="geometry",
    title="Safety Margin",
    default="warn",
    rule_id="content_in_safety_margin",
    target="pages",
    settings={"min_mm": 3.0},
)
def safety_margin(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    page = ctx.page
    safety = (ctx.context or {}).get("safety") or {}
    min_mm = float(safety.get("min_mm") or s.get("min_mm") or 0)
    if min_mm <= 0:
        return []
    limit = mm_to_pt(min_mm)
    # Text that crosses the cut counts (distance 0); other objects that cross it are bleed artwork.
    near = [m for m in page.text_marks if m.distance_pt < limit]
    near += [m for m in page.object_marks if m.distance_pt < limit]
    if not near:
        return []
    near.sort(key=lambda m: m.distance_pt)
    closest = pt_to_mm(max(near[0].distance_pt, 0.0))
    return [
        Violation(
            page=page.page,
            measured={"mm": r1(closest)},
            required={"mm": r1(min_mm)},
            extra={"objects": sorted({m.kind for m in near})},
            values={"target.min_mm": r1(min_mm)},
            rects=[(page.page, m.rect) for m in near[:10]],
        )
    ]


@check(
    "page_rotation",
    section="geometry",
    title="Page Rotation",
    default="autofix",
    rule_id="page_rotated",
    target="pages",
    settings={"allowed": [0]},
    autofix="normalize_rotation",
    aliases=("geom.rotation",),
    options={"allowed": [0, 90, 180, 270]},
)
def page_rotation(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    allowed = [int(a) % 360 for a in (s.get("allowed") or [0])]
    page = ctx.page
    if page.rotation in allowed:
        return []
    return [
        Violation(
            page=page.page,
            measured={"degrees": page.rotation},
            required={"degrees": allowed},
            rects=[(page.page, page.crop)],
            autofix_params={"rotate": (360 - page.rotation) % 360},
        )
    ]


@check(
    "consistent_page_sizes",
    section="geometry",
    title="Consistent Page Sizes",
    default="reject",
    rule_id="inconsistent_page_sizes",
    target="pages",
    scope="document",
    settings={"tolerance_mm": 1.0},
    aliases=("geom.consistent_page_sizes",),
)
def consistent_page_sizes(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    if len(ctx.pages) < 2:
        return []
    tol = float(s.get("tolerance_mm") or 1.0)
    first = ctx.pages[0]
    fw, fh = _size_mm(effective_trim(first, ctx.context, target_sizes({}, ctx.context))[0], first.rotation)
    out = []
    for p in ctx.pages[1:]:
        w, h = _size_mm(effective_trim(p, ctx.context, target_sizes({}, ctx.context))[0], p.rotation)
        # Same paper turned the other way is the same size (orientation has its own check).
        same = (abs(w - fw) <= tol and abs(h - fh) <= tol) or (abs(w - fh) <= tol and abs(h - fw) <= tol)
        if not same:
            out.append(
                Violation(
                    page=p.page,
                    measured={"mm": [r1(w), r1(h)]},
                    required={"mm": [r1(fw), r1(fh)]},
                    rects=[(p.page, p.trim_or_media)],
                    autofix=False,
                )
            )
    return out


@check(
    "page_layout",
    section="geometry",
    title="Page Layout",
    default="warn",
    rule_id="page_layout_mismatch",
    target="pages",
    scope="document",
    settings={"mode": "single"},
    autofix="split_spreads",
    options={"mode": ["single", "spreads", "either"]},
)
def page_layout(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    mode = str(s.get("mode") or "either").lower()
    if mode not in ("single", "spreads"):
        return []
    sizes = target_sizes({}, ctx.context)
    spreads = []
    dims = [_size_mm(p.trim_or_media, p.rotation) for p in ctx.pages]
    others = list(dict.fromkeys(dims))  # each size once: any() below is linear, not quadratic, in pages
    for p, (w, h) in zip(ctx.pages, dims, strict=True):
        is_spread = False
        for tw, th in sizes:
            if abs(w - 2 * tw) <= 2 and abs(h - th) <= 2:
                is_spread = True
        if not sizes:
            # A page twice as wide as another page of the same height is a spread.
            is_spread = any(abs(w - 2 * ow) <= 2 and abs(h - oh) <= 2 for ow, oh in others)
        if is_spread:
            spreads.append(p.page)
    actual = "spreads" if spreads else "single pages"
    if mode == "single" and spreads:
        return [
            Violation(
                page=spreads[0],
                measured={"layout": "spreads"},
                required={"layout": "single"},
                extra={"pages": spreads},
                values={"actual.layout": "spreads", "target.mode": "single pages"},
                rects=[(pg, ctx.pages[pg - 1].trim_or_media) for pg in spreads[:10]],
                autofix_params={"split": spreads},
            )
        ]
    if mode == "spreads" and not spreads and len(ctx.pages) > 2:
        return [
            Violation(
                measured={"layout": actual},
                required={"layout": "spreads"},
                values={"actual.layout": actual, "target.mode": "spreads"},
                autofix=False,
            )
        ]
    return []
