from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf
import pytest

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import run_autofix
from tests.fixes.fixkit import finding, report


def test_remove_javascript_everywhere(pdfs, tmp_path: Path) -> None:
    src = pdfs.art()
    js = tmp_path / "js.pdf"
    with pikepdf.open(src) as pdf:
        action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        pdf.Root.OpenAction = action
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), action])))
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=action)
        pdf.save(js)
    out = tmp_path / "out.pdf"
    res = run_autofix(js, out, report(finding("javascript", "remove_javascript", page=None)), None)
    assert res["outcome"] == "fixed"
    assert b"app.alert" not in out.read_bytes()
    with pikepdf.open(out) as pdf:
        assert "/OpenAction" not in pdf.Root and "/JavaScript" not in pdf.Root.get("/Names", {})
        assert "/AA" not in pdf.pages[0].obj


def test_remove_annotations_keeps_artwork(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "annots.pdf"
    doc = pymupdf.open(pdfs.art())
    doc[0].add_text_annot((50, 50), "a sticky note")
    doc[0].add_highlight_annot(pymupdf.Rect(10, 10, 60, 30))
    doc.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("annotations", "remove_annotations")), None)
    assert res["outcome"] == "fixed" and "annotation(s)" in res["applied"][0]["detail"]
    with pymupdf.open(out) as d:
        assert list(d[0].annots()) == []


def test_remove_attachments(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "att.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.attachments["secret.txt"] = pikepdf.AttachedFileSpec(pdf, b"hidden payload")
        pdf.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("attachments", "remove_attachments", page=None)), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as pdf:
        assert len(pdf.attachments) == 0
    assert b"hidden payload" not in out.read_bytes()


def _form_pdf(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    widget = pymupdf.Widget()
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "name"
    widget.field_value = "Jane Printer"
    widget.rect = pymupdf.Rect(20, 20, 200, 50)
    page.add_widget(widget)
    doc.save(path)
    return path


def test_flatten_forms_bakes_value_and_removes_acroform(tmp_path: Path) -> None:
    src = _form_pdf(tmp_path / "form.pdf")
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("forms", "flatten_forms", page=None)), None)
    assert res["outcome"] == "fixed", res
    with pikepdf.open(out) as pdf:
        assert "/AcroForm" not in pdf.Root
        assert not [a for a in pdf.pages[0].obj.get("/Annots", []) if a.get("/Subtype") == pikepdf.Name.Widget]
    with pymupdf.open(out) as d:
        assert "Jane Printer" in d[0].get_text()


def test_remove_signatures(tmp_path: Path) -> None:
    src = tmp_path / "sig.pdf"
    with pikepdf.open(_form_pdf(tmp_path / "f.pdf")) as pdf:
        sig = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Sig,
                                                   T=pikepdf.String("Signature1"), Rect=[0, 0, 0, 0],
                                                   V=pikepdf.Dictionary(Type=pikepdf.Name.Sig)))
        pdf.Root.AcroForm.Fields.append(sig)
        pdf.Root.AcroForm.SigFlags = 3
        pdf.pages[0].obj.Annots.append(sig)
        pdf.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("signatures", "remove_signatures", page=None)), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as pdf:
        assert all(f.get("/FT") != pikepdf.Name.Sig for f in pdf.Root.AcroForm.Fields)
        assert "/SigFlags" not in pdf.Root.AcroForm
        assert all(a.get("/FT") != pikepdf.Name.Sig for a in pdf.pages[0].obj.Annots)


def test_remove_layers_drops_hidden_and_keeps_visible(pdfs, tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    on = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Visible")))
    off = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Hidden")))
    pdf.Root.OCProperties = pikepdf.Dictionary(OCGs=[on, off], D=pikepdf.Dictionary(OFF=[off]))
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(Properties=pikepdf.Dictionary(L1=on, L2=off))
    page.obj.Contents = pikepdf.Stream(pdf, b"/OC /L1 BDC 1 0 0 rg 0 0 100 100 re f EMC /OC /L2 BDC 0 0 1 rg 100 100 100 100 re f EMC")
    src = tmp_path / "layers.pdf"
    pdf.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("layers", "remove_layers", page=None)), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as result:
        assert "/OCProperties" not in result.Root
        ops = [str(op) for _, op in pikepdf.parse_content_stream(result.pages[0])]
    assert "BDC" not in ops and ops.count("re") == 1
    with pymupdf.open(out) as d:
        pix = d[0].get_pixmap()
        assert pix.pixel(50, 150)[:3] == (255, 0, 0)  # visible layer kept (bottom-left in PDF space)
        assert pix.pixel(150, 50)[:3] == (255, 255, 255)  # hidden layer gone


def test_remove_encryption_owner_only(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "enc.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.save(src, encryption=pikepdf.Encryption(user="", owner="owner", allow=pikepdf.Permissions(print_highres=False)))
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("encryption", "remove_encryption", page=None)), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as pdf:
        assert not pdf.is_encrypted


