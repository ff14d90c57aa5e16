"""Build small, labelled test PDFs (and rasters) with pikepdf: a clean control and one per defect.

Reusable outside the preflight tests (autofix tests, the benchmark)::

    from tests.preflight.pdfgen import DEFECTS, DEFECT_SETUP, HOSTILE, make_clean
    make_clean(path)                     # passes prof_print_ready (only text_not_outlined warns)
    DEFECTS["bleed_missing"](path)       # ruleId -> generator(path)
    DEFECT_SETUP.get("page_size_mismatch")  # profile overrides/context needed to surface it

Every generator writes the file and returns the path. The geometry of the clean control is an A5
page (148 x 210 mm trim) with 3 mm bleed, CMYK only, an embedded subset font, a 300 dpi CMYK image,
a PDF/X-4 declaration and output intent. Each defect generator changes exactly one thing.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

MM = 72.0 / 25.4
TRIM_W, TRIM_H = 148 * MM, 210 * MM
BLEED = 3 * MM
ICC_CANDIDATES = (
    "/usr/share/ghostscript/10.00.0/iccprofiles/default_cmyk.icc",
    "/usr/share/ghostscript/iccprofiles/default_cmyk.icc",
)


# --------------------------------------------------------------------------- building blocks


@dataclass
class PageSpec:
    """One page. Geometry in points; ``content`` is raw content-stream bytes."""

    content: bytes = b""
    width: float = TRIM_W + 2 * BLEED  # MediaBox size
    height: float = TRIM_H + 2 * BLEED
    trim_inset: float | None = BLEED  # None = no TrimBox
    bleed_box: bool = True
    rotate: int = 0
    fonts: dict[str, Any] = field(default_factory=dict)
    xobjects: dict[str, Any] = field(default_factory=dict)
    extgstates: dict[str, Any] = field(default_factory=dict)
    colorspaces: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    annots: list[Any] = field(default_factory=list)


def _font_program() -> bytes:
    import pymupdf

    return bytes(pymupdf.Font("helv").buffer)  # a CFF (Type1C) Helvetica clone


def _widths() -> list[int]:
    import pymupdf

    f = pymupdf.Font("helv")
    return [round(f.glyph_advance(c) * 1000) for c in range(32, 127)]


def embedded_font(pdf: pikepdf.Pdf, *, subset: bool = True) -> Dictionary:
    """A Type 1 (CFF) font with its program embedded; ``subset`` adds a subset tag to its name."""
    base = ("ABCDEF+" if subset else "") + "NimbusSans-Regular"
    program = Stream(pdf, _font_program())
    program.Subtype = Name.Type1C
    desc = pdf.make_indirect(
        Dictionary(
            Type=Name.FontDescriptor,
            FontName=Name("/" + base),
            Flags=32,
            FontBBox=Array([-200, -220, 1000, 950]),
            ItalicAngle=0,
            Ascent=718,
            Descent=-207,
            CapHeight=718,
            StemV=88,
            FontFile3=program,
        )
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name("/" + base),
            FirstChar=32,
            LastChar=126,
            Widths=Array(_widths()),
            FontDescriptor=desc,
            Encoding=Name.WinAnsiEncoding,
        )
    )


def base14_font(pdf: pikepdf.Pdf, name: str = "Helvetica") -> Dictionary:
    return pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/" + name)))


def type3_font(pdf: pikepdf.Pdf) -> Dictionary:
    glyph = Stream(pdf, b"1000 0 0 0 750 750 d1 0 0 750 750 re f")
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type3,
            FontBBox=Array([0, 0, 750, 750]),
            FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]),
            CharProcs=Dictionary(square=glyph),
            Encoding=Dictionary(Type=Name.Encoding, Differences=Array([65, Name.square])),
            FirstChar=65,
            LastChar=65,
            Widths=Array([1000]),
            Resources=Dictionary(),
        )
    )


def image_xobject(
    pdf: pikepdf.Pdf,
    w: int,
    h: int,
    *,
    cs: str = "DeviceCMYK",
    bits: int = 8,
    jpeg: bool = False,
    declared_only: bool = False,
) -> Stream:
    """An image XObject filled with a mid tone. ``declared_only`` writes a tiny (lying) stream."""
    ncomp = {"DeviceCMYK": 4, "DeviceRGB": 3, "DeviceGray": 1}[cs]
    if jpeg:
        from PIL import Image

        mode = {"DeviceCMYK": "CMYK", "DeviceRGB": "RGB", "DeviceGray": "L"}[cs]
        buf = io.BytesIO()
        Image.new(mode, (w, h), (60, 40, 20, 0)[:ncomp] if ncomp > 1 else 128).save(buf, "JPEG", quality=80)
        data, filt = buf.getvalue(), Name.DCTDecode
    else:
        row = bytes([80]) * ((w * ncomp * bits + 7) // 8)
        raw = b"" if declared_only else row * h
        data, filt = zlib.compress(raw, 6), Name.FlateDecode
    img = Stream(pdf, data)
    img.Type = Name.XObject
    img.Subtype = Name.Image
    img.Width = w
    img.Height = h
    img.ColorSpace = Name("/" + cs)
    img.BitsPerComponent = bits
    img.Filter = filt
    return img


def output_intent(pdf: pikepdf.Pdf) -> None:
    data = b""
    for cand in ICC_CANDIDATES:
        if Path(cand).exists():
            data = Path(cand).read_bytes()
            break
    intent = Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFX,
        OutputConditionIdentifier=String("CGATS TR 001"),
        RegistryName=String("http://www.color.org"),
        Info=String("U.S. Web Coated (SWOP)"),
    )
    if data:
        prof = Stream(pdf, data)
        prof.N = 4
        intent.DestOutputProfile = prof
    pdf.Root.OutputIntents = Array([pdf.make_indirect(intent)])


def declare_pdfx4(pdf: pikepdf.Pdf) -> None:
    """Identify the file as PDF/X-4 as the part requires (the pdfx check confirms a claim with the PDF/X
    rules): version key, Trapped, title and dates (fixed: no test depends on today) in XMP and Info."""
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfxid:GTS_PDFXVersion"] = "PDF/X-4"
        meta["dc:title"] = "pdfgen control"
        meta["pdf:Trapped"] = "False"
        meta["xmp:CreateDate"] = "2024-05-01T10:00:00+00:00"
        meta["xmp:ModifyDate"] = "2024-05-01T10:00:00+00:00"
    pdf.docinfo["/GTS_PDFXVersion"] = String("PDF/X-4")
    pdf.docinfo["/Producer"] = String("printgate pdfgen")
    pdf.docinfo["/Title"] = String("pdfgen control")
    pdf.docinfo["/Trapped"] = Name("/False")
    pdf.docinfo["/CreationDate"] = String("D:20240501100000Z")
    pdf.docinfo["/ModDate"] = String("D:20240501100000Z")


# --------------------------------------------------------------------------- the clean control


def _bg() -> bytes:
    # Full-bleed light CMYK background (TAC 40 %), covering the bleed.
    return f"q 0.1 0.1 0.1 0.1 k 0 0 {TRIM_W + 2 * BLEED:.2f} {TRIM_H + 2 * BLEED:.2f} re f Q\n".encode()


def _text(x_mm: float = 25, y_mm: float = 150, size: float = 12, color: bytes = b"0 0 0 1 k", font: str = "F1", word: bytes = b"Hello print") -> bytes:
    x, y = BLEED + x_mm * MM, BLEED + y_mm * MM
    return b"q " + color + f" BT /{font} {size} Tf {x:.2f} {y:.2f} Td (".encode() + word + b") Tj ET Q\n"


def _image_placement(name: str = "Im1", x_mm: float = 25, y_mm: float = 60, w_in: float = 1.0, h_in: float = 1.0) -> bytes:
    x, y = BLEED + x_mm * MM, BLEED + y_mm * MM
    return f"q {w_in * 72:.3f} 0 0 {h_in * 72:.3f} {x:.2f} {y:.2f} cm /{name} Do Q\n".encode()


def _stroke(width: float = 0.5, x_mm: float = 25, y_mm: float = 40) -> bytes:
    x, y = BLEED + x_mm * MM, BLEED + y_mm * MM
    return f"q 0 0 0 1 K {width} w {x:.2f} {y:.2f} m {x + 100:.2f} {y:.2f} l S Q\n".encode()


def clean_page(pdf: pikepdf.Pdf, **over: Any) -> PageSpec:
    """The clean control's page; keyword overrides replace parts (content pieces or PageSpec fields)."""
    pieces = {
        "bg": _bg(),
        "text": _text(),
        "image": _image_placement(),
        "stroke": _stroke(),
    }
    for k in list(over):
        if k in pieces:
            pieces[k] = over.pop(k)
    extra = over.pop("extra", b"")
    spec = PageSpec(
        content=b"".join(pieces.values()) + extra,
        fonts={"F1": embedded_font(pdf)},
        xobjects={"Im1": image_xobject(pdf, 300, 300)},
    )
    for k, v in over.items():
        if k in ("fonts", "xobjects", "extgstates", "colorspaces", "properties"):
            getattr(spec, k).update(v)
        else:
            setattr(spec, k, v)
    return spec


