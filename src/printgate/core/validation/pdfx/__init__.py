"""PDF/X conformance checking (ISO 15930): PDF/X-1a (-1:2001, -4:2003), PDF/X-3 (-3:2002, -6:2003) and
PDF/X-4 (-7:2010), one small rule per requirement in the report shape of the PDF/A validator.

The rules are gathered here explicitly and listed in ``flavours.py``; nothing registers itself.
"""

from __future__ import annotations

from printgate.core.validation.pdfx import document, graphics, pages
from printgate.core.validation.rules.base import Rule

# Requirements of each part this build knows but does not check yet: the report's coverage counts them,
# so an unchecked requirement is never silently counted as passed.
UNCHECKED: dict[str, tuple[str, ...]] = {
    "pdfx1a": ("filters of the part's PDF version only (no JBIG2 or JPX)", "rendering intents are standard names",
               "PrinterMark annotations outside the BleedBox"),
    "pdfx3": ("filters of the part's PDF version only (no JBIG2 or JPX)", "rendering intents are standard names",
              "PrinterMark annotations outside the BleedBox"),
    "pdfx4": ("rendering intents are standard names", "PrinterMark annotations outside the BleedBox",
              "transparency group colour space consistent with the output intent"),
}


def pdfx_rules() -> list[Rule]:
    return [*document.RULES, *graphics.RULES, *pages.RULES]


def reference_count(spec: str) -> int:
    """How many requirements of the part this build enumerates: the rules it checks and those it does not."""
    return sum(1 for r in pdfx_rules() if r.spec == spec) + len(UNCHECKED[spec])
