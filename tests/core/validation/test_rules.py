"""Each rule group: a conforming file passes it, a file that breaks one requirement fails exactly there."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import FLAVOURS, CannotValidate, normalise_flavour, validate_file
from printgate.core.validation.xmp import parse_packet
from printgate.core.validation.xmp_schemas import value_ok
from tests.core.validation.pdfs import make_pdfa


def failed(report: dict[str, Any], index: int = 0) -> set[str]:
    return {f"{f['clause']}-{f['testNumber']}" for f in report["profiles"][index]["failures"]}


@pytest.mark.parametrize(("flavour", "kwargs"), [
    ("pdfa-1b", {"part": 1}), ("pdfa-2b", {"part": 2}), ("pdfa-2u", {"part": 2, "conformance": "U"}),
    ("pdfa-3b", {"part": 3}), ("pdfua-1", {"part": 1, "ua": True}),
])
def test_a_conforming_file_is_compliant(tmp_path: Path, flavour: str, kwargs: dict[str, Any]) -> None:
    report = validate_file(make_pdfa(tmp_path / "ok.pdf", **kwargs), [flavour])
    prof = report["profiles"][0]
    assert report["compliant"] is True, prof["failures"]
    assert prof["checks"]["failed"] == 0 and prof["checks"]["passed"] > 20
    assert prof["rules"]["failed"] == 0 and prof["rules"]["passed"] == len(FLAVOURS[flavour].rule_ids)


def _annot(**extra: Any) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        annot = Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=Array([10, 10, 30, 30]),
                           Contents=pikepdf.String("note"), **extra)
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])
    return mutate


def _gs(**entries: Any) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Resources = Dictionary(ExtGState=Dictionary(G0=Dictionary(Type=Name.ExtGState, **entries)))
    return mutate


def _helvetica(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=Dictionary(
        Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)))


def _info_title(pdf: pikepdf.Pdf) -> None:
    pdf.trailer.Info.Title = pikepdf.String("Another title")


def _no_output_intent(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/OutputIntents"]


def _javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _compressed_metadata(pdf: pikepdf.Pdf) -> None:
    # qpdf writes streams typed /Metadata uncompressed whatever it is asked, so this one goes untyped
    meta = pdf.make_stream(b"")
    meta.write(zlib.compress(pdf.Root.Metadata.read_bytes()), filter=Name.FlateDecode)
    pdf.Root.Metadata = meta


def _struct(fn: Callable[[pikepdf.Pdf, pikepdf.Dictionary], None]) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        fn(pdf, pdf.Root.StructTreeRoot.K)
    return mutate


def _figure_without_alt(pdf: pikepdf.Pdf, doc: pikepdf.Dictionary) -> None:
    doc.K[0].S = Name.Figure


def _p_in_table(pdf: pikepdf.Pdf, doc: pikepdf.Dictionary) -> None:
    table = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Table, P=doc, K=Array([doc.K[0]])))
    doc.K[0].P = table
    doc.K = Array([table])


def _bad_lang(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Lang = pikepdf.String("en_GB!")


def _no_display_title(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/ViewerPreferences"]


def _rolemap_standard(pdf: pikepdf.Pdf) -> None:
    pdf.Root.StructTreeRoot.RoleMap = Dictionary(P=Name.Span)


CASES = [
    # graphics: colour spaces and output intents
    ("pdfa-1b", {"content": b"1 0 0 rg 10 10 80 80 re f"}, None, {"6.2.3.3-1"}),
    ("pdfa-2b", {"part": 2, "content": b"1 0 0 rg 10 10 80 80 re f"}, None, {"6.2.4.3-2"}),
    ("pdfa-1b", {"mutate": _no_output_intent}, None, {"6.2.3.3-2"}),
    ("pdfa-1b", {"content": b"/X ri 0 0 0 1 k 10 10 80 80 re f"}, None, {"6.2.9-1"}),
    ("pdfa-1b", {"content": b"0 0 0 1 k 10 10 80 80 re f foo"}, None, {"6.2.10-1"}),
    # transparency
    ("pdfa-1b", {"mutate": _gs(ca=0.5), "content": b"/G0 gs 0 0 0 1 k 10 10 80 80 re f"}, None, {"6.4-6"}),
    ("pdfa-2b", {"part": 2, "mutate": _gs(BM=Name("/Bogus")), "content": b"/G0 gs 0 0 0 1 k 1 1 9 9 re f"}, None,
     {"6.2.10-1"}),
    ("pdfa-1b", {"mutate": _gs(TR=Name.Identity), "content": b"/G0 gs 0 0 0 1 k 10 10 80 80 re f"}, None,
     {"6.2.8-1"}),
    # fonts
    ("pdfa-1b", {"mutate": _helvetica, "content": b"BT /F1 12 Tf 20 20 Td (Hi) Tj ET"}, None, {"6.3.4-1"}),
    ("pdfa-2b", {"part": 2, "mutate": _helvetica, "content": b"BT /F1 12 Tf 3 Tr 20 20 Td (Hi) Tj ET"}, None,
     set()),  # text rendering mode 3 (invisible) needs no embedded font program
    # annotations and actions
    ("pdfa-1b", {"mutate": _annot()}, None, {"6.5.3-2"}),
    ("pdfa-1b", {"mutate": _annot(F=4)}, None, set()),
    ("pdfa-2b", {"part": 2, "mutate": _annot(F=4)}, None, {"6.3.3-1"}),
    ("pdfa-1b", {"mutate": _javascript}, None, {"6.6.1-1"}),
    # metadata
    ("pdfa-1b", {"mutate": _info_title}, None, {"6.7.3-2"}),
    ("pdfa-1b", {"mutate": _compressed_metadata}, None, {"6.7.2-2"}),
    ("pdfa-1b", {"xmp_extra": '\n  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
                             'xmp:Author="someone"/>'}, None, {"6.7.9-2"}),
    ("pdfa-1b", {"xmp_extra": '\n  <rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
                             'tiff:ImageWidth="wide"/>'}, None, {"6.7.9-3"}),
    ("pdfa-2b", {"part": 1}, None, {"6.6.4-2"}),  # claims part 1, checked as PDF/A-2
    # PDF/UA-1
    ("pdfua-1", {"ua": True, "content": b"0 0 0 1 k 10 10 80 80 re f"}, "untagged", {"7.1-3"}),
    ("pdfua-1", {"ua": True, "mutate": _struct(_figure_without_alt)}, None, {"7.3-1"}),
    ("pdfua-1", {"ua": True, "mutate": _struct(_p_in_table)}, None, {"7.2-3"}),
    ("pdfua-1", {"ua": True, "mutate": _bad_lang}, None, {"7.2-29"}),
    ("pdfua-1", {"ua": True, "mutate": _no_display_title}, None, {"7.1-10"}),
    ("pdfua-1", {"ua": True, "mutate": _rolemap_standard}, None, {"7.1-7"}),
]


@pytest.mark.parametrize(("flavour", "kwargs", "variant", "expected"), CASES)
def test_one_broken_requirement_fails_its_rule(tmp_path: Path, flavour: str, kwargs: dict[str, Any],
                                               variant: str | None, expected: set[str]) -> None:
    path = make_pdfa(tmp_path / "case.pdf", **kwargs)
    if variant == "untagged":  # paint once more, outside the tagged sequence
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            page = pdf.pages[0].obj
            page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" 0 0 0 1 k 1 1 5 5 re f")
            pdf.save(path, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    report = validate_file(path, [flavour])
    assert failed(report) == expected
    assert report["compliant"] is (not expected)


def test_pdfa1_forbids_cross_reference_streams(tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "ok.pdf")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.save(path, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert "6.1.4-3" in failed(validate_file(path, ["pdfa-1b"]))
    assert "6.1.4-3" not in {f"{f['clause']}-{f['testNumber']}" for f in
                             validate_file(path, ["pdfa-2b"])["profiles"][0]["failures"]}


def test_file_structure_facts_are_read_from_the_bytes(tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "ok.pdf")
    raw = path.read_bytes()
    (tmp_path / "tail.pdf").write_bytes(raw + b"trailing garbage")
    assert "6.1.3-3" in failed(validate_file(tmp_path / "tail.pdf", ["pdfa-1b"]))
    (tmp_path / "offset.pdf").write_bytes(b"   " + raw)
    assert "6.1.2-1" in failed(validate_file(tmp_path / "offset.pdf", ["pdfa-1b"]))


def test_auto_validates_what_the_file_claims(tmp_path: Path) -> None:
    report = validate_file(make_pdfa(tmp_path / "a.pdf", part=2, conformance="U"), ["auto"])
    assert [p["flavour"] for p in report["profiles"]] == ["pdfa-2u"]
    assert report["profiles"][0]["requested"] == "auto" and report["profiles"][0]["matched"] == "2u"
    ua = validate_file(make_pdfa(tmp_path / "ua.pdf", ua=True), ["auto"])
    assert [p["flavour"] for p in ua["profiles"]] == ["pdfa-1b", "pdfua-1"]


def test_failures_carry_clause_test_location_and_count(tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "rgb.pdf", content=b"1 0 0 rg 1 1 5 5 re f 0 1 0 RG 1 1 m 9 9 l S")
    prof = validate_file(path, ["pdfa-1b"])["profiles"][0]
    rgb = next(f for f in prof["failures"] if f["clause"] == "6.2.3.3")
    assert rgb["testNumber"] == 1 and rgb["specification"] == "ISO 19005-1:2005"
    assert rgb["count"] == 2 and rgb["location"].startswith("page 1")
    assert "DeviceRGB" in rgb["description"]
    assert prof["checks"]["failed"] >= 2 and prof["rules"]["failed"] == 1


@pytest.mark.parametrize(("code", "key"), [("2b", "pdfa-2b"), ("PDF/A-1b", "pdfa-1b"), ("ua1", "pdfua-1"),
                                           ("pdfua-2", "pdfua-2"), ("4f", "pdfa-4f"), ("auto", "auto")])
def test_profile_codes(code: str, key: str) -> None:
    assert normalise_flavour(code) == key


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown validation profile"):
        normalise_flavour("pdfx-9")  # pdfx-1a/-3/-4 are flavours now (test_pdfx.py)


def test_bad_input_cannot_be_validated(tmp_path: Path) -> None:
    (tmp_path / "text.pdf").write_bytes(b"hello, not a pdf")
    with pytest.raises(CannotValidate, match="cannot validate: the file is not a PDF"):
        validate_file(tmp_path / "text.pdf", ["pdfa-1b"])
    (tmp_path / "cut.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(CannotValidate, match="cannot validate"):
        validate_file(tmp_path / "cut.pdf", ["pdfa-1b"])
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(make_pdfa(tmp_path / "ok.pdf")) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(CannotValidate, match="encrypted"):
        validate_file(locked, ["pdfa-1b"])


def test_an_owner_password_only_file_is_validated_and_fails_encryption(tmp_path: Path) -> None:
    path = tmp_path / "owner.pdf"
    with pikepdf.open(make_pdfa(tmp_path / "ok.pdf")) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="o", user=""))
    assert "6.1.3-2" in failed(validate_file(path, ["pdfa-1b"]))


def test_hostile_xmp_is_malformed_not_a_crash(tmp_path: Path) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="&b;"/>'
            b'</rdf:RDF></x:xmpmeta>')
    assert parse_packet(bomb).well_formed is False

    def hostile(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Metadata.write(bomb)

    assert "6.7.9-1" in failed(validate_file(make_pdfa(tmp_path / "x.pdf", mutate=hostile), ["pdfa-1b"]))


@pytest.mark.parametrize(("value", "typ", "ok"), [
    (("simple", "12"), "Integer", True), (("simple", "twelve"), "Integer", False),
    (("simple", "2024-05-01T10:00:00+02:00"), "Date", True), (("simple", "May 1st"), "Date", False),
    (("array", "Seq", [("simple", "a")], [None]), "Seq ProperName", True),
    (("array", "Bag", [("simple", "a")], [None]), "Seq ProperName", False),
    (("simple", "a"), "Lang Alt", False), (("simple", "152/1"), "Rational", True),
    (("struct", {}), "ResourceRef", True), (("simple", "x"), "ResourceRef", False),
])
def test_xmp_value_types(value: tuple, typ: str, ok: bool) -> None:
    assert value_ok(value, typ) is ok


@pytest.mark.parametrize(("widths", "text", "expected"), [
    ((250, 600), b"(A A)", set()),  # widths agree with the program, every glyph is in it
    ((250, 700), b"(A A)", {"6.2.11.5-1"}),  # Widths says 700, the program 600
    ((250, 600), b"(AB)", {"6.2.11.4.1-2"}),  # B is not in the program
])
def test_embedded_font_programs_are_read(tmp_path: Path, widths: tuple[int, int], text: bytes,
                                         expected: set[str]) -> None:
    from tests.core.validation.pdfs import embed_tiny_font

    content = b"BT /F1 12 Tf 20 20 Td " + text + b" Tj ET"
    path = make_pdfa(tmp_path / "font.pdf", part=2, content=content, mutate=embed_tiny_font(widths))
    got = failed(validate_file(path, ["pdfa-2b"]))
    assert got == expected
