"""Geometry fixes: add bleed, set the TrimBox/BleedBox, normalise page rotation."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pikepdf
import pymupdf
from PIL import Image, ImageOps

from printgate.core.fixes import _jpeg
from printgate.core.fixes import _pages as P
from printgate.core.fixes._tokens import content_bytes, operator_hint
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc

BLEED_DPI = 300
MODES = ("mirror", "stretch", "scale")


@dataclass
class _Band:
    """One area outside the trim to fill, and where to take its pixels from (inside the trim)."""

    dest: P.Rect
    source: P.Rect
    flip_x: bool
    flip_y: bool
    stretch: str | None  # None, "x" or "y": the source is one pixel line stretched across the band


def _bleed_amounts(req: FixRequest, rotate: int) -> dict[str, float]:
    params = req.params
    bleed_mm = params.get("bleed_mm", params.get("required_mm", 3.0))
    try:
        bleed_pt = P.mm(float(bleed_mm))
    except (TypeError, ValueError) as exc:
        raise FixSkipped(f"invalid bleed_mm {bleed_mm!r}") from exc
    if not 0 < bleed_pt <= P.mm(50):
        raise FixSkipped("bleed_mm must be between 0 and 50 mm")
    try:
        sides = P.parse_sides(params.get("sides"))
    except ValueError as exc:
        raise FixSkipped(str(exc)) from exc
    return {P.visual_to_user_side(side, rotate): bleed_pt for side in sides}


@fix(
    "add_bleed",
    order=30,
    summary="Extend artwork past the trim by mirroring, stretching or scaling edge content; "
    "MediaBox/BleedBox grow, TrimBox keeps the finished size.",
    aliases=[("mirror_bleed", {"mode": "mirror"}), ("stretch_bleed", {"mode": "stretch"}),
             ("scale_bleed", {"mode": "scale"}), "bleed"],
    params={"bleed_mm": 3, "mode": "mirror", "sides": "all"},
)
def add_bleed(doc: WorkDoc, req: FixRequest) -> FixResult:
    mode = str(req.params.get("mode", req.params.get("fill", "mirror"))).lower()
    if mode == "none":
        raise FixSkipped("bleed fill is set to None: nothing to generate")
    if mode not in MODES:
        raise FixSkipped(f"unknown bleed mode {mode!r} (mirror, stretch or scale)")
    pdf = doc.pdf
    indexes = req.page_indexes(len(pdf.pages))
    plans: dict[int, tuple[P.Rect, dict[str, float]]] = {}
    for index in indexes:
        page = pdf.pages[index]
        trim = P.trim(page)
        amounts = _bleed_amounts(req, P.rotation(page))
        media = P.box(page, "/MediaBox") or trim
        # Only the part of the bleed the page does not already have is generated.
        have = {
            "left": trim[0] - media[0], "bottom": trim[1] - media[1],
            "right": media[2] - trim[2], "top": media[3] - trim[3],
        }
        need = {side: amount for side, amount in amounts.items() if have[side] < amount - 0.01}
        if need:
            plans[index] = (trim, need)
    if not plans:
        raise FixSkipped("every requested page already has the required bleed", satisfied=True)
    if mode == "scale":
        for index, (trim, need) in plans.items():
            _scale_page(pdf, pdf.pages[index], trim, need)
    else:
        _paint_bands(doc, plans, mode, req.pages_done)
    pdf = doc.pdf
    for index, (trim, need) in plans.items():
        page = pdf.pages[index]
        full = {side: need.get(side, 0.0) for side in P.SIDES}
        new_media = (trim[0] - full["left"], trim[1] - full["bottom"], trim[2] + full["right"], trim[3] + full["top"])
        old_media = P.box(page, "/MediaBox") or trim
        new_media = (min(new_media[0], old_media[0]), min(new_media[1], old_media[1]),
                     max(new_media[2], old_media[2]), max(new_media[3], old_media[3]))
        P.set_box(page, "/MediaBox", new_media)
        P.set_box(page, "/CropBox", new_media)
        P.set_box(page, "/BleedBox", new_media)
        P.set_box(page, "/TrimBox", trim)
    doc.dirty = True
    bleed = max(max(n.values()) for _, n in plans.values()) / P.PT_PER_MM
    return FixResult(
        detail=f"added {bleed:.1f} mm bleed ({mode}) on {len(plans)} page(s)",
        pages=[i + 1 for i in sorted(plans)],
    )


def _scale_page(pdf: pikepdf.Pdf, page: pikepdf.Page, trim: P.Rect, need: dict[str, float]) -> None:
    """Scale the artwork about the trim centre just enough to cover the requested bleed."""
    w, h = trim[2] - trim[0], trim[3] - trim[1]
    left, right = need.get("left", 0.0), need.get("right", 0.0)
    bottom, top = need.get("bottom", 0.0), need.get("top", 0.0)
    s = max((w + left + right) / w, (h + bottom + top) / h)
    # Anchor so the enlarged art covers the requested sides: centre of the target area.
    cx = trim[0] - left + (w + left + right) / 2
    cy = trim[1] - bottom + (h + bottom + top) / 2
    ocx, ocy = (trim[0] + trim[2]) / 2, (trim[1] + trim[3]) / 2
    e, f = cx - s * ocx, cy - s * ocy
    _wrap(pdf, page, f"q {s:.6f} 0 0 {s:.6f} {e:.4f} {f:.4f} cm\n".encode(), b"\nQ\n")


def _wrap(pdf: pikepdf.Pdf, page: pikepdf.Page, before: bytes, after: bytes) -> None:
    page.contents_add(pikepdf.Stream(pdf, before), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, after), prepend=False)


def _bands(trim: P.Rect, need: dict[str, float], mode: str, px_pt: float) -> list[_Band]:
    x0, y0, x1, y1 = trim
    line = 3 * px_pt  # three output pixels: the outermost (anti-aliased) one is dropped, the next is stretched
    L, R = need.get("left", 0.0), need.get("right", 0.0)
    B, T = need.get("bottom", 0.0), need.get("top", 0.0)
    stretch = mode == "stretch"
    bands: list[_Band] = []

    def src_w(amount: float) -> float:
        return line if stretch else min(amount, x1 - x0)

    def src_h(amount: float) -> float:
        return line if stretch else min(amount, y1 - y0)

    if L:
        bands.append(_Band((x0 - L, y0, x0, y1), (x0, y0, x0 + src_w(L), y1), True, False, "x" if stretch else None))
    if R:
        bands.append(_Band((x1, y0, x1 + R, y1), (x1 - src_w(R), y0, x1, y1), True, False, "x" if stretch else None))
    if B:
        bands.append(_Band((x0, y0 - B, x1, y0), (x0, y0, x1, y0 + src_h(B)), False, True, "y" if stretch else None))
    if T:
        bands.append(_Band((x0, y1, x1, y1 + T), (x0, y1 - src_h(T), x1, y1), False, True, "y" if stretch else None))
    corners = [("left", "bottom"), ("right", "bottom"), ("left", "top"), ("right", "top")]
    for hs, vs in corners:
        a, b = need.get(hs, 0.0), need.get(vs, 0.0)
        if not (a and b):
            continue
        dx0, dx1 = (x0 - a, x0) if hs == "left" else (x1, x1 + a)
        dy0, dy1 = (y0 - b, y0) if vs == "bottom" else (y1, y1 + b)
        sw, sh = src_w(a), src_h(b)
        sx0, sx1 = (x0, x0 + sw) if hs == "left" else (x1 - sw, x1)
        sy0, sy1 = (y0, y0 + sh) if vs == "bottom" else (y1 - sh, y1)
        bands.append(_Band((dx0, dy0, dx1, dy1), (sx0, sy0, sx1, sy1), True, True, "xy" if stretch else None))
    return bands


def _paint_bands(doc: WorkDoc, plans: dict[int, tuple[P.Rect, dict[str, float]]], mode: str,
                 on_pages: Callable[[int, int], None]) -> None:
    intent_cmyk = _prefers_cmyk(doc.pdf)
    # Bleed pixels follow the page: RGB only where the page itself paints RGB, so fixing the bleed of
    # a CMYK or gray page never introduces RGB (which a print profile would then flag).
    page_cmyk = {index: intent_cmyk or not _page_uses_rgb(doc.pdf.pages[index]) for index in plans}
    path = doc.as_file()
    images: dict[int, list[tuple[_Band, Image.Image | str]]] = {}
    with pymupdf.open(path) as fdoc:
        for done, (index, (trim, need)) in enumerate(plans.items(), 1):
            fpage = fdoc.load_page(index)
            fpage.set_rotation(0)
            media = fpage.mediabox  # PDF coordinates; set_cropbox takes them from the MediaBox's top
            fpage.set_cropbox(pymupdf.Rect(media.x0, 0, media.x1, media.y1 - media.y0))
            w, h = trim[2] - trim[0], trim[3] - trim[1]
            zoom = min(BLEED_DPI / 72.0, 12000 / max(w, h))
            matrix = fpage.transformation_matrix
            out: list[tuple[_Band, Image.Image | str]] = []
            cmyk = page_cmyk[index]
            # One display list per page: each strip's pixmap would otherwise re-interpret the page.
            shown = fpage.get_displaylist()
            for band in _bands(trim, need, mode, 72.0 / (zoom * 72.0)):
                clip = pymupdf.Rect(*band.source) * matrix
                pix = shown.get_pixmap(
                    matrix=pymupdf.Matrix(zoom, zoom), clip=clip, alpha=False,
                    colorspace=pymupdf.csCMYK if cmyk else pymupdf.csRGB,
                )
                samples = pix.samples
                flat = _flat_samples(samples, pix.n, cmyk)
                if flat is not None:
                    # One colour throughout (a book's white margin): no image to build, crop or flip.
                    out.append((band, flat))
                    continue
                img = Image.frombytes("CMYK" if cmyk else "RGB", (pix.width, pix.height), samples)
                img = _drop_edge_pixels(img, band.source, trim)
                if band.stretch:
                    dw = max(1, round((band.dest[2] - band.dest[0]) * zoom))
                    dh = max(1, round((band.dest[3] - band.dest[1]) * zoom))
                    cx, cy = img.width // 2, img.height // 2
                    if band.stretch == "x":
                        img = img.crop((cx, 0, cx + 1, img.height)).resize((dw, img.height), Image.Resampling.NEAREST)
                    elif band.stretch == "y":
                        img = img.crop((0, cy, img.width, cy + 1)).resize((img.width, dh), Image.Resampling.NEAREST)
                    else:
                        img = img.crop((cx, cy, cx + 1, cy + 1)).resize((dw, dh), Image.Resampling.NEAREST)
                else:
                    if band.flip_x:
                        img = ImageOps.mirror(img)
                    if band.flip_y:
                        img = ImageOps.flip(img)
                out.append((band, img))
            images[index] = out
            on_pages(done, len(plans))  # rendering the strips is the long part
    pdf = doc.pdf
    # Identical strips (the white margins of a book: the same on every page) are stored once. On a
    # page with photos the strips are JPEG, at the best quality of the page's own JPEGs: mirrored
    # photo edges stored with Flate weigh as much as the photo itself.
    shared: dict[tuple[str, int, int, bytes], pikepdf.Object] = {}
    jpegs: list[tuple[pikepdf.Object, Image.Image, _jpeg.JpegInfo]] = []
    for index, bands in images.items():
        page = pdf.pages[index]
        quality = _page_jpeg_quality(page)
        ops = [b"q"]
        for n, (band, strip) in enumerate(bands):
            # A hair of overlap hides anti-aliasing seams between neighbouring bands; the original
            # artwork is drawn on top, so the overlap into the trim area is never visible.
            ov = 0.3
            x0, y0, x1, y1 = band.dest[0] - ov, band.dest[1] - ov, band.dest[2] + ov, band.dest[3] + ov
            flat = strip if isinstance(strip, str) else _flat_fill(strip)
            if flat is not None:
                # One colour (a book's white margin): a filled rectangle of that colour is the same
                # bleed, with no image for a later Ghostscript pass to convert and re-encode per page.
                ops.append(f"q {flat} {x0:.4f} {y0:.4f} {x1 - x0:.4f} {y1 - y0:.4f} re f Q".encode())
                continue
            assert not isinstance(strip, str)
            img = strip
            name = pikepdf.Name(f"/PgBleed{n}")
            data = img.tobytes()
            key = (img.mode, img.width, img.height, hashlib.sha256(data).digest() + bytes([quality or 0]))
            if key not in shared:
                stream = pikepdf.Stream(pdf, zlib.compress(data, 6))
                stream.Type = pikepdf.Name.XObject
                stream.Subtype = pikepdf.Name.Image
                stream.Width, stream.Height = img.width, img.height
                stream.ColorSpace = pikepdf.Name.DeviceCMYK if img.mode == "CMYK" else pikepdf.Name.DeviceRGB
                stream.BitsPerComponent = 8
                stream.Filter = pikepdf.Name.FlateDecode
                shared[key] = pdf.make_indirect(stream)
                if quality is not None and min(img.size) >= 8:
                    jpegs.append((shared[key], img, _jpeg.JpegInfo(quality, 1, 1)))
            page.add_resource(shared[key], pikepdf.Name.XObject, name, prefix="", replace_existing=True)
            ops.append(f"q {x1 - x0:.4f} 0 0 {y1 - y0:.4f} {x0:.4f} {y0:.4f} cm {name} Do Q".encode())
        ops.append(b"Q\n")
        page.contents_add(pikepdf.Stream(pdf, b"\n".join(ops)), prepend=True)
    _jpeg_strips(doc, jpegs)
    doc.dirty = True
    doc.bleed_images_added = doc.bleed_images_added or bool(shared)


def _flat_fill(img: Image.Image) -> str | None:
    """The fill operator of a strip that is one colour throughout (``r g b rg`` / ``c m y k k``)."""
    extrema = img.getextrema()
    if any(low != high for low, high in extrema):  # type: ignore[misc]
        return None
    values = " ".join(f"{low / 255:.4g}" for low, _ in extrema)  # type: ignore[misc]
    return f"{values} {'k' if img.mode == 'CMYK' else 'rg'}"


def _flat_samples(samples: bytes, n: int, cmyk: bool) -> str | None:
    """:func:`_flat_fill` straight from a pixmap's samples, when every pixel is the first one."""
    first = samples[:n]
    if len(first) != n or samples != first * (len(samples) // n):
        return None
    values = " ".join(f"{v / 255:.4g}" for v in first)
    return f"{values} {'k' if cmyk else 'rg'}"


def _page_jpeg_quality(page: pikepdf.Page) -> int | None:
    """The best quality among the JPEG images the page draws directly, None without any."""
    resources: Any = page.obj.get("/Resources") or pikepdf.Dictionary()
    found = [_jpeg.inspect(bytes(xo.read_raw_bytes())).quality
             for xo in (resources.get("/XObject") or pikepdf.Dictionary()).values()
             if xo.get("/Subtype") == pikepdf.Name.Image and _jpeg.is_dct(xo)]
    return max(found) if found else None


def _jpeg_strips(doc: WorkDoc, jpegs: list[tuple[pikepdf.Object, Image.Image, _jpeg.JpegInfo]]) -> None:
    """Re-store the strips cut from photo pages as JPEG (CMYK ones in one Ghostscript run)."""
    cmyk = [(s, i, q) for s, i, q in jpegs if i.mode == "CMYK"]
    encoded = _jpeg.encode_cmyk([i for _, i, _ in cmyk], [q for _, _, q in cmyk], doc.workdir) if cmyk else []
    for (stream, _, _), enc in zip(cmyk, encoded, strict=True):
        _jpeg.store(stream, enc)
    for stream, img, info in jpegs:
        if img.mode != "CMYK":
            _jpeg.store(stream, _jpeg.encode(img, info))


def _drop_edge_pixels(img: Image.Image, source: P.Rect, trim: P.Rect) -> Image.Image:
    """Cut the anti-aliased pixel row/column where the strip meets the page edge (it is half white)."""
    left = int(abs(source[0] - trim[0]) < 1e-6 and img.width > 2)
    right = int(abs(source[2] - trim[2]) < 1e-6 and img.width > 2)
    top = int(abs(source[3] - trim[3]) < 1e-6 and img.height > 2)
    bottom = int(abs(source[1] - trim[1]) < 1e-6 and img.height > 2)
    if left + right >= img.width or top + bottom >= img.height:
        return img
    return img.crop((left, top, img.width - right, img.height - bottom))


_RGB_OPERATORS = {"rg", "RG"}
_RGB_HINT = operator_hint(*_RGB_OPERATORS)


def _is_rgb_space(space: object) -> bool:
    if isinstance(space, pikepdf.Name):
        return str(space) in ("/DeviceRGB", "/CalRGB")
    if isinstance(space, pikepdf.Array) and len(space) >= 2:
        family = str(space[0])
        if family == "/ICCBased":
            try:
                return int(space[1].get("/N", 0)) == 3
            except (AttributeError, TypeError, ValueError):
                return False
        return family in ("/CalRGB",)
    return False


def _page_uses_rgb(page: pikepdf.Page) -> bool:
    """Does the page paint in RGB (operators, images or colour spaces in its resources)?"""
    try:
        if _RGB_HINT.search(content_bytes(page)):  # else no rg/RG operator can be in it: no parse
            for instruction in pikepdf.parse_content_stream(page):
                if str(instruction.operator) in _RGB_OPERATORS:
                    return True
        resources = page.obj.get("/Resources") or pikepdf.Dictionary()
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Image and _is_rgb_space(xobject.get("/ColorSpace")):
                return True
        return any(_is_rgb_space(space) for space in (resources.get("/ColorSpace") or {}).values())
    except (pikepdf.PdfError, ValueError, TypeError):
        return True  # unknown: keep the screen-friendly default


def _prefers_cmyk(pdf: pikepdf.Pdf) -> bool:
    """Generate bleed pixels in CMYK when the file is a CMYK print file (CMYK output intent)."""
    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.get("/DestOutputProfile")
        if profile is not None and int(profile.get("/N", 0)) == 4:
            return True
    return False


@fix(
    "set_trimbox",
    order=25,
    summary="Set TrimBox (and BleedBox) explicitly: inset by the bleed when the upload is order size + bleed, "
    "or centred at the order size.",
    aliases=["trimbox", "set_bleedbox", "align_boxes", "trimbox_missing"],
)
def set_trimbox(doc: WorkDoc, req: FixRequest) -> FixResult:
    params = req.params
    pdf = doc.pdf
    changed: list[int] = []
    for index in req.page_indexes(len(pdf.pages)):
        page = pdf.pages[index]
        media = P.box(page, "/MediaBox")
        crop = P.box(page, "/CropBox") or media
        if media is None or crop is None:
            continue
        visible = P.intersect(crop, media)
        width_mm, height_mm = params.get("width_mm"), params.get("height_mm")
        rect = params.get("rect")
        inset = params.get("inset_mm", params.get("bleed_mm"))
        if rect is not None and len(rect) == 4:
            measured = P.norm(rect)
            if index in doc.page_transforms:
                measured = _map_rect(doc.page_transforms[index], measured)
            trim = P.intersect(measured, media)
            if trim[2] - trim[0] < 3 or trim[3] - trim[1] < 3:
                raise FixSkipped("the requested TrimBox lies outside the page")
        elif width_mm and height_mm:
            tw, th = P.mm(float(width_mm)), P.mm(float(height_mm))
            if P.rotation(page) % 180 == 90:
                tw, th = th, tw
            cx, cy = (visible[0] + visible[2]) / 2, (visible[1] + visible[3]) / 2
            if tw > visible[2] - visible[0] + 0.5 or th > visible[3] - visible[1] + 0.5:
                raise FixSkipped(
                    f"the page is smaller than the requested trim size {width_mm} x {height_mm} mm"
                )
            trim = (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)
        elif inset is not None:
            d = P.mm(float(inset))
            trim = (visible[0] + d, visible[1] + d, visible[2] - d, visible[3] - d)
            if trim[2] - trim[0] < 3 or trim[3] - trim[1] < 3:
                raise FixSkipped(f"an inset of {inset} mm leaves no page")
        else:
            existing = P.box(page, "/TrimBox")
            trim = P.intersect(existing, visible) if existing else visible
        before = (P.box(page, "/TrimBox"), P.box(page, "/BleedBox"))
        P.set_box(page, "/TrimBox", trim)
        P.set_box(page, "/BleedBox", visible)
        if before != (P.box(page, "/TrimBox"), P.box(page, "/BleedBox")):
            changed.append(index + 1)
    if not changed:
        raise FixSkipped("the TrimBox and BleedBox were already set as requested")
    doc.dirty = True
    return FixResult(detail=f"set TrimBox/BleedBox on {len(changed)} page(s)", pages=changed)


def _rotation_matrix(rotate: int, media: P.Rect) -> tuple[float, float, float, float, float, float]:
    x0, y0, x1, y1 = media
    if rotate == 90:
        return (0, -1, 1, 0, -y0, x1)
    if rotate == 180:
        return (-1, 0, 0, -1, x1, y1)
    if rotate == 270:
        return (0, 1, -1, 0, y1, -x0)
    return (1, 0, 0, 1, -x0, -y0)


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _map_rect(m: tuple[float, ...], rect: P.Rect) -> P.Rect:
    p = _apply(m, rect[0], rect[1])
    q = _apply(m, rect[2], rect[3])
    return P.norm((p[0], p[1], q[0], q[1]))


@fix(
    "normalize_rotation",
    order=20,
    summary="Bake /Rotate into the page content so every page has /Rotate 0 and looks the same.",
    aliases=["straighten_rotation", "fix_rotation", "rotation"],
)
def normalize_rotation(doc: WorkDoc, req: FixRequest) -> FixResult:
    pdf = doc.pdf
    changed: list[int] = []
    for index in req.page_indexes(len(pdf.pages)):
        page = pdf.pages[index]
        rotate = P.rotation(page)
        if rotate % 90:
            rotate = (round(rotate / 90) * 90) % 360
        if rotate == 0:
            if "/Rotate" in page.obj and int(page.obj.Rotate) != 0:
                page.obj.Rotate = 0
                changed.append(index + 1)
            continue
        media = P.box(page, "/MediaBox")
        if media is None:
            continue
        m = _rotation_matrix(rotate, media)
        boxes = {name: P.box(page, name) for name in ("/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")}
        explicit = {name for name in boxes if name in page.obj}
        _wrap(pdf, page, ("q " + " ".join(f"{v:g}" for v in m) + " cm\n").encode(), b"\nQ\n")
        P.set_box(page, "/MediaBox", _map_rect(m, media))
        for name, rect in boxes.items():
            if rect is not None and (name in explicit or name == "/CropBox"):
                P.set_box(page, name, _map_rect(m, rect))
        for annot in page.obj.get("/Annots", []):
            if "/Rect" in annot:
                annot.Rect = pikepdf.Array(list(_map_rect(m, P.norm(annot.Rect))))
        page.obj.Rotate = 0
        doc.page_transforms[index] = m
        changed.append(index + 1)
    if not changed:
        raise FixSkipped("no page is rotated", satisfied=True)
    doc.dirty = True
    return FixResult(detail=f"straightened {len(changed)} rotated page(s); /Rotate is now 0", pages=changed)


@fix("split_spreads", order=22, summary="Split spread pages (two pages side by side) into single pages at the spine.",
     aliases=["page_layout", "split_pages"])
def split_spreads(doc: WorkDoc, req: FixRequest) -> FixResult:
    pdf = doc.pdf
    wanted = req.params.get("split") or req.pages or []
    pages = sorted({int(p) for p in wanted if 1 <= int(p) <= len(pdf.pages)}, reverse=True)
    if not pages:
        raise FixSkipped("no spread pages to split")
    for number in pages:
        page = pdf.pages[number - 1]
        if P.rotation(page) % 180:
            raise FixSkipped(f"page {number} is rotated; straighten it before splitting")
        trim = P.trim(page)
        media = P.box(page, "/MediaBox") or trim
        mid = (trim[0] + trim[2]) / 2
        # The facing page's artwork across the spine becomes each half's bleed on its inner edge,
        # as wide as the bleed the spread already has on its outer edges.
        bleed = max(0.0, min(trim[0] - media[0], media[2] - trim[2]))
        if P.rotation(page) == 180:
            left_half, right_half = "right", "left"
        else:
            left_half, right_half = "left", "right"
        boxes = {name: P.box(page, name) for name in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")}
        doc.split_page(number - 1)
        pdf.pages.insert(number, page)
        halves = {number - 1: left_half, number: right_half}
        for index, half in halves.items():
            target = pdf.pages[index]
            for name, rect in boxes.items():
                if rect is None or (name not in page.obj and name not in ("/MediaBox", "/CropBox")):
                    continue
                edge = mid if name in ("/TrimBox", "/ArtBox") else (mid + bleed if half == "left" else mid - bleed)
                cut = (rect[0], rect[1], min(rect[2], edge), rect[3]) if half == "left" else (max(rect[0], edge), rect[1], rect[2], rect[3])
                P.set_box(target, name, cut)
    doc.dirty = True
    return FixResult(f"split {len(pages)} spread(s) into single pages", sorted(pages))
