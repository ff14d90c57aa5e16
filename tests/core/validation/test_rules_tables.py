"""Table regularity and header association (PDF/UA-1 7.2-41..43 and 7.5, PDF/UA-2 8.2.5.26): each rule
fails on a table built to break it and passes on the same table built right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed

Cell = tuple[str, dict[str, Any]]  # ("TH" | "TD", table attributes and ID)


def _with_table(rows: list[list[Cell]]) -> Any:
    """Replace the tagged paragraph's parent with Document > Table > TR > TH/TD built from ``rows``."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        doc = pdf.Root.StructTreeRoot.K
        para = doc.K[0]
        table = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Table, P=doc))
        trs = []
        for r, row in enumerate(rows):
            tr = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TR, P=table))
            cells = []
            for c, (kind, attrs) in enumerate(row):
                cell = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + kind), P=tr))
                ident = attrs.pop("ID", None)
                if ident is not None:
                    cell.ID = pikepdf.String(ident)
                if attrs:
                    cell.A = Dictionary(O=Name.Table, **attrs)
                if r == 0 and c == 0:  # the page's marked content stays inside the table
                    para.P = cell
                    cell.K = Array([para])
                cells.append(cell)
            tr.K = Array(cells)
            trs.append(tr)
        table.K = Array(trs)
        doc.K = Array([table])
    return mutate


def _check(tmp_path: Path, rows: list[list[Cell]], flavour: str = "pdfua-1") -> set[str]:
    rows = [[(k, dict(a)) for k, a in row] for row in rows]
    return failed(validate_file(make_pdfa(tmp_path / "t.pdf", ua=True, mutate=_with_table(rows)), [flavour]))


TH_COL: Cell = ("TH", {"Scope": Name.Column})
TD: Cell = ("TD", {})


def test_a_regular_table_with_scoped_headers_passes(tmp_path: Path) -> None:
    assert _check(tmp_path, [[TH_COL, TH_COL], [TD, TD], [TD, TD]]) == set()


def test_a_row_span_past_the_last_row_fails_7_2_41(tmp_path: Path) -> None:
    rows = [[("TH", {"Scope": Name.Column, "RowSpan": 3}), TH_COL], [TD]]
    assert "7.2-41" in _check(tmp_path, rows)
    assert "7.2-41" not in _check(tmp_path, [[("TH", {"Scope": Name.Column, "RowSpan": 2}), TH_COL], [TD]])


def test_a_wider_row_fails_7_2_42_and_a_narrower_one_7_2_43(tmp_path: Path) -> None:
    wider = _check(tmp_path, [[TH_COL, TH_COL], [TD, TD, TD]])
    narrower = _check(tmp_path, [[TH_COL, TH_COL], [TD]])
    assert "7.2-42" in wider and "7.2-43" not in wider
    assert "7.2-43" in narrower and "7.2-42" not in narrower
    # a column span makes up the width
    assert not {"7.2-42", "7.2-43"} & _check(tmp_path, [[TH_COL, TH_COL], [("TD", {"ColSpan": 2})]])


def test_headers_without_scope_or_ids_fail_7_5_1(tmp_path: Path) -> None:
    unscoped = _check(tmp_path, [[("TH", {}), ("TH", {})], [TD, TD]])
    assert "7.5-1" in unscoped
    by_ids = _check(tmp_path, [[("TH", {"ID": "a"}), ("TH", {"ID": "b"})],
                               [("TD", {"Headers": Array([pikepdf.String("a")])}),
                                ("TD", {"Headers": Array([pikepdf.String("b")])})]])
    assert "7.5-1" not in by_ids and "7.5-2" not in by_ids
    row_header = _check(tmp_path, [[("TH", {"Scope": Name.Row}), TD]])
    assert "7.5-1" not in row_header


def test_headers_naming_no_header_cell_fail_7_5_2(tmp_path: Path) -> None:
    rows = [[("TH", {"ID": "a"}), ("TH", {})], [("TD", {"Headers": Array([pikepdf.String("zz")])}), TD]]
    assert "7.5-2" in _check(tmp_path, rows)


@pytest.mark.parametrize(("rows", "test"), [
    ([[TH_COL, TH_COL], [TD]], "8.2.5.26-4"),
    ([[TH_COL, TH_COL], [TD, TD, TD]], "8.2.5.26-3"),
    ([[("TH", {"Scope": Name.Column, "RowSpan": 3}), TH_COL], [TD]], "8.2.5.26-2"),
    ([[("TH", {}), ("TH", {})], [TD, TD]], "8.2.5.26-5"),
])
def test_pdfua2_table_rules(tmp_path: Path, rows: list[list[Cell]], test: str) -> None:
    assert test in _check(tmp_path, rows, "pdfua-2")
    assert not {t for t in _check(tmp_path, [[TH_COL, TH_COL], [TD, TD]], "pdfua-2") if t.startswith("8.2.5.26")}
