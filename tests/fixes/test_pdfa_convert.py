"""Conversion to PDF/A: each defect, built with pikepdf, fails its rules before and the validator finds
the converted file compliant after (core/fixes/pdfa.py)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from printgate.core.fixes import icc
from printgate.core.fixes.pdfa import convert_file
from printgate.core.validation import validate_file
from tests.core.validation.pdfs import embed_tiny_font
from tests.fixes import pdfa_defects as d

# defect, level, the rules (validator ids: standard:clause-test) the defect breaks
CASES = [
    (d.javascript, "2b", {"pdfa2:6.5.1-1", "pdfa2:6.5.2-1", "pdfa2:6.5.2-2"}),
    (d.javascript, "1b", {"pdfa1:6.6.1-1", "pdfa1:6.6.2-3"}),
    (d.launch_and_named_actions, "2b", {"pdfa2:6.5.1-1", "pdfa2:6.5.1-2"}),
    (d.launch_and_named_actions, "4", {"pdfa4:6.6.1-1", "pdfa4:6.6.1-2"}),
    (d.lzw_content, "1b", {"pdfa1:6.1.10-1"}),
    (d.lzw_content, "2b", {"pdfa2:6.1.7.2-1"}),
    (d.image_flags, "2b", {"pdfa2:6.2.8-1", "pdfa2:6.2.8-2", "pdfa2:6.2.8-3"}),
    (d.postscript_xobject, "2b", {"pdfa2:6.2.9-3"}),
    (d.postscript_xobject, "1b", {"pdfa1:6.2.7-1"}),
    (d.annotations, "2b", {"pdfa2:6.3.1-1", "pdfa2:6.3.2-1", "pdfa2:6.3.2-2", "pdfa2:6.3.3-1", "pdfa2:6.3.3-2"}),
    (d.annotations, "1b", {"pdfa1:6.5.2-1", "pdfa1:6.5.3-2", "pdfa1:6.5.3-4"}),
    (d.embedded_file, "1b", {"pdfa1:6.1.11-1", "pdfa1:6.1.11-2"}),
    (d.embedded_file, "2b", {"pdfa2:6.8-5"}),
    (d.xfa_form, "2b", {"pdfa2:6.4.2-1", "pdfa2:6.4.2-2"}),
    (d.mixed_device_colour, "2b", {"pdfa2:6.2.4.3-2", "pdfa2:6.2.4.3-3"}),
    (d.mixed_device_colour, "1b", {"pdfa1:6.2.3.3-1", "pdfa1:6.2.3.3-2"}),
    (d.transfer_function, "2b", {"pdfa2:6.2.5-1"}),
    (d.stale_metadata, "1b", {"pdfa1:6.7.3-1", "pdfa1:6.7.3-2", "pdfa1:6.7.3-3", "pdfa1:6.7.11-2"}),
    (d.stale_metadata, "4", {"pdfa4:6.1.3-4", "pdfa4:6.7.3-2"}),
    (d.live_transparency, "1b", {"pdfa1:6.4-3", "pdfa1:6.4-6"}),
    (d.standard_font, "2b", {"pdfa2:6.2.11.4.1-1"}),
    (d.standard_font, "1b", {"pdfa1:6.3.4-1"}),
    (d.optional_content, "1b", {"pdfa1:6.1.13-1"}),
    (d.optional_content, "2b", {"pdfa2:6.9-1", "pdfa2:6.9-4"}),
    (d.coloured_link_on_cmyk, "1b", {"pdfa1:6.5.3-3", "pdfa1:6.2.3.3-2"}),
    (d.push_button, "1b", {"pdfa1:6.5.3-5", "pdfa1:6.6.1-3"}),
    (d.push_button, "2b", {"pdfa2:6.3.3-3", "pdfa2:6.4.1-1"}),
]


def _failing(path: Path, flavour: str) -> set[str]:
    return {f["ruleId"] for f in validate_file(path, [flavour])["profiles"][0]["failures"]}


@pytest.mark.parametrize(("defect", "level", "rules"), CASES,
                         ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_a_defect_is_converted_and_the_validator_confirms(tmp_path: Path, defect: d.Defect, level: str,
                                                         rules: set[str]) -> None:
    src = d.make(tmp_path / "in.pdf", defect)
    assert rules <= _failing(src, f"pdfa-{level}")
    original = src.read_bytes()
    out = tmp_path / "out.pdf"
    result = convert_file(src, out, level)
    assert result["compliant"] is True, result["remaining"]
    assert result["remaining"] == [] and result["error"] is None and result["applied"]
    assert not rules & _failing(out, f"pdfa-{level}")
    assert validate_file(out, ["auto"])["profiles"][0]["matched"] == level  # the file now claims its level
    assert src.read_bytes() == original  # the upload is only ever read


def test_forbidden_content_is_gone_and_the_rest_kept(tmp_path: Path) -> None:
    src = d.make(tmp_path / "in.pdf", d.javascript, d.launch_and_named_actions, d.lzw_content, d.image_flags)
    out = tmp_path / "out.pdf"
    assert convert_file(src, out, "2b")["compliant"] is True
    with pikepdf.open(out) as pdf:
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root and "/JavaScript" not in pdf.Root.Names
        actions = [a.get("/A") for a in pdf.pages[0].Annots]
        assert actions[0] is None and actions[1] is None  # Launch and the Print named action
        assert pikepdf.Name.NextPage == actions[2].N and "/Next" not in actions[2]  # navigation kept, Launch cut
        assert pdf.pages[0].Contents.get("/Filter") != pikepdf.Name.LZWDecode
        assert pdf.pages[0].Contents.read_bytes().startswith(b"0.5 g")
        image = pdf.pages[0].Resources.XObject.Im1
        assert not any(k in image for k in ("/OPI", "/Alternates")) and not bool(image.get("/Interpolate", False))


def test_pdfa1_is_pdf14_with_a_classic_xref_and_pdfa4_is_pdf20(tmp_path: Path) -> None:
    src = d.make(tmp_path / "in.pdf", d.mixed_device_colour, version="1.6")
    one, four = tmp_path / "1b.pdf", tmp_path / "4.pdf"
    assert convert_file(src, one, "1b")["compliant"] and convert_file(src, four, "4")["compliant"]
    head = one.read_bytes()[:16]
    assert head.startswith(b"%PDF-1.4\n%") and all(b > 127 for b in head[10:14])
    assert b"/XRefStm" not in one.read_bytes() and b"\nxref\n" in one.read_bytes()
    assert four.read_bytes().startswith(b"%PDF-2.0")
    with pikepdf.open(four) as pdf:
        assert "/Info" not in pdf.trailer and "/ID" in pdf.trailer  # PDF/A-4: document info in XMP only


def test_metadata_is_synced_with_the_info_dictionary(tmp_path: Path) -> None:
    src = d.make(tmp_path / "in.pdf", d.stale_metadata)
    out = tmp_path / "out.pdf"
    assert convert_file(src, out, "2b")["compliant"] is True
    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == str(pdf.docinfo.Title) == "Annual report"
        assert meta["xmp:CreatorTool"] == str(pdf.docinfo.Creator) == "TestWriter 1.0"
        assert meta["pdf:Producer"] == str(pdf.docinfo.Producer)
        assert meta["xmp:CreateDate"].startswith("2020-01-02T03:04:05")  # the document's own creation date kept
        assert str(pdf.docinfo.CreationDate).startswith("D:20200102030405")
        assert "/ID" in pdf.trailer


def test_a_cmyk_document_gets_a_cmyk_intent_and_its_rgb_a_default_space(tmp_path: Path) -> None:
    src = d.make(tmp_path / "in.pdf", d.mixed_device_colour)
    out = tmp_path / "out.pdf"
    result = convert_file(src, out, "2b")
    assert result["compliant"] is True
    with pikepdf.open(out) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1 and int(intent.DestOutputProfile.N) == 4
        default_rgb = pdf.pages[0].Resources.ColorSpace.DefaultRGB
        assert default_rgb[0] == pikepdf.Name.ICCBased and int(default_rgb[1].N) == 3


def test_pdfa3_keeps_an_embedded_file_and_describes_it(tmp_path: Path) -> None:
    src = d.make(tmp_path / "in.pdf", d.embedded_file)
    out = tmp_path / "out.pdf"
    assert convert_file(src, out, "3b")["compliant"] is True
    with pikepdf.open(out) as pdf:
        assert pdf.attachments["data.csv"].get_file().read_bytes() == b"a,b\n1,2\n"
        spec = pdf.Root.AF[0]
        assert "/AFRelationship" in spec and "/UF" in spec


def test_inconsistent_glyph_widths_are_set_to_the_program(tmp_path: Path) -> None:
    def wrong_widths(pdf: pikepdf.Pdf) -> None:
        embed_tiny_font(widths=(250, 700))(pdf)  # the program says 600 for A
        pdf.pages[0].obj.Contents.write(b"0.5 g 10 10 100 100 re f BT /F1 12 Tf 10 150 Td (A A) Tj ET")

    src = d.make(tmp_path / "in.pdf", wrong_widths)
    assert "pdfa2:6.2.11.5-1" in _failing(src, "pdfa-2b")
    out = tmp_path / "out.pdf"
    result = convert_file(src, out, "2b")
    assert result["compliant"] is True, result["remaining"]
    assert any("glyph width" in line for line in result["applied"])
    with pikepdf.open(out) as pdf:
        font = pdf.pages[0].Resources.Font.F1
        assert float(font.Widths[65 - int(font.FirstChar)]) == 600 and float(font.Widths[0]) == 250


def test_a_pdfx_intent_is_kept_and_shares_its_profile_with_the_pdfa_intent(tmp_path: Path) -> None:
    def pdfx_intent(pdf: pikepdf.Pdf) -> None:
        profile = pdf.make_stream(icc.resolve("fogra39").data())
        profile.N = 4
        pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX, OutputConditionIdentifier=pikepdf.String("FOGRA39"),
            DestOutputProfile=profile)])

    src = d.make(tmp_path / "in.pdf", d.mixed_device_colour, pdfx_intent)
    out = tmp_path / "out.pdf"
    assert convert_file(src, out, "2b")["compliant"] is True
    with pikepdf.open(out) as pdf:
        pdfx, pdfa = pdf.Root.OutputIntents
        assert (pdfx.S, pdfa.S) == (pikepdf.Name.GTS_PDFX, pikepdf.Name.GTS_PDFA1)
        assert pdfx.DestOutputProfile.objgen == pdfa.DestOutputProfile.objgen
        assert str(pdfa.OutputConditionIdentifier) == "FOGRA39"


def test_pdfa1_with_coloured_annotations_takes_an_rgb_intent_and_keeps_cmyk_device_independent(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    assert convert_file(d.make(tmp_path / "in.pdf", d.coloured_link_on_cmyk), out, "1b")["compliant"] is True
    with pikepdf.open(out) as pdf:
        assert int(pdf.Root.OutputIntents[0].DestOutputProfile.N) == 3
        assert list(pdf.pages[0].Annots[0].C) == [1, 0, 0]  # the link keeps its colour
        default_cmyk = pdf.pages[0].Resources.ColorSpace.DefaultCMYK
        assert int(default_cmyk[1].N) == 4
