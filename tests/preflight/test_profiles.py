"""Profiles, page rules, SDK context, the catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from printgate.core.preflight import check_catalog, get_builtin_profiles, run_preflight
from printgate.core.preflight.messages import MESSAGES
from printgate.core.preflight.profiles import parse_pages

from . import pdfgen
from .conftest import findings, print_ready

STRATEGIES = {
    "mirror_bleed", "set_trimbox", "normalize_rotation", "split_spreads", "convert_colors", "embed_output_intent",
    "convert_icc", "rich_black_to_k", "embed_fonts", "subset_fonts", "thicken_hairlines", "outline_text",
    "downsample_images", "recompress_images", "flatten_transparency", "flatten_layers", "remove_annotations",
    "remove_javascript", "remove_attachments", "flatten_forms", "remove_xfa", "remove_signatures",
    "remove_encryption", "convert_pdf_version", "repair_structure", "linearize", "upscale_image",
    "downscale_image", "convert_colorspace", "increase_bit_depth", "flatten_alpha", "remove_background",
    "embed_icc", "pad_crop_aspect", "limit_ink", "identify_pdfx",
}


def test_builtin_profiles_have_stable_ids() -> None:
    ids = {p["id"]: p for p in get_builtin_profiles()}
    for pid in ("prof_print_ready", "prof_pdfx4", "prof_business_card", "prof_large_format", "prof_photo_raster"):
        assert pid in ids
    assert ids["prof_photo_raster"]["kind"] == "raster"
    assert ids["prof_business_card"]["checks"]["page_size"]["sizes"] == [{"width_mm": 85, "height_mm": 55}]
    # Built-ins are returned as copies: callers can't corrupt them.
    ids["prof_print_ready"]["checks"].clear()
    assert get_builtin_profiles()[0]["checks"]


def test_catalog_is_complete() -> None:
    cat = check_catalog()
    ids = [c["id"] for c in cat]
    assert len(ids) == len(set(ids))
    for c in cat:
        assert c["defaultAction"] in ("reject", "warn", "autofix", "off")
        assert c["messages"]["issue"] and c["messages"]["fix"], c["id"]
        assert c["id"] in MESSAGES
        if c["autofix"]["available"]:
            assert c["autofix"]["strategy"] in STRATEGIES
    assert {c["kind"] for c in cat} == {"pdf", "raster"}
    assert len(check_catalog("raster")) == 11
    bleed = next(c for c in cat if c["id"] == "bleed")
    assert bleed["settings"] == {"required_mm": 3.0, "tolerance_mm": 0.2, "fill": "mirror", "sides": "all"}
    assert bleed["defaultAction"] == "autofix" and bleed["ruleId"] == "bleed_missing"


def test_default_actions_match_the_docs() -> None:
    actions = {c["id"]: c["defaultAction"] for c in check_catalog()}
    assert actions["page_count"] == "reject" and actions["orientation"] == "off"
    assert actions["fonts_embedded"] == "reject" and actions["min_font_size"] == "warn"
    assert actions["image_bit_depth"] == "reject" and actions["pdfa"] == "reject"
    assert actions["linearized"] == "off" and actions["raster_tac"] == "off"


@pytest.mark.parametrize(
    ("spec", "pages"),
    [("1", {1}), ("2-n", {2, 3, 4, 5}), ("1,3,5", {1, 3, 5}), ("2-10", {2, 3, 4, 5}), ("n", {5}), ("x", set())],
)
def test_parse_pages(spec: str, pages: set[int]) -> None:
    assert parse_pages(spec, 5) == pages


def test_page_rules_cover_vs_interior(tmp_path: Path) -> None:
    """Cover needs 5 mm bleed, interior keeps 3 mm: only page 1 fails."""
    path = pdfgen.make_pages(tmp_path / "book.pdf", 4)
    profile = print_ready(bleed={"action": "reject"})
    profile["pageRules"] = [{"pages": "1", "checks": {"bleed": {"required_mm": 5}}}]
    report = run_preflight(path, profile, source_name="book.pdf")
    hits = findings(report, "bleed_missing")
    assert [h["page"] for h in hits] == [1]
    assert hits[0]["required_mm"] == 5.0 and hits[0]["measured_mm"] == 3.0
    assert "5 mm" in hits[0]["issue"]


def test_page_rules_switch_a_check_on_for_some_pages(tmp_path: Path) -> None:
    def gen(path: Path) -> Path:
        pdf = __import__("pikepdf").new()
        rgb = pdfgen.clean_page(pdf, extra=b"q 1 0 0 rg 200 300 50 50 re f Q\n")
        return pdfgen.build_into(pdf, path, [rgb, rgb, rgb])

    path = gen(tmp_path / "rgb.pdf")
    profile = print_ready(color_mode={"action": "off"})
    profile["pageRules"] = [{"pages": "1", "checks": {"color_mode": {"action": "reject"}}}]
    report = run_preflight(path, profile, source_name="rgb.pdf")
    hits = findings(report, "color_mode_not_allowed")
    assert [(h["page"], h["severity"]) for h in hits] == [(1, "reject")]


def test_page_rules_apply_to_document_level_checks(tmp_path: Path) -> None:
    """Fonts are document-level; the font's first page decides which rule applies."""
    path = pdfgen.unembedded_font(tmp_path / "f.pdf")
    profile = print_ready()
    profile["pageRules"] = [{"pages": "1", "checks": {"fonts_embedded": {"action": "warn"}}}]
    report = run_preflight(path, profile, source_name="f.pdf")
    assert findings(report, "font_not_embedded")[0]["severity"] == "warn"


