from __future__ import annotations

from printgate.core.fixes import fix_catalog
from printgate.core.fixes.registry import resolve
from printgate.core.preflight import check_catalog


def test_every_preflight_strategy_has_a_fix() -> None:
    missing = [(c["id"], c["autofix"]["strategy"]) for c in check_catalog()
               if c["autofix"]["strategy"] and resolve(c["autofix"]["strategy"], c["kind"]) is None]
    assert missing == []


def test_catalog_lists_the_agreed_strategies() -> None:
    names = {f["strategy"] for f in fix_catalog("pdf")}
    agreed = {"add_bleed", "set_trimbox", "normalize_rotation", "thicken_hairlines", "convert_to_cmyk",
              "spot_to_process", "downsample_images", "embed_fonts", "subset_fonts", "outline_text",
              "flatten_transparency", "remove_layers", "remove_annotations", "remove_javascript",
              "remove_attachments", "flatten_forms", "remove_signatures", "remove_encryption",
              "set_output_intent", "snap_rich_black", "set_pdf_version"}
    assert agreed <= names
    raster = {f["strategy"] for f in fix_catalog("raster")}
    assert {"flatten_alpha", "convert_colorspace", "embed_icc", "upscale_image"} <= raster
    assert all(f["summary"] for f in fix_catalog())
