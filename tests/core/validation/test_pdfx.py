"""PDF/X-1a, -3 and -4 rules: a conforming file passes every rule of its part; a file that breaks one
requirement fails exactly there (and a near miss that keeps to it passes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from printgate.core.validation import FLAVOURS, CannotValidate, normalise_flavour, validate_file
from tests.core.validation.pdfx_pdfs import CONTENT, make_pdfx

FLAVOUR = {"1a": "pdfx-1a", "1a:2001": "pdfx-1a", "3": "pdfx-3", "3:2002": "pdfx-3", "4": "pdfx-4"}
Mutate = Callable[[pikepdf.Pdf], None]


def failed(report: dict[str, Any]) -> set[str]:
    return {f"{f['clause']}-{f['testNumber']}" for f in report["profiles"][0]["failures"]}


def check(tmp_path: Path, part: str, **kwargs: Any) -> dict[str, Any]:
    return validate_file(make_pdfx(tmp_path / "x.pdf", part, **kwargs), [FLAVOUR[part]])


# -- mutations -------------------------------------------------------------------------------------------

def _info(**entries: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        for key, value in entries.items():
            if value is None:
                del pdf.trailer.Info[f"/{key}"]
            else:
                pdf.trailer.Info[f"/{key}"] = value
    return mutate


def _page(**entries: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        for key, value in entries.items():
            if value is None:
                del pdf.pages[0].obj[f"/{key}"]
            else:
                pdf.pages[0].obj[f"/{key}"] = value
    return mutate


def _resource(category: str, name: str, make: Callable[[pikepdf.Pdf], Any]) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        res = pdf.pages[0].obj.Resources
        if f"/{category}" not in res:
            res[f"/{category}"] = Dictionary()
        res[f"/{category}"][f"/{name}"] = make(pdf)
    return mutate


def _inherited_resources(then: Mutate) -> Mutate:
    """Apply ``then``, then move the page's resources up to the page tree's root, where the page inherits them."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        then(pdf)
        page = pdf.pages[0].obj
        pdf.Root.Pages.Resources = page.Resources
        del page["/Resources"]
    return mutate


def _gs(**entries: Any) -> Mutate:
    return _resource("ExtGState", "G0", lambda pdf: Dictionary(Type=Name.ExtGState, **entries))


def _intent(**entries: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        oi = pdf.Root.OutputIntents[0]
        for key, value in entries.items():
            if value is None:
                del oi[f"/{key}"]
            else:
                oi[f"/{key}"] = value
    return mutate


def _profile_bytes(offset: int, value: bytes) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        prof = pdf.Root.OutputIntents[0].DestOutputProfile
        data = bytearray(prof.read_bytes())
        data[offset:offset + len(value)] = value
        prof.write(bytes(data))
    return mutate


def _form(**entries: Any) -> Mutate:
    def make(pdf: pikepdf.Pdf) -> Any:
        form = pdf.make_stream(b"0 0 0 1 k 0 0 5 5 re f")
        form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, Array([0, 0, 10, 10])
        for key, value in entries.items():
            form[f"/{key}"] = value
        return form
    return _resource("XObject", "Fm0", make)


def _image(**entries: Any) -> Mutate:
    def make(pdf: pikepdf.Pdf) -> Any:
        img = pdf.make_stream(b"\x00\x00\x00\xff")
        img.Type, img.Subtype, img.Width, img.Height = Name.XObject, Name.Image, 1, 1
        img.ColorSpace, img.BitsPerComponent = Name.DeviceCMYK, 8
        for key, value in entries.items():
            img[f"/{key}"] = value(pdf) if callable(value) else value
        return img
    return _resource("XObject", "Im0", make)


def _both(*mutations: Mutate) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        for m in mutations:
            m(pdf)
    return mutate


def _root(**entries: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        for key, value in entries.items():
            pdf.Root[f"/{key}"] = value(pdf) if callable(value) else value
    return mutate


def _annot(subtype: str, rect: list[float], **extra: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        annot = Dictionary(Type=Name.Annot, Subtype=Name(f"/{subtype}"), Rect=Array(rect), **extra)
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])
    return mutate


def _lzw_stream(pdf: pikepdf.Pdf) -> Any:
    s = pdf.make_stream(b"")
    s.write(b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", filter=Name.LZWDecode)  # "-----A---B" LZW-encoded
    return s


def _external_stream(pdf: pikepdf.Pdf) -> Any:
    s = pdf.make_stream(b"")
    s.F = String("elsewhere.dat")
    return s


def _icc_cmyk(pdf: pikepdf.Pdf) -> Any:
    return Array([Name.ICCBased, pdf.Root.OutputIntents[0].DestOutputProfile])


def _oc(*configs: Dictionary) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        ocg = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Varnish")))
        props = Dictionary(OCGs=Array([ocg]), D=configs[0])
        if len(configs) > 1:
            props.Configs = Array(list(configs[1:]))
        pdf.Root.OCProperties = props
    return mutate


def _helvetica(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.Resources.Font.F1 = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                                    Encoding=Name.WinAnsiEncoding)


def _type3(procs: bool) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        glyph = pdf.make_stream(b"500 0 d0 0 0 0 1 k 0 0 400 600 re f")
        font = Dictionary(Type=Name.Font, Subtype=Name.Type3, FontBBox=Array([0, 0, 500, 700]),
                          FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]), FirstChar=65, LastChar=65,
                          Widths=Array([500]), Encoding=Dictionary(Differences=Array([65, Name.A])))
        if procs:
            font.CharProcs = Dictionary(A=glyph)
        pdf.pages[0].obj.Resources.Font.F1 = pdf.make_indirect(font)
    return mutate


