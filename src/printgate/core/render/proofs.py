"""Soft proofs: each page with its trim (solid), bleed (dashed) and safety (dotted) lines, every
finding's location marked, and a small legend underneath.

Coordinates in reports are PDF user space points (x0, y0, x1, y1, origin bottom-left), the same as
``printgate.core.preflight``'s ``locate.boxes``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pymupdf
from PIL import Image, ImageDraw, ImageFont

from printgate.core.errors import UnreadableFile
from printgate.core.render._document import open_pdf, safe_zoom

PT_PER_MM = 72.0 / 25.4
Rect = tuple[float, float, float, float]

OUTSIDE = (205, 208, 214)
TRIM = (20, 20, 20)
BLEED = (214, 40, 40)
SAFETY = (20, 140, 60)
MISSING = (230, 30, 30, 110)
IMAGE = (255, 140, 0)
HAIRLINE = (220, 0, 200)
OTHER = (30, 90, 220)
LEGEND_BG = (250, 250, 250)


def _kind(rule_id: str) -> str:
    rule = rule_id.lower()
    if "bleed" in rule:
        return "bleed"
    if rule.startswith("image") or "resolution" in rule:
        return "image"
    if "stroke" in rule or "hairline" in rule:
        return "hairline"
    return "other"


def _pdf_box(doc: pymupdf.Document, page: pymupdf.Page, key: str) -> Rect | None:
    kind, value = doc.xref_get_key(page.xref, key)
    if kind != "array":
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.strip("[]").split())
    except ValueError:
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _findings(report: dict) -> list[dict]:
    if "evaluation" not in report and isinstance(report.get("report"), dict):
        report = report["report"]
    return [f for f in (report.get("evaluation") or {}).get("findings") or [] if isinstance(f, dict)]


def _required_bleed_mm(findings: Iterable[dict]) -> float | None:
    for f in findings:
        if _kind(str(f.get("ruleId", ""))) == "bleed":
            value = f.get("required_mm") or ((f.get("autofix") or {}).get("params") or {}).get("bleed_mm")
            if value:
                return float(value)
    return None


def _safety_mm(findings: Iterable[dict], default: float) -> float:
    for f in findings:
        if str(f.get("ruleId", "")).startswith("content_in_safety") and f.get("required_mm"):
            return float(f["required_mm"])
    return default


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def _pattern_rect(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], color: tuple, width: int,
                  on: int, off: int) -> None:
    """A rectangle outline drawn as dashes (``on`` px drawn, ``off`` px skipped); off=0 is solid."""
    x0, y0, x1, y1 = box
    if off == 0:
        draw.rectangle((x0, y0, x1, y1), outline=color, width=width)
        return
    for (ax, ay), (bx, by) in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        length = max(abs(bx - ax), abs(by - ay))
        steps = int(length // (on + off)) + 1
        for i in range(steps):
            s = i * (on + off)
            e = min(s + on, length)
            if s >= length:
                break
            fx, fy = (bx - ax) / length if length else 0, (by - ay) / length if length else 0
            draw.line((ax + fx * s, ay + fy * s, ax + fx * e, ay + fy * e), fill=color, width=width)


def render_proofs(src: Path, report: dict, out_dir: Path, *, dpi: int = 100, safety_mm: float = 3.0) -> list[dict]:
    """One PNG proof per page; returns ``[{page, kind: "proof", path, width, height, mimeType, bytes, findings}]``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    findings = _findings(report or {})
    required_mm = _required_bleed_mm(findings)
    safety = _safety_mm(findings, safety_mm) * PT_PER_MM
    doc = open_pdf(src)
    results: list[dict] = []
    try:
        for index in range(doc.page_count):
            number = index + 1
            mine = [f for f in findings if _on_page(f, number)]
            try:
                page = doc.load_page(index)
                results.append(_proof_page(doc, page, number, mine, required_mm, safety, dpi, out_dir))
            except UnreadableFile:
                raise
            except Exception as exc:  # MuPDF's errors on a broken page (cycles, bad xref...)
                raise UnreadableFile(f"page {number} cannot be rendered: {exc}") from exc
    finally:
        doc.close()
    return results


def _on_page(finding: dict, number: int) -> bool:
    boxes = (finding.get("locate") or {}).get("boxes") or []
    if any(b.get("page") == number for b in boxes if isinstance(b, dict)):
        return True
    return finding.get("page") == number and _kind(str(finding.get("ruleId", ""))) == "bleed"


