"""Autofix on long files within 2x Ghostscript ``pdfwrite`` (issue 17), with nothing dropped.

The colour fix sends only the pages LittleCMS could not finish through Ghostscript (a shading here),
and the whole file when Ghostscript must act on the file (a font to embed); bleed strips of one
colour are recognised from the pixmap's bytes; content parses are skipped where an operator cannot be.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pymupdf
import pytest
from PIL import Image

from printgate.core.fixes import color, color_residue, run_autofix
from printgate.core.fixes._exec import ghostscript
from printgate.core.fixes._tokens import operator_hint
from printgate.core.fixes.geometry import _flat_fill, _flat_samples
from printgate.core.preflight import run_preflight
from tests.fixes.fixkit import finding, gradient_png, report

Name, Dictionary, Array = pikepdf.Name, pikepdf.Dictionary, pikepdf.Array
SHADED = 2  # 0-based index of the page with an RGB shading (Ghostscript's part)
MOVED_MEDIA = [-20, -20, 180, 180]  # its MediaBox does not start at 0 0: Ghostscript moves such pages


def _shading(pdf: pikepdf.Pdf) -> pikepdf.Object:
    function = Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1)
    return pdf.make_indirect(Dictionary(ShadingType=2, ColorSpace=Name.DeviceRGB, Coords=[0, 0, 100, 0],
                                        Function=function, Extend=[True, True]))


def _rgb_image(pdf: pikepdf.Pdf) -> pikepdf.Object:
    img = Image.open(__import__("io").BytesIO(gradient_png(32, 32))).convert("RGB")
    stream = pikepdf.Stream(pdf, zlib.compress(img.tobytes()))
    stream.Type, stream.Subtype = Name.XObject, Name.Image
    stream.Width, stream.Height, stream.BitsPerComponent = 32, 32, 8
    stream.ColorSpace, stream.Filter = Name.DeviceRGB, Name.FlateDecode
    return pdf.make_indirect(stream)


def _book(path: Path, pages: int = 6, *, font: bool | int = False) -> Path:
    """RGB vectors on every page, an RGB photo on page 2, a hairline on page 4, an RGB shading on
    page 3 (whose MediaBox is moved off 0 0), a link on every page; optionally Helvetica, not
    embedded, on every page (``True``) or on the page of that index."""
    pdf = pikepdf.new()
    for n in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
        page = pdf.pages[n]
        content = b"0.2 0.4 0.8 rg 20 20 60 60 re f 0 0 0 1 k 120 120 40 40 re f\n"
        resources: dict[str, Any] = {}
        if n == 1:
            resources["/XObject"] = Dictionary(Im0=_rgb_image(pdf))
            content += b"q 50 0 0 50 120 20 cm /Im0 Do Q\n"
        if n == 3:
            content += b"0.01 w 0 0 1 0 K 10 100 m 190 100 l S\n"
        if n == SHADED:
            resources["/Shading"] = Dictionary(Sh0=_shading(pdf))
            content = b"q 0 0 100 100 re W n /Sh0 sh Q\n" + content
            page.obj.MediaBox = Array(MOVED_MEDIA)
        if font is True or (font is not False and font == n):
            resources["/Font"] = Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
            content += b"BT /F1 12 Tf 20 170 Td (Page) Tj ET\n"
        page.obj.Contents = pikepdf.Stream(pdf, content)
        page.obj.Resources = Dictionary(resources)
        link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[20, 20, 80, 80], Border=[0, 0, 0],
                          A=Dictionary(S=Name.URI, URI=pikepdf.String("https://example.com")))
        page.obj.Annots = Array([pdf.make_indirect(link)])
    pdf.save(path)
    return path


@pytest.fixture
def gs_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Ghostscript runs for real; each run's extra options are recorded."""
    calls: list[list[str]] = []
    real = ghostscript.pdfwrite

    def recording(src: Path, dst: Path, options: Any = (), **kw: Any) -> str:
        calls.append(list(options))
        return real(src, dst, options, **kw)

    monkeypatch.setattr(color.gs, "pdfwrite", recording)
    return calls


def _cmyk(src: Path, dst: Path, **kw: Any) -> dict:
    res = run_autofix(src, dst, report(finding("color_mode", "convert_to_cmyk", {"icc": "fogra39"}, page=None)), None, **kw)
    assert res["outcome"] == "fixed", res
    return res


def _ops(page: pikepdf.Page) -> set[str]:
    return {str(op) for _, op in pikepdf.parse_content_stream(page)}


def _grey(path: Path, index: int) -> pymupdf.Pixmap:
    with pymupdf.open(path) as doc:
        return doc[index].get_pixmap(colorspace=pymupdf.csGRAY, dpi=36)


