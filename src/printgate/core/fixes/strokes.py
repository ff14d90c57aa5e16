"""Thicken hairlines: every stroke narrower than the minimum (in device points) is widened."""

from __future__ import annotations

import pikepdf

from printgate.core.fixes._content import (
    IDENTITY,
    Matrix,
    as_matrix,
    instructions,
    multiply,
    scale_of,
    unparse,
)
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc

_STROKES = {"S", "s", "B", "B*", "b", "b*"}


class _Thickener:
    def __init__(self, pdf: pikepdf.Pdf, min_pt: float, *, ignore_zero: bool, zero_only: bool) -> None:
        self.pdf = pdf
        self.min_pt = min_pt
        self.ignore_zero = ignore_zero
        self.zero_only = zero_only
        self.changed = 0
        self.done_forms: dict[tuple[int, int], float] = {}

    def needs(self, width: float, ctm: Matrix) -> bool:
        if width <= 0:
            return not self.ignore_zero
        if self.zero_only:
            return False
        return width * scale_of(ctm) < self.min_pt - 1e-6

    def process(self, container: object, resources: object, ctm: Matrix, width: float, depth: int = 0) -> bytes | None:
        if depth > 12:
            return None
        ops = instructions(container)
        gstates = resources.get("/ExtGState", {}) if resources is not None else {}  # type: ignore[attr-defined]
        xobjects = resources.get("/XObject", {}) if resources is not None else {}  # type: ignore[attr-defined]
        out: list = []
        stack: list[tuple[Matrix, float]] = []
        changed = False
        for operands, operator in ops:
            op = str(operator)
            if op == "q":
                stack.append((ctm, width))
            elif op == "Q":
                ctm, width = stack.pop() if stack else (ctm, width)
            elif op == "cm":
                ctm = multiply(as_matrix(operands), ctm)
            elif op == "w" and operands:
                width = float(operands[0])
            elif op == "gs" and operands:
                gsd = gstates.get(str(operands[0]))
                if gsd is not None and "/LW" in gsd:
                    width = float(gsd.LW)
            elif op in _STROKES and self.needs(width, ctm):
                scale = scale_of(ctm) or 1.0
                out.append(([round(self.min_pt / scale, 5)], pikepdf.Operator("w")))
                out.append((operands, operator))
                out.append(([width], pikepdf.Operator("w")))
                self.changed += 1
                changed = True
                continue
            elif op == "Do" and operands:
                xo = xobjects.get(str(operands[0]))
                if xo is not None and xo.get("/Subtype") == pikepdf.Name.Form:
                    inner = multiply(as_matrix(xo.get("/Matrix", IDENTITY)), ctm)
                    key = xo.objgen
                    if key not in self.done_forms or scale_of(inner) < self.done_forms[key] - 1e-9:
                        self.done_forms[key] = scale_of(inner)
                        data = self.process(xo, xo.get("/Resources", resources), inner, width, depth + 1)
                        if data is not None:
                            xo.write(data)
            out.append((operands, operator))
        return unparse(out) if changed else None


@fix("thicken_hairlines", order=40, summary="Widen strokes thinner than the minimum (and zero-width strokes) to min_pt.",
     aliases=["hairlines", "min_stroke_width"], params={"min_pt": 0.25})
def thicken_hairlines(doc: WorkDoc, req: FixRequest) -> FixResult:
    params = req.params
    try:
        min_pt = float(params.get("min_pt", params.get("minWidth", params.get("required_pt", 0.25))))
    except (TypeError, ValueError) as exc:
        raise FixSkipped("min_pt must be a number") from exc
    if not 0 < min_pt <= 10:
        raise FixSkipped("min_pt must be between 0 and 10 pt")
    pdf = doc.pdf
    worker = _Thickener(
        pdf, min_pt,
        ignore_zero=bool(params.get("ignoreZeroWidth", params.get("ignore_zero_width", False))),
        zero_only=bool(params.get("zeroWidthOnly", params.get("zero_width_only", False))),
    )
    pages: list[int] = []
    indexes = req.page_indexes(len(pdf.pages))
    for done, index in enumerate(indexes, 1):
        page = pdf.pages[index]
        before = worker.changed
        try:
            data = worker.process(page, page.obj.get("/Resources"), IDENTITY, 1.0)
        except pikepdf.PdfError as exc:
            raise FixSkipped(f"page {index + 1} content cannot be parsed: {exc}") from exc
        if data is not None:
            page.obj.Contents = pikepdf.Stream(pdf, data)
        if worker.changed > before:
            pages.append(index + 1)
        req.pages_done(done, len(indexes))
    if not worker.changed:
        raise FixSkipped(f"no strokes thinner than {min_pt:g} pt")
    doc.dirty = True
    return FixResult(f"thickened {worker.changed} stroke(s) to at least {min_pt:g} pt", pages)
