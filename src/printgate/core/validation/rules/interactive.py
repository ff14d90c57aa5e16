"""Annotations, actions and interactive forms (ISO 19005-1 6.5/6.6/6.9, -2 6.3-6.5, -4 6.3-6.6)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

import pikepdf

from printgate.core import pdf_interactive
from printgate.core.pdf_interactive import field_type, form_fields, page_annotations
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

_ANNOTS_1 = {"Text", "Link", "FreeText", "Line", "Square", "Circle", "Highlight", "Underline", "Squiggly",
             "StrikeOut", "Stamp", "Ink", "Popup", "Widget", "PrinterMark", "TrapNet"}
_ANNOTS_2 = _ANNOTS_1 | {"Polygon", "PolyLine", "Caret", "FileAttachment", "Redact", "Watermark"}
_ANNOTS_4 = _ANNOTS_2 | {"Projection"}


def iter_annotations(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    return page_annotations(ctx.doc.pdf, ctx.doc.iter_pages)


def _sub(a: pikepdf.Dictionary) -> str:
    s = a.get("/Subtype")
    return str(s)[1:] if isinstance(s, pikepdf.Name) else ""


def _flags(a: pikepdf.Dictionary) -> int | None:
    f = a.get("/F")
    try:
        return int(f) if f is not None else None
    except (TypeError, ValueError):
        return None


def annot_types(ctx: Context) -> Iterator[Verdict]:
    allowed = _ANNOTS_1 if ctx.part == 1 else _ANNOTS_4 if ctx.part == 4 else _ANNOTS_2
    if ctx.part == 3:
        allowed = allowed | {"FileAttachment"}
    for a, where in iter_annotations(ctx):
        yield _sub(a) in allowed, where


def annot_ca(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        ca = a.get("/CA")
        yield ca is None or float(ca) == 1.0, where


def annot_flags_1(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        f = _flags(a)
        yield f is not None and f & 4 == 4 and f & (1 | 2 | 32) == 0, where


def annot_has_f(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        yield _sub(a) == "Popup" or "/F" in a, where


def annot_flags_2(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        f = _flags(a)
        yield f is None or (f & 4 == 4 and f & (1 | 2 | 32 | 256) == 0), where


def annot_c_ic(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        if "/C" in a or "/IC" in a:
            yield ctx.doc.output_cs == "RGB ", where


def _rect_empty(a: pikepdf.Dictionary) -> bool:
    r = a.get("/Rect")
    try:
        x0, y0, x1, y1 = (float(v) for v in r)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return False
    return abs(x1 - x0) == 0 and abs(y1 - y0) == 0


def annot_has_ap(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        yield _rect_empty(a) or _sub(a) in ("Popup", "Link") or "/AP" in a, where


def annot_ap_only_n(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        ap = a.get("/AP")
        if isinstance(ap, pikepdf.Dictionary):
            yield list(ap.keys()) == ["/N"], where


def annot_btn_n_dict(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        ap = a.get("/AP")
        if isinstance(ap, pikepdf.Dictionary) and list(ap.keys()) == ["/N"] and _sub(a) == "Widget" \
                and field_type(a) == "/Btn":
            n = ap.get("/N")
            yield isinstance(n, pikepdf.Dictionary) and not isinstance(n, pikepdf.Stream) and len(n.keys()) > 0, where


def annot_n_stream(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        ap = a.get("/AP")
        if isinstance(ap, pikepdf.Dictionary) and list(ap.keys()) == ["/N"] and not (
                _sub(a) == "Widget" and field_type(a) == "/Btn"):
            yield isinstance(ap.get("/N"), pikepdf.Stream), where


# -- actions ------------------------------------------------------------------------------------------

def actions(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    return pdf_interactive.actions(ctx.doc.pdf, ctx.doc.iter_pages)


_ACTIONS_1 = {"GoTo", "GoToR", "Thread", "URI", "Named", "SubmitForm"}
_ACTIONS_2 = _ACTIONS_1 | {"GoToE"}
_ACTIONS_4 = _ACTIONS_2 | {"JavaScript", "RichMediaExecute", "GoToDp"}


def action_types(ctx: Context) -> Iterator[Verdict]:
    allowed = _ACTIONS_1 if ctx.part == 1 else _ACTIONS_4 if ctx.part == 4 else _ACTIONS_2
    for act, where in actions(ctx):
        s = act.get("/S")
        yield isinstance(s, pikepdf.Name) and str(s)[1:] in allowed, f"{where} action {s}"


def named_actions(ctx: Context) -> Iterator[Verdict]:
    for act, where in actions(ctx):
        if act.get("/S") == pikepdf.Name("/Named"):
            yield str(act.get("/N")) in ("/NextPage", "/PrevPage", "/FirstPage", "/LastPage"), f"{where} named action"


def widget_no_a(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        if _sub(a) == "Widget":
            yield "/A" not in a, where


def widget_no_aa(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        if _sub(a) == "Widget":
            yield "/AA" not in a, where


def widget_no_a_aa(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        if _sub(a) == "Widget":
            yield "/A" not in a and "/AA" not in a, where


def field_no_aa(ctx: Context) -> Iterator[Verdict]:
    for f, where in form_fields(ctx.doc.pdf):
        yield "/AA" not in f, where


def catalog_no_aa(ctx: Context) -> Iterator[Verdict]:
    yield "/AA" not in ctx.doc.catalog, "catalog"


def page_no_aa(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        yield "/AA" not in page.obj, f"page {n}"


def aa_entries_4(ctx: Context) -> Iterator[Verdict]:
    # a chain, not a list: a large file's pages and annotations are valid only while their chunk is read
    owners = chain([(ctx.doc.catalog, "catalog")], ((p.obj, f"page {n}") for n, p in ctx.doc.iter_pages()),
                   ((a, w) for a, w in iter_annotations(ctx) if _sub(a) != "Widget"))
    for owner, where in owners:
        aa = owner.get("/AA")
        if isinstance(aa, pikepdf.Dictionary):
            yield all(k in ("/E", "/X", "/D", "/U", "/Fo", "/Bl") for k in aa) or not aa.keys(), where


def need_appearances(ctx: Context) -> Iterator[Verdict]:
    form = ctx.doc.catalog.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        yield not bool(form.get("/NeedAppearances", False)), "AcroForm"


def widget_ap(ctx: Context) -> Iterator[Verdict]:
    for a, where in iter_annotations(ctx):
        if _sub(a) == "Widget":
            yield "/AP" in a, where


def no_xfa(ctx: Context) -> Iterator[Verdict]:
    form = ctx.doc.catalog.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        yield "/XFA" not in form, "AcroForm"


RULES: list[Rule] = [
    *shared(annot_types, "Only annotation types permitted by the part are used", ("pdfa1", "6.5.2", 1),
            ("pdfa2", "6.3.1", 1), ("pdfa4", "6.3.1", 1)),
    *shared(annot_ca, "Annotations have no CA other than 1.0", ("pdfa1", "6.5.3", 1)),
    *shared(annot_flags_1, "Annotations set Print and clear Hidden, Invisible and NoView", ("pdfa1", "6.5.3", 2)),
    *shared(annot_has_f, "Annotations other than Popup contain F", ("pdfa2", "6.3.2", 1), ("pdfa4", "6.3.2", 1)),
    *shared(annot_flags_2, "Annotation flags set Print and clear Hidden, Invisible, ToggleNoView and NoView",
            ("pdfa2", "6.3.2", 2), ("pdfa4", "6.3.2", 2)),
    *shared(annot_c_ic, "Annotation colours C/IC are used only with an RGB output intent", ("pdfa1", "6.5.3", 3)),
    *shared(annot_has_ap, "Annotations other than Popup, Link and empty ones have an appearance dictionary",
            ("pdfa2", "6.3.3", 1), ("pdfa4", "6.3.3", 1)),
    *shared(annot_ap_only_n, "Appearance dictionaries contain only N", ("pdfa1", "6.5.3", 4),
            ("pdfa2", "6.3.3", 2), ("pdfa4", "6.3.3", 2)),
    *shared(annot_btn_n_dict, "A button widget's N appearance is a dictionary of appearance states",
            ("pdfa1", "6.5.3", 5), ("pdfa2", "6.3.3", 3), ("pdfa4", "6.3.3", 3)),
    *shared(annot_n_stream, "Other annotations' N appearance is a stream", ("pdfa1", "6.5.3", 6),
            ("pdfa2", "6.3.3", 4), ("pdfa4", "6.3.3", 4)),
    *shared(action_types, "Only permitted action types are used", ("pdfa1", "6.6.1", 1), ("pdfa2", "6.5.1", 1),
            ("pdfa4", "6.6.1", 1)),
    *shared(named_actions, "Named actions are NextPage, PrevPage, FirstPage or LastPage", ("pdfa1", "6.6.1", 2),
            ("pdfa2", "6.5.1", 2), ("pdfa4", "6.6.1", 2)),
    *shared(widget_no_a, "Widget annotations contain no A", ("pdfa1", "6.6.1", 3)),
    *shared(widget_no_aa, "Widget annotations contain no AA", ("pdfa1", "6.6.2", 1)),
    *shared(widget_no_a_aa, "Widget annotations contain neither A nor AA", ("pdfa2", "6.4.1", 1)),
    *shared(field_no_aa, "Form fields contain no AA", ("pdfa1", "6.6.2", 2), ("pdfa2", "6.4.1", 2)),
    *shared(catalog_no_aa, "The catalog contains no AA", ("pdfa1", "6.6.2", 3), ("pdfa2", "6.5.2", 1)),
    *shared(page_no_aa, "Pages contain no AA", ("pdfa2", "6.5.2", 2)),
    *shared(aa_entries_4, "Additional-actions dictionaries hold only E, X, D, U, Fo and Bl",
            ("pdfa4", "6.6.3", 1)),
    *shared(need_appearances, "NeedAppearances is absent or false", ("pdfa1", "6.9", 1), ("pdfa2", "6.4.1", 3),
            ("pdfa4", "6.4.1", 2)),
    *shared(widget_no_a, "Widget annotations contain no A", ("pdfa4", "6.4.1", 1)),
    *shared(widget_ap, "Widget annotations have an appearance dictionary", ("pdfa1", "6.9", 2)),
    *shared(no_xfa, "The interactive form has no XFA", ("pdfa2", "6.4.2", 1), ("pdfa4", "6.4.2", 1)),
]