def _one_page(path: Path | str, *, tweak: Callable[[pikepdf.Pdf], None] | None = None, version: str = "1.6",
              pdfx: bool = True, intent: bool = True, save: dict[str, Any] | None = None, **over: Any) -> Path:
    # Build the page against the document it will live in.
    pdf = pikepdf.new()
    spec = clean_page(pdf, **over)
    return build_into(pdf, path, [spec], version=version, pdfx=pdfx, intent=intent, tweak=tweak, save=save)


def build_into(pdf: pikepdf.Pdf, path: Path | str, pages: list[PageSpec], **kw: Any) -> Path:
    """Like build() but reuses ``pdf`` (objects in the specs belong to it)."""
    path = Path(path)
    for spec in pages:
        media = Array([0, 0, spec.width, spec.height])
        page = Dictionary(Type=Name.Page, MediaBox=media)
        if spec.trim_inset is not None:
            i = spec.trim_inset
            page.TrimBox = Array([i, i, spec.width - i, spec.height - i])
            if spec.bleed_box:
                page.BleedBox = Array([0, 0, spec.width, spec.height])
        if spec.rotate:
            page.Rotate = spec.rotate
        res = Dictionary()
        for key, attr in (("/Font", "fonts"), ("/XObject", "xobjects"), ("/ExtGState", "extgstates"),
                          ("/ColorSpace", "colorspaces"), ("/Properties", "properties")):
            items = getattr(spec, attr)
            if items:
                res[key] = Dictionary({"/" + k: v for k, v in items.items()})
        page.Resources = res
        page.Contents = Stream(pdf, spec.content)
        if spec.annots:
            page.Annots = Array(spec.annots)
        pdf.pages.append(pikepdf.Page(page))
    if kw.get("intent", True):
        output_intent(pdf)
    if kw.get("pdfx", True):
        declare_pdfx4(pdf)
    tweak = kw.get("tweak")
    if tweak is not None:
        tweak(pdf)
    version = kw.get("version", "1.6")
    save_kw: dict[str, Any] = {"min_version": version, "force_version": version}
    save_kw.update(kw.get("save") or {})
    if "encryption" in save_kw:
        save_kw.pop("force_version")  # qpdf drops encryption that needs a newer version
    pdf.save(path, **save_kw)
    return path