def test_only_the_page_with_a_shading_goes_through_ghostscript(tmp_path: Path, gs_calls: list[list[str]]) -> None:
    src = _book(tmp_path / "book.pdf")
    out = tmp_path / "cmyk.pdf"
    _cmyk(src, out)
    page_runs = [c for c in gs_calls if any(o.startswith("-sPageList=") for o in c)]
    assert len(gs_calls) == 1 and page_runs, gs_calls
    assert f"-sPageList={SHADED + 1}" in page_runs[0]
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 6
        for page in pdf.pages:
            assert not _ops(page) & {"rg", "RG"}, _ops(page)
            assert len(page.obj.Annots) == 1 and str(page.obj.Annots[0].A.URI) == "https://example.com"
            for xo in (page.obj.Resources.get("/XObject") or {}).values():
                assert xo.ColorSpace == Name.DeviceCMYK
        shaded = pdf.pages[SHADED]
        assert [float(v) for v in shaded.mediabox] == MOVED_MEDIA  # the page keeps its own boxes
        shadings = [s for s in pdf.objects if isinstance(s, Dictionary) and "/ShadingType" in s]
        assert all(s.ColorSpace != Name.DeviceRGB for s in shadings)  # Ghostscript may also make it an image
        assert "sh" in _ops(shaded) or shaded.obj.Resources.get("/XObject")
        assert str(pdf.Root.OutputIntents[0].OutputConditionIdentifier) == "FOGRA39"
    # Ghostscript drew the page from 0 0; the art is put back where it was on the page.
    before, after = _grey(src, SHADED), _grey(out, SHADED)
    assert (before.width, before.height) == (after.width, after.height)
    for x, y in [(140, 140), (50, 50), (150, 60), (170, 170)]:  # black square, blue square, white, white
        px, py = round((x + 20) / 2), round((180 - y) / 2)
        assert abs(before.pixel(px, py)[0] - after.pixel(px, py)[0]) < 40, (x, y, before.pixel(px, py), after.pixel(px, py))
    assert after.pixel(80, 20)[0] < 30 and after.pixel(70, 65)[0] > 200  # (140, 140) is black, (120, 50) white


def test_no_residue_means_no_ghostscript_and_progress_still_reaches_the_end(tmp_path: Path, gs_calls: list[list[str]]) -> None:
    src = _book(tmp_path / "book.pdf", pages=4)
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:  # no shading page in this one
        page = pdf.pages[SHADED]
        page.obj.Contents = pikepdf.Stream(pdf, b"0.2 0.4 0.8 rg 20 20 60 60 re f\n")
        del page.obj.Resources["/Shading"]
        pdf.save(src)
    events: list[tuple[str, int | None, int | None]] = []
    _cmyk(src, tmp_path / "cmyk.pdf", progress=lambda w, d, t: events.append((w, d, t)))
    assert gs_calls == []
    done = [d for w, d, t in events if w == "convert_to_cmyk" and d is not None and t == 4]
    assert done[0] == 0 and done[-1] == 4 and done == sorted(set(done)), events
    with pikepdf.open(tmp_path / "cmyk.pdf") as pdf:
        assert all(not _ops(p) & {"rg", "RG"} for p in pdf.pages)


