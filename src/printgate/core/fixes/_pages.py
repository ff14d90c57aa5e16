"""Page-box helpers shared by the geometry fixes and ``optimize``. Rects are PDF user space points."""

from __future__ import annotations

from typing import Any

import pikepdf

PT_PER_MM = 72.0 / 25.4
SIDES = ("top", "right", "bottom", "left")
Rect = tuple[float, float, float, float]


def mm(value: float) -> float:
    return float(value) * PT_PER_MM


def norm(rect: object) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in rect)  # type: ignore[attr-defined]
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def box(page: pikepdf.Page, name: str) -> Rect | None:
    """A page box as written (MediaBox/CropBox inherited), or None when absent."""
    if name in ("/MediaBox", "/CropBox"):
        value = page.obj.get(name)
        node: Any = page.obj
        while value is None and "/Parent" in node:
            node = node.Parent
            value = node.get(name)
        if value is None:
            return box(page, "/MediaBox") if name == "/CropBox" else None
        return norm(value)
    value = page.obj.get(name)
    return norm(value) if value is not None else None


def trim(page: pikepdf.Page) -> Rect:
    """The finished size: TrimBox, else ArtBox, else CropBox (what preflight treats as trim)."""
    return box(page, "/TrimBox") or box(page, "/ArtBox") or box(page, "/CropBox") or box(page, "/MediaBox")  # type: ignore[return-value]


def set_box(page: pikepdf.Page, name: str, rect: Rect) -> None:
    page.obj[name] = pikepdf.Array([round(v, 4) for v in norm(rect)])


def intersect(a: Rect, b: Rect) -> Rect:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def rotation(page: pikepdf.Page) -> int:
    value = page.obj.get("/Rotate")
    node: Any = page.obj
    while value is None and "/Parent" in node:
        node = node.Parent
        value = node.get("/Rotate")
    try:
        return int(value) % 360 if value is not None else 0
    except (TypeError, ValueError):
        return 0


def visual_to_user_side(side: str, rotate: int) -> str:
    """Which user-space edge appears as ``side`` on screen for a page with /Rotate ``rotate``."""
    steps = (rotate // 90) % 4
    index = SIDES.index(side)
    return SIDES[(index - steps) % 4]


def parse_sides(value: object) -> list[str]:
    if value is None or value == "all" or value == ["all"]:
        return list(SIDES)
    items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    out = []
    for item in items:
        name = str(item).lower()
        if name == "all":
            return list(SIDES)
        if name not in SIDES:
            raise ValueError(f"unknown side {item!r}")
        out.append(name)
    return out