def make_clean(path: Path | str) -> Path:
    """Passes prof_print_ready with no reject and no warn findings except ``text_not_outlined``."""
    return _one_page(path)


def make_pages(path: Path | str, n: int, **over: Any) -> Path:
    """A clean multi-page document (n copies of the clean page, shared resources)."""
    pdf = pikepdf.new()
    spec = clean_page(pdf, **over)
    return build_into(pdf, path, [spec] * n)


# --------------------------------------------------------------------------- defects


def no_bleed(path: Path | str) -> Path:
    return _one_page(path, width=TRIM_W, height=TRIM_H, trim_inset=None, bg=_bg())


def no_trimbox(path: Path | str) -> Path:
    return _one_page(path, trim_inset=None)


def wrong_size(path: Path | str) -> Path:
    return _one_page(path)  # A5 page; the setup asks for 85 x 55 mm


def wrong_page_count(path: Path | str) -> Path:
    return make_pages(path, 3)


def landscape(path: Path | str) -> Path:
    return _one_page(path, width=TRIM_H + 2 * BLEED, height=TRIM_W + 2 * BLEED)


def rotated(path: Path | str) -> Path:
    return _one_page(path, rotate=90)


def inconsistent_sizes(path: Path | str) -> Path:
    pdf = pikepdf.new()
    a = clean_page(pdf)
    b = clean_page(pdf, width=TRIM_W + 2 * BLEED + 30 * MM)
    return build_into(pdf, path, [a, b])


