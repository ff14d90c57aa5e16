"""Small PDFs, each with one defect PDF/A forbids, built with pikepdf (no fixtures from elsewhere)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf

Defect = Callable[[pikepdf.Pdf], None]


def lzw_encode(data: bytes) -> bytes:
    """LZW as PDF's LZWDecode reads it (early change 1), so a test file can carry a real LZW stream."""
    table = {bytes([i]): i for i in range(256)}
    next_code, width = 258, 9
    codes: list[tuple[int, int]] = [(256, 9)]
    word = b""
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        codes.append((table[word], width))
        table[candidate] = next_code
        next_code += 1
        if next_code + 1 > (1 << width) and width < 12:
            width += 1
        word = bytes([byte])
    if word:
        codes.append((table[word], width))
    codes.append((257, width))
    acc = bits = 0
    out = bytearray()
    for code, w in codes:
        acc, bits = (acc << w) | code, bits + w
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits:
        out.append((acc << (8 - bits)) & 0xFF)
    return bytes(out)


def _annots(pdf: pikepdf.Pdf, *annots: pikepdf.Dictionary) -> None:
    page = pdf.pages[0].obj
    page.Annots = pikepdf.Array([pdf.make_indirect(a) for a in annots])


def javascript(pdf: pikepdf.Pdf) -> None:
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi')"))
    pdf.Root.OpenAction = js
    pdf.Root.AA = pikepdf.Dictionary(WC=js)
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=js)
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["a", pdf.make_indirect(js)])))


def launch_and_named_actions(pdf: pikepdf.Pdf) -> None:
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
    printing = pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.Print)
    nav = pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.NextPage, Next=launch)
    _annots(pdf,
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 20, 20], F=4, A=launch),
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 30, 20, 50], F=4, A=printing),
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 60, 20, 80], F=4, A=nav))


def lzw_content(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.Contents.write(lzw_encode(page.Contents.read_bytes()), filter=pikepdf.Name.LZWDecode)


def image_flags(pdf: pikepdf.Pdf) -> None:
    image = pikepdf.Stream(pdf, bytes([128] * 16), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=4,
                           Height=4, ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8, Interpolate=True,
                           OPI=pikepdf.Dictionary(), Alternates=pikepdf.Array())
    page = pdf.pages[0].obj
    page.Resources.XObject = pikepdf.Dictionary(Im1=pdf.make_indirect(image))
    page.Contents.write(page.Contents.read_bytes() + b" q 40 0 0 40 100 100 cm /Im1 Do Q")


def postscript_xobject(pdf: pikepdf.Pdf) -> None:
    ps = pikepdf.Stream(pdf, b"%!PS\n0 0 moveto", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.PS)
    page = pdf.pages[0].obj
    page.Resources.XObject = pikepdf.Dictionary(PS1=pdf.make_indirect(ps))
    page.Contents.write(page.Contents.read_bytes() + b" /PS1 Do")


def annotations(pdf: pikepdf.Pdf) -> None:
    shown = pikepdf.Stream(pdf, b"0 g 0 0 10 10 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                           BBox=[0, 0, 10, 10])
    _annots(pdf,
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[30, 30, 50, 50], F=2),
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Sound, Rect=[60, 60, 80, 80]),
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[90, 90, 100, 100], F=4,
                               AP=pikepdf.Dictionary(N=shown, D=shown)))


def embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["data.csv"] = pikepdf.AttachedFileSpec(pdf, b"a,b\n1,2\n", mime_type="text/csv")


def xfa_form(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.Stream(pdf, b"<xdp:xdp/>"))
    pdf.Root.NeedsRendering = True


