"""Which fonts this server can embed: what preflight offers a font fix for, and what the embedding
fix loads. Kept apart from the fixes so a local check asks it without importing the renderer."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

STANDARD_14 = {
    "Helvetica": "Nimbus Sans", "Helvetica-Bold": "Nimbus Sans Bold", "Helvetica-Oblique": "Nimbus Sans Italic",
    "Helvetica-BoldOblique": "Nimbus Sans Bold Italic", "Times-Roman": "Nimbus Roman",
    "Times-Bold": "Nimbus Roman Bold", "Times-Italic": "Nimbus Roman Italic",
    "Times-BoldItalic": "Nimbus Roman Bold Italic", "Courier": "Nimbus Mono PS",
    "Courier-Bold": "Nimbus Mono PS Bold", "Courier-Oblique": "Nimbus Mono PS Italic",
    "Courier-BoldOblique": "Nimbus Mono PS Bold Italic", "Symbol": "Standard Symbols PS",
    "ZapfDingbats": "D050000L",
}
STANDARD_14_ALIASES = {"Arial": "Helvetica", "Arial,Bold": "Helvetica-Bold", "Arial,Italic": "Helvetica-Oblique",
               "Arial,BoldItalic": "Helvetica-BoldOblique", "TimesNewRoman": "Times-Roman",
               "TimesNewRoman,Bold": "Times-Bold", "CourierNew": "Courier", "ArialMT": "Helvetica",
               "Arial-BoldMT": "Helvetica-Bold", "TimesNewRomanPSMT": "Times-Roman", "CourierNewPSMT": "Courier"}


def available_on_server(name: str) -> str | None:
    """The font this server would embed for ``name``: a URW twin for the standard 14, an exact
    fontconfig match for anything else; None when the real font is not here."""
    std = STANDARD_14_ALIASES.get(name, name)
    if std in STANDARD_14:
        return STANDARD_14[std]
    found = font_file(name)
    return found[0] if found else None


def embeddable(name: str) -> bool:
    """Can :func:`embed_fonts` embed ``name`` on this server? What preflight should offer: a fix for
    ``font_not_embedded`` only where this is true (otherwise the fix is skipped, saying why)."""
    return available_on_server(name) is not None


_FC_TTL_S = 300.0
_fc_cache: tuple[float, str] | None = None


def _fc_listing() -> str:
    """``fc-list`` of PostScript names and files, kept for a few minutes (a font installed on the
    server is seen without a restart; a report with many fonts does not run fc-list for each)."""
    global _fc_cache
    now = time.monotonic()
    if _fc_cache is not None and now - _fc_cache[0] < _FC_TTL_S:
        return _fc_cache[1]
    if shutil.which("fc-list") is None:
        return ""
    try:
        listing = subprocess.run(["fc-list", ":", "postscriptname", "file"], capture_output=True,
                                 text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    _fc_cache = (now, listing)
    return listing


def font_file(name: str) -> tuple[str, Path] | None:
    """(PostScript name, file) of an installed font whose PostScript name is exactly ``name``."""
    wanted = re.sub(r"[\s_-]", "", name).lower()
    for line in _fc_listing().splitlines():
        m = re.match(r"(.+?): :?postscriptname=([^:\n]+)", line)
        if m and re.sub(r"[\s_-]", "", m.group(2)).lower() == wanted:
            return m.group(2), Path(m.group(1))
    return None