def spread(path: Path | str) -> Path:
    pdf = pikepdf.new()
    single = clean_page(pdf)
    double = clean_page(pdf, width=2 * TRIM_W + 2 * BLEED)
    return build_into(pdf, path, [single, double, single])


def content_near_edge(path: Path | str) -> Path:
    # A small CMYK box 1 mm inside the trim edge (no text near the edge).
    x, y = BLEED + 1 * MM, BLEED + 100 * MM
    return _one_page(path, extra=f"q 0 1 0 0 k {x:.2f} {y:.2f} 20 20 re f Q\n".encode())


def text_near_edge(path: Path | str) -> Path:
    return _one_page(path, text=_text(x_mm=1.5, y_mm=100))


def rgb_vector(path: Path | str) -> Path:
    x, y = BLEED + 25 * MM, BLEED + 100 * MM
    return _one_page(path, extra=f"q 1 0 0 rg {x:.2f} {y:.2f} 50 50 re f Q\n".encode())


def tac_380(path: Path | str) -> Path:
    x, y = BLEED + 25 * MM, BLEED + 100 * MM
    return _one_page(path, extra=f"q 1 1 0.8 1 k {x:.2f} {y:.2f} 80 80 re f Q\n".encode())


def spot_color(path: Path | str) -> Path:
    pdf = pikepdf.new()
    tint = Stream(pdf, b"{dup 0 mul exch dup 0.9 mul exch dup 0.6 mul exch 0.1 mul}")
    tint.FunctionType = 4
    tint.Domain = Array([0, 1])
    tint.Range = Array([0, 1, 0, 1, 0, 1, 0, 1])
    sep = Array([Name.Separation, Name("/PANTONE 186 C"), Name.DeviceCMYK, tint])
    x, y = BLEED + 25 * MM, BLEED + 100 * MM
    spec = clean_page(pdf, colorspaces={"CS0": sep}, extra=f"q /CS0 cs 1 scn {x:.2f} {y:.2f} 50 50 re f Q\n".encode())
    return build_into(pdf, path, [spec])


def no_output_intent(path: Path | str) -> Path:
    return _one_page(path, intent=False, pdfx=False)


def rich_black_text(path: Path | str) -> Path:
    return _one_page(path, text=_text(color=b"0.6 0.4 0.4 1 k"))


def white_overprint(path: Path | str) -> Path:
    pdf = pikepdf.new()
    gs = Dictionary(Type=Name.ExtGState, OP=True, op=True, OPM=1)
    x, y = BLEED + 25 * MM, BLEED + 100 * MM
    spec = clean_page(pdf, extgstates={"GS1": gs}, extra=f"q /GS1 gs 0 0 0 0 k {x:.2f} {y:.2f} 40 40 re f Q\n".encode())
    return build_into(pdf, path, [spec])


