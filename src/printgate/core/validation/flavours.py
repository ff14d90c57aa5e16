"""Flavours: each is a list of rule ids. Shared rules are written once and listed by several flavours.

PDF/A-2 and PDF/A-3 share their clauses; PDF/A-3 differs in embedded files (6.8), so its list is
PDF/A-2's without the rule that embedded files be PDF/A, plus its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from printgate.core.validation.pdfx import pdfx_rules, reference_count
from printgate.core.validation.rules import all_rules
from printgate.core.validation.rules.base import Rule


@dataclass(frozen=True)
class Flavour:
    key: str  # "pdfa-2b"
    code: str  # Filecheck's profile code: "2b", "ua1"
    name: str  # "PDF/A-2B"
    specification: str
    part: int
    level: str
    rule_ids: tuple[str, ...]
    # How many rules veraPDF's profile for this flavour has: the report says how many were checked.
    reference_rules: int


RULES: dict[str, Rule] = {r.id: r for r in all_rules()}
RULES.update({r.id: r for r in pdfx_rules()})  # PDF/X (ISO 15930): printgate.core.validation.pdfx


def _ids(*specs: str, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(r.id for r in RULES.values() if r.spec in specs and r.id not in without)


_A1 = _ids("pdfa1")
_A2 = _ids("pdfa2")
_A3 = _ids("pdfa2", "pdfa3", without=("pdfa2:6.8-5", "pdfa2:6.8-2"))
_A4 = _ids("pdfa4")
_UA1 = _ids("pdfua1")
_UA2 = _ids("pdfua2")

FLAVOURS: dict[str, Flavour] = {f.key: f for f in (
    Flavour("pdfa-1a", "1a", "PDF/A-1A", "ISO 19005-1:2005", 1, "a", _A1 + _ids("pdfa1a"), 135),
    Flavour("pdfa-1b", "1b", "PDF/A-1B", "ISO 19005-1:2005", 1, "b", _A1, 129),
    Flavour("pdfa-2a", "2a", "PDF/A-2A", "ISO 19005-2:2011", 2, "a", _A2 + _ids("pdfa2a"), 153),
    Flavour("pdfa-2b", "2b", "PDF/A-2B", "ISO 19005-2:2011", 2, "b", _A2, 144),
    Flavour("pdfa-2u", "2u", "PDF/A-2U", "ISO 19005-2:2011", 2, "u", _A2 + _ids("pdfa2u"), 146),
    Flavour("pdfa-3a", "3a", "PDF/A-3A", "ISO 19005-3:2012", 3, "a", _A3 + _ids("pdfa2a"), 155),
    Flavour("pdfa-3b", "3b", "PDF/A-3B", "ISO 19005-3:2012", 3, "b", _A3, 146),
    Flavour("pdfa-3u", "3u", "PDF/A-3U", "ISO 19005-3:2012", 3, "u", _A3 + _ids("pdfa2u"), 148),
    Flavour("pdfa-4", "4", "PDF/A-4", "ISO 19005-4:2020", 4, "", _A4, 109),
    Flavour("pdfa-4e", "4e", "PDF/A-4E", "ISO 19005-4:2020", 4, "e", _A4, 109),
    Flavour("pdfa-4f", "4f", "PDF/A-4F", "ISO 19005-4:2020", 4, "f", _A4 + _ids("pdfa4f"), 109),
    Flavour("pdfua-1", "ua1", "PDF/UA-1", "ISO 14289-1:2014", 0, "ua1", _UA1, 106),
    Flavour("pdfua-2", "ua2", "PDF/UA-2", "ISO 14289-2:2024", 0, "ua2", _UA2, 91),
)}
# PDF/X: part 1/3/4 and level x1a/x3/x4; reference_rules = the requirements enumerated (pdfx/__init__.py).
FLAVOURS.update({f.key: f for f in (
    Flavour("pdfx-1a", "x1a", "PDF/X-1a", "ISO 15930-1:2001 / ISO 15930-4:2003", 1, "x1a", _ids("pdfx1a"),
            reference_count("pdfx1a")),
    Flavour("pdfx-3", "x3", "PDF/X-3", "ISO 15930-3:2002 / ISO 15930-6:2003", 3, "x3", _ids("pdfx3"),
            reference_count("pdfx3")),
    Flavour("pdfx-4", "x4", "PDF/X-4", "ISO 15930-7:2010", 4, "x4", _ids("pdfx4"), reference_count("pdfx4")),
)})
_BY_CODE = {f.code: f.key for f in FLAVOURS.values()}


def normalise_flavour(value: str) -> str:
    """``pdfa-2b``, ``PDF/A-2b``, ``2b``, ``pdfa2b``, ``ua1``, ``pdfua-1`` or ``auto`` -> a FLAVOURS key or "auto"."""
    v = value.strip().lower().replace("/", "").replace("_", "-").replace(" ", "")
    if v == "auto":
        return "auto"
    if v in FLAVOURS:
        return v
    if v in _BY_CODE:
        return _BY_CODE[v]
    compact = v.replace("-", "")
    for key, f in FLAVOURS.items():
        if compact in (key.replace("-", ""), f.name.lower().replace("/", "").replace("-", "")):
            return key
    if compact.startswith("pdfua") and compact[5:] in ("1", "2"):
        return f"pdfua-{compact[5:]}"
    raise ValueError(f"unknown validation profile {value!r}: use one of auto, "
                     + ", ".join(f.code for f in FLAVOURS.values()))
