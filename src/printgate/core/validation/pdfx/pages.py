"""PDF/X page requirements: page boxes, annotations on the printed area, embedded fonts and (PDF/X-4)
optional content configurations."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf

from printgate.core.validation.pdfx.document import X4, rule
from printgate.core.validation.pdfx.facts import (
    content,
    edition,
    inside,
    open_warnings,
    overlaps,
    page_box,
    rect,
)
from printgate.core.validation.rules.base import Context, Rule, Verdict

# -- 6.2.2 page boxes -------------------------------------------------------------------------------------


def media_box(ctx: Context) -> Iterator[Verdict]:
    for warning in open_warnings(ctx):
        if "MediaBox is undefined" in warning:
            yield False, "page tree: " + warning.split(": ", 1)[-1].split(";")[0]
    for n, page in ctx.doc.iter_pages():
        box = page_box(page.obj, "/MediaBox")
        yield box is not None and box[2] > box[0] and box[3] > box[1], f"page {n} MediaBox"


def trim_or_art(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        has = [k[1:] for k in ("/TrimBox", "/ArtBox") if k in page.obj]
        yield len(has) == 1, f"page {n}: {' and '.join(has) or 'neither TrimBox nor ArtBox'}"


def trim_inside(ctx: Context) -> Iterator[Verdict]:
    """TrimBox/ArtBox within the BleedBox (when there is one) and the MediaBox; for the 2001/2002
    editions also within the CropBox."""
    crop_too = edition(ctx) in ("2001", "2002")
    for n, page in ctx.doc.iter_pages():
        for key in ("/TrimBox", "/ArtBox"):
            box = rect(page.obj.get(key)) if key in page.obj else None
            if box is None:
                continue
            for outer_key in ("/BleedBox", "/MediaBox", *(("/CropBox",) if crop_too else ())):
                outer = page_box(page.obj, outer_key)
                if outer is not None:
                    yield inside(box, outer), f"page {n} {key[1:]} within {outer_key[1:]}"


def bleed_inside_media(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        bleed = rect(page.obj.get("/BleedBox")) if "/BleedBox" in page.obj else None
        media = page_box(page.obj, "/MediaBox")
        if bleed is not None and media is not None:
            yield inside(bleed, media), f"page {n} BleedBox within MediaBox"


# -- 6.4 annotations -------------------------------------------------------------------------------------

_FORBIDDEN_ANNOTS = frozenset(("/Movie", "/Sound", "/Screen", "/3D", "/RichMedia"))
_HIDDEN = 2


def _annotations(ctx: Context) -> Iterator[tuple[int, pikepdf.Page, int, pikepdf.Dictionary]]:
    for n, page in ctx.doc.iter_pages():
        annots = page.obj.get("/Annots")
        for j, annot in enumerate(annots if isinstance(annots, pikepdf.Array) else []):
            if isinstance(annot, pikepdf.Dictionary):
                yield n, page, j + 1, annot


def annotations_off_trim(ctx: Context) -> Iterator[Verdict]:
    for n, page, j, annot in _annotations(ctx):
        trim = rect(page.obj.get("/TrimBox")) or rect(page.obj.get("/ArtBox"))
        area = rect(annot.get("/Rect"))
        if trim is None or area is None or not overlaps(area, trim):
            continue
        kind = str(annot.get("/Subtype", "/?"))
        try:
            flags = int(annot.get("/F", 0))
        except (TypeError, ValueError):
            flags = 0
        ok = kind in ("/PrinterMark", "/TrapNet") or bool(flags & _HIDDEN)
        yield ok, f"page {n} annotation {j} ({kind[1:]}) inside the trim area"


def no_forbidden_annotations(ctx: Context) -> Iterator[Verdict]:
    for n, _page, j, annot in _annotations(ctx):
        kind = str(annot.get("/Subtype", "/?"))
        yield kind not in _FORBIDDEN_ANNOTS, f"page {n} annotation {j} ({kind[1:]})"


# -- 6.3 fonts -------------------------------------------------------------------------------------------


def _embedded(font: pikepdf.Dictionary) -> bool:
    if font.get("/Subtype") == pikepdf.Name("/Type0"):
        kids = font.get("/DescendantFonts")
        font = kids[0] if isinstance(kids, pikepdf.Array) and len(kids) and isinstance(
            kids[0], pikepdf.Dictionary) else pikepdf.Dictionary()
    desc = font.get("/FontDescriptor")
    return isinstance(desc, pikepdf.Dictionary) and any(
        isinstance(desc.get(k), pikepdf.Stream) for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def fonts_embedded(ctx: Context) -> Iterator[Verdict]:
    for use in content(ctx).fonts.values():
        if use.font.get("/Subtype") == pikepdf.Name("/Type3"):
            continue  # its glyphs are content streams in the file: test 2
        yield _embedded(use.font), f"{use.where} font {use.font.get('/BaseFont', '')}".rstrip()


def type3_glyphs_present(ctx: Context) -> Iterator[Verdict]:
    for use in content(ctx).fonts.values():
        if use.font.get("/Subtype") != pikepdf.Name("/Type3"):
            continue
        procs = use.font.get("/CharProcs")
        ok = isinstance(procs, pikepdf.Dictionary) and len(procs) > 0 and all(
            isinstance(procs.get(str(k)), pikepdf.Stream) for k in procs)
        yield ok, f"{use.where} Type 3 font CharProcs"


# -- 6.8 optional content (PDF/X-4) ----------------------------------------------------------------------


def oc_configs_named(ctx: Context) -> Iterator[Verdict]:
    props = ctx.doc.catalog.get("/OCProperties")
    if not isinstance(props, pikepdf.Dictionary):
        return
    configs = [("D", props.get("/D"))]
    extra = props.get("/Configs")
    configs += [(f"Configs[{i}]", c) for i, c in enumerate(extra if isinstance(extra, pikepdf.Array) else [])]
    for where, config in configs:
        name = config.get("/Name") if isinstance(config, pikepdf.Dictionary) else None
        ok = isinstance(name, pikepdf.String) and bool(str(name).strip())
        yield ok, f"OCProperties {where} Name"


def oc_names_unique(ctx: Context) -> Iterator[Verdict]:
    props = ctx.doc.catalog.get("/OCProperties")
    if not isinstance(props, pikepdf.Dictionary):
        return
    extra = props.get("/Configs")
    configs = [props.get("/D"), *(extra if isinstance(extra, pikepdf.Array) else [])]
    names = [str(c.get("/Name")) for c in configs if isinstance(c, pikepdf.Dictionary) and "/Name" in c]
    for name in dict.fromkeys(names):
        yield names.count(name) == 1, f"OCProperties configuration Name {name!r}"


RULES: list[Rule] = [
    *rule(media_box, "Every page has a MediaBox (its own or inherited)", "6.2.2", 1),
    *rule(trim_or_art, "Every page has a TrimBox or an ArtBox, not both", "6.2.2", 2),
    *rule(trim_inside, "The TrimBox or ArtBox lies within the BleedBox (when present) and the MediaBox "
          "(and, in PDF/X-1a:2001 and PDF/X-3:2002, the CropBox)", "6.2.2", 3),
    *rule(bleed_inside_media, "The BleedBox lies within the MediaBox", "6.2.2", 4),
    *rule(fonts_embedded, "Every font used is embedded (FontFile, FontFile2 or FontFile3), the standard 14 "
          "included", "6.3", 1),
    *rule(type3_glyphs_present, "Every Type 3 font used has its glyph procedures (CharProcs streams)", "6.3", 2),
    *rule(annotations_off_trim, "An annotation on the trim area is a PrinterMark or TrapNet annotation, or is "
          "hidden", "6.4", 1),
    *rule(no_forbidden_annotations, "No Movie, Sound, Screen, 3D or RichMedia annotations", "6.4", 2),
    *rule(oc_configs_named, "Every optional content configuration (D and each of Configs) has a Name", "6.8", 1, X4),
    *rule(oc_names_unique, "Optional content configuration Names are unique", "6.8", 2, X4),
]
