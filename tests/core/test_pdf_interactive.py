"""The one walk over where a PDF's actions sit, shared by the PDF/A cleanup and the validators: it must
find actions nested in additional-actions, outline items, form fields and /Next chains, and the
cleanup must leave none of the forbidden ones it finds."""

from __future__ import annotations

import pikepdf

from printgate.core.fixes.pdfa_cleanup import remove_forbidden_actions
from printgate.core.pdf_interactive import action_owners, actions, field_type, form_fields, page_annotations


def _js(code: str) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def _document() -> pikepdf.Pdf:
    """A page whose link has a JavaScript action in its /AA, an outline item whose /A runs JavaScript
    after a page jump (/Next), a form field with a keystroke script, and a /Next chain that loops."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0].obj
    loop = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([page, pikepdf.Name.Fit])))
    loop.Next = pikepdf.Array([loop, _js("loop")])
    link = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], F=4, A=loop,
        AA=pikepdf.Dictionary(E=_js("annotation enter"))))
    page.Annots = pikepdf.Array([link, 7])  # a non-dictionary in /Annots is passed over
    item = pdf.make_indirect(pikepdf.Dictionary(
        Title=pikepdf.String("Bookmark"),
        A=pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.NextPage, Next=_js("outline"))))
    outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item, Last=item, Count=1))
    item.Parent = outlines
    item.Next = item  # a sibling list that loops back on itself
    pdf.Root.Outlines = outlines
    parent = pdf.make_indirect(pikepdf.Dictionary(T=pikepdf.String("name"), FT=pikepdf.Name.Tx))
    kid = pdf.make_indirect(pikepdf.Dictionary(Parent=parent, AA=pikepdf.Dictionary(K=_js("field keystroke"))))
    parent.Kids = pikepdf.Array([kid])
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([parent]))
    return pdf


def _scripts(pdf: pikepdf.Pdf) -> dict[str, str]:
    return {str(action.JS): where for action, where in actions(pdf) if action.get("/S") == pikepdf.Name.JavaScript}


def test_actions_nested_in_aa_outline_items_fields_and_chains_are_found() -> None:
    pdf = _document()
    assert _scripts(pdf) == {
        "annotation enter": "page 1 annotation 1 (Link) AA /E",
        "loop": "page 1 annotation 1 (Link)",
        "outline": "outline item",
        "field keystroke": "form field AA /K",
    }
    found = [action for action, _where in actions(pdf)]
    assert len(found) == len({id(a) if not a.is_indirect else a.objgen for a in found}) == 6  # each once


def test_the_walks_see_annotations_fields_and_their_types() -> None:
    pdf = _document()
    assert [where for _annot, where in page_annotations(pdf)] == ["page 1 annotation 1 (Link)"]
    fields = [field for field, _where in form_fields(pdf)]
    assert len(fields) == 2 and field_type(fields[1]) == "/Tx"  # the kid inherits its parent's type
    assert field_type(pikepdf.Dictionary()) is None
    owners = [where for _owner, where in action_owners(pdf)]
    assert owners == ["catalog", "page 1", "page 1 annotation 1 (Link)", "outline item", "form field name",
                      "form field"]


def test_the_pdfa_cleanup_leaves_none_of_the_forbidden_actions_the_walk_finds() -> None:
    pdf = _document()
    lines = remove_forbidden_actions(pdf, 2)
    assert _scripts(pdf) == {}
    assert any("additional-actions" in line for line in lines)
    kept = [str(action.S) for action, _where in actions(pdf)]
    assert sorted(kept) == ["/GoTo", "/Named"]  # navigation stays; the JavaScript after it is cut
