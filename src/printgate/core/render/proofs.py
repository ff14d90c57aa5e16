"""Soft proofs: each page with its trim (solid), bleed (dashed) and safety (dotted) lines, every
finding's location marked and labelled with its check's name, and a legend underneath.

A proof shows what will be printed: :func:`render_fixed_proofs` renders it from the file as the
profile's autofixes leave it (CMYK, bleed added...), marking only the findings those fixes did not
resolve. Proofs are sized to be read on a phone and a desktop (the long side about 1600 px).

Coordinates in reports are PDF user space points (x0, y0, x1, y1, origin bottom-left), the same as
``printgate.core.preflight``'s ``locate.boxes``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pikepdf
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


LONG_SIDE_PX = 1600  # readable on a desktop; the widget scales it down on a phone and enlarges on tap
MAX_DPI = 300


def render_proofs(src: Path, report: dict, out_dir: Path, *, dpi: int | None = None, safety_mm: float = 3.0,
                  long_side_px: int = LONG_SIDE_PX, max_pages: int | None = None) -> list[dict]:
    """One PNG proof per page (the first ``max_pages``); returns ``[{page, kind: "proof", path, width,
    height, mimeType, bytes, findings, marks}]``. ``marks`` lists each labelled mark: its ``checkId``,
    ``label`` and pixel boxes (``box`` the mark, ``tag`` its label). Without ``dpi`` the canvas's long
    side is about ``long_side_px`` (at most 300 dpi)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    findings = _findings(report or {})
    required_mm = _required_bleed_mm(findings)
    safety = _safety_mm(findings, safety_mm) * PT_PER_MM
    doc = open_pdf(src)
    results: list[dict] = []
    try:
        count = doc.page_count if max_pages is None else min(doc.page_count, max(1, int(max_pages)))
        for index in range(count):
            number = index + 1
            mine = [f for f in findings if _on_page(f, number)]
            try:
                page = doc.load_page(index)
                results.append(_proof_page(doc, page, number, mine, required_mm, safety, dpi, out_dir, long_side_px))
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
                required_mm: float | None, safety: float, dpi: int | None, out_dir: Path,
                long_side_px: int = LONG_SIDE_PX) -> dict:
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
    if dpi is None:
        dpi = max(36, min(MAX_DPI, round(long_side_px / max(cw, ch, 1.0) * 72)))
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
    marks: list[dict[str, Any]] = []  # (label, colour, pixel box) drawn after the lines
    for finding in findings:
        kind = _kind(str(finding.get("ruleId", "")))
        check_id = str(finding.get("checkId") or finding.get("ruleId") or "")
        label = check_title(check_id)
        colour = _COLOURS[kind]
        rects = [tuple(float(v) for v in b["rect"]) for b in (finding.get("locate") or {}).get("boxes") or []
                 if isinstance(b, dict) and b.get("page") == number and len(b.get("rect") or []) == 4]
        if kind == "bleed":
            req = float(finding.get("required_mm") or required_mm or 3.0) * PT_PER_MM
            need: Rect = (trim[0] - req, trim[1] - req, trim[2] + req, trim[3] + req)
            have = bleed_box or media_r
            have = (max(have[0], media_r[0]), max(have[1], media_r[1]), min(have[2], media_r[2]), min(have[3], media_r[3]))
            bands = _missing_bands(need, have)
            for band in bands:
                odraw.rectangle(px(band), fill=MISSING)
            if bands:
                widest = max(bands, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
                marks.append({"checkId": check_id, "label": label, "colour": colour, "box": px(widest)})
            used.add("bleed")
            continue
        for rect in rects:
            norm = _norm(rect)
            if norm[2] <= media_r[0] or norm[0] >= media_r[2]:
                continue  # the other half of a split spread: the mark is on that page's proof
            if kind == "other" and _covers(norm, trim):
                continue  # a page-wide finding (colour mode, missing TrimBox): nothing to point at
            r = px(norm)
            if kind in ("image", "other"):  # a light halo outside the mark: visible on dark art too
                halo = line * (3 if kind == "image" else 2)
                odraw.rectangle((r[0] - halo, r[1] - halo, r[2] + halo, r[3] + halo), outline=(255, 255, 255, 200),
                                width=max(1, line))
            if kind == "image":
                odraw.rectangle(r, outline=(*IMAGE, 255), width=line * 3)
            elif kind == "hairline":
                grow = 3 * line
                odraw.rectangle((r[0] - grow, r[1] - grow, r[2] + grow, r[3] + grow), fill=(*HAIRLINE, 90),
                                outline=(*HAIRLINE, 255), width=line * 2)
            else:
                odraw.rectangle(r, outline=(*OTHER, 255), width=line * 2)
            if kind == "hairline":
                grow = 3 * line
                r = (r[0] - grow, r[1] - grow, r[2] + grow, r[3] + grow)
            marks.append({"checkId": check_id, "label": label, "colour": colour, "box": r})
            used.add(kind)
    canvas = Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    dash = max(4, round(zoom * 6))
    _pattern_rect(draw, px(trim), TRIM, line, 1, 0)
    _pattern_rect(draw, px(shown_bleed), BLEED, line, dash, dash // 2 + 1)
    safe: Rect = (trim[0] + safety, trim[1] + safety, trim[2] - safety, trim[3] - safety)
    if safe[2] > safe[0] and safe[3] > safe[1]:
        _pattern_rect(draw, px(safe), SAFETY, line, line, line * 2 + 1)
    placed = _label_marks(draw, canvas.size, marks)
    result = _with_legend(canvas, used, rotation)
    path = out_dir / f"proof-{number}.png"
    result.save(path, "PNG", compress_level=6)
    return {"page": number, "kind": "proof", "path": path, "width": result.width, "height": result.height,
            "mimeType": "image/png", "bytes": path.stat().st_size, "findings": len(findings), "marks": placed}


_COLOURS = {"bleed": MISSING[:3], "image": IMAGE, "hairline": HAIRLINE, "other": OTHER}
_TITLES: dict[str, str] = {}


def check_title(check_id: str) -> str:
    """The check's name as the catalog gives it ("Text Safe Zone"); the id when it is not a check."""
    if not _TITLES:
        from printgate.core.preflight import check_catalog

        _TITLES.update({c["id"]: str(c.get("title") or c["id"]) for c in check_catalog()})
    return _TITLES.get(check_id, check_id.replace("_", " ").capitalize() or "Finding")


def _label_marks(draw: ImageDraw.ImageDraw, size: tuple[int, int], marks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A tag with the check's name on each mark: above its top-left corner, or below it when there is
    no room above; one tag per check and place (a check marking ten words gets ten boxes, one tag
    each only where they do not overlap). Returns the marks with their pixel boxes."""
    font_px = max(14, min(28, size[0] // 60))
    font = _font(font_px)
    pad = max(2, font_px // 5)
    taken: list[tuple[float, float, float, float]] = []
    out: list[dict[str, Any]] = []
    for mark in marks:
        x0, y0, _, y1 = mark["box"]
        text = str(mark["label"])
        w = int(font.getlength(text)) + 2 * pad
        h = font_px + 2 * pad
        tx = min(max(0.0, x0), max(0.0, size[0] - w))
        ty = y0 - h - 1 if y0 - h - 1 >= 0 else min(y1 + 1, size[1] - h)
        tag = (tx, ty, tx + w, ty + h)
        if any(_overlap(tag, t) for t in taken):
            out.append({"checkId": mark["checkId"], "label": text, "box": _ints(mark["box"]), "tag": None})
            continue
        taken.append(tag)
        draw.rectangle(tag, fill=tuple(mark["colour"]))
        draw.text((tx + pad, ty + h / 2), text, fill=(255, 255, 255), font=font, anchor="lm")
        out.append({"checkId": mark["checkId"], "label": text, "box": _ints(mark["box"]), "tag": _ints(tag)})
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _ints(box: tuple[float, ...]) -> list[int]:
    return [round(v) for v in box]


def fixed_findings(report: dict, applied: list[dict]) -> dict:
    """The report with the findings an applied fix resolved taken out (by ruleId and page)."""
    done = {(a.get("ruleId"), p) for a in applied for p in (a.get("pages") or [None])}
    done_all = {a.get("ruleId") for a in applied if not a.get("pages")}

    def resolved(f: dict) -> bool:
        rule = f.get("ruleId")
        return rule in done_all or (rule, f.get("page")) in done or (rule, None) in done

    findings = [f for f in _findings(report) if not resolved(f)]
    return {"evaluation": {"findings": findings}}


def _moved(report: dict, transforms: dict[int, list[float]], sources: dict[int, int] | None = None) -> dict:
    """The findings mapped onto the fixed file's pages: rotation baked in, origin moved, and, when a fix
    changed the page count (``sources``: fixed page -> upload page, e.g. a spread split in two), each
    finding and box carried to every page that came from its page (a box outside a page's own area is
    left for the renderer to drop)."""
    if not transforms and not sources:
        return report
    targets: dict[int, list[int]] = {}
    for new, old in sorted((sources or {}).items()):
        targets.setdefault(int(old), []).append(int(new))

    def pages_of(page: object) -> list[Any]:
        return list(targets.get(page, [page])) if sources and isinstance(page, int) else [page]

    out = []
    for finding in _findings(report):
        boxes = []
        for box in (finding.get("locate") or {}).get("boxes") or []:
            if not isinstance(box, dict):
                continue
            for page in pages_of(box.get("page")):
                m = transforms.get(page) if isinstance(page, int) else None
                moved = {**box, "page": page}
                if m is not None and len(box.get("rect") or []) == 4:
                    x0, y0, x1, y1 = (float(v) for v in box["rect"])
                    pts = [(x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]) for x, y in ((x0, y0), (x1, y1))]
                    moved["rect"] = [min(p[0] for p in pts), min(p[1] for p in pts),
                                     max(p[0] for p in pts), max(p[1] for p in pts)]
                boxes.append(moved)
        for page in pages_of(finding.get("page")):
            mine = [b for b in boxes if b.get("page") == page] if isinstance(page, int) and sources else boxes
            out.append({**finding, "page": page, "locate": {**(finding.get("locate") or {}), "boxes": mine}})
    return {"evaluation": {"findings": out}}


def _first_pages(src: Path, report: dict, max_pages: int | None, out_dir: Path) -> tuple[Path, dict]:
    """Only the pages the proof shows are fixed: a long document's first ``max_pages`` pages as a
    file of their own, with the findings on them (and the document's), so the customer waits for
    those and not for the whole book."""
    try:
        with src.open("rb") as fh:
            is_pdf = b"%PDF" in fh.read(1024)
    except OSError:
        is_pdf = False
    if not max_pages or not is_pdf:
        return src, report  # a raster upload is one page
    try:
        with pikepdf.open(src) as pdf:
            if len(pdf.pages) <= max_pages:
                return src, report
            del pdf.pages[max_pages:]
            head = out_dir / "first-pages.pdf"
            pdf.save(head)
    except (pikepdf.PdfError, OSError, ValueError):
        return src, report  # the whole file, then
    findings = []
    for f in _findings(report):
        if isinstance(f.get("page"), int) and f["page"] > max_pages:
            continue
        if isinstance(f.get("pages"), list):
            f = {**f, "pages": [p for p in f["pages"] if isinstance(p, int) and p <= max_pages]}
        findings.append(f)
    return head, {"evaluation": {"findings": findings}}


def render_fixed_proofs(src: Path, report: dict, profile: dict | None, out_dir: Path, *,
                        max_pages: int | None = None, dpi: int | None = None) -> tuple[list[dict], dict]:
    """Proofs of the file as it will be printed: ``src`` with the report's scheduled autofixes applied
    (as the processing autofix applies them), marked with the findings those fixes did not resolve.
    Returns (proof pages, the autofix result: ``outcome``, ``applied``, ``skipped``)."""
    from printgate.core.fixes import run_autofix

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fixed = out_dir / ("fixed" + (Path(src).suffix or ".pdf"))
    src, report = _first_pages(Path(src), report or {}, max_pages, out_dir)
    result = run_autofix(src, fixed, report, profile)
    shown = fixed if result.get("outcome") == "fixed" and fixed.exists() else Path(src)
    remaining = _moved(fixed_findings(report or {}, result.get("applied") or []), result.get("pageTransforms") or {},
                       result.get("pageSources") or {})
    try:
        pages = render_proofs(shown, remaining, out_dir, max_pages=max_pages, dpi=dpi)
    finally:
        fixed.unlink(missing_ok=True)
        (out_dir / "first-pages.pdf").unlink(missing_ok=True)
    return pages, {"outcome": result.get("outcome"), "applied": result.get("applied") or [],
                   "skipped": result.get("skipped") or []}


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
    size = max(14, min(28, canvas.width // 60))
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