def test_other_fixes_keep_owner_encryption_unless_asked(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "enc.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.save(src, encryption=pikepdf.Encryption(user="", owner="owner"))
    out = tmp_path / "out.pdf"
    run_autofix(src, out, report(finding("trim", "set_trimbox", {"inset_mm": 1})), None)
    with pikepdf.open(out) as pdf:
        assert pdf.is_encrypted


def test_user_password_is_unreadable(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "locked.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.save(src, encryption=pikepdf.Encryption(user="u", owner="o"))
    with pytest.raises(UnreadableFile, match="password"):
        run_autofix(src, tmp_path / "o.pdf", report(finding("encryption", "remove_encryption", page=None)), None)


@pytest.mark.parametrize("payload", [b"", b"GIF89a not a pdf", b"%PDF-1.4\n%%EOF\n"])
def test_broken_input_is_unreadable(payload: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(payload)
    with pytest.raises(UnreadableFile):
        run_autofix(bad, tmp_path / "o.pdf", report(finding("javascript", "remove_javascript")), None)


def test_set_pdf_version_up_and_down(pdfs, tmp_path: Path) -> None:
    src = tmp_path / "v13.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.save(src, force_version="1.3")
    up = tmp_path / "up.pdf"
    res = run_autofix(src, up, report(finding("pdf_version", "set_pdf_version", {"min": "1.4", "max": "1.7"}, page=None)), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(up) as pdf:
        assert pdf.pdf_version == "1.4"
    hi = tmp_path / "v20.pdf"
    with pikepdf.open(pdfs.art()) as pdf:
        pdf.save(hi, force_version="2.0")
    down = tmp_path / "down.pdf"
    res = run_autofix(hi, down, report(finding("pdf_version", "set_pdf_version", {"min": "1.4", "max": "1.7"}, page=None)), None)
    assert res["outcome"] == "fixed", res
    with pikepdf.open(down) as pdf:
        assert pdf.pdf_version == "1.7"


def test_flatten_transparency(pdfs, tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=200)
    page.draw_rect(pymupdf.Rect(0, 0, 120, 120), color=None, fill=(1, 0, 0))
    page.draw_rect(pymupdf.Rect(60, 60, 180, 180), color=None, fill=(0, 0, 1), fill_opacity=0.5)
    src = tmp_path / "transp.pdf"
    doc.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("transparency", "flatten_transparency")), None)
    assert res["outcome"] == "fixed", res
    with pikepdf.open(out) as pdf:
        for page in pdf.pages:
            for gs in page.obj.get("/Resources", {}).get("/ExtGState", {}).values():
                assert float(gs.get("/ca", 1)) == 1 and float(gs.get("/CA", 1)) == 1
            assert "/Group" not in page.obj
    with pymupdf.open(out) as d:
        r, _g, b = d[0].get_pixmap().pixel(90, 90)[:3]
    assert r > 100 and b > 100  # the blend is still visible: composited, not dropped


def test_items_filter_and_unknown_strategy(pdfs, tmp_path: Path) -> None:
    rep = report(
        finding("javascript", "remove_javascript"),
        finding("mystery", "teleport_pixels"),
        finding("image_low_resolution", None),
    )
    res = run_autofix(pdfs.art(), tmp_path / "o.pdf", rep, None, items=["mystery", "image_low_resolution"])
    assert res["outcome"] == "unchanged"
    reasons = {s["ruleId"]: s["reason"] for s in res["skipped"]}
    assert "no fix is registered" in reasons["mystery"]
    assert "no automatic fix" in reasons["image_low_resolution"]


def test_ghostscript_hang_is_cut_by_timeout(pdfs, tmp_path: Path, monkeypatch) -> None:
    slow = tmp_path / "slow-gs"
    slow.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PRINTGATE_GHOSTSCRIPT", str(slow))
    monkeypatch.setenv("PRINTGATE_GHOSTSCRIPT_TIMEOUT_S", "0.5")
    res = run_autofix(pdfs.text(), tmp_path / "o.pdf", report(finding("text_not_outlined", "outline_text")), None)
    assert res["outcome"] == "unchanged"
    assert "did not finish within" in res["skipped"][0]["reason"]


def test_ghostscript_crash_is_reported(pdfs, tmp_path: Path, monkeypatch) -> None:
    crash = tmp_path / "crash-gs"
    crash.write_text("#!/bin/sh\necho 'Error: /rangecheck in --run--' >&2\nexit 1\n")
    crash.chmod(0o755)
    monkeypatch.setenv("PRINTGATE_GHOSTSCRIPT", str(crash))
    # An RGB shading: the part of the colour only Ghostscript converts (LittleCMS does images and vectors).
    shading = pikepdf.Dictionary(ShadingType=2, ColorSpace=pikepdf.Name.DeviceRGB, Coords=[0, 0, 100, 0],
                                 Function=pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1))
    src = pdfs.raw("shaded.pdf", b"1 0 0 rg 0 0 50 50 re f /Sh0 sh", {"/Shading": pikepdf.Dictionary(Sh0=shading)})
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("color", "convert_to_cmyk"),
                                                      finding("js", "remove_javascript")), None)
    reasons = {s["strategy"]: s["reason"] for s in res["skipped"]}
    assert "rangecheck" in reasons["convert_to_cmyk"]


def test_broken_page_content_does_not_crash(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"0.1 w 0 0 m 10 10 l S q q ((( BT ] /Nope Do")
    src = tmp_path / "broken.pdf"
    pdf.save(src)
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("stroke_too_thin", "thicken_hairlines", {"min_pt": 0.25}),
                                                       finding("rich_black", "snap_rich_black")), None)
    assert res["outcome"] in ("fixed", "unchanged")
    assert all(s["reason"] for s in res["skipped"])
