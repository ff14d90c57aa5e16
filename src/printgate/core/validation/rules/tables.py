"""Table regularity and header association (PDF/UA-1 7.2 tests 41-43 and 7.5, PDF/UA-2 8.2.5.26).

A table is laid out on a grid the way ISO 32000 14.8.5.7 describes it: rows are the TR elements of
the table and of its THead, TBody and TFoot in order; each TH or TD takes the next free column of its
row and spans RowSpan rows and ColSpan columns. The table is regular when every row covers the same
number of columns as the first and no row span runs past the last row. A data cell (TD) is associated
with its headers either through Headers (IDs of header cells) or through a TH with Scope Row/Both to
its left in the same row, or Column/Both above it in the same column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pikepdf

from printgate.core.validation.rules.base import Context, Rule, Verdict, shared
from printgate.core.validation.rules.ua import tagging
from printgate.core.validation.structure import Elem

MAX_SPAN = 1000  # a hostile span cannot make the grid unbounded


def _std(el: Elem) -> str:
    return el.std or el.type


def _attributes(el: Elem, role_classes: Any) -> Iterator[pikepdf.Dictionary]:
    """The element's attribute dictionaries: its own (A) and those of its classes (C, ClassMap)."""
    a = el.obj.get("/A")
    for item in (a if isinstance(a, pikepdf.Array) else [a]):
        if isinstance(item, pikepdf.Dictionary):
            yield item
    c = el.obj.get("/C")
    if isinstance(role_classes, pikepdf.Dictionary) and c is not None:
        for name in (c if isinstance(c, pikepdf.Array) else [c]):
            if isinstance(name, pikepdf.Name):
                v = role_classes.get(str(name))
                for item in (v if isinstance(v, pikepdf.Array) else [v]):
                    if isinstance(item, pikepdf.Dictionary):
                        yield item


def _table_attr(el: Elem, key: str, classes: Any) -> Any:
    for d in _attributes(el, classes):
        if d.get("/O") == pikepdf.Name("/Table") and key in d:
            return d.get(key)
    return None


def _span(el: Elem, key: str, classes: Any) -> int:
    v = _table_attr(el, key, classes)
    try:
        n = int(v) if v is not None else 1
    except (TypeError, ValueError):
        n = 1
    return min(max(n, 1), MAX_SPAN)


@dataclass
class Cell:
    el: Elem
    row: int
    col: int
    rows: int
    cols: int


@dataclass
class Grid:
    """A table laid out: its cells with positions, and the regularity faults found on the way."""

    cells: list[Cell] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)  # columns covered by each row
    row_overflow: int | None = None  # first column whose row span runs past the last row
    overlap: bool = False


def _rows(table: Elem) -> list[Elem]:
    out: list[Elem] = []
    for kid in table.kids:
        s = _std(kid)
        if s == "TR":
            out.append(kid)
        elif s in ("THead", "TBody", "TFoot"):
            out.extend(k for k in kid.kids if _std(k) == "TR")
    return out


def layout(table: Elem, classes: Any = None) -> Grid:
    grid = Grid()
    rows = _rows(table)
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(rows):
        c = 0
        for kid in tr.kids:
            if _std(kid) not in ("TH", "TD"):
                continue
            while (r, c) in taken:
                c += 1
            rs, cs = _span(kid, "/RowSpan", classes), _span(kid, "/ColSpan", classes)
            if r + rs > len(rows) and grid.row_overflow is None:
                grid.row_overflow = c
            for dr in range(min(rs, len(rows) - r)):
                for dc in range(cs):
                    if (r + dr, c + dc) in taken:
                        grid.overlap = True
                    taken.add((r + dr, c + dc))
            grid.cells.append(Cell(kid, r, c, rs, cs))
            c += cs
    grid.widths = [sum(1 for (rr, _) in taken if rr == r) for r in range(len(rows))]
    return grid


def _tables(ctx: Context) -> Iterator[tuple[Elem, Grid]]:
    t = tagging(ctx)
    cache = ctx.__dict__.setdefault("_table_grids", None)
    if cache is None:
        root = t.tree.root
        classes = root.get("/ClassMap") if isinstance(root, pikepdf.Dictionary) else None
        cache = [(el, layout(el, classes)) for el in t.tree.iter() if _std(el) == "Table"]
        ctx.__dict__["_table_grids"] = cache
    yield from cache


def _row_fault(grid: Grid) -> tuple[int, bool] | None:
    """(index of the first row whose width differs from the first row's, whether it is narrower)."""
    if not grid.widths:
        return None
    for i, w in enumerate(grid.widths[1:], start=1):
        if w != grid.widths[0]:
            return i, w < grid.widths[0]
    return None


