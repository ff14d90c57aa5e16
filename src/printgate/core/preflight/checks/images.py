"""Images inside PDFs: effective resolution at placed size, colour mode, compression, bit depth."""

from __future__ import annotations

from typing import Any

from ..catalog import PageContext, check
from ..model import ImageUse, Violation
from .color import DISPLAY, allowed_modes, display_modes

MAX_PER_PAGE = 10
COMPRESSION = {
    "DCTDecode": "JPEG",
    "JPXDecode": "JPEG 2000",
    "FlateDecode": "Flate/Zip",
    "LZWDecode": "LZW",
    "CCITTFaxDecode": "CCITT",
    "JBIG2Decode": "JBIG2",
    "RunLengthDecode": "RunLength",
}


def compression_of(im: ImageUse) -> str:
    for f in im.filters:
        if f in COMPRESSION:
            return COMPRESSION[f]
    return "Uncompressed"


def _key(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum()).replace("zip", "").replace("decode", "")


TINY_IMAGE_PX = 64  # 8 x 8: flat colour fills and spacer images, not pictures


def _measurable(im: ImageUse) -> bool:
    w = im.rect[2] - im.rect[0]
    h = im.rect[3] - im.rect[1]
    return im.dpi_x > 0 and im.dpi_y > 0 and w >= 1 and h >= 1 and im.width_px * im.height_px > TINY_IMAGE_PX


def _img_extra(im: ImageUse) -> dict[str, Any]:
    return {"image": {"width_px": im.width_px, "height_px": im.height_px, "color_space": im.color_space, "inline": im.inline}}


@check(
    "image_min_resolution",
    section="images",
    title="Minimum Resolution",
    default="warn",
    rule_id="image_low_resolution",
    target="images",
    settings={"dpi": 150},
)
def image_min_resolution(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    limit = float(s.get("dpi") or s.get("effective") or s.get("min_dpi") or 0)
    if limit <= 0:
        return []
    p = ctx.page
    low = sorted((im for im in p.images if _measurable(im) and im.effective_dpi < limit - 0.5), key=lambda i: i.effective_dpi)
    return [
        Violation(
            page=p.page,
            measured={"dpi": round(im.effective_dpi)},
            required={"dpi": round(limit)},
            extra=_img_extra(im),
            values={"actual.min": round(low[0].effective_dpi), "target.effective": round(limit)},
            rects=[(p.page, im.rect)],
            autofix=False,
        )
        for im in low[:MAX_PER_PAGE]
    ]


@check(
    "image_max_resolution",
    section="images",
    title="Maximum Resolution",
    default="autofix",
    rule_id="image_high_resolution",
    target="images",
    settings={"dpi": 600},
    autofix="downsample_images",
)
def image_max_resolution(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    limit = float(s.get("dpi") or s.get("max_dpi") or 0)
    if limit <= 0:
        return []
    p = ctx.page
    high = sorted((im for im in p.images if _measurable(im) and im.effective_dpi > limit + 0.5), key=lambda i: -i.effective_dpi)
    target = min(300.0, limit)
    return [
        Violation(
            page=p.page,
            measured={"dpi": round(im.effective_dpi)},
            required={"dpi": round(limit)},
            extra=_img_extra(im),
            values={"actual.max": round(high[0].effective_dpi)},
            rects=[(p.page, im.rect)],
            autofix_params={"targetRes": {"bw": max(round(limit), 600), "gray": round(target), "color": round(target)}},
        )
        for im in high[:MAX_PER_PAGE]
    ]


@check(
    "image_color_mode",
    section="images",
    title="Image Color Mode",
    default="warn",
    rule_id="image_color_mode_not_allowed",
    target="images",
    settings={"allowed": ["CMYK", "Grayscale"]},
    options={"allowed": ["CMYK", "Grayscale", "RGB"]},
)
def image_color_mode(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    allowed = allowed_modes(s.get("allowed"))
    if not allowed:
        return []
    p = ctx.page
    bad = [im for im in p.images if not im.image_mask and im.mode not in ("None", "Mask", "Spot") and im.mode not in allowed]
    if not bad:
        return []
    names = sorted({im.color_space if im.color_space.startswith("Device") else DISPLAY.get(im.mode, im.mode) for im in bad})
    return [
        Violation(
            page=p.page,
            measured={"colorspace": DISPLAY.get(im.mode, im.mode)},
            required={"colorspaces": [DISPLAY.get(m, m) for m in allowed]},
            extra=_img_extra(im),
            values={"actual.colorspaces": ", ".join(names), "target.allowed": display_modes(allowed)},
            rects=[(p.page, im.rect)],
            autofix=False,
        )
        for im in bad[:MAX_PER_PAGE]
    ]


@check(
    "image_compression",
    section="images",
    title="Image Compression",
    default="warn",
    rule_id="image_compression_not_allowed",
    target="images",
    settings={"disallowed": []},
    autofix="recompress_images",
    options={"disallowed": ["JPEG", "JPEG 2000", "Flate/Zip", "LZW", "CCITT", "JBIG2", "Uncompressed"]},
)
def image_compression(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    bad = {_key(str(x)) for x in s.get("disallowed") or []}
    if not bad:
        return []
    p = ctx.page
    hits = [im for im in p.images if _key(compression_of(im)) in bad]
    return [
        Violation(
            page=p.page,
            measured={"compression": compression_of(im)},
            required={"disallowed": s.get("disallowed")},
            extra=_img_extra(im),
            rects=[(p.page, im.rect)],
            autofix_params={"colorFilter": "flate", "grayFilter": "flate", "bwFilter": "flate"},
        )
        for im in hits[:MAX_PER_PAGE]
    ]


@check(
    "image_bit_depth",
    section="images",
    title="Bit Depth",
    default="reject",
    rule_id="image_low_bit_depth",
    target="images",
    settings={"min": 8},
    options={"min": [1, 2, 4, 8, 16]},
)
def image_bit_depth(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    limit = int(s.get("min") or 0)
    if limit <= 1:
        return []
    p = ctx.page
    # Stencil masks and bitonal codecs (CCITT, JBIG2) are 1-bit by design (line art, scans).
    low = [
        im
        for im in p.images
        if not im.image_mask and im.bits < limit and compression_of(im) not in ("CCITT", "JBIG2")
    ]
    return [
        Violation(
            page=p.page,
            measured={"bits": im.bits},
            required={"bits": limit},
            extra=_img_extra(im),
            values={"target.min": limit},
            rects=[(p.page, im.rect)],
            autofix=False,
        )
        for im in low[:MAX_PER_PAGE]
    ]
