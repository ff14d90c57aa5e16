"""PDFs the validation tests make themselves: a conforming PDF/A (and tagged PDF/UA) file, and ways to
break exactly one requirement of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from tests.support import source_dir

ICC = source_dir("core") / "fixes" / "icc" / "fogra39.icc"  # a v2 CMYK output (prtr) profile

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Test card</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>printgate tests</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmp:CreateDate="2024-05-01T10:00:00+02:00" xmp:ModifyDate="2024-05-01T10:00:00+02:00"
    xmp:CreatorTool="printgate tests"/>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Producer="printgate tests"/>
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    pdfaid:part="{part}" pdfaid:conformance="{conformance}"/>{extra}
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""

UA_ID = """
  <rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>PDF/UA identification</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaProperty:name>part</pdfaProperty:name>
     <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
     <pdfaProperty:category>internal</pdfaProperty:category>
     <pdfaProperty:description>The part of ISO 14289</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>"""

Mutate = Callable[[pikepdf.Pdf], None]


def make_pdfa(path: Path, *, part: int = 1, conformance: str = "B", content: bytes = b"0 0 0 1 k 10 10 80 80 re f",
              xmp_extra: str = "", mutate: Mutate | None = None, ua: bool = False) -> Path:
    """A one-page PDF/A file (CMYK vector art, a FOGRA39 output intent, XMP and Info in agreement).

    ``ua=True`` tags it for PDF/UA-1 (structure tree, MarkInfo, Lang, DisplayDocTitle, pdfuaid)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    icc = pdf.make_stream(ICC.read_bytes())
    icc.N = 4
    pdf.Root.OutputIntents = Array([pdf.make_indirect(Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=pikepdf.String("FOGRA39"),
        DestOutputProfile=icc))])
    xmp = XMP.format(part=part, conformance=conformance, extra=xmp_extra + (UA_ID if ua else ""))
    meta = pdf.make_stream(xmp.encode("utf-8"))
    meta.Type = Name.Metadata
    meta.Subtype = Name.XML
    pdf.Root.Metadata = meta
    pdf.trailer.Info = pdf.make_indirect(Dictionary(
        Title=pikepdf.String("Test card"), Producer=pikepdf.String("printgate tests"),
        CreationDate=pikepdf.String("D:20240501100000+02'00'")))
    if ua:
        content = b"/P <</MCID 0>> BDC " + content + b" EMC"
        struct_root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        doc = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=struct_root))
        para = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, P=doc, Pg=page.obj, K=0))
        doc.K = Array([para])
        struct_root.K = doc
        struct_root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array([0, Array([para])])))
        page.obj.StructParents = 0
        pdf.Root.StructTreeRoot = struct_root
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.Lang = pikepdf.String("en-GB")
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    page.obj.Contents = pdf.make_stream(content)
    if mutate is not None:
        mutate(pdf)
    pdf.save(path, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable,
             force_version="1.4" if part == 1 else "1.7", fix_metadata_version=False, deterministic_id=True,
             stream_decode_level=pikepdf.StreamDecodeLevel.none)
    pdf.close()
    return path


def tiny_truetype() -> bytes:
    """A TrueType program with .notdef, space and A (advance 600/1000 em), built with fontTools."""
    import io

    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "space", "A"])
    fb.setupCharacterMap({0x20: "space", 0x41: "A"})
    pen = TTGlyphPen(None)
    pen.moveTo((50, 0))
    pen.lineTo((300, 700))
    pen.lineTo((550, 0))
    pen.closePath()
    box = pen.glyph()
    fb.setupGlyf({".notdef": box, "space": TTGlyphPen(None).glyph(), "A": box})
    fb.setupHorizontalMetrics({".notdef": (500, 50), "space": (250, 0), "A": (600, 50)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Tiny", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


def embed_tiny_font(widths: tuple[int, ...] = (250, 600)) -> Mutate:
    """Give page 1 an embedded TrueType font F1 (codes 32..65, WinAnsi) whose Widths are ``widths``
    for space and A (the program says 250 and 600)."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        program = pdf.make_stream(tiny_truetype())
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/ABCDEF+Tiny"), Flags=32, FontBBox=Array([0, -200, 600, 800]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80, FontFile2=program))
        w = [0] * (65 - 32 + 1)
        w[0], w[-1] = widths
        font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/ABCDEF+Tiny"), FirstChar=32, LastChar=65,
            Widths=Array(w), Encoding=Name.WinAnsiEncoding, FontDescriptor=descriptor))
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate
