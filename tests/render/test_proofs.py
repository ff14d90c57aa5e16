from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageDraw

from printgate.core.errors import UnreadableFile
from printgate.core.render import render_proofs

MM = 72 / 25.4


def _finding(rule: str, page: int, rect: list[float], **extra) -> dict:
    return {"ruleId": rule, "page": page, "autofix": {"available": False},
            "locate": {"boxes": [{"page": page, "rect": rect}]}, **extra}


def _report(*findings: dict) -> dict:
    return {"evaluation": {"findings": list(findings)}}


def _pixel_box(entry: dict, rect_pt: list[float], page_h: float, dpi: int, pad_pt: float) -> tuple[int, int, int, int]:
    """Pixel box of a PDF rect on a proof whose canvas starts ``pad_pt`` left/above the page."""
    z = dpi / 72
    x0, y0, x1, y1 = rect_pt
    return (round((x0 + pad_pt) * z), round((page_h - y1 + pad_pt) * z), round((x1 + pad_pt) * z), round((page_h - y0 + pad_pt) * z))


def test_one_proof_per_page_with_legend(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(300, 200), (300, 200)])
    out = render_proofs(src, _report(), tmp_path / "p", dpi=72)
    assert [e["page"] for e in out] == [1, 2]
    for entry in out:
        assert entry["kind"] == "proof" and entry["mimeType"] == "image/png"
        with Image.open(entry["path"]) as im:
            assert im.size == (entry["width"], entry["height"])
            # page + 3 mm bleed + 4 mm margin on each side, plus a legend strip underneath
            assert im.width == round(300 + 2 * 7 * MM)
            assert im.height > round(200 + 2 * 7 * MM)


def test_marked_findings_change_the_proof_where_they_are(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(300, 200)])
    plain = render_proofs(src, _report(), tmp_path / "a", dpi=72)[0]
    image_rect, hair_rect = [200.0, 120.0, 260.0, 180.0], [20.0, 40.0, 120.0, 40.0]
    marked = render_proofs(src, _report(_finding("image_low_resolution", 1, image_rect),
                                        _finding("stroke_too_thin", 1, hair_rect)), tmp_path / "b", dpi=72)[0]
    assert marked["findings"] == 2
    with Image.open(plain["path"]) as a, Image.open(marked["path"]) as b:
        a, b = a.convert("RGB"), b.convert("RGB")
        body = (0, 0, a.width, round(200 + 14 * MM))
        diff = ImageChops.difference(a.crop(body), b.crop(body))
        bbox = diff.getbbox()
        assert bbox is not None
        pad = 7 * MM
        img_px = _pixel_box(marked, image_rect, 200, 72, pad)
        hair_px = _pixel_box(marked, hair_rect, 200, 72, pad)
        # every changed pixel is near one of the two marked boxes or on the tag naming its check
        tags = {m["checkId"]: m["tag"] for m in marked["marks"]}
        assert set(tags) == {"image_low_resolution", "stroke_too_thin"}
        allowed = Image.new("L", a.size, 0)
        paint = ImageDraw.Draw(allowed)
        for box in (img_px, hair_px):
            paint.rectangle((box[0] - 8, box[1] - 8, box[2] + 8, box[3] + 8), fill=255)
        for tag in tags.values():
            paint.rectangle((tag[0] - 2, tag[1] - 2, tag[2] + 2, tag[3] + 2), fill=255)  # anti-aliased edge
        changed = diff.convert("L").point(lambda v: 255 if v else 0)
        assert ImageChops.subtract(changed, allowed.crop(body)).getbbox() is None
        # each tag sits against its mark: over the same columns, right above it or right below it
        for box, tag in ((img_px, tags["image_low_resolution"]), (hair_px, tags["stroke_too_thin"])):
            assert tag[0] < box[2] and box[0] < tag[2]
            assert abs(tag[3] - box[1]) <= 12 or abs(tag[1] - box[3]) <= 12
        # the image outline is orange-ish on its edge
        r, g, bl = b.getpixel((img_px[0] + 1, (img_px[1] + img_px[3]) // 2))
        assert r > 200 and 80 < g < 200 and bl < 80


def test_missing_bleed_edge_is_shaded(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(300, 200)])
    plain = render_proofs(src, _report(), tmp_path / "a", dpi=72)[0]
    shaded = render_proofs(src, _report(_finding("bleed_missing", 1, [0, 0, 300, 200], required_mm=3)), tmp_path / "b", dpi=72)[0]
    x = round((7 - 1.5) * MM)  # in the middle of the 3 mm band left of the trim
    y = shaded["height"] // 3
    with Image.open(plain["path"]) as a, Image.open(shaded["path"]) as b:
        before, after = a.convert("RGB").getpixel((x, y)), b.convert("RGB").getpixel((x, y))
    assert before != after
    assert after[0] > after[1] + 40  # reddish


def test_existing_bleed_box_is_drawn_and_not_shaded(tmp_path: Path, make_pdf) -> None:
    src = make_pdf(sizes=[(300 + 6 * MM, 200 + 6 * MM)])
    boxed = tmp_path / "boxed.pdf"
    with pikepdf.open(src) as pdf:
        pdf.pages[0].obj.TrimBox = [3 * MM, 3 * MM, 300 + 3 * MM, 200 + 3 * MM]
        pdf.pages[0].obj.BleedBox = pdf.pages[0].obj.MediaBox
        pdf.save(boxed)
    out = render_proofs(boxed, _report(), tmp_path / "p", dpi=72)[0]
    assert out["width"] == round(300 + 6 * MM + 8 * MM)


def test_proofs_reject_broken_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 nothing here")
    with pytest.raises(UnreadableFile):
        render_proofs(bad, _report(), tmp_path / "p")
