"""Walking content streams with the current transformation matrix (CTM) tracked.

Line widths and image resolutions only mean something in device space, so the fixes that touch
them need the CTM at the point an operator runs; this module provides just that.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF order: ``m x n``)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def scale_of(m: Matrix) -> float:
    """The mean linear scale of ``m`` (how a line width in user space maps to points)."""
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


def as_matrix(values: object) -> Matrix:
    try:
        nums = [float(v) for v in values]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return IDENTITY
    return tuple(nums) if len(nums) == 6 else IDENTITY  # type: ignore[return-value]


@dataclass
class Placement:
    """An image XObject drawn on a page: its stream and the CTM it was drawn with."""

    page: int
    name: str
    image: pikepdf.Stream
    ctm: Matrix

    @property
    def size_in(self) -> tuple[float, float]:
        a, b, c, d = self.ctm[:4]
        return math.hypot(a, b) / 72.0, math.hypot(c, d) / 72.0


def image_placements(pdf: pikepdf.Pdf, indexes: list[int]) -> Iterator[Placement]:
    """Every image XObject drawn on the given pages (through nested forms), with its CTM."""
    for index in indexes:
        page = pdf.pages[index]
        yield from _walk_images(page, page.obj.get("/Resources"), IDENTITY, index + 1, depth=0)


def _walk_images(container: object, resources: object, ctm: Matrix, page: int, depth: int) -> Iterator[Placement]:
    if depth > 12 or resources is None:
        return
    xobjects = resources.get("/XObject", {})  # type: ignore[attr-defined]
    try:
        ops = instructions(container)
    except pikepdf.PdfError:
        return
    stack: list[Matrix] = []
    for operands, operator in ops:
        op = str(operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm":
            ctm = multiply(as_matrix(operands), ctm)
        elif op == "Do" and operands:
            name = str(operands[0])
            xo = xobjects.get(name)
            if xo is None:
                continue
            subtype = xo.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                yield Placement(page, name, xo, ctm)
            elif subtype == pikepdf.Name.Form:
                inner = multiply(as_matrix(xo.get("/Matrix", IDENTITY)), ctm)
                yield from _walk_images(xo, xo.get("/Resources", resources), inner, page, depth + 1)


def instructions(container: Any) -> list[tuple[Any, Any]]:
    """``(operands, operator)`` pairs of a page or form XObject (inline images come through intact)."""
    return [(inst.operands, inst.operator) for inst in pikepdf.parse_content_stream(container)]


def unparse(ops: list[tuple[Any, Any]]) -> bytes:
    return pikepdf.unparse_content_stream(ops)  # type: ignore[arg-type]
