"""PDF/UA rules written from their clauses (form field descriptions, dynamic XFA, media clip Alt, form
XObjects painted twice; PDF/UA-2 role maps, structure destinations, invisible annotations, widget
labels and link targets): each fails on a tagged file built to break it and passes when built right."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed

Mutate = Callable[[pikepdf.Pdf], None]


def _elem(pdf: pikepdf.Pdf, s: str, parent: pikepdf.Dictionary, **extra: Any) -> pikepdf.Dictionary:
    el = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + s), P=parent, **extra))
    parent.K = Array([*(parent.K if isinstance(parent.get("/K"), pikepdf.Array) else
                        [parent.K] if "/K" in parent else []), el])
    return el


def _tagged_annots(annots: list[Dictionary], tag: str = "Form", lbl: bool = False, one_elem: bool = False) -> Mutate:
    """Page 1 gets ``annots``, each tagged by an OBJR in a ``tag`` element (one for all with ``one_elem``)."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        doc = pdf.Root.StructTreeRoot.K
        page = pdf.pages[0].obj
        nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
        made = []
        shared_el = _elem(pdf, tag, doc) if one_elem else None
        for i, a in enumerate(annots):
            annot = pdf.make_indirect(a)
            annot.P = page
            el = shared_el if shared_el is not None else _elem(pdf, tag, doc)
            if lbl:
                _elem(pdf, "Lbl", el)
            objr = Dictionary(Type=Name.OBJR, Obj=annot, Pg=page)
            el.K = Array([*(el.K if isinstance(el.get("/K"), pikepdf.Array) else []), objr])
            annot.StructParent = 10 + i
            nums += [10 + i, el]
            made.append(annot)
        page.Annots = Array(made)
        widgets = [a for a in made if a.get("/Subtype") == Name.Widget]
        if widgets:
            pdf.Root.AcroForm = Dictionary(Fields=Array(widgets))
        page.Tabs = Name.S
        pdf.Root.StructTreeRoot.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
    return mutate


def _widget(**extra: Any) -> Dictionary:
    return Dictionary(Type=Name.Annot, Subtype=Name.Widget, Rect=Array([10, 10, 60, 30]), F=4, FT=Name.Tx, **extra)


