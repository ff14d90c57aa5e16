"""PDF/UA-1 rules (ISO 14289-1): identification, tagging, structure types, natural language,
alternative descriptions, annotations and fonts. Font rules shared with PDF/A are listed in fonts.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pikepdf

from printgate.core.validation.content import key_of
from printgate.core.validation.model import inherited
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared
from printgate.core.validation.rules.interactive import iter_annotations
from printgate.core.validation.structure import (
    STANDARD_TYPES_1,
    STANDARD_TYPES_2,
    Elem,
    StructTree,
    parent_tree,
    read_tree,
)
from printgate.core.validation.xmp import DC, PDFUAID

_LANG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")


class _Tagging:
    """The structure tree and the parent tree of one document, read once per context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @cached_property
    def standard(self) -> frozenset[str]:
        return STANDARD_TYPES_1 | STANDARD_TYPES_2 if self.ctx.level == "ua2" else STANDARD_TYPES_1

    @cached_property
    def tree(self) -> StructTree:
        return read_tree(self.ctx.doc.catalog, self.standard)

    @cached_property
    def parents(self) -> dict[int, Any]:
        return parent_tree(self.tree.root)

    def elem_for(self, struct_parent: Any) -> Elem | None:
        try:
            v = self.parents.get(int(struct_parent))
        except (TypeError, ValueError):
            return None
        if isinstance(v, pikepdf.Dictionary) and v.is_indirect:
            return self.tree.by_objgen.get(v.objgen)
        return None

    def elem_for_mcid(self, page_key: Any, mcid: int) -> Elem | None:
        page = self.ctx.doc.page_by_id(page_key)
        if page is None or "/StructParents" not in page:
            return None
        arr = self.parents.get(int(page["/StructParents"]))
        if isinstance(arr, pikepdf.Array) and 0 <= mcid < len(arr):
            el = arr[mcid]
            if isinstance(el, pikepdf.Dictionary) and el.is_indirect:
                return self.tree.by_objgen.get(el.objgen)
        return None


def tagging(ctx: Context) -> _Tagging:
    t = ctx.__dict__.get("_tagging")
    if t is None:
        t = ctx.__dict__["_tagging"] = _Tagging(ctx)
    return t


def catalog_lang(ctx: Context) -> bool:
    lang = ctx.doc.catalog.get("/Lang")
    return lang is not None and bool(str(lang))


# -- identification and document-level -----------------------------------------------------------------

def ua_identification(ctx: Context) -> Iterator[Verdict]:
    x = ctx.xmp
    yield x is not None and x.get(PDFUAID, "part") is not None, "XMP"


def ua_part(ctx: Context) -> Iterator[Verdict]:
    x = ctx.xmp
    p = x.get(PDFUAID, "part") if x else None
    if p is not None:
        yield p.value[0] == "simple" and str(p.value[1]).strip() == ("1" if ctx.level == "ua1" else "2"), "pdfuaid:part"


def ua_prefix(name: str) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        x = ctx.xmp
        p = x.get(PDFUAID, name) if x else None
        if p is not None:
            yield p.prefix in (None, "pdfuaid"), f"pdfuaid:{name}"
    check.__name__ = f"ua_prefix_{name}"
    return check


def header_1x(ctx: Context) -> Iterator[Verdict]:
    yield bool(re.fullmatch(r"%PDF-1\.[0-7]", ctx.doc.header)), f"header {ctx.doc.header!r}"


def marked(ctx: Context) -> Iterator[Verdict]:
    mi = ctx.doc.catalog.get("/MarkInfo")
    yield isinstance(mi, pikepdf.Dictionary) and bool(mi.get("/Marked", False)) is True, "catalog MarkInfo"


def suspects(ctx: Context) -> Iterator[Verdict]:
    mi = ctx.doc.catalog.get("/MarkInfo")
    yield not (isinstance(mi, pikepdf.Dictionary) and bool(mi.get("/Suspects", False))), "catalog MarkInfo"


