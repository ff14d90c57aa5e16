"""The pipeline's ``repreflight`` step: fix with the report's own findings, preflight again, finding gone."""

from __future__ import annotations

import copy
from pathlib import Path

import pikepdf
import pymupdf
import pytest

from printgate.core.fixes import run_autofix
from printgate.core.preflight import get_builtin_profile, run_preflight


def _profile(**overrides: dict) -> dict:
    profile = copy.deepcopy(get_builtin_profile("prof_print_ready"))
    for check, settings in overrides.items():
        profile["checks"].setdefault(check, {}).update(settings)
    return profile


def _rules(path: Path, profile: dict) -> set[str]:
    report = run_preflight(path, profile, source_name=path.name)
    return {f["ruleId"] for f in report["evaluation"]["findings"]}


def _fix_and_recheck(src: Path, out: Path, profile: dict, rule: str) -> dict:
    report = run_preflight(src, profile, source_name=src.name)
    assert rule in {f["ruleId"] for f in report["evaluation"]["findings"]}
    result = run_autofix(src, out, report, profile, items=[rule])
    assert result["outcome"] == "fixed", result
    assert rule not in _rules(out, profile), result
    return result


def test_bleed_and_trimbox_findings_disappear(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=200, h=100)
    profile = _profile()
    report = run_preflight(src, profile, source_name="art.pdf")
    before = {f["ruleId"] for f in report["evaluation"]["findings"]}
    assert {"bleed_missing", "trimbox_missing"} <= before
    out = tmp_path / "out.pdf"
    result = run_autofix(src, out, report, profile, items=["bleed_missing", "trimbox_missing"])
    assert result["outcome"] == "fixed", result
    after = _rules(out, profile)
    assert not ({"bleed_missing", "trimbox_missing"} & after), after


def test_hairlines_disappear(pdfs, tmp_path: Path) -> None:
    src = pdfs.raw("hair.pdf", b"0 0 1 0 K 0.05 w 20 20 m 180 20 l S 0 w 20 40 m 180 40 l S")
    _fix_and_recheck(src, tmp_path / "o.pdf", _profile(), "stroke_too_thin")


def test_rgb_to_cmyk_disappears(pdfs, tmp_path: Path) -> None:
    _fix_and_recheck(pdfs.art(), tmp_path / "o.pdf", _profile(), "color_mode_not_allowed")


def test_output_intent_disappears(pdfs, tmp_path: Path) -> None:
    _fix_and_recheck(pdfs.art(), tmp_path / "o.pdf", _profile(), "output_intent_missing")


def test_rotation_disappears(pdfs, tmp_path: Path) -> None:
    rotated = tmp_path / "rot.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(rotated)
    _fix_and_recheck(rotated, tmp_path / "o.pdf", _profile(), "page_rotated")


def test_font_embedding_disappears(pdfs, tmp_path: Path) -> None:
    _fix_and_recheck(pdfs.text(), tmp_path / "o.pdf", _profile(), "font_not_embedded")


def test_outline_text_disappears(pdfs, tmp_path: Path) -> None:
    _fix_and_recheck(pdfs.text(), tmp_path / "o.pdf", _profile(), "text_not_outlined")


def test_high_resolution_image_disappears(pdfs, tmp_path: Path) -> None:
    src = pdfs.image(px=1000, inches=1.0)
    _fix_and_recheck(src, tmp_path / "o.pdf", _profile(), "image_high_resolution")


def test_rich_black_text_disappears(pdfs, tmp_path: Path) -> None:
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    src = pdfs.raw("rich.pdf", b"BT /F1 24 Tf 0.6 0.5 0.4 1 k 40 100 Td (Rich) Tj ET",
                   {"/Font": pikepdf.Dictionary(F1=font)})
    _fix_and_recheck(src, tmp_path / "o.pdf", _profile(), "rich_black")


@pytest.mark.parametrize(
    ("rule", "build"),
    [
        ("javascript_present", "js"),
        ("annotations_present", "annots"),
        ("attachments_present", "attach"),
    ],
)
def test_structure_findings_disappear(rule: str, build: str, pdfs, tmp_path: Path) -> None:
    src = tmp_path / f"{build}.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        if build == "js":
            pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        elif build == "annots":
            pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[10, 10, 30, 30], Contents=pikepdf.String("note")))])
        else:
            pdf.attachments["a.txt"] = pikepdf.AttachedFileSpec(pdf, b"payload")
        pdf.save(src)
    _fix_and_recheck(src, tmp_path / "o.pdf", _profile(), rule)


