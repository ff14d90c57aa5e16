from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from printgate.core.fixes import run_autofix
from printgate.core.fixes._content import IDENTITY, as_matrix, image_placements, multiply, scale_of
from tests.fixes.fixkit import finding, report


def _stroke_widths(path: Path) -> list[float]:
    """Effective width (pt) of every stroke operation on page 1, forms included."""
    widths: list[float] = []
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]

        def walk(container, resources, ctm):
            stack, w = [], 1.0
            for operands, op in pikepdf.parse_content_stream(container):
                o = str(op)
                if o == "q":
                    stack.append((ctm, w))
                elif o == "Q":
                    ctm, w = stack.pop()
                elif o == "cm":
                    ctm = multiply(as_matrix(operands), ctm)
                elif o == "w":
                    w = float(operands[0])
                elif o in ("S", "s", "B", "b"):
                    widths.append(w * scale_of(ctm))
                elif o == "Do":
                    xo = resources.XObject[str(operands[0])]
                    walk(xo, xo.get("/Resources", resources), multiply(as_matrix(xo.get("/Matrix", IDENTITY)), ctm))

        walk(page, page.obj.get("/Resources"), IDENTITY)
    return widths


def test_thicken_hairlines_to_min_including_zero_width_and_scaled(pdfs, tmp_path: Path) -> None:
    content = (b"0.1 w 10 10 m 100 10 l S "
               b"0 w 10 20 m 100 20 l S "
               b"q 0.1 0 0 0.1 0 0 cm 2 w 100 300 m 1000 300 l S Q "
               b"1 w 10 40 m 100 40 l S "
               b"/F1 Do")
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    form = pikepdf.Stream(pdf, b"0.05 w 0 0 m 50 0 l S")
    form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 100, 100]
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F1=pdf.make_indirect(form)))
    src = tmp_path / "hair.pdf"
    pdf.save(src)
    assert min(_stroke_widths(src)) < 0.25
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("min_stroke_width", "thicken_hairlines", {"min_pt": 0.25})), None)
    assert res["outcome"] == "fixed"
    widths = _stroke_widths(out)
    assert len(widths) == 5
    assert all(w >= 0.25 - 1e-6 for w in widths), widths
    assert pytest.approx(1.0) in widths  # the 1 pt line is untouched


def test_thicken_hairlines_unchanged_when_all_thick(pdfs, tmp_path: Path) -> None:
    src = pdfs.raw("thick.pdf", b"1 w 10 10 m 100 10 l S")
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("min_stroke_width", "thicken_hairlines", {"min_pt": 0.25})), None)
    assert res["outcome"] == "unchanged"
    assert "no strokes thinner" in res["skipped"][0]["reason"]


def _placed_dpi(path: Path) -> list[float]:
    with pikepdf.open(path) as pdf:
        return [int(p.image.Width) / p.size_in[0] for p in image_placements(pdf, [0])]


def test_downsample_images_to_target_dpi_keeping_placement(pdfs, tmp_path: Path) -> None:
    src = pdfs.image(px=1200, inches=1.0)
    assert _placed_dpi(src) == [pytest.approx(1200)]
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("image_max_resolution", "downsample_images", {"max_dpi": 600, "target_dpi": 300})), None)
    assert res["outcome"] == "fixed", res
    assert _placed_dpi(out) == [pytest.approx(300, abs=1)]
    with pikepdf.open(out) as pdf:
        placement = next(image_placements(pdf, [0]))
        assert placement.size_in == pytest.approx((1.0, 1.0))
    assert out.stat().st_size < src.stat().st_size


def test_downsample_unchanged_below_limit(pdfs, tmp_path: Path) -> None:
    src = pdfs.image(px=200, inches=1.0)
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("image_max_resolution", "downsample_images", {"max_dpi": 600})), None)
    assert res["outcome"] == "unchanged" and "exceeds" in res["skipped"][0]["reason"]


def _content_ops(path: Path) -> set[str]:
    ops: set[str] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            ops |= {str(op) for _, op in pikepdf.parse_content_stream(page)}
    return ops


def test_convert_to_cmyk_leaves_no_rgb_and_adds_output_intent(pdfs, tmp_path: Path) -> None:
    src = pdfs.art()
    src2 = pdfs.image(name="rgbimg.pdf", px=40)
    for s in (src, src2):
        out = tmp_path / f"cmyk-{s.name}"
        res = run_autofix(s, out, report(finding("color_mode", "convert_to_cmyk", {"icc": "fogra39"})), None)
        assert res["outcome"] == "fixed", res
        assert not (_content_ops(out) & {"rg", "RG"})
        with pikepdf.open(out) as pdf:
            intents = pdf.Root.OutputIntents
            assert str(intents[0].OutputConditionIdentifier) == "FOGRA39"
            assert int(intents[0].DestOutputProfile.N) == 4
            for page in pdf.pages:
                for xo in page.obj.get("/Resources", {}).get("/XObject", {}).values():
                    if xo.get("/Subtype") == pikepdf.Name.Image:
                        assert xo.ColorSpace == pikepdf.Name.DeviceCMYK


def test_unknown_icc_profile_is_skipped_with_reason(pdfs, tmp_path: Path) -> None:
    res = run_autofix(pdfs.art(), tmp_path / "o.pdf", report(finding("color_mode", "convert_to_cmyk", {"icc": "nope"})), None)
    assert res["outcome"] == "unchanged" and "unknown ICC profile" in res["skipped"][0]["reason"]


def test_set_output_intent_aliases(pdfs, tmp_path: Path) -> None:
    out = tmp_path / "oi.pdf"
    res = run_autofix(pdfs.art(), out, report(finding("output_intent", "set_output_intent", {"icc": "gracol"})), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as pdf:
        assert "TR 006" in str(pdf.Root.OutputIntents[0].OutputConditionIdentifier)


def test_snap_rich_black(pdfs, tmp_path: Path) -> None:
    src = pdfs.raw("rich.pdf", b"0.6 0.4 0.4 1 k 10 10 50 50 re f 0.2 0.2 0.2 0.2 k 70 70 20 20 re f "
                              b"BT /F1 12 Tf 0.5 0.5 0.5 1 k 10 150 Td (x) Tj ET")
    out = tmp_path / "o.pdf"
    res = run_autofix(src, out, report(finding("rich_black", "snap_rich_black", {"scope": "all"})), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as pdf:
        colours = [[float(v) for v in o] for o, op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op) == "k"]
    assert colours == [[0, 0, 0, 1], [0.2, 0.2, 0.2, 0.2], [0, 0, 0, 1]]


def test_rich_black_text_scope(pdfs, tmp_path: Path) -> None:
    src = pdfs.raw("rich.pdf", b"0.6 0.4 0.4 1 k 10 10 50 50 re f BT /F1 12 Tf 0.5 0.5 0.5 1 k 10 150 Td (x) Tj ET")
    out = tmp_path / "o.pdf"
    run_autofix(src, out, report(finding("rich_black", "snap_rich_black", {"scope": "text"})), None)
    with pikepdf.open(out) as pdf:
        colours = [[float(v) for v in o] for o, op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op) == "k"]
    assert colours == [[0.6, 0.4, 0.4, 1], [0, 0, 0, 1]]
