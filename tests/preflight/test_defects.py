"""One generated file per defect: the specific finding appears with the right severity and value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from . import pdfgen
from .conftest import findings, print_ready, profile_for

# ruleId -> (severity under prof_print_ready + DEFECT_SETUP, measured field, expected value or predicate)
EXPECTED: dict[str, tuple[str, str | None, Any]] = {
    "bleed_missing": ("warn", "measured_mm", 0.0),
    "trimbox_missing": ("warn", "measured_mm", None),
    "page_size_mismatch": ("reject", "measured_mm", [148.0, 210.0]),
    "page_count_mismatch": ("reject", "measured_pages", 3),
    "orientation_mismatch": ("warn", "measured_orientation", "landscape"),
    "page_rotated": ("warn", "measured_degrees", 90),
    "inconsistent_page_sizes": ("reject", "measured_mm", [178.0, 210.0]),
    "page_layout_mismatch": ("warn", "measured_layout", "spreads"),
    "content_in_safety_margin": ("warn", "measured_mm", 1.0),
    "text_outside_safe_zone": ("reject", "measured_pt", 4.3),
    "color_mode_not_allowed": ("warn", "measured_modes", ["RGB"]),
    "ink_coverage_exceeded": ("warn", "measured_percent", lambda v: 375 <= v <= 381),
    "spot_colors_exceeded": ("warn", "measured_count", 1),
    "output_intent_missing": ("warn", "measured_profile", None),
    "rich_black": ("warn", "measured_count", 1),
    "overprint_white": ("reject", "measured_count", 1),
    "font_not_embedded": ("reject", "measured_embedded", False),
    "font_not_subset": ("warn", "measured_subset", False),
    "font_type_not_allowed": ("reject", "measured_type", "Type 3"),
    "text_too_small": ("warn", "measured_pt", 4.0),
    "stroke_too_thin": ("warn", "measured_pt", 0.1),
    "image_low_resolution": ("warn", "measured_dpi", 72),
    "image_high_resolution": ("warn", "measured_dpi", 1200),
    "image_color_mode_not_allowed": ("warn", "measured_colorspace", "RGB"),
    "image_compression_not_allowed": ("warn", "measured_compression", "JPEG"),
    "image_low_bit_depth": ("reject", "measured_bits", 4),
    "transparency_present": ("warn", "measured_kinds", ["opacity"]),
    "layers_present": ("warn", "measured_count", 2),
    "annotations_present": ("reject", "measured_count", 1),
    "javascript_present": ("reject", "measured_count", 1),
    "attachments_present": ("reject", "measured_count", 1),
    "form_fields_present": ("warn", "measured_count", 1),
    "xfa_present": ("warn", None, None),
    "signature_present": ("warn", "measured_count", 1),
    "need_appearances_set": ("warn", None, None),
    "encrypted": ("reject", None, None),
    "permissions_restricted": ("reject", "measured_restrictions", ["print"]),
    "pdf_version_unsupported": ("warn", "measured_version", "1.3"),
    "pdfx_not_compliant": ("warn", "measured_standard", None),
    "pdfa_detected": ("reject", "measured_standard", "PDF/A-2b"),
    "pdfua_detected": ("reject", "measured_standard", "PDF/UA-1"),
    "pdfvt_detected": ("reject", "measured_standard", "PDF/VT-1"),
    "not_tagged": ("warn", "measured_tagged", False),
    "structure_damaged": ("warn", "measured_warnings", lambda v: v >= 1),
    "not_linearized": ("warn", "measured_linearized", False),
    "producer_not_allowed": ("warn", "measured_producer", "Microsoft Word - Print to PDF"),
}


def test_every_defect_has_an_expectation() -> None:
    assert set(EXPECTED) == set(pdfgen.DEFECTS)


@pytest.mark.parametrize("rule_id", sorted(pdfgen.DEFECTS))
def test_defect_is_found(run: Callable[..., dict[str, Any]], rule_id: str) -> None:
    profile, context = profile_for(rule_id)
    report = run(pdfgen.DEFECTS[rule_id], profile, context)
    hits = findings(report, rule_id)
    assert hits, f"{rule_id} not found; got {[f['ruleId'] for f in findings(report)]}"
    severity, field, expected = EXPECTED[rule_id]
    hit = hits[0]
    assert hit["severity"] == severity
    if field is not None:
        value = hit[field]
        if callable(expected):
            assert expected(value), value
        else:
            assert value == expected
    # Every finding carries the customer messages with placeholders filled in.
    assert hit["issue"] and "{" not in hit["issue"]
    assert hit["fix"] and "{" not in hit["fix"]
    assert report["outcome"] == ("fail" if report["evaluation"]["summary"]["fail"] else "warn")


def test_defect_findings_are_specific(run: Callable[..., dict[str, Any]]) -> None:
    """A defect file only differs from the clean control by its defect."""
    report = run(pdfgen.tiny_text, print_ready())
    assert {f["ruleId"] for f in findings(report)} == {"text_too_small", "text_not_outlined"}


def test_spot_color_names_reported(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.spot_color, print_ready())
    assert report["spot_colors"] == ["PANTONE 186 C"]
    hit = findings(report, "spot_colors_exceeded")[0]
    assert "PANTONE 186 C" in hit["issue"]
    # Whitelisted spot colours don't count.
    ok = run(pdfgen.spot_color, print_ready(spot_colors={"whitelist": ["pantone 186 c"]}), name="b.pdf")
    assert not findings(ok, "spot_colors_exceeded")


def test_pdf20_is_above_default_max(run: Callable[..., dict[str, Any]]) -> None:
    hit = findings(run(pdfgen.pdf20, print_ready()), "pdf_version_unsupported")[0]
    assert hit["measured_version"] == "2.0"
    assert hit["autofix"]["params"] == {"target": "1.7"}


def test_image_dpi_is_effective_at_placed_size(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.make_clean, print_ready())
    (img,) = report["images"]
    assert img["effective_dpi"] == 300
    assert img["width_px"] == 300 and img["color_space"] == "DeviceCMYK"
    assert img["rect"][2] - img["rect"][0] == pytest.approx(72, abs=0.1)


def test_low_res_locates_the_image(run: Callable[..., dict[str, Any]]) -> None:
    hit = findings(run(pdfgen.image_72dpi, print_ready()), "image_low_resolution")[0]
    (box,) = hit["locate"]["boxes"]
    x0, y0, x1, y1 = box["rect"]
    assert box["page"] == 1 and x1 - x0 == pytest.approx(72, abs=0.2) and y1 - y0 == pytest.approx(72, abs=0.2)
    assert "72 DPI" in hit["issue"] and "150 DPI" in hit["issue"]


def test_zero_width_stroke_is_a_hairline(run: Callable[..., dict[str, Any]]) -> None:
    report = run(lambda p: pdfgen._one_page(p, stroke=pdfgen._stroke(width=0)), print_ready())
    hit = findings(report, "stroke_too_thin")[0]
    assert hit["measured_pt"] == 0
    assert hit["autofix"] == {"available": True, "runner": "optimize", "strategy": "thicken_hairlines",
                              "params": {"minWidth": 0.25}, "scheduled": True}


def test_scaled_text_size_uses_the_ctm(run: Callable[..., dict[str, Any]]) -> None:
    """12 pt text drawn under a 0.25 scale is 3 pt on paper."""
    text = b"q 0.25 0 0 0.25 100 300 cm " + pdfgen._text(size=12) + b"Q\n"
    report = run(lambda p: pdfgen._one_page(p, text=text), print_ready())
    assert findings(report, "text_too_small")[0]["measured_pt"] == 3.0


def test_rgb_inside_form_xobject_is_found(run: Callable[..., dict[str, Any]]) -> None:
    import pikepdf

    def gen(path: Any) -> Any:
        pdf = pikepdf.new()
        form = pikepdf.Stream(pdf, b"0 0 1 rg 0 0 10 10 re f")
        form.Type = pikepdf.Name.XObject
        form.Subtype = pikepdf.Name.Form
        form.BBox = pikepdf.Array([0, 0, 10, 10])
        spec = pdfgen.clean_page(pdf, xobjects={"Fm1": form}, extra=b"q 1 0 0 1 200 300 cm /Fm1 Do Q\n")
        return pdfgen.build_into(pdf, path, [spec])

    hit = findings(run(gen, print_ready()), "color_mode_not_allowed")[0]
    assert hit["measured_modes"] == ["RGB"]
    assert hit["locate"]["boxes"][0]["rect"] == [200.0, 300.0, 210.0, 310.0]


def test_rich_black_scope_all_includes_vectors(run: Callable[..., dict[str, Any]]) -> None:
    box = b"q 0.6 0.4 0.4 1 k 200 300 50 50 re f Q\n"
    text_only = run(lambda p: pdfgen._one_page(p, extra=box), print_ready())
    assert not findings(text_only, "rich_black")
    everything = run(lambda p: pdfgen._one_page(p, extra=box), print_ready(rich_black={"scope": "all"}), name="b.pdf")
    assert findings(everything, "rich_black")[0]["measured_count"] == 1


def test_black_overprint_is_fine_but_colored_overprint_warns(run: Callable[..., dict[str, Any]]) -> None:
    import pikepdf

    def gen(color: bytes) -> Callable[[Any], Any]:
        def make(path: Any) -> Any:
            pdf = pikepdf.new()
            gs = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=True, op=True)
            spec = pdfgen.clean_page(pdf, extgstates={"GS1": gs}, extra=b"q /GS1 gs " + color + b" 200 300 40 40 re f Q\n")
            return pdfgen.build_into(pdf, path, [spec])

        return make

    assert not findings(run(gen(b"0 0 0 1 k"), print_ready()), "overprint_used")
    hit = findings(run(gen(b"0 1 1 0 k"), print_ready(), name="b.pdf"), "overprint_used")[0]
    assert hit["severity"] == "warn"


def test_tiny_fill_images_are_not_low_resolution(run: Callable[..., dict[str, Any]]) -> None:
    import pikepdf

    def gen(path: Any) -> Any:
        pdf = pikepdf.new()
        spec = pdfgen.clean_page(pdf, xobjects={"Im2": pdfgen.image_xobject(pdf, 2, 2)},
                                 extra=b"q 200 0 0 200 100 100 cm /Im2 Do Q\n")
        return pdfgen.build_into(pdf, path, [spec])

    report = run(gen, print_ready())
    assert not findings(report, "image_low_resolution")
    assert len(report["images"]) == 2  # still listed


def test_inline_image_is_measured(run: Callable[..., dict[str, Any]]) -> None:
    inline = b"q 72 0 0 72 200 300 cm BI /W 20 /H 20 /BPC 8 /CS /RGB ID " + bytes(1200) + b"\nEI Q\n"
    report = run(lambda p: pdfgen._one_page(p, extra=inline), print_ready())
    img = next(i for i in report["images"] if i["inline"])
    assert img["effective_dpi"] == 20 and img["color_space"] == "DeviceRGB"
    assert findings(report, "image_low_resolution")[0]["measured_dpi"] == 20


def test_colour_inside_shadings_patterns_and_icc(run: Callable[..., dict[str, Any]]) -> None:
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    def shading(pdf: pikepdf.Pdf) -> Dictionary:
        fn = Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([1, 0, 0]), C1=Array([0, 0, 1]), N=1)
        return Dictionary(ShadingType=2, ColorSpace=Name.DeviceRGB, Coords=Array([0, 0, 100, 0]), Function=fn)

    def with_shading(path: Any) -> Any:
        pdf = pikepdf.new()
        spec = pdfgen.clean_page(pdf, extra=b"q 200 300 50 50 re W n /Sh1 sh Q\n")
        path = pdfgen.build_into(pdf, path, [spec])
        with pikepdf.open(path, allow_overwriting_input=True) as doc:
            doc.pages[0].Resources.Shading = Dictionary(Sh1=shading(doc))
            doc.save(path)
        return path

    assert findings(run(with_shading, print_ready(), name="sh.pdf"), "color_mode_not_allowed")[0]["measured_modes"] == ["RGB"]

    def with_pattern(path: Any) -> Any:
        pdf = pikepdf.new()
        tile = pikepdf.Stream(pdf, b"0 1 0 rg 0 0 5 5 re f")
        tile.PatternType = 1
        tile.PaintType = 1
        tile.TilingType = 1
        tile.BBox = Array([0, 0, 10, 10])
        tile.XStep = 10
        tile.YStep = 10
        tile.Resources = Dictionary()
        spec = pdfgen.clean_page(pdf, colorspaces={"P0": Array([Name.Pattern])},
                                 extra=b"q /P0 cs /T1 scn 200 300 50 50 re f Q\n")
        path = pdfgen.build_into(pdf, path, [spec])
        with pikepdf.open(path, allow_overwriting_input=True) as doc:
            doc.pages[0].Resources.Pattern = Dictionary(T1=doc.copy_foreign(tile))
            doc.save(path)
        return path

    assert findings(run(with_pattern, print_ready(), name="pat.pdf"), "color_mode_not_allowed")[0]["measured_modes"] == ["RGB"]

    def with_icc_rgb(path: Any) -> Any:
        pdf = pikepdf.new()
        icc = pikepdf.Stream(pdf, Path("/usr/share/ghostscript/10.00.0/iccprofiles/srgb.icc").read_bytes())
        icc.N = 3
        spec = pdfgen.clean_page(pdf, colorspaces={"CS1": Array([Name.ICCBased, icc])},
                                 extra=b"q /CS1 cs 0.2 0.4 0.6 sc 200 300 50 50 re f Q\n")
        return pdfgen.build_into(pdf, path, [spec])

    icc = run(with_icc_rgb, print_ready(icc_profile={"whitelist": ["FOGRA39"]}), name="icc.pdf")
    assert findings(icc, "color_mode_not_allowed")[0]["measured_modes"] == ["RGB"]
    # the object's profile and the output intent's profile, neither on the whitelist
    assert findings(icc, "icc_profile_not_allowed")[0]["measured_profiles"] == [
        "Artifex CMYK SWOP Profile", "Artifex Software sRGB ICC Profile"]

    def with_devicen(path: Any) -> Any:
        pdf = pikepdf.new()
        tint = pikepdf.Stream(pdf, b"{pop 0 0 0}")
        tint.FunctionType = 4
        tint.Domain = Array([0, 1, 0, 1])
        tint.Range = Array([0, 1, 0, 1, 0, 1, 0, 1])
        dn = Array([Name.DeviceN, Array([Name.Cyan, Name("/Spot_UV")]), Name.DeviceCMYK, tint])
        spec = pdfgen.clean_page(pdf, colorspaces={"DN": dn}, extra=b"q /DN cs 0.5 1 scn 200 300 50 50 re f Q\n")
        return pdfgen.build_into(pdf, path, [spec])

    dn = run(with_devicen, print_ready(spot_colors={"whitelist": []}), name="dn.pdf")
    assert dn["spot_colors"] == ["Spot_UV"]
    ok = run(with_devicen, print_ready(spot_colors={"whitelist": ["Spot_UV"]}), name="dn2.pdf")
    assert not findings(ok, "spot_colors_exceeded")


def test_hidden_layers_are_named(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.layers, print_ready())
    hit = findings(report, "layers_present")[0]
    assert hit["layers"] == ["Die line", "Notes"] and hit["hidden_layers"] == ["Notes"]
    assert report["pdf"]["hidden_layers"] == ["Notes"]
