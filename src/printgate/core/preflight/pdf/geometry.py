"""Affine matrices and rectangles in PDF user space, and a bounded "keep the worst N" collection.

The walker maps every painted object through the current transformation matrix to a bounding
rectangle; the reader clips page boxes; the engine rounds rectangles for the report. These are the
pure-arithmetic pieces of that work (matrix product, point and box transforms, box parsing and
intersection) plus ``Smallest``, which keeps the N items with the smallest key so a page's
findings stay small whatever the content size. Rectangles are ``model.Rect`` tuples.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

from ..model import Rect

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

KEEP = 24  # worst objects kept per kind per page


def mat_mul(m1: Matrix, m2: Matrix) -> Matrix:
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def bbox_of(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Rect:
    a, b, c, d, e, f = m
    if b == 0 and c == 0:  # no rotation/skew: the common case
        ax0, ax1 = a * x0 + e, a * x1 + e
        dy0, dy1 = d * y0 + f, d * y1 + f
        return (min(ax0, ax1), min(dy0, dy1), max(ax0, ax1), max(dy0, dy1))
    xs = (a * x0 + c * y0 + e, a * x1 + c * y0 + e, a * x0 + c * y1 + e, a * x1 + c * y1 + e)
    ys = (b * x0 + d * y0 + f, b * x1 + d * y0 + f, b * x0 + d * y1 + f, b * x1 + d * y1 + f)
    return (min(xs), min(ys), max(xs), max(ys))


def box_corners(pts: list[float]) -> list[float]:
    """The two corners of the box of points (x, y, x, y...): the same box, in four numbers."""
    xs = pts[0::2]
    ys = pts[1::2]
    return [min(xs), min(ys), max(xs), max(ys)]


def matrix(obj: Any) -> Matrix:
    if type(obj) is list and len(obj) == 6:
        a, b, c, d, e, f = obj
        if type(a) is float and type(b) is float and type(c) is float and type(d) is float and type(e) is float and type(f) is float:
            return (a, b, c, d, e, f)  # from our tokenizer: already finite floats
    try:
        vals = [float(v) for v in obj]
        if len(vals) == 6 and all(math.isfinite(v) for v in vals):
            return (vals[0], vals[1], vals[2], vals[3], vals[4], vals[5])
    except Exception:
        pass
    return IDENTITY


def rect_of(obj: Any) -> Rect | None:
    try:
        vals = [float(v) for v in obj]
    except Exception:
        return None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        return None
    x0, y0, x1, y1 = vals
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def intersect(a: Rect, b: Rect) -> Rect:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def round_rect(r: Rect) -> list[float]:
    return [round(r[0], 1), round(r[1], 1), round(r[2], 1), round(r[3], 1)]


class Smallest:
    """Keep the n items with the smallest key (bounded memory)."""

    def __init__(self, n: int = KEEP) -> None:
        self.n = n
        self._heap: list[tuple[float, int, Any]] = []
        self._i = 0
        # ``wants`` for hot loops to inline: ``s.free or -key > s.top`` (slots left; the heap's top).
        self.free = n
        self.top = math.inf

    def push(self, key: float, item: Any) -> None:
        self._i += 1
        entry = (-key, self._i, item)
        heap = self._heap
        if len(heap) < self.n:
            heapq.heappush(heap, entry)
            self.free = self.n - len(heap)
        elif -key > heap[0][0]:
            heapq.heapreplace(heap, entry)
        else:
            return
        self.top = heap[0][0]

    def wants(self, key: float) -> bool:
        """Would ``push(key, ...)`` keep the item? Lets callers skip building it."""
        return len(self._heap) < self.n or -key > self._heap[0][0]

    def items(self) -> list[tuple[float, Any]]:
        return sorted(((-k, it) for k, _, it in self._heap), key=lambda t: t[0])
