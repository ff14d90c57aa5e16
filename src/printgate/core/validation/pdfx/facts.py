"""What the PDF/X rules read besides the shared model: which edition a file claims, its Info strings, its
PDF/X output intent and its page boxes.

One flavour covers two editions of a part (PDF/X-1a:2001 and :2003, PDF/X-3:2002 and :2003), which
differ in a few requirements (PDF version cap, the conformance key, CropBox containment); the edition
is what the file's ``GTS_PDFXVersion`` says, the newer one when it says nothing readable.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import pikepdf

from printgate.core.validation.content import ContentFacts
from printgate.core.validation.model import Document
from printgate.core.validation.rules.base import Context

PDFXID = "http://www.npes.org/pdfx/ns/id/"
GTS_PDFX = pikepdf.Name("/GTS_PDFX")
# Info ``GTS_PDFXVersion`` values per flavour part (ctx.part): value -> edition
VERSIONS: dict[int, dict[str, str]] = {
    1: {"PDF/X-1:2001": "2001", "PDF/X-1a:2003": "2003"},
    3: {"PDF/X-3:2002": "2002", "PDF/X-3:2003": "2003"},
    4: {"PDF/X-4": "2010"},
}
NEWEST = {1: "2003", 3: "2003", 4: "2010"}


def info(ctx: Context) -> pikepdf.Dictionary | None:
    value = ctx.doc.trailer.get("/Info")
    return value if isinstance(value, pikepdf.Dictionary) else None


def info_text(ctx: Context, key: str) -> str | None:
    """An Info entry as text (a name such as ``/True`` without its slash), or None when absent."""
    d = info(ctx)
    v = d.get(key) if d is not None else None
    if v is None:
        return None
    if isinstance(v, pikepdf.Name):
        return str(v)[1:]
    if isinstance(v, pikepdf.String):
        try:
            return str(v)
        except Exception:
            return bytes(v).decode("latin-1")
    return None


def claimed_version(ctx: Context) -> str | None:
    """The file's PDF/X version string: XMP ``pdfxid:GTS_PDFXVersion`` for PDF/X-4, Info otherwise."""
    if ctx.part == 4:
        x = ctx.xmp
        return x.simple(PDFXID, "GTS_PDFXVersion") if x is not None and x.well_formed else None
    return info_text(ctx, "/GTS_PDFXVersion")


def edition(ctx: Context) -> str:
    """``2001``/``2003`` (X-1a), ``2002``/``2003`` (X-3), ``2010`` (X-4)."""
    return VERSIONS[ctx.part].get((claimed_version(ctx) or "").strip(), NEWEST[ctx.part])


def pdfx_intents(ctx: Context) -> list[pikepdf.Dictionary]:
    return [oi for oi in ctx.doc.output_intents() if oi.get("/S") == GTS_PDFX]


def output_space(ctx: Context) -> str | None:
    """The data colour space (``CMYK``, ``RGB ``, ``GRAY``) of the one PDF/X output intent's embedded profile.

    A PDF/X-1a or -3 intent that names a registered characterization instead of embedding a profile is a
    CMYK printing condition (what the ICC characterization registry lists)."""
    from printgate.core.validation.rules.graphics import icc_header

    intents = pdfx_intents(ctx)
    if len(intents) != 1:
        return None
    prof = intents[0].get("/DestOutputProfile")
    if prof is None and ctx.part != 4 and isinstance(intents[0].get("/RegistryName"), pikepdf.String):
        return "CMYK"
    head = icc_header(prof)
    return head[1] if head else None


_CONTENT: WeakKeyDictionary[Document, ContentFacts] = WeakKeyDictionary()


def content(ctx: Context) -> ContentFacts:
    """The content walk, done once per document for every PDF/X part asked of it (a Context is made per
    flavour). It is placed in the Context too, where the engine reports content streams it cannot parse."""
    if "content" not in ctx.__dict__ and ctx.doc in _CONTENT:
        ctx.__dict__["content"] = _CONTENT[ctx.doc]
    facts = _CONTENT[ctx.doc] = ctx.content
    return facts


_OPEN_WARNINGS: WeakKeyDictionary[Document, list[str]] = WeakKeyDictionary()


def open_warnings(ctx: Context) -> list[str]:
    """qpdf's warnings from opening the file (kept: reading them clears them). qpdf gives a page without a
    MediaBox a default one and says so only here."""
    if ctx.doc not in _OPEN_WARNINGS:
        _OPEN_WARNINGS[ctx.doc] = [str(w) for w in ctx.doc.pdf.get_warnings()]
    return _OPEN_WARNINGS[ctx.doc]


Rect = tuple[float, float, float, float]


def rect(value: Any) -> Rect | None:
    """A normalised rectangle (llx, lly, urx, ury), or None when the value is not four numbers."""
    if not isinstance(value, pikepdf.Array) or len(value) != 4:
        return None
    try:
        a, b, c, d = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return min(a, c), min(b, d), max(a, c), max(b, d)


def page_box(page: pikepdf.Dictionary, key: str) -> Rect | None:
    """A page box, inherited through the page tree where PDF lets it be (MediaBox, CropBox)."""
    node: Any = page
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            return rect(node.get(key))
        if key not in ("/MediaBox", "/CropBox"):
            return None
        node = node.get("/Parent")
    return None


def inside(inner: Rect, outer: Rect, tolerance: float = 0.01) -> bool:
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)


def overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