def unembedded_font(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, fonts={"F2": base14_font(pdf)}, extra=_text(y_mm=120, font="F2"))
    return build_into(pdf, path, [spec])


def full_font(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, fonts={"F1": embedded_font(pdf, subset=False)})
    return build_into(pdf, path, [spec])


def type3(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, fonts={"T3": type3_font(pdf)}, extra=_text(y_mm=120, font="T3", word=b"AAA"))
    return build_into(pdf, path, [spec])


def tiny_text(path: Path | str) -> Path:
    return _one_page(path, text=_text(size=4))


def hairline(path: Path | str) -> Path:
    return _one_page(path, stroke=_stroke(width=0.1))


def image_72dpi(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, xobjects={"Im1": image_xobject(pdf, 72, 72)})
    return build_into(pdf, path, [spec])


def image_1200dpi(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, xobjects={"Im1": image_xobject(pdf, 1200, 1200)})
    return build_into(pdf, path, [spec])


def rgb_image(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, xobjects={"Im1": image_xobject(pdf, 300, 300, cs="DeviceRGB")})
    return build_into(pdf, path, [spec])


def jpeg_image(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, xobjects={"Im1": image_xobject(pdf, 300, 300, cs="DeviceGray", jpeg=True)})
    return build_into(pdf, path, [spec])


def low_bit_image(path: Path | str) -> Path:
    pdf = pikepdf.new()
    spec = clean_page(pdf, xobjects={"Im1": image_xobject(pdf, 300, 300, cs="DeviceGray", bits=4)})
    return build_into(pdf, path, [spec])


def transparency(path: Path | str) -> Path:
    pdf = pikepdf.new()
    gs = Dictionary(Type=Name.ExtGState, ca=0.5, CA=0.5)
    x, y = BLEED + 25 * MM, BLEED + 100 * MM
    spec = clean_page(pdf, extgstates={"GS1": gs}, extra=f"q /GS1 gs 0 1 0 0 k {x:.2f} {y:.2f} 40 40 re f Q\n".encode())
    return build_into(pdf, path, [spec])


def layers(path: Path | str) -> Path:
    """Two layers; "Notes" is switched off by default."""
    pdf = pikepdf.new()
    ocg = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Die line")))
    notes = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Notes")))
    x, y = BLEED + 25 * MM, BLEED + 100 * MM
    spec = clean_page(pdf, properties={"OC1": ocg},
                      extra=f"/OC /OC1 BDC q 0 1 0 0 K 1 w {x:.2f} {y:.2f} 40 40 re S Q EMC\n".encode())

    def tweak(p: pikepdf.Pdf) -> None:
        p.Root.OCProperties = Dictionary(OCGs=Array([ocg, notes]), D=Dictionary(ON=Array([ocg]), OFF=Array([notes])))

    return build_into(pdf, path, [spec], tweak=tweak)


def annotation(path: Path | str) -> Path:
    pdf = pikepdf.new()
    note = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=Array([100, 100, 120, 120]),
                                        Contents=String("Please check")))
    spec = clean_page(pdf, annots=[note])
    return build_into(pdf, path, [spec])


def javascript(path: Path | str) -> Path:
    def tweak(p: pikepdf.Pdf) -> None:
        p.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert('hi');"))

    return _one_page(path, tweak=tweak)


def attachment(path: Path | str) -> Path:
    def tweak(p: pikepdf.Pdf) -> None:
        p.attachments["notes.txt"] = pikepdf.AttachedFileSpec(p, b"hello", mime_type="text/plain")

    return _one_page(path, tweak=tweak)