def mixed_device_colour(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.Contents.write(b"0 1 1 0 k 10 10 50 50 re f 1 0 0 rg 70 70 50 50 re f")


def transfer_function(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.Resources.ExtGState = pikepdf.Dictionary(G1=pikepdf.Dictionary(Type=pikepdf.Name.ExtGState,
                                                                        TR=pikepdf.Name.Identity))
    page.Contents.write(b"/G1 gs " + page.Contents.read_bytes())


def stale_metadata(pdf: pikepdf.Pdf) -> None:
    """An Info dictionary the XMP contradicts (another title, a PDF/A claim of the wrong part)."""
    pdf.docinfo["/Title"] = "Annual report"
    pdf.docinfo["/Author"] = "Ada Author"
    pdf.docinfo["/Creator"] = "TestWriter 1.0"
    pdf.docinfo["/CreationDate"] = "D:20200102030405+01'00'"
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = "Old title"
        meta["pdfaid:part"] = "3"
        meta["pdfaid:conformance"] = "A"


def live_transparency(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.Resources.ExtGState = pikepdf.Dictionary(A=pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5))
    page.Contents.write(b"0.2 g 0 0 200 200 re f /A gs 0.8 g 50 50 100 100 re f")
    page.Group = pikepdf.Dictionary(Type=pikepdf.Name.Group, S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)


def standard_font(pdf: pikepdf.Pdf, name: str = "Helvetica") -> None:
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name("/" + name),
                              Encoding=pikepdf.Name.WinAnsiEncoding)
    page = pdf.pages[0].obj
    page.Resources.Font = pikepdf.Dictionary(F1=pdf.make_indirect(font))
    page.Contents.write(page.Contents.read_bytes() + b" BT /F1 14 Tf 10 150 Td (Archive me) Tj ET")


def font_not_on_server(pdf: pikepdf.Pdf) -> None:
    name = pikepdf.Name("/PrintgateNoSuchFont-Bold")
    descriptor = pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=name, Flags=32,
                                    FontBBox=[0, -200, 1000, 900], ItalicAngle=0, Ascent=900, Descent=-200,
                                    CapHeight=700, StemV=80)
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=name, FirstChar=72,
                              LastChar=72, Widths=[600], Encoding=pikepdf.Name.WinAnsiEncoding,
                              FontDescriptor=descriptor)
    page = pdf.pages[0].obj
    page.Resources.Font = pikepdf.Dictionary(F1=pdf.make_indirect(font))
    page.Contents.write(page.Contents.read_bytes() + b" BT /F1 12 Tf 10 100 Td (H) Tj ET")


def optional_content(pdf: pikepdf.Pdf) -> None:
    """A visible and a hidden layer; the default configuration has no Name and an AS array."""
    shown = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Art")))
    hidden = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Notes")))
    pdf.Root.OCProperties = pikepdf.Dictionary(OCGs=pikepdf.Array([shown, hidden]), D=pikepdf.Dictionary(
        OFF=pikepdf.Array([hidden]), AS=pikepdf.Array([pikepdf.Dictionary(Event=pikepdf.Name.View,
                                                                          OCGs=pikepdf.Array([shown]),
                                                                          Category=pikepdf.Array([pikepdf.Name.View]))])))
    page = pdf.pages[0].obj
    page.Resources.Properties = pikepdf.Dictionary(L1=shown, L2=hidden)
    page.Contents.write(b"/OC /L1 BDC 0.5 g 10 10 100 100 re f EMC /OC /L2 BDC 0 g 0 0 5 5 re f EMC")


def coloured_link_on_cmyk(pdf: pikepdf.Pdf) -> None:
    """CMYK artwork with a link annotation coloured in RGB (C): PDF/A-1 wants an RGB intent for C."""
    page = pdf.pages[0].obj
    page.Contents.write(b"0 0 0 1 k 10 10 100 100 re f")
    _annots(pdf, pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 20, 20], F=4,
                                    C=[1, 0, 0], A=pikepdf.Dictionary(S=pikepdf.Name.URI,
                                                                      URI=pikepdf.String("https://example.org"))))


def push_button(pdf: pikepdf.Pdf) -> None:
    """A push button whose normal appearance is a bare stream and which submits the form."""
    look = pikepdf.Stream(pdf, b"0.9 g 0 0 40 20 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                          BBox=[0, 0, 40, 20])
    button = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Btn, Ff=65536, T=pikepdf.String("send"),
        Rect=[10, 150, 50, 170], F=4, AP=pikepdf.Dictionary(N=look),
        A=pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://example.org/submit"))))
    pdf.pages[0].obj.Annots = pikepdf.Array([button])
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([button]))


def make(path: Path, *defects: Defect, version: str = "1.7") -> Path:
    """A one-page gray-painted PDF with ``defects`` applied, saved without qpdf re-encoding its streams."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0].obj
    page.Resources = pikepdf.Dictionary()
    page.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"0.5 g 10 10 100 100 re f"))
    for defect in defects:
        defect(pdf)
    pdf.save(path, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
             force_version=version)
    return path