PAINT_GS = b"/G0 gs " + CONTENT
LAB = Array([Name.Lab, Dictionary(WhitePoint=Array([0.9505, 1.0, 1.089]))])

# (id, part, make_pdfx kwargs, the rules that fail: clause-test)
VIOLATIONS: list[tuple[str, str, dict[str, Any], set[str]]] = [
    # 6.1 file structure
    ("version-1a-2003", "1a", {"header": "1.5"}, {"6.1.1-1"}),
    ("version-1a-2001", "1a:2001", {"header": "1.4"}, {"6.1.1-1"}),
    ("version-3-2002", "3:2002", {"header": "1.4"}, {"6.1.1-1"}),
    ("version-4", "4", {"header": "1.7"}, {"6.1.1-1"}),
    ("catalog-version-4", "4", {"mutate": _root(Version=Name("/1.7"))}, {"6.1.1-1"}),
    ("external-stream", "4", {"mutate": _root(Extra=_external_stream)}, {"6.1.4-1"}),
    ("reference-xobject", "3", {"mutate": _form(Ref=Dictionary(F=String("other.pdf"), Page=0)),
                                "content": CONTENT + b" /Fm0 Do"}, {"6.1.4-2"}),
    ("opi", "1a", {"mutate": _form(OPI=Dictionary()), "content": CONTENT + b" /Fm0 Do"}, {"6.1.4-3"}),
    ("lzw-1a", "1a", {"mutate": _root(Extra=_lzw_stream)}, {"6.1.5-1"}),
    # 6.6 identification and metadata
    ("no-version-key", "1a", {"mutate": _info(GTS_PDFXVersion=None)}, {"6.6-1"}),
    ("x1a-2001-as-version", "1a", {"mutate": _info(GTS_PDFXVersion=String("PDF/X-1a:2001"))}, {"6.6-1"}),
    ("x3-version-of-x1a", "3", {"mutate": _info(GTS_PDFXVersion=String("PDF/X-1a:2003"))}, {"6.6-1"}),
    ("x4p-is-not-x4", "4", {"xmp_version": "PDF/X-4p"}, {"6.6-1"}),
    ("conformance-key", "1a:2001", {"mutate": _info(GTS_PDFXConformance=String("PDF/X-1:2001"))}, {"6.6-2"}),
    ("no-conformance-key", "1a:2001", {"mutate": _info(GTS_PDFXConformance=None)}, {"6.6-2"}),
    ("trapped-unknown", "3", {"mutate": _info(Trapped=Name.Unknown)}, {"6.6-3"}),
    ("trapped-missing", "1a", {"mutate": _info(Trapped=None)}, {"6.6-3"}),
    ("xmp-trapped-unknown", "4", {"xmp_trapped": "Unknown"}, {"6.6-3", "6.6-6"}),
    ("no-title", "3", {"mutate": _info(Title=None)}, {"6.6-4"}),
    ("no-moddate", "1a", {"mutate": _info(ModDate=None)}, {"6.6-5"}),
    ("bad-creationdate", "1a", {"mutate": _info(CreationDate=String("yesterday"))}, {"6.6-5"}),
    ("info-title-differs", "4", {"mutate": _info(Title=String("Another title"))}, {"6.6-6"}),
    ("info-version-differs", "4", {"mutate": _info(GTS_PDFXVersion=String("PDF/X-3:2003"))}, {"6.6-6"}),
    ("no-xmp-x4", "4", {"mutate": lambda pdf: pdf.Root.__delitem__("/Metadata")},
     {"6.6-1", "6.6-3", "6.6-4", "6.6-5", "6.6-7"}),
    # 6.5 actions
    ("javascript", "4", {"mutate": _root(OpenAction=Dictionary(S=Name.JavaScript, JS=String("app.alert(1)")))},
     {"6.5-1"}),
    ("javascript-names", "1a", {"mutate": _root(Names=Dictionary(JavaScript=Dictionary(Names=Array())))}, {"6.5-1"}),
    ("launch-on-link", "3", {"mutate": _annot("Link", [0, 0, 4, 4], A=Dictionary(S=Name.Launch,
                                                                                   F=String("run.exe")))},
     {"6.5-2"}),
    ("next-chain", "4", {"mutate": _root(OpenAction=Dictionary(S=Name.GoTo, D=Array([0, Name.Fit]), Next=Dictionary(
        S=Name.ImportData, F=String("x.fdf"))))}, {"6.5-2"}),
    # 6.2.1 output intent
    ("no-gts-pdfx", "1a", {"mutate": _intent(S=Name.GTS_PDFA1)}, {"6.2.1-1"}),
    ("two-gts-pdfx", "4", {"mutate": lambda pdf: pdf.Root.OutputIntents.append(pdf.Root.OutputIntents[0])},
     {"6.2.1-1", "6.2.3-2"}),
    ("no-condition-identifier", "4", {"mutate": _intent(OutputConditionIdentifier=None)}, {"6.2.1-2"}),
    ("x4-profile-not-embedded", "4", {"mutate": _intent(DestOutputProfile=None)}, {"6.2.1-3", "6.2.3-2"}),
    ("x1a-not-embedded-not-registered", "1a", {"mutate": _intent(DestOutputProfile=None, RegistryName=None)},
     {"6.2.1-3"}),
    ("monitor-profile", "4", {"mutate": _profile_bytes(12, b"mntr")}, {"6.2.1-4"}),
    ("x1a-rgb-output", "1a", {"mutate": _profile_bytes(16, b"RGB ")}, {"6.2.1-4"}),
    # 6.2.2 page boxes
    ("no-mediabox", "4", {"mutate": _page(MediaBox=None)}, {"6.2.2-1"}),
    ("no-trim-no-art", "1a", {"mutate": _page(TrimBox=None)}, {"6.2.2-2"}),
    ("trim-and-art", "3", {"mutate": _page(ArtBox=Array([10, 10, 190, 190]))}, {"6.2.2-2"}),
    ("trim-outside-bleed", "4", {"mutate": _page(TrimBox=Array([2, 2, 190, 190]))}, {"6.2.2-3"}),
    ("trim-outside-crop-2002", "3:2002", {"mutate": _page(CropBox=Array([20, 20, 180, 180]))}, {"6.2.2-3"}),
    ("bleed-outside-media", "1a", {"mutate": _page(BleedBox=Array([-5, -5, 205, 205]))}, {"6.2.2-4"}),
    # 6.2.3 colour
    ("x1a-rgb", "1a", {"content": b"1 0 0 rg 10 10 20 20 re f"}, {"6.2.3-1"}),
    ("x1a-lab", "1a", {"mutate": _resource("ColorSpace", "CS0", lambda pdf: LAB),
                       "content": b"/CS0 cs 50 0 0 sc 10 10 20 20 re f"}, {"6.2.3-1"}),
    ("x1a-icc", "1a", {"mutate": _resource("ColorSpace", "CS0", _icc_cmyk),
                       "content": b"/CS0 cs 0 0 0 1 sc 10 10 20 20 re f"}, {"6.2.3-1"}),
    ("x1a-spot-rgb-alternate", "1a", {
        "mutate": _resource("ColorSpace", "CS0", lambda pdf: Array([
            Name.Separation, Name("/Gold"), Name.DeviceRGB,
            Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([1, 1, 1]), C1=Array([0.8, 0.6, 0]), N=1)])),
        "content": b"/CS0 cs 1 sc 10 10 20 20 re f"}, {"6.2.3-1"}),
    ("x1a-rgb-image", "1a", {"mutate": _image(ColorSpace=Name.DeviceRGB), "content": CONTENT + b" /Im0 Do"},
     {"6.2.3-1"}),
    ("x4-rgb-cmyk-intent", "4", {"content": CONTENT + b" 1 0 0 rg 10 10 20 20 re f"}, {"6.2.3-2"}),
    ("x3-rgb-cmyk-intent", "3", {"content": CONTENT + b" 0 0 1 RG 10 10 20 20 re S"}, {"6.2.3-2"}),
    ("x4-cmyk-rgb-intent", "4", {"mutate": _profile_bytes(16, b"RGB ")}, {"6.2.3-2"}),
    ("x4-gray-without-intent", "4", {"mutate": _intent(S=Name.GTS_PDFA1), "content": b"0.5 g 10 10 20 20 re f"},
     {"6.2.1-1", "6.2.3-2"}),
    # 6.2.4 transparency (PDF/X-1a, PDF/X-3)
    ("soft-mask-gs", "1a", {"mutate": _gs(SMask=Dictionary(S=Name.Luminosity, G=Name.X)), "content": PAINT_GS},
     {"6.2.4-1"}),
    ("constant-alpha", "3", {"mutate": _gs(ca=0.5), "content": PAINT_GS}, {"6.2.4-2"}),
    ("blend-mode", "1a", {"mutate": _gs(BM=Name.Multiply), "content": PAINT_GS}, {"6.2.4-3"}),
    ("image-smask", "3", {"mutate": _image(SMask=lambda pdf: pdf.make_stream(b"\x80", Type=Name.XObject,
                                                                               Subtype=Name.Image, Width=1,
                                                                               Height=1, BitsPerComponent=8,
                                                                               ColorSpace=Name.DeviceGray)),
                          "content": CONTENT + b" /Im0 Do"}, {"6.2.4-4"}),
    ("page-group", "1a", {"mutate": _page(Group=Dictionary(S=Name.Transparency, CS=Name.DeviceCMYK))}, {"6.2.4-5"}),
    ("form-group", "3", {"mutate": _form(Group=Dictionary(S=Name.Transparency)), "content": CONTENT + b" /Fm0 Do"},
     {"6.2.4-5"}),
    # 6.2.5 to 6.2.7
    ("transfer-function", "4", {"mutate": _gs(TR=Name.Identity), "content": PAINT_GS}, {"6.2.5-1"}),
    ("halftone-name", "1a", {"mutate": _gs(HT=Dictionary(Type=Name.Halftone, HalftoneType=1, Frequency=60, Angle=45,
                                                         SpotFunction=Name.Round, HalftoneName=String("Dot"))),
                             "content": PAINT_GS}, {"6.2.5-2"}),
    ("halftone-name-in-type5", "3", {"mutate": _gs(HT=Dictionary(Type=Name.Halftone, HalftoneType=5, Cyan=Dictionary(
        HalftoneType=1, Frequency=60, Angle=15, SpotFunction=Name.Round, HalftoneName=String("Dot")))),
        "content": PAINT_GS}, {"6.2.5-2"}),
    ("postscript-xobject", "4", {"mutate": _resource("XObject", "PS0", lambda pdf: pdf.make_stream(
        b"showpage", Type=Name.XObject, Subtype=Name.PS))}, {"6.2.6-1"}),
    ("postscript-xobject-inherited", "4", {"mutate": _inherited_resources(_resource(
        "XObject", "PS0", lambda pdf: pdf.make_stream(b"showpage", Type=Name.XObject, Subtype=Name.PS)))}, {"6.2.6-1"}),
    ("postscript-operator", "3", {"content": CONTENT + b" (0 0 moveto) PS"}, {"6.2.6-2"}),
    ("opm-icc-cmyk", "4", {"mutate": _both(_gs(OPM=1, op=True), _resource("ColorSpace", "CS0", _icc_cmyk)),
                           "content": b"/G0 gs /CS0 cs 0 0 0 1 sc 10 10 20 20 re f"}, {"6.2.7-1"}),
    # 6.3 fonts
    ("font-not-embedded", "4", {"mutate": _helvetica}, {"6.3-1"}),
    ("font-not-embedded-x1a", "1a", {"mutate": _helvetica}, {"6.3-1"}),
    ("type3-without-glyphs", "3", {"mutate": _type3(procs=False)}, {"6.3-2"}),
    # 6.4 annotations
    ("annotation-on-trim", "4", {"mutate": _annot("Text", [50, 50, 70, 70], F=4)}, {"6.4-1"}),
    ("link-on-trim", "1a", {"mutate": _annot("Link", [150, 150, 200, 200], F=4)}, {"6.4-1"}),
    ("movie-annotation", "3", {"mutate": _annot("Movie", [0, 0, 4, 4])}, {"6.4-2"}),
    # 6.8 optional content (PDF/X-4)
    ("oc-default-unnamed", "4", {"mutate": _oc(Dictionary(BaseState=Name.ON))}, {"6.8-1"}),
    ("oc-config-unnamed", "4", {"mutate": _oc(Dictionary(Name=String("Print")), Dictionary())}, {"6.8-1"}),
    ("oc-names-repeat", "4", {"mutate": _oc(Dictionary(Name=String("Print")), Dictionary(Name=String("Print")))},
     {"6.8-2"}),
]

