"""Which pages still need Ghostscript once LittleCMS has converted the RGB images and vector colours.

``convert_to_cmyk`` converts RGB images and RGB fill/stroke operators itself (``color.py``,
``vector_color.py``); what it does not convert (shadings, inline images, colours set through colour
spaces, Type 3 glyphs, soft masks, transparency groups, non-RGB images such as Lab or Indexed)
is left to Ghostscript's ``pdfwrite``. On a long text document that is a handful of pages, and
re-distilling all of them cost more than the rest of autofix together (issue 17), so only the pages
with such a residue go through Ghostscript.

The test is conservative: any trace of such content (even an unused resource, or an operator's
name in a text string with nested parentheses) sends the page to Ghostscript, and so does a font that is not embedded
(Ghostscript embeds it). An annotation appearance with such content, or content that cannot be
read, sends the whole file, as before (the page run keeps the page's own annotations).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.fixes._tokens import content_bytes, operator_outside_strings

WHOLE_FILE = None  # what :func:`pages_for_ghostscript` answers when only a whole-file run will do

_MAX_DEPTH = 12
# Operators whose colour (or whose data) this module cannot vouch for after the LittleCMS passes.
_RESIDUE = operator_outside_strings("sh", "BI", "ID", "EI", "rg", "RG", "cs", "CS", "sc", "scn", "SC", "SCN", "d0", "d1")
_FINAL_SPACES = ("/DeviceGray", "/DeviceCMYK")
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


class _WholeFile(Exception):
    """Something only a whole-file Ghostscript run converts (or embeds)."""


def pages_for_ghostscript(pdf: pikepdf.Pdf) -> list[int] | None:
    """0-based indexes of the pages Ghostscript must still convert, or ``None`` (:data:`WHOLE_FILE`)."""
    try:
        return [index for index, page in enumerate(pdf.pages) if page_needs_ghostscript(page)]
    except _WholeFile:
        return WHOLE_FILE


def page_needs_ghostscript(page: pikepdf.Page) -> bool:
    """Does ``page`` paint anything the LittleCMS passes leave unconverted?

    Raises :class:`_WholeFile` for what a page-by-page run cannot carry over: an annotation
    appearance with such content, unreadable content.
    """
    for annot in page.obj.get("/Annots") or []:
        for form in _appearances(annot):
            if _stream_needs(form, form.get("/Resources"), set(), 0):
                raise _WholeFile
    group = page.obj.get("/Group")
    if isinstance(group, pikepdf.Dictionary) and not _final_space(group.get("/CS")):
        return True
    return _stream_needs(page, _inherited(page, "/Resources"), set(), 0)


def _stream_needs(container: Any, resources: Any, seen: set[tuple[int, int]], depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return True
    try:
        raw = content_bytes(container)
    except pikepdf.PdfError as exc:
        raise _WholeFile from exc
    if _RESIDUE(raw):
        return True
    if resources is None:
        return False
    if not isinstance(resources, pikepdf.Dictionary):
        return True
    for key in ("/Shading", "/Pattern"):
        if len(resources.get(key) or {}):
            return True
    for gstate in (resources.get("/ExtGState") or pikepdf.Dictionary()).values():
        if isinstance(gstate, pikepdf.Dictionary) and isinstance(gstate.get("/SMask"), pikepdf.Dictionary):
            return True
    for font in (resources.get("/Font") or pikepdf.Dictionary()).values():
        if _font_needs(font):
            return True
    for xobject in (resources.get("/XObject") or pikepdf.Dictionary()).values():
        if not isinstance(xobject, pikepdf.Stream):
            return True
        subtype = xobject.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            if not (xobject.get("/ImageMask") or _final_space(xobject.get("/ColorSpace"))):
                return True
        elif subtype == pikepdf.Name.Form:
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            group = xobject.get("/Group")
            if isinstance(group, pikepdf.Dictionary) and not _final_space(group.get("/CS")):
                return True
            if _stream_needs(xobject, xobject.get("/Resources", resources), seen, depth + 1):
                return True
        else:
            return True  # a PostScript XObject, or no subtype at all
    return False


def _font_needs(font: Any) -> bool:
    """A Type 3 font (its glyphs may paint in colour) and a font whose program is not embedded (which
    Ghostscript embeds: a print file never comes out with fewer fonts embedded) need the page run."""
    if not isinstance(font, pikepdf.Dictionary):
        return True
    subtype = font.get("/Subtype")
    if subtype == pikepdf.Name.Type3:
        return True
    if subtype == pikepdf.Name.Type0:
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, pikepdf.Array) or len(descendants) != 1:
            return True
        font = descendants[0]
    descriptor = font.get("/FontDescriptor") if isinstance(font, pikepdf.Dictionary) else None
    return not isinstance(descriptor, pikepdf.Dictionary) or not any(k in descriptor for k in _FONT_FILES)


def _final_space(space: Any) -> bool:
    return isinstance(space, pikepdf.Name) and str(space) in _FINAL_SPACES


def _appearances(annot: Any) -> Iterator[pikepdf.Stream]:
    appearance = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
    if not isinstance(appearance, pikepdf.Dictionary):
        return
    for key in ("/N", "/R", "/D"):
        entry = appearance.get(key)
        if isinstance(entry, pikepdf.Stream):
            yield entry
        elif isinstance(entry, pikepdf.Dictionary):
            yield from (v for v in entry.values() if isinstance(v, pikepdf.Stream))


def _inherited(page: pikepdf.Page, key: str) -> Any:
    node: Any = page.obj
    for _ in range(64):
        value = node.get(key)
        if value is not None or "/Parent" not in node:
            return value
        node = node.Parent
    return None
