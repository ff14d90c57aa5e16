"""PDF/UA-2 rules (ISO 14289-2). The checks PDF/UA-1 shares are written once in ua.py and fonts.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.rules import ua
from printgate.core.validation.rules.base import Check, Context, Rule, Verdict, shared
from printgate.core.validation.rules.interactive import actions
from printgate.core.validation.structure import PDF1_NS, STANDARD_TYPES_1
from printgate.core.validation.xmp import PDFUAID

PDF2_NS = "http://iso.org/pdf2/ssn"


def ua_rev(ctx: Context) -> Iterator[Verdict]:
    x = ctx.xmp
    if x is not None and x.get(PDFUAID, "part") is not None:
        rev = x.simple(PDFUAID, "rev")
        yield bool(rev and re.fullmatch(r"\d{4}", rev.strip())), "pdfuaid:rev"


def root_single_document(ctx: Context) -> Iterator[Verdict]:
    t = ua.tagging(ctx)
    if t.tree.root is None:
        return
    tops = [el for el in t.tree.iter() if el.parent is None]
    yield len(tops) == 1 and (tops[0].std or tops[0].type) == "Document", "StructTreeRoot"


def document_in_pdf2_namespace(ctx: Context) -> Iterator[Verdict]:
    t = ua.tagging(ctx)
    tops = [el for el in t.tree.iter() if el.parent is None]
    if len(tops) == 1 and (tops[0].std or tops[0].type) == "Document":
        ns = tops[0].obj.get("/NS")
        url = ns.get("/NS") if isinstance(ns, pikepdf.Dictionary) else None
        yield url is not None and str(url) == PDF2_NS, tops[0].where


def no_h(ctx: Context) -> Iterator[Verdict]:
    for el in ua.tagging(ctx).tree.iter():
        yield el.std != "H", el.where


def link_in_link_or_reference(ctx: Context) -> Iterator[Verdict]:
    for a, where, _visible in ua._annots(ctx):
        if ua._sub(a) == "Link":
            yield ua._struct_parent_std(ctx, a) in ("Link", "Reference"), where


def caption_first_or_last(ctx: Context) -> Iterator[Verdict]:
    for el in ua.tagging(ctx).tree.iter():
        kids = el.kid_std_types()
        yield "Caption" not in kids[1:-1], el.where


def math_in_formula(ctx: Context) -> Iterator[Verdict]:
    for el in ua.tagging(ctx).tree.iter():
        if el.type == "math" or (el.std or "") == "math":
            parent = (el.parent.std or el.parent.type) if el.parent else None
            yield parent in ("Formula", "math"), el.where


def catalog_lang_present(ctx: Context) -> Iterator[Verdict]:
    lang = ctx.doc.catalog.get("/Lang")
    yield lang is not None and str(lang) != "", "catalog"


def tabs_set(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array) and len(annots):
            yield str(page.obj.get("/Tabs")) in ("/A", "/W", "/S"), f"page {n}"


def widget_in_form(ctx: Context) -> Iterator[Verdict]:
    for a, where, _ in ua._annots(ctx):
        if ua._sub(a) == "Widget" and "/StructParent" in a:
            yield ua._struct_parent_std(ctx, a) == "Form", where


def no_xfa(ctx: Context) -> Iterator[Verdict]:
    form = ctx.doc.catalog.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        yield "/XFA" not in form, "AcroForm"


def _sub_contents(subtype: str) -> Check:
    def check(ctx: Context) -> Iterator[Verdict]:
        for a, where, _ in ua._annots(ctx):
            if ua._sub(a) == subtype:
                yield "/Contents" in a, where
    check.__name__ = f"contents_of_{subtype}"
    return check


def _forbidden(subtype: str) -> Check:
    def check(ctx: Context) -> Iterator[Verdict]:
        for a, where, _ in ua._annots(ctx):
            if ua._sub(a) == subtype:
                yield False, where
        yield True, "annotations"
    check.__name__ = f"no_{subtype}"
    return check


def popup_not_tagged(ctx: Context) -> Iterator[Verdict]:
    for a, where, _ in ua._annots(ctx):
        if ua._sub(a) == "Popup":
            yield "/StructParent" not in a, where


def stamp_name_or_contents(ctx: Context) -> Iterator[Verdict]:
    for a, where, _ in ua._annots(ctx):
        if ua._sub(a) == "Stamp":
            yield "/Name" in a or "/Contents" in a, where


def embedded_desc(ctx: Context) -> Iterator[Verdict]:
    names = ctx.doc.catalog.get("/Names")
    ef = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    stack = [ef]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        items = node.get("/Names")
        if isinstance(items, pikepdf.Array):
            for i in range(1, len(items), 2):
                spec = items[i]
                if isinstance(spec, pikepdf.Dictionary):
                    yield "/Desc" in spec, f"embedded file {items[i - 1]}"
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array) and len(stack) < 10000:
            stack.extend(kids)


def no_same_namespace_mapping(ctx: Context) -> Iterator[Verdict]:
    """Along an element's role mapping no step comes back to a namespace already on the way: a type is
    not mapped, directly or through other namespaces, to another type of its own namespace."""
    for el in ua.tagging(ctx).tree.iter():
        ns = el.obj.get("/NS")
        if not isinstance(ns, pikepdf.Dictionary):
            continue
        name, ok = el.type, True
        visited = {str(ns.get("/NS", ""))}
        for _ in range(32):
            rm = ns.get("/RoleMapNS")
            target = rm.get("/" + name) if isinstance(rm, pikepdf.Dictionary) else None
            if not (isinstance(target, pikepdf.Array) and len(target) >= 2
                    and isinstance(target[1], pikepdf.Dictionary)):
                break
            url = str(target[1].get("/NS", ""))
            if url in visited:
                ok = False
                break
            visited.add(url)
            name, ns = str(target[0])[1:], target[1]
        yield ok, el.where


def standard_type_not_remapped(ctx: Context) -> Iterator[Verdict]:
    """An element of the default (PDF 1.7) namespace whose type is standard there is not role-mapped away."""
    t = ua.tagging(ctx)
    for el in t.tree.iter():
        ns = el.obj.get("/NS")
        default_ns = not isinstance(ns, pikepdf.Dictionary) or str(ns.get("/NS", "")) == PDF1_NS
        if default_ns and el.type in STANDARD_TYPES_1 and "/NS" not in el.obj:
            yield el.type not in t.tree.role_map, el.where


def _target(a: pikepdf.Dictionary) -> Any:
    """What a link annotation goes to: a structure or page destination, a named destination or a URI."""
    def dest_key(d: Any) -> Any:
        if isinstance(d, pikepdf.Array) and len(d):
            first = d[0]
            head = first.objgen if isinstance(first, pikepdf.Dictionary) and first.is_indirect else repr(first)
            return ("dest", head, tuple(repr(v) for v in list(d)[1:]))
        return ("named", repr(d))

    act = a.get("/A")
    if isinstance(act, pikepdf.Dictionary):
        kind = str(act.get("/S", ""))
        if kind == "/GoTo":
            return dest_key(act.get("/SD")) if "/SD" in act else dest_key(act.get("/D"))
        if kind == "/URI":
            return ("uri", repr(act.get("/URI")))
        return (kind, act.objgen if act.is_indirect else repr(act)[:200])
    return dest_key(a.get("/Dest")) if "/Dest" in a else None


def links_one_target(ctx: Context) -> Iterator[Verdict]:
    """Link annotations that go to different places are in different Link or Reference elements."""
    for el in ua.tagging(ctx).tree.iter():
        if (el.std or el.type) not in ("Link", "Reference") or len(el.objrs) < 2:
            continue
        targets = {_target(o) for o in el.objrs
                   if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == pikepdf.Name("/Link")}
        yield len(targets) <= 1, el.where


def goto_struct_destination(ctx: Context) -> Iterator[Verdict]:
    """A GoTo action, whose target is in this document, names a structure destination (SD)."""
    for act, where in actions(ctx):
        if act.get("/S") == pikepdf.Name("/GoTo"):
            yield "/SD" in act, f"{where} GoTo action"


def invisible_annot_artifact(ctx: Context) -> Iterator[Verdict]:
    """An annotation flagged Invisible is not real content: if it is in the structure tree, as an Artifact."""
    for a, where, _ in ua._annots(ctx):
        try:
            invisible = int(a.get("/F", 0)) & 1
        except (TypeError, ValueError):
            invisible = 0
        if invisible:
            std = ua._struct_parent_std(ctx, a)
            yield std is None or std == "Artifact", where


def _has_lbl(el: Any, depth: int = 0) -> bool:
    return depth < 16 and any((k.std or k.type) == "Lbl" or _has_lbl(k, depth + 1) for k in el.kids)


def widget_label_or_contents(ctx: Context) -> Iterator[Verdict]:
    """A widget is described by a Lbl in its Form element, or else by its Contents."""
    t = ua.tagging(ctx)
    for a, where, _ in ua._annots(ctx):
        if ua._sub(a) != "Widget":
            continue
        el = t.elem_for(a["/StructParent"]) if "/StructParent" in a else None
        yield "/Contents" in a or (el is not None and _has_lbl(el)), where


RULES: list[Rule] = [
    *shared(ua.ua_identification, "The XMP contains the PDF/UA identification schema", ("pdfua2", "5", 1)),
    *shared(ua.ua_part, "pdfuaid:part is 2", ("pdfua2", "5", 2)),
    *shared(ua.ua_prefix("part"), "pdfuaid:part uses the prefix pdfuaid", ("pdfua2", "5", 3)),
    *shared(ua.ua_prefix("rev"), "pdfuaid:rev uses the prefix pdfuaid", ("pdfua2", "5", 4)),
    *shared(ua_rev, "pdfuaid:rev is a four-digit year", ("pdfua2", "5", 5)),
    *shared(ua.marked, "The catalog's MarkInfo has Marked true", ("pdfua2", "6.2", 1)),
    *shared(ua.has_struct_tree, "The catalog contains a StructTreeRoot", ("pdfua2", "8.2.1", 1)),
    *shared(ua.elem_has_parent, "Structure elements contain P", ("pdfua2", "8.2.1", 2)),
    *shared(ua.content_marked, "Content is tagged or marked as artifact", ("pdfua2", "8.2.2", 1)),
    *shared(ua.non_standard_mapped, "Structure types belong or are role-mapped to a standard namespace",
            ("pdfua2", "8.2.4", 1)),
    *shared(ua.no_circular_mapping, "The role map has no circular mapping", ("pdfua2", "8.2.4", 2)),
    *shared(no_same_namespace_mapping, "No structure type is role-mapped to a type of its own namespace",
            ("pdfua2", "8.2.4", 3)),
    *shared(standard_type_not_remapped, "Standard structure types are not role-mapped", ("pdfua2", "8.2.4", 4)),
    *shared(root_single_document, "The structure tree root has a single Document kid", ("pdfua2", "8.2.5.2", 1)),
    *shared(document_in_pdf2_namespace, "That Document is in the PDF 2.0 namespace", ("pdfua2", "8.2.5.2", 2)),
    *shared(no_h, "The H structure type is not used", ("pdfua2", "8.2.5.12", 1)),
    *shared(link_in_link_or_reference, "Link annotations are enclosed in Link or Reference elements",
            ("pdfua2", "8.2.5.20", 1)),
    *shared(links_one_target, "Links to different targets are in separate Link or Reference elements",
            ("pdfua2", "8.2.5.20", 2)),
    *shared(caption_first_or_last, "A Caption is the first or last kid", ("pdfua2", "8.2.5.27", 1)),
    *shared(ua._alt_rule("Figure"), "Figures have Alt or ActualText", ("pdfua2", "8.2.5.28.2", 1)),
    *shared(math_in_formula, "math occurs only inside Formula", ("pdfua2", "8.2.5.29", 1)),
    *shared(catalog_lang_present, "The catalog has a non-empty Lang", ("pdfua2", "8.4.4", 1)),
    *shared(ua.lang_values, "Lang values are language identifiers", ("pdfua2", "8.4.4", 2)),
    *shared(ua.oc_name, "Optional content configurations have a Name", ("pdfua2", "8.7", 1)),
    *shared(ua.oc_no_as, "Optional content configurations have no AS", ("pdfua2", "8.7", 2)),
    *shared(goto_struct_destination, "GoTo actions use structure destinations", ("pdfua2", "8.8", 2)),
    *shared(invisible_annot_artifact, "Tagged annotations flagged Invisible are Artifacts", ("pdfua2", "8.9.2.2", 1)),
    *shared(stamp_name_or_contents, "Stamp annotations have Name or Contents", ("pdfua2", "8.9.2.4.7", 1)),
    *shared(_sub_contents("Ink"), "Ink annotations have Contents", ("pdfua2", "8.9.2.4.8", 1)),
    *shared(popup_not_tagged, "Popup annotations are not in the structure tree", ("pdfua2", "8.9.2.4.9", 1)),
    *shared(_forbidden("Sound"), "No Sound annotations", ("pdfua2", "8.9.2.4.11", 1)),
    *shared(_forbidden("Movie"), "No Movie annotations", ("pdfua2", "8.9.2.4.11", 2)),
    *shared(_sub_contents("Screen"), "Screen annotations have Contents", ("pdfua2", "8.9.2.4.12", 1)),
    *shared(_forbidden("TrapNet"), "No TrapNet annotations", ("pdfua2", "8.9.2.4.15", 1)),
    *shared(_sub_contents("3D"), "3D annotations have Contents", ("pdfua2", "8.9.2.4.19", 1)),
    *shared(_sub_contents("RichMedia"), "RichMedia annotations have Contents", ("pdfua2", "8.9.2.4.19", 2)),
    *shared(tabs_set, "Pages with annotations have Tabs A, W or S", ("pdfua2", "8.9.3.3", 1)),
    *shared(widget_in_form, "Tagged widget annotations are enclosed in Form elements", ("pdfua2", "8.10.1", 1)),
    *shared(no_xfa, "No XFA forms", ("pdfua2", "8.10.1", 3)),
    *shared(widget_label_or_contents, "Widgets without a Lbl have Contents", ("pdfua2", "8.10.2.3", 1)),
    *shared(ua.dc_title, "The XMP contains dc:title", ("pdfua2", "8.11.1", 1)),
    *shared(ua.ua_metadata, "The catalog contains a Metadata stream", ("pdfua2", "8.11.1", 2)),
    *shared(ua.display_doc_title, "ViewerPreferences DisplayDocTitle is true", ("pdfua2", "8.11.2", 1)),
    *shared(embedded_desc, "Embedded file specifications have Desc", ("pdfua2", "8.14.1", 1)),
]