# Near misses: the same features kept within the requirement pass.
COMPLIANT: list[tuple[str, str, dict[str, Any]]] = [
    ("trapped-true", "1a", {"mutate": _info(Trapped=Name("/True"))}),
    ("x1a-2003-pdf-1.4", "1a", {"header": "1.4"}),
    ("x4-pdf-1.6", "4", {"header": "1.6"}),
    ("x1a-registered-condition", "1a", {"mutate": _intent(DestOutputProfile=None)}),
    ("x3-registered-condition", "3", {"mutate": _intent(DestOutputProfile=None)}),
    ("lzw-in-x4", "4", {"mutate": _root(Extra=_lzw_stream)}),
    ("no-bleedbox", "4", {"mutate": _page(BleedBox=None)}),
    ("artbox-instead-of-trim", "3", {"mutate": _both(_page(TrimBox=None), _page(ArtBox=Array([10, 10, 190, 190])))}),
    ("crop-in-2003", "3", {"mutate": _page(CropBox=Array([20, 20, 180, 180]))}),
    ("inherited-mediabox", "1a", {"mutate": lambda pdf: (
        pdf.Root.Pages.__setitem__("/MediaBox", Array([0, 0, 200, 200])), _page(MediaBox=None)(pdf))}),
    ("x1a-spot-cmyk-alternate", "1a", {
        "mutate": _resource("ColorSpace", "CS0", lambda pdf: Array([
            Name.Separation, Name("/Gold"), Name.DeviceCMYK,
            Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([0, 0, 0, 0]), C1=Array([0, 0.2, 0.8, 0.1]),
                       N=1)])),
        "content": b"/CS0 cs 1 sc 10 10 20 20 re f"}),
    ("x1a-gray", "1a", {"content": CONTENT + b" 0.5 g 10 10 20 20 re f"}),
    ("x4-lab", "4", {"mutate": _resource("ColorSpace", "CS0", lambda pdf: LAB),
                     "content": b"/CS0 cs 50 0 0 sc 10 10 20 20 re f"}),
    ("x4-rgb-under-default-rgb", "4", {
        "mutate": _resource("ColorSpace", "DefaultRGB", lambda pdf: Array([Name.ICCBased, pdf.make_stream(
            b"", N=3, Alternate=Name.DeviceRGB)])),
        "content": CONTENT + b" 1 0 0 rg 10 10 20 20 re f"}),
    ("x4-gray-with-rgb-intent", "4", {"mutate": _profile_bytes(16, b"RGB "),
                                      "content": b"1 0 0 rg 10 10 20 20 re f 0.5 g 10 10 5 5 re f"}),
    ("x4-rgb-with-rgb-intent", "4", {"mutate": _profile_bytes(16, b"RGB "),
                                     "content": b"1 0 0 rg 10 10 20 20 re f"}),
    ("x4-transparency", "4", {"mutate": _both(_gs(ca=0.5, BM=Name.Multiply), _page(Group=Dictionary(
        S=Name.Transparency, CS=Name.DeviceCMYK))), "content": PAINT_GS}),
    ("x3-opaque-gs", "3", {"mutate": _gs(CA=1.0, ca=1, BM=Name.Normal, SMask=Name("/None")), "content": PAINT_GS}),
    ("halftone-without-name", "4", {"mutate": _gs(HT=Dictionary(Type=Name.Halftone, HalftoneType=1, Frequency=60,
                                                                 Angle=45, SpotFunction=Name.Round)),
                                    "content": PAINT_GS}),
    ("tr2-default", "1a", {"mutate": _gs(TR2=Name.Default), "content": PAINT_GS}),
    ("opm-with-device-cmyk", "4", {"mutate": _gs(OPM=1, op=True), "content": PAINT_GS}),
    ("type3-with-glyphs", "3", {"mutate": _type3(procs=True)}),
    ("hidden-annotation-on-trim", "4", {"mutate": _annot("Text", [50, 50, 70, 70], F=2)}),
    ("printer-mark-on-trim", "1a", {"mutate": _annot("PrinterMark", [0, 0, 200, 200], F=4)}),
    ("link-off-trim", "3", {"mutate": _annot("Link", [0, 0, 8, 8], F=4)}),
    ("oc-named", "4", {"mutate": _oc(Dictionary(Name=String("Print")), Dictionary(Name=String("Proof")))}),
]