def _proof_page(doc: pymupdf.Document, page: pymupdf.Page, number: int, findings: list[dict],
                required_mm: float | None, safety: float, dpi: int, out_dir: Path) -> dict:
    media = page.mediabox
    media_r: Rect = (media.x0, media.y0, media.x1, media.y1)
    trim = _pdf_box(doc, page, "TrimBox") or _pdf_box(doc, page, "ArtBox") or _crop_pdf(page, media_r)
    bleed_box = _pdf_box(doc, page, "BleedBox")
    bleed_pt = (required_mm or 3.0) * PT_PER_MM
    want_bleed: Rect = (trim[0] - bleed_pt, trim[1] - bleed_pt, trim[2] + bleed_pt, trim[3] + bleed_pt)
    shown_bleed = bleed_box if bleed_box and bleed_box != trim else want_bleed
    # The canvas shows the whole MediaBox plus room to draw a bleed the page does not have yet.
    canvas_pdf: Rect = (min(media_r[0], want_bleed[0]), min(media_r[1], want_bleed[1]),
                        max(media_r[2], want_bleed[2]), max(media_r[3], want_bleed[3]))
    pad = 4 * PT_PER_MM
    canvas_pdf = (canvas_pdf[0] - pad, canvas_pdf[1] - pad, canvas_pdf[2] + pad, canvas_pdf[3] + pad)

    page.set_cropbox(page.mediabox)
    rotation = page.rotation
    cw, ch = canvas_pdf[2] - canvas_pdf[0], canvas_pdf[3] - canvas_pdf[1]
    zoom = safe_zoom(cw, ch, dpi)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False, colorspace=pymupdf.csRGB)
    art = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)

    to_px = page.transformation_matrix * page.rotation_matrix * pymupdf.Matrix(zoom, zoom)
    corner = pymupdf.Rect(*canvas_pdf) * to_px
    media_px = pymupdf.Rect(*media_r) * to_px
    offset = (-corner.x0, -corner.y0)
    size = (max(1, round(corner.width)), max(1, round(corner.height)))
    canvas = Image.new("RGB", size, OUTSIDE)
    canvas.paste(art, (round(media_px.x0 + offset[0]), round(media_px.y0 + offset[1])))

    def px(rect: Rect) -> tuple[float, float, float, float]:
        r = pymupdf.Rect(*rect) * to_px
        return (r.x0 + offset[0], r.y0 + offset[1], r.x1 + offset[0], r.y1 + offset[1])

    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    odraw = ImageDraw.Draw(overlay)
    used: set[str] = set()
    line = max(1, round(zoom * 0.75))
    for finding in findings:
        kind = _kind(str(finding.get("ruleId", "")))
        rects = [tuple(float(v) for v in b["rect"]) for b in (finding.get("locate") or {}).get("boxes") or []
                 if isinstance(b, dict) and b.get("page") == number and len(b.get("rect") or []) == 4]
        if kind == "bleed":
            req = float(finding.get("required_mm") or required_mm or 3.0) * PT_PER_MM
            need: Rect = (trim[0] - req, trim[1] - req, trim[2] + req, trim[3] + req)
            have = bleed_box or media_r
            have = (max(have[0], media_r[0]), max(have[1], media_r[1]), min(have[2], media_r[2]), min(have[3], media_r[3]))
            for band in _missing_bands(need, have):
                odraw.rectangle(px(band), fill=MISSING)
            used.add("bleed")
            continue
        for rect in rects:
            norm = _norm(rect)
            if kind == "other" and _covers(norm, trim):
                continue  # a page-wide finding (colour mode, missing TrimBox): nothing to point at
            r = px(norm)
            if kind == "image":
                odraw.rectangle(r, outline=(*IMAGE, 255), width=line * 3)
            elif kind == "hairline":
                grow = 3 * line
                odraw.rectangle((r[0] - grow, r[1] - grow, r[2] + grow, r[3] + grow), fill=(*HAIRLINE, 90),
                                outline=(*HAIRLINE, 255), width=line * 2)
            else:
                odraw.rectangle(r, outline=(*OTHER, 255), width=line * 2)
            used.add(kind)
    canvas = Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    dash = max(4, round(zoom * 6))
    _pattern_rect(draw, px(trim), TRIM, line, 1, 0)
    _pattern_rect(draw, px(shown_bleed), BLEED, line, dash, dash // 2 + 1)
    safe: Rect = (trim[0] + safety, trim[1] + safety, trim[2] - safety, trim[3] - safety)
    if safe[2] > safe[0] and safe[3] > safe[1]:
        _pattern_rect(draw, px(safe), SAFETY, line, line, line * 2 + 1)
    result = _with_legend(canvas, used, rotation)
    path = out_dir / f"proof-{number}.png"
    result.save(path, "PNG", compress_level=6)
    return {"page": number, "kind": "proof", "path": path, "width": result.width, "height": result.height,
            "mimeType": "image/png", "bytes": path.stat().st_size, "findings": len(findings)}


def _crop_pdf(page: pymupdf.Page, media: Rect) -> Rect:
    c = page.cropbox  # MuPDF reports the CropBox flipped into its own y-down space
    return (c.x0, media[1] + (media[3] - c.y1), c.x1, media[1] + (media[3] - c.y0))


def _covers(rect: Rect, trim: Rect) -> bool:
    area = max(0.0, trim[2] - trim[0]) * max(0.0, trim[3] - trim[1])
    ix = max(0.0, min(rect[2], trim[2]) - max(rect[0], trim[0]))
    iy = max(0.0, min(rect[3], trim[3]) - max(rect[1], trim[1]))
    return area > 0 and ix * iy >= 0.9 * area


def _norm(rect: tuple[float, ...]) -> Rect:
    x0, y0, x1, y1 = rect[:4]
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _missing_bands(need: Rect, have: Rect) -> list[Rect]:
    """The parts of ``need`` outside ``have`` (up to four bands)."""
    bands: list[Rect] = []
    if have[0] > need[0]:
        bands.append((need[0], need[1], have[0], need[3]))
    if have[2] < need[2]:
        bands.append((have[2], need[1], need[2], need[3]))
    if have[1] > need[1]:
        bands.append((max(need[0], have[0]), need[1], min(need[2], have[2]), have[1]))
    if have[3] < need[3]:
        bands.append((max(need[0], have[0]), have[3], min(need[2], have[2]), need[3]))
    return bands


def _with_legend(canvas: Image.Image, used: set[str], rotation: int) -> Image.Image:
    size = max(11, min(16, canvas.width // 45))
    font = _font(size)
    entries: list[tuple[str, Any]] = [("Trim", ("line", TRIM, 0)), ("Bleed", ("line", BLEED, 1)), ("Safety", ("line", SAFETY, 2))]
    labels = {"bleed": ("Missing bleed", ("fill", MISSING[:3])), "image": ("Image issue", ("box", IMAGE)),
              "hairline": ("Thin line", ("fill", HAIRLINE)), "other": ("Other finding", ("box", OTHER))}
    entries += [labels[k] for k in ("bleed", "image", "hairline", "other") if k in used]
    swatch = size * 2
    gap = size
    height = size * 2 + 4
    rows: list[list[tuple[str, Any]]] = [[]]
    x = gap
    for label, spec in entries:
        w = swatch + 6 + int(font.getlength(label)) + gap * 2
        if x + w > canvas.width and rows[-1]:
            rows.append([])
            x = gap
        rows[-1].append((label, spec))
        x += w
    out = Image.new("RGB", (canvas.width, canvas.height + height * len(rows)), LEGEND_BG)
    out.paste(canvas, (0, 0))
    draw = ImageDraw.Draw(out)
    for r, row in enumerate(rows):
        x = gap
        y = canvas.height + r * height + height // 2
        for label, spec in row:
            kind, color = spec[0], spec[1]
            if kind == "line":
                style = spec[2]
                if style == 0:
                    draw.line((x, y, x + swatch, y), fill=color, width=2)
                else:
                    step = 6 if style == 1 else 3
                    for s in range(0, swatch, step * 2 if style == 1 else step + 2):
                        draw.line((x + s, y, x + min(s + step, swatch), y), fill=color, width=2)
            elif kind == "fill":
                draw.rectangle((x, y - size // 2, x + swatch, y + size // 2), fill=color)
            else:
                draw.rectangle((x, y - size // 2, x + swatch, y + size // 2), outline=color, width=2)
            draw.text((x + swatch + 6, y), label, fill=(30, 30, 30), font=font, anchor="lm")
            x += swatch + 6 + int(font.getlength(label)) + gap * 2
    return out