def _spot_pdf(path: Path) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    fn = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 0.5, 0, 0.1], N=1)
    sep = pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name("/PANTONE 300 C"), pikepdf.Name.DeviceCMYK, pdf.make_indirect(fn)])
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=sep))
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"/CS0 cs 0.8 scn 10 10 100 100 re f")
    pdf.save(path)
    return path


def test_spot_to_process_disappears(tmp_path: Path) -> None:
    src = _spot_pdf(tmp_path / "spot.pdf")
    profile = _profile()
    report = run_preflight(src, profile, source_name="spot.pdf")
    finding = next(f for f in report["evaluation"]["findings"] if f["ruleId"] == "spot_colors_exceeded")
    # The Spot Colors check does not advertise a fix (Filecheck: Warn); merchants opt in via items.
    finding["autofix"] = {"available": True, "runner": "optimize", "strategy": "spot_to_process", "params": {}}
    result = run_autofix(src, tmp_path / "o.pdf", report, profile, items=["spot_colors_exceeded"])
    assert result["outcome"] == "fixed", result
    assert "spot_colors_exceeded" not in _rules(tmp_path / "o.pdf", profile)
    assert result["applied"][0]["strategy"] == "spot_to_process"
    with pikepdf.open(tmp_path / "o.pdf") as pdf:
        ops = [([float(v) for v in o], str(op)) for o, op in pikepdf.parse_content_stream(pdf.pages[0])]
    assert ([0.8, 0.4, 0.0, 0.08], "k") in ops


def test_layers_forms_transparency_version_disappear(pdfs, tmp_path: Path) -> None:
    # layers
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    ocg = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("L")))
    pdf.Root.OCProperties = pikepdf.Dictionary(OCGs=[ocg], D=pikepdf.Dictionary())
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(Properties=pikepdf.Dictionary(L1=ocg))
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"/OC /L1 BDC 0 0 0 1 k 0 0 100 100 re f EMC")
    pdf.save(tmp_path / "layers.pdf")
    _fix_and_recheck(tmp_path / "layers.pdf", tmp_path / "o1.pdf", _profile(), "layers_present")
    # transparency
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=200)
    page.draw_rect(pymupdf.Rect(20, 20, 120, 120), color=None, fill=(0, 0, 0), fill_opacity=0.4)
    doc.save(tmp_path / "tr.pdf")
    _fix_and_recheck(tmp_path / "tr.pdf", tmp_path / "o2.pdf", _profile(), "transparency_present")
    # version
    with pikepdf.open(pdfs.art()) as p:
        p.save(tmp_path / "v20.pdf", force_version="2.0")
    _fix_and_recheck(tmp_path / "v20.pdf", tmp_path / "o3.pdf", _profile(), "pdf_version_unsupported")


def test_encryption_disappears(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "enc.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.save(src, encryption=pikepdf.Encryption(user="", owner="secret"))
    rules = _rules(src, _profile())
    rule = next(r for r in rules if "encrypt" in r)
    _fix_and_recheck(src, tmp_path / "o.pdf", _profile(), rule)


def test_bleed_on_a_gray_page_does_not_introduce_rgb(pdfs, tmp_path: Path) -> None:
    """Mirrored bleed pixels follow the page's colour: a gray/CMYK page stays free of RGB."""
    src = pdfs.raw("gray.pdf", b"0.2 g 0 0 200 100 re f 0 0 0 1 k 20 20 60 30 re f")
    profile = _profile()
    report = run_preflight(src, profile, source_name="gray.pdf")
    assert "color_mode_not_allowed" not in {f["ruleId"] for f in report["evaluation"]["findings"]}
    out = tmp_path / "out.pdf"
    result = run_autofix(src, out, report, profile, items=["bleed_missing"])
    assert result["outcome"] == "fixed", result
    after = _rules(out, profile)
    assert "bleed_missing" not in after
    assert "color_mode_not_allowed" not in after and "image_color_mode_not_allowed" not in after, after