@pytest.mark.parametrize("part", ["1a", "1a:2001", "3", "3:2002", "4"])
def test_a_conforming_file_passes_every_rule_of_its_part(tmp_path: Path, part: str) -> None:
    report = check(tmp_path, part)
    prof = report["profiles"][0]
    assert report["compliant"] is True, prof["failures"]
    assert prof["rules"] == {"passed": len(FLAVOURS[FLAVOUR[part]].rule_ids), "failed": 0}
    assert prof["checks"]["failed"] == 0 and prof["checks"]["passed"] >= 20


@pytest.mark.parametrize(("part", "kwargs", "expected"), [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS])
def test_a_file_breaking_one_requirement_fails_exactly_there(tmp_path: Path, part: str, kwargs: dict[str, Any],
                                                             expected: set[str]) -> None:
    report = check(tmp_path, part, **kwargs)
    assert report["compliant"] is False
    assert failed(report) == expected, report["profiles"][0]["failures"]
    for f in report["profiles"][0]["failures"]:
        assert f["specification"].startswith("ISO 15930-") and f["count"] >= 1 and f["location"]


@pytest.mark.parametrize(("part", "kwargs"), [c[1:] for c in COMPLIANT], ids=[c[0] for c in COMPLIANT])
def test_a_near_miss_that_keeps_the_requirement_passes(tmp_path: Path, part: str, kwargs: dict[str, Any]) -> None:
    report = check(tmp_path, part, **kwargs)
    assert report["compliant"] is True, report["profiles"][0]["failures"]


