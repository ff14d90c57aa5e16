"""PDF/X files the PDF/X tests make themselves: a conforming PDF/X-1a, -3 or -4 file (CMYK art and an
embedded font, a FOGRA39 output intent, page boxes, identification), and ways to break one requirement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from tests.core.validation.pdfs import ICC, embed_tiny_font

VERSION_KEY = {"1a": "PDF/X-1a:2003", "1a:2001": "PDF/X-1:2001", "3": "PDF/X-3:2003", "3:2002": "PDF/X-3:2002",
               "4": "PDF/X-4"}
HEADER = {"1a": "1.4", "1a:2001": "1.3", "3": "1.4", "3:2002": "1.3", "4": "1.6"}
CONTENT = b"0 0 0 1 k 10 10 80 80 re f BT /F1 12 Tf 20 100 Td (A A) Tj ET"

XMP_X4 = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmp:CreateDate="2024-05-01T10:00:00+02:00" xmp:ModifyDate="2024-05-01T10:00:00+02:00"/>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Trapped="{trapped}"/>
  <rdf:Description rdf:about="" xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/"
    pdfxid:GTS_PDFXVersion="{version}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""

Mutate = Callable[[pikepdf.Pdf], None]


def make_pdfx(path: Path, part: str = "4", *, content: bytes = CONTENT, mutate: Mutate | None = None,
              header: str | None = None, xmp_version: str = "PDF/X-4", xmp_trapped: str = "False") -> Path:
    """A one-page PDF/X file of ``part`` ("1a", "1a:2001", "3", "3:2002", "4"): 200 pt MediaBox, BleedBox 5 pt
    and TrimBox 10 pt inside it, DeviceCMYK art and an embedded TrueType font, one GTS_PDFX output intent
    embedding FOGRA39, Info with title, dates, Trapped False and (X-1a, X-3) the version keys; XMP with
    pdfxid for PDF/X-4."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    embed_tiny_font()(pdf)
    page.obj.BleedBox = Array([5, 5, 195, 195])
    page.obj.TrimBox = Array([10, 10, 190, 190])
    page.obj.Contents = pdf.make_stream(content)
    icc = pdf.make_stream(ICC.read_bytes())
    icc.N = 4
    pdf.Root.OutputIntents = Array([pdf.make_indirect(Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier=pikepdf.String("FOGRA39"),
        RegistryName=pikepdf.String("http://www.color.org"), DestOutputProfile=icc))])
    info = Dictionary(Title=pikepdf.String("Test card"), CreationDate=pikepdf.String("D:20240501100000+02'00'"),
                      ModDate=pikepdf.String("D:20240501100000+02'00'"), Trapped=Name("/False"))
    if part != "4":
        info.GTS_PDFXVersion = pikepdf.String(VERSION_KEY[part])
    if part == "1a:2001":
        info.GTS_PDFXConformance = pikepdf.String("PDF/X-1a:2001")
    pdf.trailer.Info = pdf.make_indirect(info)
    if part == "4":
        meta = pdf.make_stream(XMP_X4.format(title="Test card", version=xmp_version, trapped=xmp_trapped)
                               .encode("utf-8"))
        meta.Type, meta.Subtype = Name.Metadata, Name.XML
        pdf.Root.Metadata = meta
    if mutate is not None:
        mutate(pdf)
    pdf.save(path, force_version=header or HEADER[part], fix_metadata_version=False, deterministic_id=True,
             stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    pdf.close()
    return path