def artifact_in_tagged(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.content.artifact_in_tagged:
        yield False, where
    yield True, "marked content"


def tagged_in_artifact(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.content.tagged_in_artifact:
        yield False, where
    yield True, "marked content"


def content_marked(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.content.unmarked_content:
        yield False, where
    yield True, "content"


def non_standard_mapped(ctx: Context) -> Iterator[Verdict]:
    t = tagging(ctx)
    for el in t.tree.iter():
        if el.type not in t.standard:
            yield el.std is not None or el.circular, el.where


def no_circular_mapping(ctx: Context) -> Iterator[Verdict]:
    for el in tagging(ctx).tree.iter():
        if el.circular:
            yield False, el.where
    yield True, "RoleMap"


def standard_not_remapped(ctx: Context) -> Iterator[Verdict]:
    t = tagging(ctx)
    for k in t.tree.role_map:
        yield k not in t.standard, f"RoleMap /{k}"


def ua_metadata(ctx: Context) -> Iterator[Verdict]:
    yield isinstance(ctx.doc.catalog.get("/Metadata"), pikepdf.Stream), "catalog"


def dc_title(ctx: Context) -> Iterator[Verdict]:
    x = ctx.xmp
    if x is not None:
        yield x.get(DC, "title") is not None, "XMP dc:title"


def display_doc_title(ctx: Context) -> Iterator[Verdict]:
    vp = ctx.doc.catalog.get("/ViewerPreferences")
    yield isinstance(vp, pikepdf.Dictionary) and bool(vp.get("/DisplayDocTitle", False)) is True, "ViewerPreferences"


def has_struct_tree(ctx: Context) -> Iterator[Verdict]:
    yield isinstance(ctx.doc.catalog.get("/StructTreeRoot"), pikepdf.Dictionary), "catalog"


def elem_has_parent(ctx: Context) -> Iterator[Verdict]:
    for el in tagging(ctx).tree.iter():
        yield "/P" in el.obj, el.where


# -- structure types: tables, lists, TOC -----------------------------------------------------------------

def _kids_rule(std: str, test: Any) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        for el in tagging(ctx).tree.iter():
            if el.std == std:
                yield bool(test(el.kid_std_types())), el.where
    check.__name__ = f"kids_of_{std}"
    return check


def _parent_rule(std: str, parents: tuple[str, ...]) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        for el in tagging(ctx).tree.iter():
            if el.std == std:
                pstd = (el.parent.std or el.parent.type) if el.parent else None
                yield pstd in parents, el.where
    check.__name__ = f"parent_of_{std}"
    return check


def _only(*allowed: str) -> Any:
    return lambda kids: all(k in allowed for k in kids)


def _count(name: str, op: Any) -> Any:
    return lambda kids: op(sum(1 for k in kids if k == name))


def _lang_attr(key: str) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        has_catalog = catalog_lang(ctx)
        for el in tagging(ctx).tree.iter():
            if key in el.obj:
                yield bool(el.lang() or el.inherited_lang() or has_catalog), f"{el.where} {key[1:]}"
    check.__name__ = f"lang_for_{key[1:]}"
    return check


def outline_lang(ctx: Context) -> Iterator[Verdict]:
    outlines = ctx.doc.catalog.get("/Outlines")
    if isinstance(outlines, pikepdf.Dictionary) and isinstance(outlines.get("/First"), pikepdf.Dictionary):
        yield catalog_lang(ctx), "outlines"


def _struct_lang(ctx: Context, a: pikepdf.Dictionary) -> bool:
    if "/StructParent" not in a:
        return False
    el = tagging(ctx).elem_for(a["/StructParent"])
    return el is not None and bool(el.lang() or el.inherited_lang())


def annot_contents_lang(ctx: Context) -> Iterator[Verdict]:
    has = catalog_lang(ctx)
    for a, where in iter_annotations(ctx):
        if "/Contents" in a:
            yield has or "/Lang" in a or _struct_lang(ctx, a), where


def field_tu_lang(ctx: Context) -> Iterator[Verdict]:
    has = catalog_lang(ctx)
    form = ctx.doc.catalog.get("/AcroForm")
    fields = list(form.get("/Fields") or []) if isinstance(form, pikepdf.Dictionary) else []
    while fields:
        f = fields.pop()
        if isinstance(f, pikepdf.Dictionary):
            if "/TU" in f:
                widgets = [k for k in (f.get("/Kids") or []) if isinstance(k, pikepdf.Dictionary)] + [f]
                by_struct = any(_struct_lang(ctx, w) for w in widgets)
                yield has or "/Lang" in f or by_struct, f"form field {f.get('/T', '')}"
            kids = f.get("/Kids")
            if isinstance(kids, pikepdf.Array) and len(fields) < 100000:
                fields.extend(kids)


def lang_values(ctx: Context) -> Iterator[Verdict]:
    lang = ctx.doc.catalog.get("/Lang")
    if lang is not None:
        yield bool(_LANG.fullmatch(str(lang))), "catalog Lang"
    for el in tagging(ctx).tree.iter():
        if el.lang() is not None:
            yield bool(_LANG.fullmatch(el.lang() or "")), f"{el.where} Lang"
    for value, where in ctx.content.mc_langs:
        yield bool(_LANG.fullmatch(value)), f"{where} marked content Lang"


def _span_rule(index: int) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        has = catalog_lang(ctx)
        t = tagging(ctx)
        for span in ctx.content.spans:
            if span[index]:
                el = t.elem_for_mcid(span[5], span[6]) if span[6] is not None else None
                by_struct = el is not None and bool(el.lang() or el.inherited_lang())
                yield span[3] or has or by_struct, f"{span[4]} Span"
    check.__name__ = f"span_lang_{index}"
    return check


def xmp_lang_alt(ctx: Context) -> Iterator[Verdict]:
    x = ctx.xmp
    if x is None or not x.well_formed:
        return
    for p in x.props:
        if p.value[0] == "array" and p.value[1] == "Alt" and "x-default" in p.value[3]:
            # x-default alone leaves the language undetermined; another xml:lang item determines it
            only_default = all(lang in ("x-default", None) for lang in p.value[3])
            yield not only_default or catalog_lang(ctx), f"XMP {p.name}"


def text_lang(ctx: Context) -> Iterator[Verdict]:
    if catalog_lang(ctx):
        yield True, "catalog Lang"
        return
    t = tagging(ctx)
    for page_key, mcid, where in ctx.content.text_without_lang:
        el = t.elem_for_mcid(page_key, mcid) if mcid is not None else None
        yield el is not None and bool(el.lang() or el.inherited_lang()), f"{where} text"


def _alt_rule(std: str) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        for el in tagging(ctx).tree.iter():
            if el.std == std:
                alt = el.obj.get("/Alt")
                yield (alt is not None and str(alt) != "") or "/ActualText" in el.obj, el.where
    check.__name__ = f"alt_for_{std}"
    return check


def heading_levels(ctx: Context) -> Iterator[Verdict]:
    prev = 0
    for el in tagging(ctx).tree.iter():
        std = el.std or ""
        if re.fullmatch(r"H[1-6]", std):
            n = int(std[1])
            yield n <= prev + 1, el.where
            prev = n


def one_h_kid(ctx: Context) -> Iterator[Verdict]:
    for el in tagging(ctx).tree.iter():
        yield el.kid_std_types().count("H") <= 1, el.where


def _hn_used(ctx: Context) -> bool:
    return any(re.fullmatch(r"H[1-6]", el.std or "") for el in tagging(ctx).tree.iter())


def _h_used(ctx: Context) -> bool:
    return any(el.std == "H" for el in tagging(ctx).tree.iter())


def h_not_with_hn(ctx: Context) -> Iterator[Verdict]:
    hn = _hn_used(ctx)
    for el in tagging(ctx).tree.iter():
        if el.std == "H":
            yield not hn, el.where


def hn_not_with_h(ctx: Context) -> Iterator[Verdict]:
    h = _h_used(ctx)
    for el in tagging(ctx).tree.iter():
        if re.fullmatch(r"H[1-6]", el.std or ""):
            yield not h, el.where


def note_id(ctx: Context) -> Iterator[Verdict]:
    for el in tagging(ctx).tree.iter():
        if el.std == "Note":
            v = el.obj.get("/ID")
            yield v is not None and bytes(v) != b"", el.where


def note_id_unique(ctx: Context) -> Iterator[Verdict]:
    seen: set[bytes] = set()
    for el in tagging(ctx).tree.iter():
        if el.std == "Note" and el.obj.get("/ID") is not None:
            v = bytes(el.obj["/ID"])
            yield v not in seen, el.where
            seen.add(v)


def _oc_configs(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    ocp = ctx.doc.catalog.get("/OCProperties")
    if not isinstance(ocp, pikepdf.Dictionary):
        return
    d = ocp.get("/D")
    if isinstance(d, pikepdf.Dictionary):
        yield d, "OCProperties D"
    configs = ocp.get("/Configs")
    if isinstance(configs, pikepdf.Array):
        for i, c in enumerate(configs):
            if isinstance(c, pikepdf.Dictionary):
                yield c, f"OCProperties Configs {i + 1}"


def oc_name(ctx: Context) -> Iterator[Verdict]:
    for c, where in _oc_configs(ctx):
        n = c.get("/Name")
        yield n is not None and str(n) != "", where


def oc_no_as(ctx: Context) -> Iterator[Verdict]:
    for c, where in _oc_configs(ctx):
        yield "/AS" not in c, where


def filespec_f_uf_nonempty(ctx: Context) -> Iterator[Verdict]:
    for obj in ctx.doc.objects_at(ctx.doc.object_facts.with_ef):
        ok = all(k in obj and str(obj[k]) != "" for k in ("/F", "/UF"))
        yield ok, f"obj {obj.objgen[0]}"


def no_dynamic_xfa(ctx: Context) -> Iterator[Verdict]:
    form = ctx.doc.catalog.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary) or "/XFA" not in form:
        return
    xfa = form["/XFA"]
    parts = [xfa] if isinstance(xfa, pikepdf.Stream) else [x for x in xfa if isinstance(x, pikepdf.Stream)] \
        if isinstance(xfa, pikepdf.Array) else []
    dynamic = False
    for part in parts:
        try:
            data = part.read_bytes()
        except Exception:
            continue
        if re.search(rb"<(?:[\w.-]+:)?dynamicRender\b[^>]*>\s*required\s*</", data):
            dynamic = True
    yield not dynamic, "AcroForm XFA"


def encryption_p(ctx: Context) -> Iterator[Verdict]:
    enc = ctx.doc.trailer.get("/Encrypt")
    if isinstance(enc, pikepdf.Dictionary):
        p = enc.get("/P")
        yield p is not None and int(p) & 512 == 512, "Encrypt"


# -- annotations ------------------------------------------------------------------------------------------

def _visible(ctx: Context, a: pikepdf.Dictionary, page_crop: Any) -> bool:
    try:
        f = int(a.get("/F", 0))
    except (TypeError, ValueError):
        f = 0
    if f & 2:
        return False
    try:
        x0, y0, x1, y1 = (float(v) for v in a["/Rect"])
        cx0, cy0, cx1, cy1 = (float(v) for v in page_crop)
    except Exception:
        return True
    return not (max(x0, x1) < min(cx0, cx1) or min(x0, x1) > max(cx0, cx1)
                or max(y0, y1) < min(cy0, cy1) or min(y0, y1) > max(cy0, cy1))


def _annots(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, str, bool]]:
    for n, page in ctx.doc.iter_pages():
        crop = inherited(page.obj, "/CropBox") or inherited(page.obj, "/MediaBox") or page.mediabox
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            for j, a in enumerate(annots):
                if isinstance(a, pikepdf.Dictionary):
                    yield a, f"page {n} annotation {j + 1} ({str(a.get('/Subtype', '/?'))[1:]})", _visible(ctx, a, crop)


def _sub(a: pikepdf.Dictionary) -> str:
    return str(a.get("/Subtype", ""))[1:]


def _struct_parent_std(ctx: Context, a: pikepdf.Dictionary) -> str | None:
    if "/StructParent" not in a:
        return None
    el = tagging(ctx).elem_for(a["/StructParent"])
    return (el.std or el.type) if el else None


def annot_in_annot_tag(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) in ("Widget", "PrinterMark", "Link", "Popup") or not visible:
            continue
        yield _struct_parent_std(ctx, a) == "Annot", where


def annot_contents(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) in ("Widget", "Popup") or not visible:
            continue
        alt = None
        if "/StructParent" in a:
            el = tagging(ctx).elem_for(a["/StructParent"])
            alt = el.obj.get("/Alt") if el else None
        yield (a.get("/Contents") is not None and str(a["/Contents"]) != "") or (alt is not None and str(alt) != ""), \
            where


def widget_tu(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) != "Widget" or not visible:
            continue
        # TU belongs to the field: the widget itself when it is merged with its field (has T or no
        # Parent), else its Parent; a TU on a widget that is only a widget describes nothing
        node: Any = a if "/T" in a or "/Parent" not in a else a.get("/Parent")
        tu = None
        depth = 0
        while tu is None and isinstance(node, pikepdf.Dictionary) and depth < 32:
            tu = node.get("/TU")
            node = node.get("/Parent")
            depth += 1
        alt = None
        if "/StructParent" in a:
            el = tagging(ctx).elem_for(a["/StructParent"])
            alt = el.obj.get("/Alt") if el else None
        yield (tu is not None and str(tu) != "") or (alt is not None and str(alt) != ""), where


def no_trapnet(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) == "TrapNet":
            yield not visible, where


def tabs_s(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array) and len(annots):
            yield page.obj.get("/Tabs") == pikepdf.Name("/S"), f"page {n}"


def widget_in_form(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) == "Widget" and visible:
            yield _struct_parent_std(ctx, a) == "Form", where


def link_in_link(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) == "Link" and visible:
            yield _struct_parent_std(ctx, a) == "Link", where


def link_contents(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) == "Link" and visible:
            yield a.get("/Contents") is not None and str(a["/Contents"]) != "", where


def printer_mark_artifact(ctx: Context) -> Iterator[Verdict]:
    for a, where, visible in _annots(ctx):
        if _sub(a) == "PrinterMark" and visible:
            yield "/StructParent" not in a, where


def _media_clips(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Media clip data dictionaries reached from renditions (indirect or direct objects)."""
    seen: set[Any] = set()

    def from_rendition(r: Any, where: str, depth: int = 0) -> Iterator[tuple[pikepdf.Dictionary, str]]:
        if not isinstance(r, pikepdf.Dictionary) or depth > 8:
            return
        if r.get("/S") == pikepdf.Name("/SR"):
            for sub in r.get("/R") or []:
                yield from from_rendition(sub, where, depth + 1)
            return
        clip = r.get("/C")
        if isinstance(clip, pikepdf.Dictionary) and clip.get("/S") == pikepdf.Name("/MCD"):
            k = clip.objgen if clip.is_indirect else id(clip)
            if k not in seen:
                seen.add(k)
                yield clip, f"{where} media clip"

    for a, where, _ in _annots(ctx):
        actions = [a.get("/A")]
        aa = a.get("/AA")
        if isinstance(aa, pikepdf.Dictionary):
            actions += [aa.get(str(k)) for k in aa]
        for act in actions:
            if isinstance(act, pikepdf.Dictionary) and act.get("/S") == pikepdf.Name("/Rendition"):
                yield from from_rendition(act.get("/R"), where)
    for obj in ctx.doc.objects_at(ctx.doc.object_facts.media_clips):
        if obj.objgen not in seen:
            seen.add(obj.objgen)
            yield obj, f"obj {obj.objgen[0]} media clip"


def media_ct(ctx: Context) -> Iterator[Verdict]:
    for clip, where in _media_clips(ctx):
        yield "/CT" in clip, where


def media_alt(ctx: Context) -> Iterator[Verdict]:
    for clip, where in _media_clips(ctx):
        alt = clip.get("/Alt")
        # a multi-language text array: (language, text) pairs, each text saying something
        ok = (isinstance(alt, pikepdf.Array) and len(alt) % 2 == 0 and len(alt) > 0
              and all(isinstance(alt[i], pikepdf.String) and str(alt[i]).strip() for i in range(1, len(alt), 2)))
        yield ok, where


def form_unique_parent(ctx: Context) -> Iterator[Verdict]:
    """A form XObject whose content has its own structure (StructParents) is painted once: painted twice,
    the same marked content would belong to two places in the structure tree (ISO 32000-1 14.7.2)."""
    paints = ctx.content.form_paints
    for form, where in ctx.content.forms:
        if "/StructParents" in form:
            yield paints.get(key_of(form), 0) <= 1, f"{where} form XObject"


def no_ref_xobject(ctx: Context) -> Iterator[Verdict]:
    for form, where in ctx.content.forms:
        yield "/Ref" not in form, f"{where} form"


_TABLE_KIDS = ("TR", "THead", "TBody", "TFoot", "Caption")


RULES: list[Rule] = [
    *shared(ua_identification, "The XMP contains the PDF/UA identification schema", ("pdfua1", "5", 1)),
    *shared(ua_part, "pdfuaid:part is the part of ISO 14289 the file claims", ("pdfua1", "5", 2)),
    *shared(ua_prefix("part"), "pdfuaid:part uses the prefix pdfuaid", ("pdfua1", "5", 3)),
    *shared(ua_prefix("amd"), "pdfuaid:amd uses the prefix pdfuaid", ("pdfua1", "5", 4)),
    *shared(ua_prefix("corr"), "pdfuaid:corr uses the prefix pdfuaid", ("pdfua1", "5", 5)),
    *shared(header_1x, "The file header reads %PDF-1.n", ("pdfua1", "6.1", 1)),
    *shared(marked, "The catalog's MarkInfo has Marked true", ("pdfua1", "6.2", 1)),
    *shared(artifact_in_tagged, "No artifact inside tagged content", ("pdfua1", "7.1", 1)),
    *shared(tagged_in_artifact, "No tagged content inside an artifact", ("pdfua1", "7.1", 2)),
    *shared(content_marked, "Content is tagged or marked as artifact", ("pdfua1", "7.1", 3)),
    *shared(suspects, "MarkInfo Suspects is not true", ("pdfua1", "7.1", 4)),
    *shared(non_standard_mapped, "Non-standard structure types are role-mapped to standard types",
            ("pdfua1", "7.1", 5)),
    *shared(no_circular_mapping, "The RoleMap has no circular mapping", ("pdfua1", "7.1", 6)),
    *shared(standard_not_remapped, "Standard structure types are not remapped", ("pdfua1", "7.1", 7)),
    *shared(ua_metadata, "The catalog contains a Metadata stream", ("pdfua1", "7.1", 8)),
    *shared(dc_title, "The XMP contains dc:title", ("pdfua1", "7.1", 9)),
    *shared(display_doc_title, "ViewerPreferences DisplayDocTitle is true", ("pdfua1", "7.1", 10)),
    *shared(has_struct_tree, "The catalog contains a StructTreeRoot", ("pdfua1", "7.1", 11)),
    *shared(elem_has_parent, "Structure elements contain P", ("pdfua1", "7.1", 12)),
    *shared(outline_lang, "The natural language of outline entries is determined", ("pdfua1", "7.2", 2)),
    *shared(_kids_rule("Table", _only(*_TABLE_KIDS)), "Table contains only TR, THead, TBody, TFoot and Caption",
            ("pdfua1", "7.2", 3)),
    *shared(_parent_rule("TR", ("Table", "THead", "TBody", "TFoot")), "TR is inside Table, THead, TBody or TFoot",
            ("pdfua1", "7.2", 4)),
    *shared(_parent_rule("THead", ("Table",)), "THead is inside Table", ("pdfua1", "7.2", 5)),
    *shared(_parent_rule("TBody", ("Table",)), "TBody is inside Table", ("pdfua1", "7.2", 6)),
    *shared(_parent_rule("TFoot", ("Table",)), "TFoot is inside Table", ("pdfua1", "7.2", 7)),
    *shared(_parent_rule("TH", ("TR",)), "TH is inside TR", ("pdfua1", "7.2", 8)),
    *shared(_parent_rule("TD", ("TR",)), "TD is inside TR", ("pdfua1", "7.2", 9)),
    *shared(_kids_rule("TR", _only("TH", "TD")), "TR contains only TH and TD", ("pdfua1", "7.2", 10)),
    *shared(_kids_rule("Table", _count("THead", lambda n: n <= 1)), "Table has at most one THead",
            ("pdfua1", "7.2", 11)),
    *shared(_kids_rule("Table", _count("TFoot", lambda n: n <= 1)), "Table has at most one TFoot",
            ("pdfua1", "7.2", 12)),
    *shared(_kids_rule("Table", lambda k: "TFoot" not in k or "TBody" in k), "A Table with TFoot has TBody",
            ("pdfua1", "7.2", 13)),
    *shared(_kids_rule("Table", lambda k: "THead" not in k or "TBody" in k), "A Table with THead has TBody",
            ("pdfua1", "7.2", 14)),
    *shared(_kids_rule("Table", lambda k: "Caption" not in k[1:-1]), "A Table's Caption is its first or last kid",
            ("pdfua1", "7.2", 16)),
    *shared(_parent_rule("LI", ("L",)), "LI is inside L", ("pdfua1", "7.2", 17)),
    *shared(_parent_rule("LBody", ("LI",)), "LBody is inside LI", ("pdfua1", "7.2", 18)),
    *shared(_kids_rule("L", _only("L", "LI", "Caption")), "L contains only L, LI and Caption", ("pdfua1", "7.2", 19)),
    *shared(_kids_rule("LI", _only("Lbl", "LBody")), "LI contains only Lbl and LBody", ("pdfua1", "7.2", 20)),
    *shared(_lang_attr("/ActualText"), "The language of ActualText is determined", ("pdfua1", "7.2", 21)),
    *shared(_lang_attr("/Alt"), "The language of Alt is determined", ("pdfua1", "7.2", 22)),
    *shared(_lang_attr("/E"), "The language of E is determined", ("pdfua1", "7.2", 23)),
    *shared(annot_contents_lang, "The language of annotation Contents is determined", ("pdfua1", "7.2", 24)),
    *shared(field_tu_lang, "The language of form field TU is determined", ("pdfua1", "7.2", 25)),
    *shared(_parent_rule("TOCI", ("TOC",)), "TOCI is inside TOC", ("pdfua1", "7.2", 26)),
    *shared(_kids_rule("TOC", _only("TOC", "TOCI", "Caption")), "TOC contains only TOC, TOCI and Caption",
            ("pdfua1", "7.2", 27)),
    *shared(_kids_rule("TOC", lambda k: "Caption" not in k[1:]), "A TOC's Caption is its first kid",
            ("pdfua1", "7.2", 28)),
    *shared(lang_values, "Lang values are language identifiers", ("pdfua1", "7.2", 29)),
    *shared(_span_rule(0), "The language of ActualText in Span marked content is determined", ("pdfua1", "7.2", 30)),
    *shared(_span_rule(1), "The language of Alt in Span marked content is determined", ("pdfua1", "7.2", 31)),
    *shared(_span_rule(2), "The language of E in Span marked content is determined", ("pdfua1", "7.2", 32)),
    *shared(xmp_lang_alt, "The language of document metadata is determined", ("pdfua1", "7.2", 33)),
    *shared(text_lang, "The language of page text is determined", ("pdfua1", "7.2", 34)),
    *shared(_kids_rule("THead", _only("TR")), "THead contains only TR", ("pdfua1", "7.2", 36)),
    *shared(_kids_rule("TBody", _only("TR")), "TBody contains only TR", ("pdfua1", "7.2", 37)),
    *shared(_kids_rule("TFoot", _only("TR")), "TFoot contains only TR", ("pdfua1", "7.2", 38)),
    *shared(_kids_rule("Table", _count("Caption", lambda n: n < 2)), "Table has at most one Caption",
            ("pdfua1", "7.2", 39)),
    *shared(_kids_rule("L", lambda k: "Caption" not in k[1:]), "An L's Caption is its first kid",
            ("pdfua1", "7.2", 40)),
    *shared(_alt_rule("Figure"), "Figures have Alt or ActualText", ("pdfua1", "7.3", 1)),
    *shared(heading_levels, "Heading levels do not skip levels", ("pdfua1", "7.4.2", 1)),
    *shared(one_h_kid, "A node has at most one H kid", ("pdfua1", "7.4.4", 1)),
    *shared(h_not_with_hn, "H is not used together with H1-H6", ("pdfua1", "7.4.4", 2)),
    *shared(hn_not_with_h, "H1-H6 are not used together with H", ("pdfua1", "7.4.4", 3)),
    *shared(_alt_rule("Formula"), "Formulas have Alt or ActualText", ("pdfua1", "7.7", 1)),
    *shared(note_id, "Note elements have an ID", ("pdfua1", "7.9", 1)),
    *shared(note_id_unique, "Note IDs are unique", ("pdfua1", "7.9", 2)),
    *shared(oc_name, "Optional content configurations have a Name", ("pdfua1", "7.10", 1)),
    *shared(oc_no_as, "Optional content configurations have no AS", ("pdfua1", "7.10", 2)),
    *shared(filespec_f_uf_nonempty, "Embedded file specifications have non-empty F and UF", ("pdfua1", "7.11", 1)),
    *shared(no_dynamic_xfa, "No dynamic XFA forms", ("pdfua1", "7.15", 1)),
    *shared(encryption_p, "Encryption permits assistive technology (P bit 10)", ("pdfua1", "7.16", 1)),
    *shared(annot_in_annot_tag, "Annotations are nested in an Annot tag", ("pdfua1", "7.18.1", 1)),
    *shared(annot_contents, "Annotations have Contents or Alt", ("pdfua1", "7.18.1", 2)),
    *shared(widget_tu, "Form fields have TU or their widgets Alt", ("pdfua1", "7.18.1", 3)),
    *shared(no_trapnet, "No TrapNet annotations", ("pdfua1", "7.18.2", 1)),
    *shared(tabs_s, "Pages with annotations have Tabs S", ("pdfua1", "7.18.3", 1)),
    *shared(widget_in_form, "Widget annotations are nested in a Form tag", ("pdfua1", "7.18.4", 1)),
    *shared(link_in_link, "Link annotations are nested in a Link tag", ("pdfua1", "7.18.5", 1)),
    *shared(link_contents, "Link annotations have Contents", ("pdfua1", "7.18.5", 2)),
    *shared(media_ct, "Media clip data has CT", ("pdfua1", "7.18.6.2", 1)),
    *shared(media_alt, "Media clip data has Alt", ("pdfua1", "7.18.6.2", 2)),
    *shared(printer_mark_artifact, "PrinterMark annotations are artifacts", ("pdfua1", "7.18.8", 1)),
    *shared(no_ref_xobject, "No reference XObjects", ("pdfua1", "7.20", 1)),
    *shared(form_unique_parent, "A form XObject with its own structure is painted once", ("pdfua1", "7.20", 2)),
]