def test_every_rule_has_a_violation_here() -> None:
    """Each PDF/X rule is made to fail by at least one file above."""
    covered = {(FLAVOUR[part], clause) for _, part, _, expected in VIOLATIONS for clause in expected}
    covered |= {("pdfx-4", "6.1.3-1"), ("pdfx-3", "6.1.2-1")}  # the encrypted and ID-less files below
    for key in ("pdfx-1a", "pdfx-3", "pdfx-4"):
        for rule_id in FLAVOURS[key].rule_ids:
            clause = rule_id.split(":", 1)[1]
            assert any(c == clause for _, c in covered), f"{rule_id} is never violated by a test file"


def test_the_same_file_is_judged_by_each_part(tmp_path: Path) -> None:
    """Transparency fails PDF/X-1a and -3, not PDF/X-4; RGB fails PDF/X-1a by colour space and PDF/X-4 by
    output intent."""
    path = make_pdfx(tmp_path / "x.pdf", "4", mutate=_gs(ca=0.5), content=PAINT_GS + b" 1 0 0 rg 0 0 5 5 re f")
    report = validate_file(path, ["pdfx-1a", "pdfx-3", "pdfx-4"])
    by = {p["flavour"]: {f"{f['clause']}-{f['testNumber']}" for f in p["failures"]} for p in report["profiles"]}
    assert "6.2.4-2" in by["pdfx-1a"] and "6.2.4-2" in by["pdfx-3"] and "6.2.4-2" not in by["pdfx-4"]
    assert "6.2.3-1" in by["pdfx-1a"] and "6.2.3-2" in by["pdfx-4"] and "6.2.3-2" in by["pdfx-3"]
    assert {p["profileName"] for p in report["profiles"]} == {
        "PDF/X-1a validation profile", "PDF/X-3 validation profile", "PDF/X-4 validation profile"}


