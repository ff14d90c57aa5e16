"""The engine's shortcuts must not cost a finding: ink coverage rendered only where it can exceed the limit."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Stream

from printgate.core.preflight import engine, run_preflight, tac
from printgate.core.preflight.model import PageFacts

from .conftest import findings
from .pdfgen import PageSpec, build_into, embedded_font

W = H = 300.0


def _ink_profile(percent: float) -> dict[str, Any]:
    return {"id": "ink-only", "kind": "pdf", "checks": {"ink_coverage": {"action": "warn", "percent": percent}}}


def _full_cmyk_image(pdf: pikepdf.Pdf) -> Stream:
    """A 16x16 DeviceCMYK image at 100 % of every ink: 400 %, only a render sees it."""
    img = Stream(pdf, zlib.compress(bytes([255]) * (16 * 16 * 4)))
    img.Type, img.Subtype = Name.XObject, Name.Image
    img.Width = img.Height = 16
    img.ColorSpace, img.BitsPerComponent, img.Filter = Name.DeviceCMYK, 8, Name.FlateDecode
    return img


def _rgb_page(pdf: pikepdf.Pdf, colour: str = "0.2 0.3 0.4", **kw: Any) -> PageSpec:
    content = (f"q {colour} rg 20 20 200 200 re f Q q 0 0 0 rg BT /F1 12 Tf 30 250 Td (Hello) Tj ET Q\n").encode()
    return PageSpec(content=content, width=W, height=H, fonts={"F1": embedded_font(pdf)}, **kw)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The pages (1-based) the ink-coverage renderer drew, in this process."""
    seen: list[int] = []
    real = tac.TacRenderer._render

    def counted(self: tac.TacRenderer, index: int, facts: Any) -> None:
        seen.append(index + 1)
        real(self, index, facts)

    monkeypatch.setattr(tac.TacRenderer, "_render", counted)
    yield seen


def test_heavy_pages_are_flagged_while_rgb_pages_skip_the_render(tmp_path: Path, renders: list[int]) -> None:
    pdf = pikepdf.new()
    pages = [
        _rgb_page(pdf),  # opaque RGB vectors: their ink is the colours' own, no render
        PageSpec(content=b"q 1 1 0.8 1 k 20 20 200 200 re f Q\n", width=W, height=H),  # 380 %, exact from the colour
        _rgb_page(pdf, xobjects={"Im1": _full_cmyk_image(pdf)}),  # same RGB content plus a 400 % image
    ]
    pages[2].content += b"q 100 0 0 100 50 50 cm /Im1 Do Q\n"
    path = build_into(pdf, tmp_path / "mixed.pdf", pages, intent=False, pdfx=False)

    report = run_preflight(path, _ink_profile(300), source_name="mixed.pdf", workers=1)

    assert renders == [3]
    flagged = {f["page"]: f["measured_percent"] for f in findings(report, "ink_coverage_exceeded")}
    assert set(flagged) == {2, 3}
    assert flagged[2] == pytest.approx(380, abs=0.5)
    assert flagged[3] > 390
    page1 = report["pages"][0]
    assert page1["tac_max"] == pytest.approx(max(tac.rgb_ink((0.2, 0.3, 0.4)), tac.rgb_ink((0.0, 0.0, 0.0))), abs=0.1)
    assert "ink_coverage" not in report["evaluation"]["skipped"]


def test_rgb_colour_that_can_exceed_a_low_limit_is_rendered_and_flagged(tmp_path: Path, renders: list[int]) -> None:
    pdf = pikepdf.new()
    path = build_into(pdf, tmp_path / "black.pdf", [_rgb_page(pdf, colour="0 0 0"), _rgb_page(pdf, colour="1 1 1")],
                      intent=False, pdfx=False)

    report = run_preflight(path, _ink_profile(250), source_name="black.pdf", workers=1)

    # Both pages hold RGB black (~298 % as a colour): over 250, so both are drawn, and the render
    # decides, as it did before the shortcut: the black square exceeds; 12 pt text at 36 dpi does not.
    assert renders == [1, 2]
    assert [f["page"] for f in findings(report, "ink_coverage_exceeded")] == [1]
    assert report["pages"][0]["tac_max"] > 290
    assert report["pages"][1]["tac_max"] < 250


def test_same_rgb_page_passes_the_default_limit_without_a_render(tmp_path: Path, renders: list[int]) -> None:
    pdf = pikepdf.new()
    path = build_into(pdf, tmp_path / "black.pdf", [_rgb_page(pdf, colour="0 0 0")], intent=False, pdfx=False)

    report = run_preflight(path, _ink_profile(300), source_name="black.pdf", workers=1)

    assert renders == []
    assert findings(report, "ink_coverage_exceeded") == []
    assert "ink_coverage" in report["evaluation"]["passed"]