def row_spans_fit(ctx: Context) -> Iterator[Verdict]:
    for el, grid in _tables(ctx):
        where = el.where if grid.row_overflow is None else f"{el.where} column {grid.row_overflow + 1}"
        yield grid.row_overflow is None, where


def rows_not_wider(ctx: Context) -> Iterator[Verdict]:
    for el, grid in _tables(ctx):
        fault = _row_fault(grid)
        yield fault is None or fault[1], el.where if fault is None else f"{el.where} row {fault[0] + 1}"


def rows_not_narrower(ctx: Context) -> Iterator[Verdict]:
    for el, grid in _tables(ctx):
        fault = _row_fault(grid)
        yield fault is None or not fault[1], el.where if fault is None else f"{el.where} row {fault[0] + 1}"


def cells_do_not_overlap(ctx: Context) -> Iterator[Verdict]:
    for el, grid in _tables(ctx):
        yield not grid.overlap, el.where


def _ids(grid: Grid) -> set[bytes]:
    out = set()
    for cell in grid.cells:
        v = cell.el.obj.get("/ID")
        if isinstance(v, pikepdf.String):
            out.add(bytes(v))
    return out


def _scope_header(grid: Grid, td: Cell, classes: Any) -> bool:
    """A TH scoped Row/Both left of the cell in one of its rows, or Column/Both above it in one of its
    columns; a cell with no header cell left of it or above it has no header to determine."""
    candidates = 0
    for th in grid.cells:
        if _std(th.el) != "TH":
            continue
        same_row = th.row < td.row + td.rows and td.row < th.row + th.rows and th.col < td.col
        same_col = th.col < td.col + td.cols and td.col < th.col + th.cols and th.row < td.row
        if not (same_row or same_col):
            continue
        candidates += 1
        scope = _table_attr(th.el, "/Scope", classes)
        scope = str(scope)[1:] if isinstance(scope, pikepdf.Name) else ""
        if (same_row and scope in ("Row", "Both")) or (same_col and scope in ("Column", "Both")):
            return True
    return candidates == 0


def _td_headers(ctx: Context) -> Iterator[tuple[Cell, bool, list[bytes]]]:
    """Each TD of a table that has header cells: (cell, connected to a header, unknown header IDs)."""
    root = tagging(ctx).tree.root
    classes = root.get("/ClassMap") if isinstance(root, pikepdf.Dictionary) else None
    for _, grid in _tables(ctx):
        if not any(_std(c.el) == "TH" for c in grid.cells):
            continue
        ids = _ids(grid)
        for cell in grid.cells:
            if _std(cell.el) != "TD":
                continue
            given = _table_attr(cell.el, "/Headers", classes)
            names = [bytes(h) for h in given if isinstance(h, pikepdf.String)] \
                if isinstance(given, pikepdf.Array) else []
            unknown = [h for h in names if h not in ids]
            connected = (bool(names) and not unknown) or _scope_header(grid, cell, classes)
            yield cell, connected, unknown


def headers_determinable(ctx: Context) -> Iterator[Verdict]:
    for cell, connected, unknown in _td_headers(ctx):
        yield connected or bool(unknown), f"{cell.el.where} row {cell.row + 1} column {cell.col + 1}"


def headers_known(ctx: Context) -> Iterator[Verdict]:
    for cell, connected, unknown in _td_headers(ctx):
        names = ", ".join(h.decode("latin-1") for h in unknown)
        yield connected or not unknown, f"{cell.el.where} row {cell.row + 1} column {cell.col + 1} Headers {names}"


RULES: list[Rule] = [
    *shared(cells_do_not_overlap, "Table cells do not overlap", ("pdfua2", "8.2.5.26", 1)),
    *shared(row_spans_fit, "Table columns have the same number of rows (taking row spans into account)",
            ("pdfua1", "7.2", 41), ("pdfua2", "8.2.5.26", 2)),
    *shared(rows_not_wider, "Table rows have the same number of columns (taking column spans into account)",
            ("pdfua1", "7.2", 42), ("pdfua2", "8.2.5.26", 3)),
    *shared(rows_not_narrower, "Table rows have the same number of columns (taking column spans into account)",
            ("pdfua1", "7.2", 43), ("pdfua2", "8.2.5.26", 4)),
    *shared(headers_determinable, "A table's data cells are associated with its header cells (Headers or Scope)",
            ("pdfua1", "7.5", 1), ("pdfua2", "8.2.5.26", 5)),
    *shared(headers_known, "Headers of a table cell name header cells of the table", ("pdfua1", "7.5", 2),
            ("pdfua2", "8.2.5.26", 6)),
]
