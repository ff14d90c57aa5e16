"""PDF builders and report helpers for the fix tests."""

from __future__ import annotations

import io

from PIL import Image

MM = 72 / 25.4


def finding(rule_id: str, strategy: str | None, params: dict | None = None, page: int | None = 1) -> dict:
    autofix = {"available": strategy is not None, "runner": "optimize"}
    if strategy:
        autofix["strategy"] = strategy
        autofix["params"] = params or {}
    return {"sectionId": "x", "ruleId": rule_id, "checkId": rule_id, "severity": "warn", "page": page,
            "autofix": autofix, "locate": {"boxes": []}}


def report(*findings: dict) -> dict:
    return {"evaluation": {"findings": list(findings)}}


def gradient_png(w: int, h: int) -> bytes:
    """A smooth two-axis gradient (red along x, green along y): compresses like a photo, not a flat fill."""
    gx = Image.linear_gradient("L").rotate(90).resize((w, h))
    gy = Image.linear_gradient("L").resize((w, h))
    img = Image.merge("RGB", (gx, gy, Image.new("L", (w, h), 128)))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