def test_context_narrows_targets(run: Callable[..., dict[str, Any]]) -> None:
    ctx = {"artworkSize": {"width_mm": 85, "height_mm": 55}, "pageCount": {"min": 2, "max": 2},
           "bleed": {"required_mm": 4}, "safety": {"min_mm": 30}}
    report = run(pdfgen.make_clean, print_ready(), ctx)
    got = {f["ruleId"]: f for f in findings(report)}
    assert got["page_size_mismatch"]["required_mm"] == [[85.0, 55.0]]
    assert got["page_count_mismatch"]["measured_pages"] == 1
    assert got["bleed_missing"]["required_mm"] == 4.0
    assert got["content_in_safety_margin"]["required_mm"] == 30.0


def test_trimbox_inferred_from_order_size(run: Callable[..., dict[str, Any]]) -> None:
    """Glossary: a 106 x 106 mm upload for a 100 x 100 mm order means 3 mm bleed."""
    mm = pdfgen.MM

    def gen(path: Path) -> Path:
        return pdfgen._one_page(path, width=106 * mm, height=106 * mm, trim_inset=None,
                                text=pdfgen._text(x_mm=20, y_mm=50), image=b"", stroke=b"")

    report = run(gen, print_ready(), {"artworkSize": {"width_mm": 100, "height_mm": 100}})
    got = {f["ruleId"]: f for f in findings(report)}
    assert "page_size_mismatch" not in got and "bleed_missing" not in got
    trim = got["trimbox_missing"]
    assert trim["inferred"] is True
    # Text 20 mm inside the inferred trim: no safety finding although it is 23 mm from the media edge.
    assert "content_in_safety_margin" not in got and "text_outside_safe_zone" not in got
    assert trim["autofix"]["params"]["rect"] == pytest.approx([3 * mm, 3 * mm, 103 * mm, 103 * mm], abs=0.01)


def test_business_card_profile(tmp_path: Path) -> None:
    profile = next(p for p in get_builtin_profiles() if p["id"] == "prof_business_card")
    report = run_preflight(pdfgen.make_clean(tmp_path / "a5.pdf"), profile, source_name="a5.pdf")
    hit = findings(report, "page_size_mismatch")[0]
    assert hit["severity"] == "reject"
    assert hit["issue"] == ("Your page size doesn't match what this product needs. "
                            "Your file is 148 × 210 mm, but we need 85 × 55 mm.")


def test_custom_profile_only_runs_named_checks(run: Callable[..., dict[str, Any]]) -> None:
    profile = {"id": "p1", "kind": "pdf", "checks": {"bleed": {"action": "reject"}, "geom.rotation": "warn",
                                                      "no_such_check": {"action": "warn"}}}
    report = run(pdfgen.rotated, profile)
    assert {f["ruleId"] for f in findings(report)} == {"page_rotated"}
    assert "bleed" in report["evaluation"]["passed"]
    assert findings(report)[0]["severity"] == "warn"
    assert any(e["code"] == "unknown_check" for e in report["errors"])
    assert report["evaluation"]["summary"]["ignored"] > 30


def test_profile_kind_mismatch_falls_back_to_defaults(run: Callable[..., dict[str, Any]]) -> None:
    raster_profile = next(p for p in get_builtin_profiles() if p["id"] == "prof_photo_raster")
    report = run(pdfgen.make_clean, raster_profile)
    assert any(e["code"] == "profile_kind_mismatch" for e in report["errors"])
    assert report["kind"] == "pdf" and "bleed" in report["evaluation"]["passed"]


def test_pdfx4_profile(tmp_path: Path) -> None:
    profile = next(p for p in get_builtin_profiles() if p["id"] == "prof_pdfx4")
    clean = run_preflight(pdfgen.make_clean(tmp_path / "c.pdf"), profile, source_name="c.pdf")
    assert clean["outcome"] == "pass"
    bad = run_preflight(pdfgen.not_pdfx(tmp_path / "n.pdf"), profile, source_name="n.pdf")
    hit = findings(bad, "pdfx_not_compliant")[0]
    assert hit["severity"] == "reject" and hit["issue"].startswith("This product needs a PDF/X-4 compliant file")


def test_catalog_lists_every_rule_id_the_defects_emit() -> None:
    emitted = {r for c in check_catalog() for r in c["ruleIds"]}
    assert set(pdfgen.DEFECTS) <= emitted
    schema = next(c for c in check_catalog() if c["id"] == "output_intent")["schema"]
    assert schema["expected_profile"] == {"type": "string", "default": None, "nullable": True}
    bit = next(c for c in check_catalog() if c["id"] == "image_bit_depth")["schema"]["min"]
    assert bit["options"] == [1, 2, 4, 8, 16] and bit["type"] == "number"


def test_rotated_page_is_not_an_inconsistent_size(tmp_path: Path) -> None:
    import pikepdf

    pdf = pikepdf.new()
    path = pdfgen.build_into(pdf, tmp_path / "r.pdf", [pdfgen.clean_page(pdf), pdfgen.clean_page(pdf, rotate=90)])
    report = run_preflight(path, print_ready(), source_name="r.pdf")
    assert not findings(report, "inconsistent_page_sizes")
    assert [f["page"] for f in findings(report, "page_rotated")] == [2]