def _form(pdf: pikepdf.Pdf, *, sig: bool = False, xfa: bool = False, need_appearances: bool = False) -> tuple[Any, Any]:
    field_dict = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Widget,
        FT=Name.Sig if sig else Name.Tx,
        T=String("sig1" if sig else "name"),
        Rect=Array([100, 100, 200, 120]),
    )
    if sig:
        field_dict.V = pdf.make_indirect(Dictionary(Type=Name.Sig, Filter=Name("/Adobe.PPKLite"),
                                                    Contents=String(b"\x00" * 16)))
    widget = pdf.make_indirect(field_dict)
    form = Dictionary(Fields=Array([widget]))
    if sig:
        form.SigFlags = 3
    if xfa:
        form.XFA = Stream(pdf, b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")
    if need_appearances:
        form.NeedAppearances = True
    return widget, form


def _form_file(path: Path | str, **kw: Any) -> Path:
    pdf = pikepdf.new()
    widget, form = _form(pdf, **kw)
    spec = clean_page(pdf, annots=[widget])

    def tweak(p: pikepdf.Pdf) -> None:
        p.Root.AcroForm = form

    return build_into(pdf, path, [spec], tweak=tweak)


def form(path: Path | str) -> Path:
    return _form_file(path)


def xfa(path: Path | str) -> Path:
    return _form_file(path, xfa=True)


def signature(path: Path | str) -> Path:
    return _form_file(path, sig=True)


def need_appearances(path: Path | str) -> Path:
    return _form_file(path, need_appearances=True)


def encrypted(path: Path | str) -> Path:
    """Owner password only: opens without a password, prints fine, but is encrypted."""
    enc = pikepdf.Encryption(owner="owner", user="", R=6)
    return _one_page(path, save={"encryption": enc})


def no_print(path: Path | str) -> Path:
    enc = pikepdf.Encryption(owner="owner", user="", R=6,
                             allow=pikepdf.Permissions(print_lowres=False, print_highres=False))
    return _one_page(path, save={"encryption": enc})


def old_version(path: Path | str) -> Path:
    return _one_page(path, version="1.3", pdfx=False, intent=False)


def pdf20(path: Path | str) -> Path:
    return _one_page(path, version="2.0")


def not_pdfx(path: Path | str) -> Path:
    return _one_page(path, pdfx=False)


def _xmp(path: Path | str, key: str, value: str) -> Path:
    def tweak(p: pikepdf.Pdf) -> None:
        with p.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta[key] = value

    return _one_page(path, tweak=tweak)


def pdfa(path: Path | str) -> Path:
    def tweak(p: pikepdf.Pdf) -> None:
        with p.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"

    return _one_page(path, tweak=tweak)


def pdfua(path: Path | str) -> Path:
    return _xmp(path, "pdfuaid:part", "1")


def pdfvt(path: Path | str) -> Path:
    def tweak(p: pikepdf.Pdf) -> None:
        p.docinfo["/GTS_PDFVTVersion"] = String("PDF/VT-1")
        meta = p.Root.Metadata.read_bytes()
        p.Root.Metadata = Stream(p, meta.replace(b"</rdf:RDF>", b"<rdf:Description rdf:about='' xmlns:pdfvtid='http://www.npes.org/pdfvt/ns/id/'><pdfvtid:GTS_PDFVTVersion>PDF/VT-1</pdfvtid:GTS_PDFVTVersion></rdf:Description></rdf:RDF>"))

    return _one_page(path, tweak=tweak)


def untagged(path: Path | str) -> Path:
    return _one_page(path)  # the clean control is not tagged; the setup requires tags


def broken_content(path: Path | str) -> Path:
    # An unterminated string and a dictionary that never closes: qpdf can't tokenise it.
    return _one_page(path, extra=b"BT /F1 12 Tf (never closed Tj ET\n<< /A [ 1 2 \n")


def not_linearized(path: Path | str) -> Path:
    return _one_page(path)


def bad_producer(path: Path | str) -> Path:
    def tweak(p: pikepdf.Pdf) -> None:
        p.docinfo["/Producer"] = String("Microsoft Word - Print to PDF")

    return _one_page(path, tweak=tweak)


DEFECTS: dict[str, Callable[[Path | str], Path]] = {
    "bleed_missing": no_bleed,
    "trimbox_missing": no_trimbox,
    "page_size_mismatch": wrong_size,
    "page_count_mismatch": wrong_page_count,
    "orientation_mismatch": landscape,
    "page_rotated": rotated,
    "inconsistent_page_sizes": inconsistent_sizes,
    "page_layout_mismatch": spread,
    "content_in_safety_margin": content_near_edge,
    "text_outside_safe_zone": text_near_edge,
    "color_mode_not_allowed": rgb_vector,
    "ink_coverage_exceeded": tac_380,
    "spot_colors_exceeded": spot_color,
    "output_intent_missing": no_output_intent,
    "rich_black": rich_black_text,
    "overprint_white": white_overprint,
    "font_not_embedded": unembedded_font,
    "font_not_subset": full_font,
    "font_type_not_allowed": type3,
    "text_too_small": tiny_text,
    "stroke_too_thin": hairline,
    "image_low_resolution": image_72dpi,
    "image_high_resolution": image_1200dpi,
    "image_color_mode_not_allowed": rgb_image,
    "image_compression_not_allowed": jpeg_image,
    "image_low_bit_depth": low_bit_image,
    "transparency_present": transparency,
    "layers_present": layers,
    "annotations_present": annotation,
    "javascript_present": javascript,
    "attachments_present": attachment,
    "form_fields_present": form,
    "xfa_present": xfa,
    "signature_present": signature,
    "need_appearances_set": need_appearances,
    "encrypted": encrypted,
    "permissions_restricted": no_print,
    "pdf_version_unsupported": old_version,
    "pdfx_not_compliant": not_pdfx,
    "pdfa_detected": pdfa,
    "pdfua_detected": pdfua,
    "pdfvt_detected": pdfvt,
    "not_tagged": untagged,
    "structure_damaged": broken_content,
    "not_linearized": not_linearized,
    "producer_not_allowed": bad_producer,
}

# What a profile must switch on or target for a defect to surface (checks merged over
# prof_print_ready's; ``context`` is the SDK context). Defects not listed surface at the defaults.
DEFECT_SETUP: dict[str, dict[str, Any]] = {
    "page_size_mismatch": {"checks": {"page_size": {"action": "reject", "sizes": [{"width_mm": 85, "height_mm": 55}]}}},
    "page_count_mismatch": {"checks": {"page_count": {"action": "reject", "min": 1, "max": 2}}},
    "orientation_mismatch": {"checks": {"orientation": {"action": "warn", "allowed": ["portrait"]}}},
    "ink_coverage_exceeded": {"checks": {"ink_coverage": {"action": "warn", "percent": 300}}},
    "image_compression_not_allowed": {"checks": {"image_compression": {"action": "warn", "disallowed": ["JPEG"]}}},
    "pdfua_detected": {"checks": {"pdfua": {"action": "reject"}}},
    "pdfvt_detected": {"checks": {"pdfvt": {"action": "reject"}}},
    "not_tagged": {"checks": {"tagged": {"action": "warn"}}},
    "not_linearized": {"checks": {"linearized": {"action": "warn"}}},
    "producer_not_allowed": {"checks": {"producer": {"action": "warn", "blacklist": ["Microsoft Word"]}}},
}


# --------------------------------------------------------------------------- hostile inputs


def _raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer << /Root {root} 0 R /Size {len(objects) + 1} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def zero_byte(path: Path | str) -> Path:
    Path(path).write_bytes(b"")
    return Path(path)


def not_a_pdf(path: Path | str) -> Path:
    Path(path).write_bytes(b"PK\x03\x04 this is a zip file, not a PDF" * 10)
    return Path(path)


def truncated(path: Path | str) -> Path:
    """The first 40 bytes of a PDF: a header and nothing to recover."""
    make_clean(path)
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:40])
    return Path(path)


