"""Files the PDF/X conversion tests make themselves: print art that is not PDF/X yet (RGB vectors, an RGB
image with a soft mask, constant alpha, embedded text, no output intent, no TrimBox), and one that
cannot be made PDF/X by conversion (a font that is not embedded and not on the server)."""

from __future__ import annotations

import zlib
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name

from tests.core.validation.pdfs import embed_tiny_font

ART = (b"1 0 0 rg 10 10 80 80 re f 0 0 1 RG 4 w 20 120 m 180 120 l S "
       b"q /GS1 gs 0 1 0 rg 50 50 100 100 re f Q q 100 0 0 60 90 20 cm /Im1 Do Q "
       b"BT 0 0 0 rg /F1 12 Tf 20 180 Td (A A) Tj ET")


def rgb_transparent(path: Path) -> Path:
    """One 200 pt page: an RGB fill and stroke, a half-transparent RGB square (ExtGState ca/CA 0.5), a
    16 x 16 RGB image with a gradient soft mask, RGB text in an embedded TrueType font."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    embed_tiny_font()(pdf)
    w = h = 16
    rgb = bytes(v for y in range(h) for x in range(w) for v in (x * 16, y * 16, 128))
    alpha = bytes(x * 16 for y in range(h) for x in range(w))
    smask = pikepdf.Stream(pdf, zlib.compress(alpha), Type=Name.XObject, Subtype=Name.Image, Width=w, Height=h,
                           ColorSpace=Name.DeviceGray, BitsPerComponent=8, Filter=Name.FlateDecode)
    image = pikepdf.Stream(pdf, zlib.compress(rgb), Type=Name.XObject, Subtype=Name.Image, Width=w, Height=h,
                           ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.FlateDecode, SMask=smask)
    resources = page.obj.Resources
    resources.XObject = Dictionary(Im1=image)
    resources.ExtGState = Dictionary(GS1=Dictionary(Type=Name.ExtGState, ca=0.5, CA=0.5))
    page.obj.Contents = pdf.make_stream(ART)
    pdf.save(path)
    pdf.close()
    return path


def missing_font(path: Path) -> Path:
    """CMYK art with text in a TrueType font that is neither embedded nor on any server ("Printgate-Nowhere"):
    PDF/X requires it embedded, and no conversion can supply it."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    descriptor = pdf.make_indirect(Dictionary(
        Type=Name.FontDescriptor, FontName=Name("/Printgate-Nowhere"), Flags=32, FontBBox=[0, -200, 1000, 800],
        ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80))
    font = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/Printgate-Nowhere"), FirstChar=65, LastChar=65,
        Widths=[600], Encoding=Name.WinAnsiEncoding, FontDescriptor=descriptor))
    page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(b"0 0 0 1 k 10 10 80 80 re f BT /F1 12 Tf 20 180 Td (A) Tj ET")
    pdf.save(path)
    pdf.close()
    return path