def test_a_default_rgb_space_or_an_rgb_output_intent_means_a_render(tmp_path: Path, renders: list[int]) -> None:
    pdf = pikepdf.new()
    page = _rgb_page(pdf, colorspaces={"DefaultRGB": Name.DeviceRGB})
    with_default = build_into(pdf, tmp_path / "default.pdf", [page], intent=False, pdfx=False)
    run_preflight(with_default, _ink_profile(300), source_name="default.pdf", workers=1)
    assert renders == [1]

    def rgb_intent(doc: pikepdf.Pdf) -> None:
        profile = Stream(doc, b"\0" * 128)
        profile.N = 3
        doc.Root.OutputIntents = Array([doc.make_indirect(Dictionary(
            Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier=pikepdf.String("sRGB"),
            DestOutputProfile=profile))])

    pdf = pikepdf.new()
    with_intent = build_into(pdf, tmp_path / "intent.pdf", [_rgb_page(pdf)], intent=False, pdfx=False, tweak=rgb_intent)
    run_preflight(with_intent, _ink_profile(300), source_name="intent.pdf", workers=1)
    assert renders == [1, 1]


@pytest.mark.parametrize("colour", [(0.0, 0.0, 0.0), (0.0, 0.0, 0.125), (0.1, 0.1, 0.1), (1.0, 0.0, 0.0),
                                    (0.2, 0.3, 0.4), (0.5, 0.5, 0.5), (0.0, 1.0, 1.0)])
def test_rgb_ink_is_what_the_render_draws(tmp_path: Path, colour: tuple[float, float, float]) -> None:
    """The shortcut rests on this: a flat RGB fill renders as its conversion, never above it + the margin."""
    pdf = pikepdf.new()
    r, g, b = colour
    spec = PageSpec(content=f"{r:g} {g:g} {b:g} rg 0 0 300 300 re f\n".encode(), width=W, height=H)
    path = build_into(pdf, tmp_path / "flat.pdf", [spec], intent=False, pdfx=False)
    facts = PageFacts(page=1, media=(0, 0, W, H), crop=(0, 0, W, H), bleed=None, trim=None, art=None, rotation=0)
    facts.tac_needs_render = True
    renderer = tac.TacRenderer(path)
    try:
        renderer.measure(0, facts)
    finally:
        renderer.close()
    assert facts.tac_max is not None
    ink = tac.rgb_ink(colour)
    assert facts.tac_max <= min(ink, tac.RGB_INK_BOUND) + tac.RGB_RENDER_MARGIN
    assert facts.tac_max == pytest.approx(ink, abs=1.5)


def test_no_rgb_colour_gets_more_ink_than_the_bound() -> None:
    steps = [i / 16 for i in range(17)]  # lcms's grid for RGB input; its maximum lies on a grid point
    worst = max(tac.rgb_ink((r, g, b)) for r in steps for g in steps for b in steps)
    assert 290 < worst <= tac.RGB_INK_BOUND