def _embedded(path: Path) -> list[bool]:
    with pikepdf.open(path) as pdf:
        return [any(k in (f.get("/FontDescriptor") or {}) for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for p in pdf.pages for f in (p.obj.Resources.get("/Font") or {}).values()]


@pytest.mark.parametrize("font,page_list", [(4, "-sPageList=3,5"), (True, None)])
def test_a_font_ghostscript_would_embed_goes_through_it(tmp_path: Path, gs_calls: list[list[str]],
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        font: bool | int, page_list: str | None) -> None:
    """On one page: that page goes too; on most pages: the whole file goes. Either way its fonts come
    out as the whole-file run leaves them."""
    src = _book(tmp_path / "book.pdf", font=font)
    _cmyk(src, tmp_path / "cmyk.pdf")
    assert len(gs_calls) == 1, gs_calls
    assert [o for o in gs_calls[0] if o.startswith("-sPageList=")] == ([page_list] if page_list else [])
    monkeypatch.setattr(color, "pages_for_ghostscript", lambda pdf: color_residue.WHOLE_FILE)
    _cmyk(src, tmp_path / "whole.pdf")
    assert _embedded(tmp_path / "cmyk.pdf") == _embedded(tmp_path / "whole.pdf") != []


def test_residue_is_told_page_by_page(tmp_path: Path) -> None:
    with pikepdf.open(_book(tmp_path / "book.pdf")) as pdf:
        assert color_residue.pages_for_ghostscript(pdf) == list(range(6))  # before LittleCMS: rg everywhere
        for page in pdf.pages:
            page.obj.Contents = pikepdf.Stream(pdf, b"0 0 0 1 k 0 0 10 10 re f (merge shapes) Tj")
        pdf.pages[1].obj.Resources.XObject.Im0.ColorSpace = Name.DeviceCMYK
        assert color_residue.pages_for_ghostscript(pdf) == [SHADED]  # its shading resource is still there
        pdf.pages[4].obj.Contents = pikepdf.Stream(pdf, b"/CS0 cs 1 0 0 sc 0 0 10 10 re f")
        pdf.pages[5].obj.Group = Dictionary(S=Name.Transparency, CS=Name.DeviceRGB)
        assert color_residue.pages_for_ghostscript(pdf) == [SHADED, 4, 5]


def _findings(path: Path) -> list[tuple[str, str]]:
    after = run_preflight(path, None, source_name=path.name)
    return sorted((str(f.get("ruleId")), str(f.get("pages") or f.get("page")))
                  for f in after["evaluation"]["findings"])


def test_page_by_page_run_leaves_the_findings_of_the_whole_file_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated multi-fix book (no bleed, RGB vectors, an RGB photo, a hairline, an RGB shading)
    fixed from its real preflight report: the same findings remain as when Ghostscript converted
    the whole file (how it was before issue 17)."""
    src = _book(tmp_path / "book.pdf")
    rep = run_preflight(src, None, source_name=src.name)
    strategies = {(f.get("autofix") or {}).get("strategy") for f in rep["evaluation"]["findings"]}
    assert {"mirror_bleed", "convert_colors", "thicken_hairlines"} <= strategies, strategies
    fast = run_autofix(src, tmp_path / "fast.pdf", rep, None)
    monkeypatch.setattr(color, "pages_for_ghostscript", lambda pdf: color_residue.WHOLE_FILE)
    whole = run_autofix(src, tmp_path / "whole.pdf", rep, None)
    assert [a["strategy"] for a in fast["applied"]] == [a["strategy"] for a in whole["applied"]]
    assert "convert_to_cmyk" in [a["strategy"] for a in fast["applied"]]
    assert _findings(tmp_path / "fast.pdf") == _findings(tmp_path / "whole.pdf")
    assert not [f for f in _findings(tmp_path / "fast.pdf") if f[0].startswith("color_mode")]


@pytest.mark.parametrize("mode,pixel", [("CMYK", (0, 0, 0, 0)), ("CMYK", (10, 200, 30, 255)), ("RGB", (255, 255, 255)),
                                        ("RGB", (12, 34, 56))])
def test_flat_strips_from_samples_match_the_image_path(mode: str, pixel: tuple[int, ...]) -> None:
    flat = Image.new(mode, (40, 7), pixel)
    assert _flat_samples(flat.tobytes(), len(pixel), mode == "CMYK") == _flat_fill(flat)
    flat.putpixel((39, 6), tuple(255 - v for v in pixel))
    assert _flat_samples(flat.tobytes(), len(pixel), mode == "CMYK") is None
    assert _flat_samples(b"", len(pixel), mode == "CMYK") is None


@pytest.mark.parametrize("content", [
    b"1 0 0 rg 0 0 5 5 re f", b"q\n0.5 0.5 0.5 RG\n1 w 0 0 m 5 5 l S Q", b"BT (a)Tj ET 0 1 0 rg[(x)]TJ",
    b"/Sh0 sh", b"<00ff>Tj 1 0 0 rg", b"0 0 0 rg%comment\n",
])
def test_the_operator_hint_finds_every_operator_a_parse_finds(tmp_path: Path, content: bytes) -> None:
    hint = operator_hint("rg", "RG", "sh")
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
    parsed = _ops(pdf.pages[0]) & {"rg", "RG", "sh"}
    assert parsed
    assert {m.decode() for m in hint.findall(content)} >= parsed


def test_the_operator_hint_skips_words_and_names() -> None:
    hint = operator_hint("rg", "RG", "sh")
    assert hint.search(b"BT /F1 9 Tf (merge the shapes) Tj [(org)-250(RGB)]TJ ET /GS0 gs") is None
    assert hint.search(b"/rgb cs") is None


@pytest.mark.parametrize("content,found", [
    (b"[ (La) 29 (rg) 1 (e) -1 (st)] TJ", False),  # TeX kerning splits "Largest" around "rg"
    (b"(a\\) 1 0 0 rg) Tj", False), (b"% 1 0 0 rg\n0 g", False), (b"(a(rg)c) Tj", False),
    (b"(x)rg", True), (b"1 0 0 rg", True), (b"(a(b)c) 1 0 0 rg", True), (b"(50% off) Tj 0 1 0 RG", True),
    (b"(a\\\nb) Tj /Sh0 sh", True),
])
def test_residue_operators_are_told_from_words_in_text(content: bytes, found: bool) -> None:
    from printgate.core.fixes._tokens import operator_outside_strings

    assert operator_outside_strings("rg", "RG", "sh")(content) is found
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
    assert bool(_ops(pdf.pages[0]) & {"rg", "RG", "sh"}) is found  # what a parse says