def half_truncated(path: Path | str) -> Path:
    make_clean(path)
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    return Path(path)


def password_protected(path: Path | str) -> Path:
    enc = pikepdf.Encryption(owner="owner", user="secret", R=6)
    return _one_page(path, save={"encryption": enc})


def page_tree_loop(path: Path | str) -> Path:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    Path(path).write_bytes(_raw_pdf(objs))
    return Path(path)


def page_bomb(path: Path | str, pages: int = 50_000) -> Path:
    """A 300 KB file whose page tree lists the same page 50,000 times."""
    kids = b" ".join([b"3 0 R"] * pages)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length 22 >>\nstream\n0 0 1 rg 0 0 9 9 re f\nendstream",
    ]
    Path(path).write_bytes(_raw_pdf(objs))
    return Path(path)


def content_bomb(path: Path | str, megabytes: int = 200) -> Path:
    """A page whose content stream inflates to ``megabytes`` of whitespace."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    data = b"".join(comp.compress(chunk) for _ in range(megabytes)) + comp.flush()
    head = f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>",
        head + data + b"\nendstream",
    ]
    Path(path).write_bytes(_raw_pdf(objs))
    return Path(path)


def huge_image_pdf(path: Path | str) -> Path:
    """An image that declares 100,000 x 100,000 px (10 gigapixels) with almost no data."""
    pdf = pikepdf.new()
    spec = clean_page(pdf, xobjects={"Im1": image_xobject(pdf, 100_000, 100_000, declared_only=True)})
    return build_into(pdf, path, [spec])


def _png_header(w: int, h: int, bit_depth: int = 1, color_type: int = 0, idat: bytes | None = None) -> bytes:
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    body = chunk(b"IHDR", ihdr)
    if idat is not None:
        body += chunk(b"IDAT", idat)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def huge_png(path: Path | str, side: int = 20_000) -> Path:
    """A real, valid 1-bit PNG of side x side pixels (a few hundred KB on disk)."""
    comp = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    parts = [comp.compress(row) for _ in range(side)]
    parts.append(comp.flush())
    Path(path).write_bytes(_png_header(side, side, 1, 0, b"".join(parts)))
    return Path(path)


def png_bomb(path: Path | str) -> Path:
    """A PNG header declaring 100,000 x 100,000 RGBA pixels."""
    Path(path).write_bytes(_png_header(100_000, 100_000, 8, 6, zlib.compress(b"\x00" * 1000)))
    return Path(path)


HOSTILE: dict[str, Callable[[Path | str], Path]] = {
    "zero_byte": zero_byte,
    "not_a_pdf": not_a_pdf,
    "truncated": truncated,
    "half_truncated": half_truncated,
    "password_protected": password_protected,
    "page_tree_loop": page_tree_loop,
    "content_bomb": content_bomb,
    "huge_image_pdf": huge_image_pdf,
    "huge_png": huge_png,
    "png_bomb": png_bomb,
}
# Newer hostile cases, kept out of HOSTILE so suites that iterate it opt in deliberately.
HOSTILE_EXTRA: dict[str, Callable[[Path | str], Path]] = {
    "page_bomb": page_bomb,
}


# --------------------------------------------------------------------------- rasters


def make_raster(path: Path | str, size: tuple[int, int] = (1800, 1200), mode: str = "RGB", fmt: str = "JPEG",
                dpi: int | None = 300, icc: bool = True, fill: Any = None) -> Path:
    from PIL import Image

    default_fill = {"RGB": (200, 120, 40), "RGBA": (200, 120, 40, 128), "CMYK": (255, 255, 204, 255), "L": 128,
                    "1": 1, "P": 3, "LA": (128, 100)}
    im = Image.new(mode, size, fill if fill is not None else default_fill.get(mode, 0))
    kw: dict[str, Any] = {}
    if dpi:
        kw["dpi"] = (dpi, dpi)
    if icc:
        cand = Path("/usr/share/ghostscript/10.00.0/iccprofiles/" + ("default_cmyk.icc" if mode == "CMYK" else "srgb.icc"))
        if cand.exists():
            kw["icc_profile"] = cand.read_bytes()
    im.save(path, fmt, **kw)
    return Path(path)
