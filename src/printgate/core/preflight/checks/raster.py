"""Raster profile checks (JPEG, PNG, TIFF, WebP uploads)."""

from __future__ import annotations

from typing import Any

from ..catalog import DocContext, SkipCheck, check
from ..model import Violation, r1
from .color import display_modes

RASTER_MODES = {"cmyk": "CMYK", "grayscale": "Grayscale", "gray": "Grayscale", "rgb": "RGB", "lab": "Lab", "indexed": "Indexed"}


def _print_size(s: dict[str, Any], ctx: DocContext) -> tuple[float, float] | None:
    art = (ctx.context or {}).get("artworkSize") or {}
    w = art.get("width_mm") or art.get("width") or s.get("print_width_mm")
    h = art.get("height_mm") or art.get("height") or s.get("print_height_mm")
    if w and h:
        return float(w), float(h)
    return None


def effective_dpi(w_px: int, h_px: int, w_mm: float, h_mm: float) -> float:
    """Effective dpi at print size; the image may be placed in either orientation."""
    def at(pw: float, ph: float) -> float:
        return min(w_px / (pw / 25.4), h_px / (ph / 25.4))

    return max(at(w_mm, h_mm), at(h_mm, w_mm))


@check(
    "raster_resolution",
    section="raster",
    kind="raster",
    scope="document",
    title="Effective Resolution",
    default="reject",
    rule_id="raster_low_resolution",
    target="image",
    settings={"min_dpi": 300, "print_width_mm": None, "print_height_mm": None},
    autofix="upscale_image",
)
def raster_resolution(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    """Judged at the product's print size: the job's ``artworkSize`` (from the connector binding or
    the line item) or the profile's. Without either, a 600x400 px photo used to pass unjudged: now
    the finding says the resolution could not be checked (a warning, so the shop sees it)."""
    size = _print_size(s, ctx)
    if size is None:
        r = ctx.doc.raster
        return [Violation(rule_id="raster_print_size_unknown", severity="warn", autofix=False,
                          measured={"width_px": r["width_px"], "height_px": r["height_px"]},
                          values={"actual.width": r["width_px"], "actual.height": r["height_px"]})]
    r = ctx.doc.raster
    dpi = effective_dpi(r["width_px"], r["height_px"], *size)
    need = float(s.get("min_dpi") or 0)
    if dpi >= need - 0.5:
        return []
    scale = need / dpi if dpi else float("inf")
    return [
        Violation(
            measured={"dpi": round(dpi)},
            required={"dpi": round(need)},
            extra={"print_size_mm": [r1(size[0]), r1(size[1])]},
            values={"actual.effective_dpi": round(dpi), "target.min_dpi": round(need)},
            autofix_params={"minDpi": round(need), "target_width_mm": size[0], "target_height_mm": size[1]},
            autofix=scale <= 4.0,  # the upscaler goes up to 4x
        )
    ]


@check(
    "raster_min_pixels",
    section="raster",
    kind="raster",
    scope="document",
    title="Minimum Pixel Size",
    default="autofix",
    rule_id="raster_too_small",
    target="image",
    settings={"min_width": None, "min_height": None},
    autofix="upscale_image",
)
def raster_min_pixels(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    mw, mh = s.get("min_width"), s.get("min_height")
    if not mw and not mh:
        raise SkipCheck("no minimum pixel size configured")
    r = ctx.doc.raster
    w, h = r["width_px"], r["height_px"]
    if (not mw or w >= int(mw)) and (not mh or h >= int(mh)):
        return []
    scale = max((int(mw) / w) if mw else 1, (int(mh) / h) if mh else 1)
    return [
        Violation(
            measured={"px": [w, h]},
            required={"px": [mw, mh]},
            values={"actual.width": w, "actual.height": h, "target.min_width": mw or "any", "target.min_height": mh or "any"},
            autofix_params={"target_width_px": mw, "target_height_px": mh},
            autofix=scale <= 4.0,
        )
    ]


@check(
    "raster_max_pixels",
    section="raster",
    kind="raster",
    scope="document",
    title="Maximum Pixel Size",
    default="warn",
    rule_id="raster_too_large",
    target="image",
    settings={"max_width": None, "max_height": None},
    autofix="downscale_image",
)
def raster_max_pixels(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    mw, mh = s.get("max_width"), s.get("max_height")
    if not mw and not mh:
        raise SkipCheck("no maximum pixel size configured")
    r = ctx.doc.raster
    w, h = r["width_px"], r["height_px"]
    if (not mw or w <= int(mw)) and (not mh or h <= int(mh)):
        return []
    return [
        Violation(
            measured={"px": [w, h]},
            required={"px": [mw, mh]},
            values={"actual.width": w, "actual.height": h},
            autofix_params={"maxWidth": mw, "maxHeight": mh, "fit": "inside"},
        )
    ]


@check(
    "raster_color_mode",
    section="raster",
    kind="raster",
    scope="document",
    title="Color Mode",
    default="autofix",
    rule_id="raster_color_mode_not_allowed",
    target="image",
    settings={"allowed": ["CMYK", "Grayscale", "RGB"]},
    autofix="convert_colorspace",
    options={"allowed": ["CMYK", "Grayscale", "RGB", "Lab", "Indexed"]},
)
def raster_color_mode(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    allowed_raw = s.get("allowed") or []
    if isinstance(allowed_raw, str):
        allowed_raw = [allowed_raw]
    allowed = [RASTER_MODES.get(str(a).lower(), str(a)) for a in allowed_raw]
    if not allowed:
        return []
    mode = ctx.doc.raster["color_mode"]
    if mode in allowed:
        return []
    target = "rgb" if "RGB" in allowed else "cmyk" if "CMYK" in allowed else "grayscale"
    return [
        Violation(
            measured={"colorspace": mode},
            required={"colorspaces": allowed},
            values={"actual.colorspace": mode, "target.allowed": display_modes(allowed)},
            autofix_params={"target": target},
        )
    ]


@check(
    "raster_bit_depth",
    section="raster",
    kind="raster",
    scope="document",
    title="Bit Depth",
    default="autofix",
    rule_id="raster_low_bit_depth",
    target="image",
    settings={"min": 8},
    autofix="increase_bit_depth",
    options={"min": [1, 4, 8, 16]},
)
def raster_bit_depth(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    need = int(s.get("min") or 0)
    bits = int(ctx.doc.raster["bit_depth"])
    if bits >= need:
        return []
    return [Violation(measured={"bits": bits}, required={"bits": need}, values={"target.min": need}, autofix_params={"min": need})]


@check(
    "raster_transparency",
    section="raster",
    kind="raster",
    scope="document",
    title="Transparency",
    default="autofix",
    rule_id="raster_has_transparency",
    target="image",
    settings={"allow": False, "background": "#FFFFFF"},
    autofix="flatten_alpha",
)
def raster_transparency(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    if s.get("allow"):
        return []
    r = ctx.doc.raster
    used = r.get("alpha_used")
    if not r.get("has_alpha") or used is False:
        return []
    return [
        Violation(
            measured={"alpha": True},
            extra={"alpha_checked": used is not None},
            autofix_params={"background": str(s.get("background") or "#FFFFFF")},
        )
    ]


@check(
    "raster_background",
    section="raster",
    kind="raster",
    scope="document",
    title="Background Removal",
    default="autofix",
    rule_id="raster_background_present",
    target="image",
    autofix="remove_background",
)
def raster_background(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    raise SkipCheck("background detection is not available in this build")


@check(
    "raster_file_size",
    section="raster",
    kind="raster",
    scope="document",
    title="Maximum File Size",
    default="reject",
    rule_id="raster_file_too_large",
    target="file",
    settings={"max_mb": 50},
)
def raster_file_size(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    limit = float(s.get("max_mb") or 0)
    mb = ctx.doc.size_bytes / (1024 * 1024)
    if limit <= 0 or mb <= limit:
        return []
    return [Violation(measured={"mb": r1(mb)}, required={"mb": limit}, values={"target.max_mb": limit})]


@check(
    "raster_icc",
    section="raster",
    kind="raster",
    scope="document",
    title="ICC Profile Required",
    default="autofix",
    rule_id="raster_icc_missing",
    target="image",
    settings={"expected_profile": None},
    autofix="embed_icc",
    also_emits=("raster_icc_mismatch",),
)
def raster_icc(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    expected = s.get("expected_profile")
    icc = ctx.doc.raster.get("icc")
    mode = ctx.doc.raster.get("color_mode")
    alias = expected or ("fogra39" if mode == "CMYK" else "srgb")
    name = str(expected) if expected else "embedded ICC"
    if icc is None:
        return [Violation(measured={"profile": None}, required={"profile": expected}, values={"target.expected_profile_name": name}, autofix_params={"alias": alias})]
    if expected:
        a = "".join(ch for ch in icc.lower() if ch.isalnum())
        b = "".join(ch for ch in str(expected).lower() if ch.isalnum())
        if b not in a:
            return [
                Violation(
                    rule_id="raster_icc_mismatch",
                    measured={"profile": icc},
                    required={"profile": expected},
                    values={"target.expected_profile_name": name},
                    autofix_params={"alias": alias},
                )
            ]
    return []


def _ratio(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    text = str(value).strip().lower()
    for sep in (":", "/", "x"):
        if sep in text:
            a, b = text.split(sep, 1)
            try:
                return float(a) / float(b)
            except (ValueError, ZeroDivisionError):
                return None
    try:
        return float(text)
    except ValueError:
        return None


@check(
    "raster_aspect_ratio",
    section="raster",
    kind="raster",
    scope="document",
    title="Aspect Ratio",
    default="autofix",
    rule_id="raster_aspect_ratio_mismatch",
    target="image",
    settings={"ratio": None, "tolerance": 0.02},
    autofix="pad_crop_aspect",
)
def raster_aspect_ratio(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    want = _ratio(s.get("ratio"))
    label = s.get("ratio")
    if want is None:
        size = _print_size(s, ctx)
        if size is None:
            raise SkipCheck("no aspect ratio or print size configured")
        want = size[0] / size[1]
        label = f"{r1(size[0])}:{r1(size[1])}"
    r = ctx.doc.raster
    actual = r["width_px"] / r["height_px"]
    tol_raw = s.get("tolerance")
    tol = float(tol_raw) if tol_raw is not None else 0.02
    if any(abs(actual - x) / x <= tol for x in (want, 1 / want)):
        return []
    return [
        Violation(
            measured={"ratio": round(actual, 4)},
            required={"ratio": round(want, 4)},
            values={"target.ratio": label},
            autofix_params={"ratios": [label], "tolerance": tol},
        )
    ]


@check(
    "raster_tac",
    section="raster",
    kind="raster",
    scope="document",
    title="Total Ink Coverage",
    default="off",
    rule_id="raster_ink_coverage_exceeded",
    target="image",
    settings={"max_percent": 300, "convert_profile": None},
    autofix="limit_ink",
)
def raster_tac(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    r = ctx.doc.raster
    if r.get("color_mode") != "CMYK":
        return []
    tac = r.get("tac_max")
    if tac is None:
        raise SkipCheck("image too large to measure ink coverage")
    limit = float(s.get("max_percent") or 300)
    if tac <= limit + 0.5:
        return []
    return [
        Violation(
            measured={"percent": tac},
            required={"percent": limit},
            values={"actual.max_percent": round(tac), "target.max_percent": round(limit)},
            autofix_params={"maxPercent": limit, "profile": s.get("convert_profile") or "iso-coated-v2-300"},
        )
    ]