def test_an_encrypted_file_fails_and_one_needing_a_password_cannot_be_validated(tmp_path: Path) -> None:
    plain = make_pdfx(tmp_path / "plain.pdf", "4")
    with pikepdf.open(plain) as pdf:
        pdf.save(tmp_path / "owner.pdf", encryption=pikepdf.Encryption(owner="secret", user="", R=4))
        pdf.save(tmp_path / "user.pdf", encryption=pikepdf.Encryption(owner="secret", user="pw", R=4))
    report = validate_file(tmp_path / "owner.pdf", ["pdfx-4"])
    assert report["compliant"] is False and "6.1.3-1" in failed(report)
    with pytest.raises(CannotValidate, match=r"cannot validate: .*password"):
        validate_file(tmp_path / "user.pdf", ["pdfx-4"])


def test_a_missing_file_identifier_fails(tmp_path: Path) -> None:
    path = make_pdfx(tmp_path / "x.pdf", "3")
    raw = path.read_bytes()
    stripped = re.sub(rb"/ID \[<[0-9a-f]+><[0-9a-f]+>\]", lambda m: b" " * len(m.group(0)), raw)
    assert stripped != raw
    path.write_bytes(stripped)
    assert failed(validate_file(path, ["pdfx-3"])) == {"6.1.2-1"}


