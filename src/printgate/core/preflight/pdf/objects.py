"""Defensive readers for single pikepdf objects, shared by every module of the PDF reader.

PDFs from customers are hostile or damaged often enough that no lookup may raise: these helpers
turn a missing key, a wrong type or a non-finite number into a neutral default (``0.0``, ``""``,
``None``) so callers can read a dictionary in one line. They also hold the two small lookups that
several modules need: an object's (number, generation) identity for caches and cycle guards, and
a page attribute inherited through the page tree. ``version_key`` orders PDF version strings for
the reader and the structure checks. Nothing here imports another module of the package.
"""

from __future__ import annotations

import math
from typing import Any


def num(x: Any, default: float = 0.0) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) else default


def pdf_name(x: Any) -> str:
    if x is None:
        return ""
    try:
        s = str(x)
    except Exception:
        return ""
    return s[1:] if s.startswith("/") else s


def pdf_text(x: Any) -> str:
    if x is None:
        return ""
    try:
        return str(x)
    except Exception:
        try:
            return bytes(x).decode("latin-1", "replace")
        except Exception:
            return ""


def dict_get(d: Any, key: str) -> Any:
    try:
        return d.get(key)
    except Exception:
        return None


def objkey(obj: Any) -> tuple[int, int] | None:
    try:
        og = obj.objgen
    except Exception:
        return None
    return og if og != (0, 0) else None


def inherited(page_obj: Any, key: str) -> Any:
    node = page_obj
    for _ in range(64):
        val = dict_get(node, key)
        if val is not None:
            return val
        node = dict_get(node, "/Parent")
        if node is None:
            return None
    return None


def version_key(v: str) -> tuple[int, int]:
    try:
        major, minor = v.split(".")[:2]
        return int(major), int(minor)
    except Exception:
        return (0, 0)
