"""PDF/X document-level requirements: file structure (version, file identifier, encryption, external
content, filters), identification and metadata (Info for PDF/X-1a and -3, XMP for PDF/X-4, their
agreement) and actions (JavaScript and the forbidden action types)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

import pikepdf

from printgate.core import pdf_interactive
from printgate.core.validation.model import Document
from printgate.core.validation.pdfx.facts import (
    PDFXID,
    VERSIONS,
    claimed_version,
    content,
    edition,
    info,
    info_text,
)
from printgate.core.validation.rules.base import Context, Rule, Verdict, one
from printgate.core.validation.rules.metadata import _pdf_date, _xmp_date
from printgate.core.validation.xmp import DC, PDF_NS, XMP_NS

ALL = ("pdfx1a", "pdfx3", "pdfx4")
CLASSIC = ("pdfx1a", "pdfx3")  # the PDF 1.3/1.4 parts: Info-based identification, no transparency
X4 = ("pdfx4",)


def rule(check: Any, description: str, clause: str, test: int, specs: tuple[str, ...] = ALL) -> list[Rule]:
    """One requirement, written once, listed under every part of ISO 15930 it belongs to."""
    return [Rule(spec, clause, test, description, check) for spec in specs]


# -- 6.1 file structure -------------------------------------------------------------------------------

VERSION_CAPS = {(1, "2001"): 1.3, (1, "2003"): 1.4, (3, "2002"): 1.3, (3, "2003"): 1.4, (4, "2010"): 1.6}


def _version(value: Any) -> float | None:
    m = re.match(r"/?(\d)\.(\d)", str(value)) if value is not None else None
    return int(m.group(1)) + int(m.group(2)) / 10 if m else None


def version_cap(ctx: Context) -> Iterator[Verdict]:
    cap = VERSION_CAPS[(ctx.part, edition(ctx))]
    header = _version(ctx.doc.header_version)
    yield header is not None and header <= cap + 1e-9, f"header %PDF-{ctx.doc.header_version} (at most {cap})"
    catalog = _version(ctx.doc.catalog.get("/Version"))
    if catalog is not None:
        yield catalog <= cap + 1e-9, f"catalog Version {catalog} (at most {cap})"


def file_identifier(ctx: Context) -> Iterator[Verdict]:
    ids = ctx.doc.trailer.get("/ID")
    ok = isinstance(ids, pikepdf.Array) and len(ids) == 2 and all(isinstance(i, pikepdf.String) for i in ids)
    yield from one(ok, "trailer ID")


def not_encrypted(ctx: Context) -> Iterator[Verdict]:
    yield from one(not ctx.doc.pdf.is_encrypted and "/Encrypt" not in ctx.doc.trailer, "trailer Encrypt")


def no_external_streams(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.doc.cos.external_streams:
        yield False, where
    yield True, "streams"


def no_reference_xobjects(ctx: Context) -> Iterator[Verdict]:
    for form, where in content(ctx).forms:
        yield "/Ref" not in form, f"{where} form XObject"


def no_opi(ctx: Context) -> Iterator[Verdict]:
    for x, where in [*content(ctx).forms, *content(ctx).images]:
        yield "/OPI" not in x, f"{where} XObject"


def no_lzw(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.doc.cos.lzw:
        yield False, where
    yield True, "stream filters"


# -- 6.6 identification and metadata --------------------------------------------------------------------

def version_key(ctx: Context) -> Iterator[Verdict]:
    value = (claimed_version(ctx) or "").strip()
    where = "XMP pdfxid:GTS_PDFXVersion" if ctx.part == 4 else "Info GTS_PDFXVersion"
    yield value in VERSIONS[ctx.part], f"{where} {value!r}" if value else f"{where} missing"


def conformance_key(ctx: Context) -> Iterator[Verdict]:
    if (claimed_version(ctx) or "").strip() != "PDF/X-1:2001":
        return
    value = info_text(ctx, "/GTS_PDFXConformance")
    yield value == "PDF/X-1a:2001", f"Info GTS_PDFXConformance {value!r}"


def trapped(ctx: Context) -> Iterator[Verdict]:
    d = info(ctx)
    value = d.get("/Trapped") if d is not None else None
    ok = isinstance(value, pikepdf.Name) and str(value) in ("/True", "/False")
    yield ok, f"Info Trapped {value!s}" if value is not None else "Info Trapped missing"
    if ctx.part == 4:
        x = ctx.xmp
        xv = x.simple(PDF_NS, "Trapped") if x is not None and x.well_formed else None
        yield xv in ("True", "False"), f"XMP pdf:Trapped {xv!r}"


def title(ctx: Context) -> Iterator[Verdict]:
    if ctx.part == 4:
        x = ctx.xmp
        value = x.default_lang(DC, "title") if x is not None and x.well_formed else None
        yield bool(value and value.strip()), "XMP dc:title"
    else:
        value = info_text(ctx, "/Title")
        yield bool(value and value.strip()), "Info Title"


def dates(ctx: Context) -> Iterator[Verdict]:
    if ctx.part == 4:
        x = ctx.xmp
        ok = x is not None and x.well_formed
        for name in ("CreateDate", "ModifyDate"):
            yield ok and x is not None and _xmp_date(x.simple(XMP_NS, name)) is not None, f"XMP xmp:{name}"
    else:
        for key in ("/CreationDate", "/ModDate"):
            yield _pdf_date(info_text(ctx, key)) is not None, f"Info {key[1:]}"


def info_matches_xmp(ctx: Context) -> Iterator[Verdict]:
    """Where Info and XMP both give a value, they agree (PDF/X-4: the XMP is the identification)."""
    x = ctx.xmp
    if x is None or not x.well_formed:
        return
    pairs: list[tuple[str, Any, Any, Any]] = [
        ("Title", info_text(ctx, "/Title"), x.default_lang(DC, "title"), None),
        ("CreationDate", info_text(ctx, "/CreationDate"), x.simple(XMP_NS, "CreateDate"), "date"),
        ("ModDate", info_text(ctx, "/ModDate"), x.simple(XMP_NS, "ModifyDate"), "date"),
        ("Trapped", info_text(ctx, "/Trapped"), x.simple(PDF_NS, "Trapped"), None),
        ("GTS_PDFXVersion", info_text(ctx, "/GTS_PDFXVersion"), x.simple(PDFXID, "GTS_PDFXVersion"), None),
    ]
    for key, a, b, kind in pairs:
        if a is None or b is None:
            continue
        same = _pdf_date(a) == _xmp_date(b) and _pdf_date(a) is not None if kind == "date" else a.strip() == b.strip()
        yield same, f"Info {key} {a!r} vs XMP {b!r}"


def has_xmp(ctx: Context) -> Iterator[Verdict]:
    x = ctx.xmp
    yield from one(x is not None and x.well_formed, "catalog Metadata" if x is None else f"XMP ({x.error or 'ok'})")


# -- 6.5 actions --------------------------------------------------------------------------------------

FORBIDDEN_ACTIONS = frozenset(("/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/SubmitForm",
                               "/Rendition", "/GoTo3DView"))
_ACTIONS: WeakKeyDictionary[Document, list[tuple[pikepdf.Dictionary, str]]] = WeakKeyDictionary()


def actions(ctx: Context) -> list[tuple[pikepdf.Dictionary, str]]:
    """Every action the document can trigger (open action, document, page, annotation, outline and form
    field actions with their ``Next`` chains; found once per document for every rule and part)."""
    if ctx.doc not in _ACTIONS:
        _ACTIONS[ctx.doc] = [(action, where) for action, where in pdf_interactive.actions(ctx.doc.pdf)
                             if "/S" in action]
    return _ACTIONS[ctx.doc]


def no_javascript(ctx: Context) -> Iterator[Verdict]:
    names = ctx.doc.catalog.get("/Names")
    yield not (isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names), "catalog Names JavaScript"
    for action, where in actions(ctx):
        if action.get("/S") == pikepdf.Name("/JavaScript"):
            yield False, f"{where} JavaScript action"


def no_forbidden_actions(ctx: Context) -> Iterator[Verdict]:
    for action, where in actions(ctx):
        kind = str(action.get("/S"))
        if kind != "/JavaScript":
            yield kind not in FORBIDDEN_ACTIONS, f"{where} {kind[1:]} action"


RULES: list[Rule] = [
    *rule(version_cap, "The PDF version (header and catalog Version) is at most the part's: PDF 1.3 for "
          "PDF/X-1a:2001 and PDF/X-3:2002, 1.4 for their 2003 editions, 1.6 for PDF/X-4", "6.1.1", 1),
    *rule(file_identifier, "The trailer has a file identifier (ID, two strings)", "6.1.2", 1),
    *rule(not_encrypted, "The file is not encrypted (no Encrypt dictionary)", "6.1.3", 1),
    *rule(no_external_streams, "Every stream's data is in the file (no F, FFilter or FDecodeParms)", "6.1.4", 1),
    *rule(no_reference_xobjects, "No reference XObjects (form XObjects with Ref): the exchange is complete",
          "6.1.4", 2),
    *rule(no_opi, "No OPI dictionaries on images or form XObjects", "6.1.4", 3),
    *rule(no_lzw, "No LZWDecode filter", "6.1.5", 1, CLASSIC),
    *rule(version_key, "The file identifies its part: Info GTS_PDFXVersion 'PDF/X-1:2001' or 'PDF/X-1a:2003' "
          "(PDF/X-1a), 'PDF/X-3:2002' or 'PDF/X-3:2003' (PDF/X-3); XMP pdfxid:GTS_PDFXVersion 'PDF/X-4' "
          "(PDF/X-4)", "6.6", 1),
    *rule(conformance_key, "A PDF/X-1:2001 file has Info GTS_PDFXConformance 'PDF/X-1a:2001'", "6.6", 2,
          ("pdfx1a",)),
    *rule(trapped, "Info Trapped is True or False (not Unknown, not missing); PDF/X-4 also XMP pdf:Trapped",
          "6.6", 3),
    *rule(title, "The document has a title (Info Title; XMP dc:title for PDF/X-4)", "6.6", 4),
    *rule(dates, "The document has creation and modification dates (Info CreationDate and ModDate; XMP "
          "xmp:CreateDate and xmp:ModifyDate for PDF/X-4)", "6.6", 5),
    *rule(info_matches_xmp, "Info and XMP agree wherever both give a value (Title, dates, Trapped, "
          "GTS_PDFXVersion)", "6.6", 6),
    *rule(has_xmp, "The catalog has a well-formed XMP metadata stream", "6.6", 7, X4),
    *rule(no_javascript, "No JavaScript (no document JavaScript name tree, no JavaScript actions)", "6.5", 1),
    *rule(no_forbidden_actions, "No Launch, Sound, Movie, ResetForm, ImportData, SubmitForm, Rendition or "
          "GoTo3DView actions", "6.5", 2),
]