def _kid_widget(field_tu: bool) -> Mutate:
    """A field with one kid widget: the TU sits on the field (described) or only on the widget (not)."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        field = pdf.make_indirect(Dictionary(FT=Name.Tx, T=pikepdf.String("name")))
        widget = _widget(Parent=field)
        del widget["/FT"]
        (field if field_tu else widget).TU = pikepdf.String("Your name")
        _tagged_annots([widget])(pdf)
        field.Kids = Array([pdf.pages[0].obj.Annots[0]])
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]))
    return mutate


def _xfa(config: bytes) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=Array([pikepdf.String("config"), pdf.make_stream(config)]))
    return mutate


def _media(alt: Array) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        clip = Dictionary(Type=Name.MediaClip, S=Name.MCD, CT=pikepdf.String("video/mp4"), Alt=alt,
                          D=Dictionary(Type=Name.Filespec, F=pikepdf.String("a.mp4"), UF=pikepdf.String("a.mp4")))
        rendition = Dictionary(Type=Name.Rendition, S=Name.MR, C=clip)
        screen = Dictionary(Type=Name.Annot, Subtype=Name.Screen, Rect=Array([10, 10, 60, 30]), F=4,
                            Contents=pikepdf.String("film"), A=Dictionary(S=Name.Rendition, R=rendition, OP=0))
        _tagged_annots([screen], tag="Annot")(pdf)
    return mutate


def _form_painted(times: int) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        form = pdf.make_stream(b"/P <</MCID 0>> BDC 0 0 0 1 k 0 0 5 5 re f EMC")
        form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, Array([0, 0, 10, 10])
        form.StructParents = 5
        page = pdf.pages[0].obj
        page.Resources = Dictionary(XObject=Dictionary(Fm0=form))
        page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" /Artifact BMC" + b" /Fm0 Do" * times + b" EMC")
    return mutate


UA1: list[tuple[Mutate, Mutate, str]] = [
    (_kid_widget(field_tu=False), _kid_widget(field_tu=True), "7.18.1-3"),
    (_xfa(b"<config><acrobat><acrobat7><dynamicRender\n>required</dynamicRender\n></acrobat7></acrobat></config>"),
     _xfa(b"<config><acrobat><acrobat7><dynamicRender>forbidden</dynamicRender></acrobat7></acrobat></config>"),
     "7.15-1"),
    (_media(Array([pikepdf.String(""), pikepdf.String("")])),
     _media(Array([pikepdf.String(""), pikepdf.String("A short film")])), "7.18.6.2-2"),
    (_form_painted(2), _form_painted(1), "7.20-2"),
]


@pytest.mark.parametrize(("bad", "good", "test"), UA1)
def test_pdfua1_rule_fails_the_breaking_file_only(tmp_path: Path, bad: Mutate, good: Mutate, test: str) -> None:
    assert test in failed(validate_file(make_pdfa(tmp_path / "bad.pdf", ua=True, mutate=bad), ["pdfua-1"]))
    assert test not in failed(validate_file(make_pdfa(tmp_path / "good.pdf", ua=True, mutate=good), ["pdfua-1"]))


def _outline_goto(sd: bool) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        action = Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]))
        if sd:
            action.SD = Array([pdf.Root.StructTreeRoot.K.K[0], Name.Fit])
        item = pdf.make_indirect(Dictionary(Title=pikepdf.String("Start"), A=action))
        outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=item, Last=item, Count=1))
        item.Parent = outlines
        pdf.Root.Outlines = outlines
    return mutate


def _invisible_highlight(tag: str) -> Mutate:
    return _tagged_annots([Dictionary(Type=Name.Annot, Subtype=Name.Highlight, Rect=Array([10, 10, 60, 30]), F=1,
                                      Contents=pikepdf.String("note"))], tag=tag)


def _links(same_target: bool) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        uris = ["https://example.org/a", "https://example.org/a" if same_target else "https://example.org/b"]
        links = [Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([10, 10 + 30 * i, 60, 30 + 30 * i]), F=4,
                            Contents=pikepdf.String("link"), A=Dictionary(S=Name.URI, URI=pikepdf.String(u)))
                 for i, u in enumerate(uris)]
        _tagged_annots(links, tag="Link", one_elem=True)(pdf)
    return mutate


def _namespaced_q(target_ns_url: str) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        target = pdf.make_indirect(Dictionary(Type=Name.Namespace, NS=pikepdf.String(target_ns_url)))
        own = pdf.make_indirect(Dictionary(Type=Name.Namespace, NS=pikepdf.String("http://www.w3.org/1999/xhtml"),
                                           RoleMapNS=Dictionary(Q=Array([Name.P, target]))))
        pdf.Root.StructTreeRoot.Namespaces = Array([own, target])
        para = pdf.Root.StructTreeRoot.K.K[0]
        para.S, para.NS = Name.Q, own
    return mutate


def _remap_h1(remap: bool) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot.K.K[0].S = Name.H1
        if remap:
            pdf.Root.StructTreeRoot.RoleMap = Dictionary(H1=Name.P)
    return mutate


UA2: list[tuple[Mutate, Mutate, str]] = [
    (_outline_goto(sd=False), _outline_goto(sd=True), "8.8-2"),
    (_invisible_highlight("Annot"), _invisible_highlight("Artifact"), "8.9.2.2-1"),
    (_tagged_annots([_widget(TU=pikepdf.String("x"))]), _tagged_annots([_widget(TU=pikepdf.String("x"))], lbl=True),
     "8.10.2.3-1"),
    (_tagged_annots([_widget()]), _tagged_annots([_widget(Contents=pikepdf.String("Your name"))]), "8.10.2.3-1"),
    (_links(same_target=False), _links(same_target=True), "8.2.5.20-2"),
    (_namespaced_q("http://www.w3.org/1999/xhtml"), _namespaced_q("http://iso.org/pdf2/ssn"), "8.2.4-3"),
    (_remap_h1(remap=True), _remap_h1(remap=False), "8.2.4-4"),
]


@pytest.mark.parametrize(("bad", "good", "test"), UA2)
def test_pdfua2_rule_fails_the_breaking_file_only(tmp_path: Path, bad: Mutate, good: Mutate, test: str) -> None:
    assert test in failed(validate_file(make_pdfa(tmp_path / "bad.pdf", ua=True, mutate=bad), ["pdfua-2"]))
    assert test not in failed(validate_file(make_pdfa(tmp_path / "good.pdf", ua=True, mutate=good), ["pdfua-2"]))
