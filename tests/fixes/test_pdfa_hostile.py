"""Malformed objects (a Rect of words, a non-dictionary in Annots, unreadable XMP, a looping action
chain) are converted like any other defect: no crash, and compliant only because the validator says so."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from printgate.core.fixes.pdfa import convert_file
from printgate.core.validation import validate_file
from tests.fixes import pdfa_defects as d


def broken_annotations(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.Annots = pikepdf.Array([
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=pikepdf.Array(["x", 1])),
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[0, 0, 9, 9], CA=pikepdf.Name.Bad,
                           F=pikepdf.String("nope")),
        7,
    ])


def garbage_metadata(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Metadata = pdf.make_indirect(pikepdf.Stream(pdf, b"<x:xmpmeta><unclosed", Type=pikepdf.Name.Metadata,
                                                         Subtype=pikepdf.Name.XML))
    pdf.docinfo["/Title"] = pikepdf.String("T\x00")
    pdf.docinfo["/CreationDate"] = pikepdf.String("yesterday-ish")
    pdf.docinfo["/Author"] = pikepdf.Name("/NotAString")


def odd_actions(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
    loop = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])))
    loop.Next = pikepdf.Array([loop, pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x"))])
    page = pdf.pages[0].obj
    page.Annots = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 5, 5], F=4, A=loop))])


@pytest.mark.parametrize("defect", [broken_annotations, garbage_metadata, odd_actions])
def test_malformed_objects_never_crash_the_conversion(tmp_path: Path, defect: d.Defect) -> None:
    src = d.make(tmp_path / "in.pdf", defect)
    out = tmp_path / "out.pdf"
    result = convert_file(src, out, "2b")
    report = validate_file(out, ["pdfa-2b"])
    assert result["compliant"] is report["compliant"] is True, result["remaining"]
