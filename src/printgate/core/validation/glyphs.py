"""Glyph-name facts shared by the font rules."""

from __future__ import annotations

import re

_UNI = re.compile(r"uni([0-9A-F]{4})+|u[0-9A-F]{4,6}")


def is_agl_name(name: str) -> bool:
    """Whether a glyph name maps to Unicode by the Adobe Glyph List (or the uniXXXX / uXXXXX conventions)."""
    from fontTools.agl import AGL2UV

    base = name.split(".", 1)[0]
    return base in AGL2UV or bool(_UNI.fullmatch(base)) or (all(
        part in AGL2UV or bool(_UNI.fullmatch(part)) for part in base.split("_") if part) and "_" in base)