def test_flavour_names_and_coverage() -> None:
    assert [normalise_flavour(v) for v in ("pdfx-1a", "x1a", "PDF/X-1a", "pdfx3", "PDF/X-4", "x4")] == [
        "pdfx-1a", "pdfx-1a", "pdfx-1a", "pdfx-3", "pdfx-4", "pdfx-4"]
    for key in ("pdfx-1a", "pdfx-3", "pdfx-4"):
        f = FLAVOURS[key]
        assert 0 < len(f.rule_ids) < f.reference_rules  # the requirements not yet checked are counted
        assert all(FLAVOURS[key].rule_ids.count(r) == 1 for r in f.rule_ids)
    assert "pdfx4:6.8-1" in FLAVOURS["pdfx-4"].rule_ids and "pdfx1a:6.8-1" not in FLAVOURS["pdfx-1a"].rule_ids
    assert "pdfx1a:6.2.4-1" in FLAVOURS["pdfx-1a"].rule_ids and "pdfx4:6.2.4-1" not in FLAVOURS["pdfx-4"].rule_ids


def test_the_content_walk_is_shared_by_the_parts_and_its_errors_reported_by_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.core.validation import content as content_module

    calls = []
    real = content_module.collect
    monkeypatch.setattr(content_module, "collect", lambda pdf: calls.append(1) or real(pdf))
    def broken_contents(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Contents.write(b"not deflated at all", filter=Name.FlateDecode)

    path = make_pdfx(tmp_path / "x.pdf", "4", mutate=broken_contents)
    report = validate_file(path, ["pdfx-1a", "pdfx-3", "pdfx-4"])
    assert len(calls) == 1
    for prof in report["profiles"]:
        assert prof["compliant"] is False
        assert any(f["ruleId"] == "printgate:content" for f in prof["failures"]), prof["failures"]