def test_small_or_busy_machine_files_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(engine.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert engine._worker_count(None, 400, 50_000_000) == 2
    assert engine._worker_count(None, 400, 300_000) == 1  # too little content to pay for a fork
    assert engine._worker_count(None, 20, 50_000_000) == 1
    monkeypatch.setattr(engine.os, "getloadavg", lambda: (3.5, 3.0, 3.0))
    assert engine._worker_count(None, 400, 50_000_000) == 1  # no idle core
    assert engine._worker_count(2, 400, 300_000) == 2  # asked for: given


def _rgb_photo(pdf: pikepdf.Pdf) -> Stream:
    """A dark 16x16 DeviceRGB image: its ink is only known by rendering, and at most RGB_INK_BOUND."""
    img = Stream(pdf, zlib.compress(bytes([8, 8, 30]) * (16 * 16)))
    img.Type, img.Subtype = Name.XObject, Name.Image
    img.Width = img.Height = 16
    img.ColorSpace, img.BitsPerComponent, img.Filter = Name.DeviceRGB, 8, Name.FlateDecode
    return img


def _photo_pages(tmp_path: Path) -> Path:
    pdf = pikepdf.new()
    half = Dictionary(Type=Name.ExtGState, ca=0.5, CA=0.5)
    photo = PageSpec(content=b"q /Half gs 0 0 1 rg 10 10 100 100 re f Q q 200 0 0 200 50 50 cm /Im1 Do Q\n",
                     width=W, height=H, xobjects={"Im1": _rgb_photo(pdf)}, extgstates={"Half": half})
    heavy = PageSpec(content=b"q 100 0 0 100 50 50 cm /Im1 Do Q\n", width=W, height=H,
                     xobjects={"Im1": _full_cmyk_image(pdf)})
    return build_into(pdf, tmp_path / "photos.pdf", [photo, heavy], intent=False, pdfx=False)


def test_rgb_images_and_opacity_under_the_limit_are_bounded_not_rendered(tmp_path: Path, renders: list[int]) -> None:
    report = run_preflight(_photo_pages(tmp_path), _ink_profile(300), source_name="photos.pdf", workers=1)

    assert renders == [2]  # the CMYK image can carry 400 %: drawn; the RGB photo cannot pass 297.3 %
    assert [f["page"] for f in findings(report, "ink_coverage_exceeded")] == [2]
    photo = report["pages"][0]
    assert photo["tac_max"] == pytest.approx(tac.RGB_INK_BOUND, abs=0.1) and photo["tac_max_is_bound"] is True
    assert "tac_max_is_bound" not in report["pages"][1]


def test_rgb_images_are_rendered_when_the_limit_is_lower_than_the_bound(tmp_path: Path, renders: list[int]) -> None:
    report = run_preflight(_photo_pages(tmp_path), _ink_profile(280), source_name="photos.pdf", workers=1)

    assert renders == [1, 2]
    flagged = {f["page"] for f in findings(report, "ink_coverage_exceeded")}
    assert 2 in flagged
    rendered = report["pages"][0]
    assert "tac_max_is_bound" not in rendered
    assert (1 in flagged) == (rendered["tac_max"] > 280.5)  # the render's figure decides, as before


def test_an_intent_of_its_own_or_a_blend_mode_means_a_render(tmp_path: Path, renders: list[int]) -> None:
    pdf = pikepdf.new()
    multiply = Dictionary(Type=Name.ExtGState, BM=Name.Multiply)
    intent = Dictionary(Type=Name.ExtGState, RI=Name.Saturation)
    pages = [
        PageSpec(content=b"q /Mul gs 0 0 1 rg 10 10 100 100 re f Q\n", width=W, height=H, extgstates={"Mul": multiply}),
        PageSpec(content=b"q /Sat gs 0 0 1 rg 10 10 100 100 re f Q\n", width=W, height=H, extgstates={"Sat": intent}),
        PageSpec(content=b"q /Perceptual ri 0 0 1 rg 10 10 100 100 re f Q\n", width=W, height=H),
        PageSpec(content=b"q 0 0 1 rg 10 10 100 100 re f Q\n", width=W, height=H),
    ]
    path = build_into(pdf, tmp_path / "intents.pdf", pages, intent=False, pdfx=False)
    run_preflight(path, _ink_profile(300), source_name="intents.pdf", workers=1)
    assert renders == [1, 2, 3]


def test_opacity_over_heavy_cmyk_is_rendered_and_light_cmyk_is_bounded(tmp_path: Path, renders: list[int]) -> None:
    """At half opacity 380 % ink prints ~190 %: only the render knows, so the heavy page is drawn (and
    passes, as it did before); a 200 % colour at any opacity cannot pass 300 %: bounded, not drawn."""
    pdf = pikepdf.new()
    half = Dictionary(Type=Name.ExtGState, ca=0.5, CA=0.5)
    pages = [
        PageSpec(content=b"q /Half gs 1 1 0.8 1 k 20 20 200 200 re f Q\n", width=W, height=H, extgstates={"Half": half}),
        PageSpec(content=b"q /Half gs 0.5 0.5 0.5 0.5 k 20 20 200 200 re f Q\n", width=W, height=H,
                 extgstates={"Half": half}),
        PageSpec(content=b"q 1 1 0.8 1 k 20 20 200 200 re f Q\n", width=W, height=H),  # opaque: exact, flagged
    ]
    path = build_into(pdf, tmp_path / "opacity.pdf", pages, intent=False, pdfx=False)

    report = run_preflight(path, _ink_profile(300), source_name="opacity.pdf", workers=1)

    assert renders == [1]
    assert [f["page"] for f in findings(report, "ink_coverage_exceeded")] == [3]
    assert report["pages"][0]["tac_max"] == pytest.approx(190, abs=3)
    assert report["pages"][1]["tac_max"] == pytest.approx(200) and report["pages"][1]["tac_max_is_bound"] is True
