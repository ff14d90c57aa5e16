"""PDF Structure: transparency, layers, interactive content, security, standards, integrity, origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog import DocContext, PageContext, check
from ..model import Violation
from ..pdf.objects import version_key

VERSIONS = ["1.3", "1.4", "1.5", "1.6", "1.7", "2.0"]


@check(
    "transparency",
    section="structure",
    title="Transparency",
    default="warn",
    rule_id="transparency_present",
    target="pages",
    autofix="flatten_transparency",
)
def transparency(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    if not p.transparency:
        return []
    return [
        Violation(
            page=p.page,
            measured={"kinds": p.transparency_reasons},
            rects=[(p.page, p.crop)],
        )
    ]


@check(
    "layers",
    section="structure",
    title="Layers (OCGs)",
    default="warn",
    rule_id="layers_present",
    target="document",
    scope="document",
    autofix="flatten_layers",
)
def layers(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    if not ctx.doc.ocgs:
        return []
    return [
        Violation(
            measured={"count": len(ctx.doc.ocgs)},
            extra={"layers": ctx.doc.ocgs[:50], "hidden_layers": ctx.doc.ocgs_hidden[:50]},
        )
    ]


@check(
    "annotations",
    section="structure",
    title="Annotations",
    default="reject",
    rule_id="annotations_present",
    target="annotations",
    autofix="remove_annotations",
)
def annotations_check(ctx: PageContext, s: dict[str, Any]) -> list[Violation]:
    p = ctx.page
    if not p.annotations:
        return []
    return [
        Violation(
            page=p.page,
            measured={"count": len(p.annotations)},
            extra={"subtypes": sorted({sub for sub, _ in p.annotations})},
            rects=[(p.page, r) for _, r in p.annotations[:20]],
        )
    ]


@check(
    "javascript",
    section="structure",
    title="JavaScript",
    default="reject",
    rule_id="javascript_present",
    target="document",
    scope="document",
    autofix="remove_javascript",
)
def javascript(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    js = ctx.doc.javascript
    if not js:
        return []
    return [Violation(measured={"count": len(js)}, extra={"locations": sorted(set(js))[:20]})]


@check(
    "attachments",
    section="structure",
    title="File Attachments",
    default="reject",
    rule_id="attachments_present",
    target="document",
    scope="document",
    autofix="remove_attachments",
)
def attachments(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    att = ctx.doc.attachments
    if not att:
        return []
    return [Violation(measured={"count": len(att)}, extra={"files": att[:20]})]


@check(
    "forms",
    section="structure",
    title="Interactive Forms (AcroForm)",
    default="autofix",
    rule_id="form_fields_present",
    target="document",
    scope="document",
    autofix="flatten_forms",
)
def forms(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    n = ctx.doc.acroform_fields
    return [Violation(measured={"count": n})] if n else []


@check(
    "xfa",
    section="structure",
    title="XFA Forms",
    default="autofix",
    rule_id="xfa_present",
    target="document",
    scope="document",
    autofix="remove_xfa",
)
def xfa(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return [Violation()] if ctx.doc.xfa else []


@check(
    "signatures",
    section="structure",
    title="Digital Signatures",
    default="autofix",
    rule_id="signature_present",
    target="document",
    scope="document",
    autofix="remove_signatures",
    aliases=("struct.signatures_allowed",),
)
def signatures(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    n = ctx.doc.signatures
    return [Violation(measured={"count": n})] if n else []


@check(
    "need_appearances",
    section="structure",
    title="NeedAppearances Flag",
    default="warn",
    rule_id="need_appearances_set",
    target="document",
    scope="document",
)
def need_appearances(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return [Violation()] if ctx.doc.need_appearances else []


@check(
    "encryption",
    section="structure",
    title="Encryption",
    default="reject",
    rule_id="encrypted",
    target="document",
    scope="document",
    autofix="remove_encryption",
)
def encryption(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    # Files that need a user password never get here (UnreadableFile); these open without one.
    return [Violation(extra={"permissions": ctx.doc.permissions})] if ctx.doc.encrypted else []


@check(
    "permissions",
    section="structure",
    title="PDF Permissions",
    default="reject",
    rule_id="permissions_restricted",
    target="document",
    scope="document",
    settings={"allow_no_print": False, "allow_no_copy": True, "allow_no_modify": False},
    aliases=("struct.encryption_permissions",),
)
def permissions(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    perms = ctx.doc.permissions
    if not ctx.doc.encrypted or not perms:
        return []
    blocked = []
    if not perms.get("print", True) and not s.get("allow_no_print"):
        blocked.append("print")
    if not perms.get("copy", True) and not s.get("allow_no_copy"):
        blocked.append("copy")
    if not perms.get("modify", True) and not s.get("allow_no_modify"):
        blocked.append("modify")
    if not blocked:
        return []
    return [Violation(measured={"restrictions": blocked}, extra={"permissions": perms})]


@check(
    "pdf_version",
    section="structure",
    title="PDF Version",
    default="warn",
    rule_id="pdf_version_unsupported",
    target="document",
    scope="document",
    settings={"min": "1.4", "max": "1.7"},
    autofix="convert_pdf_version",
    options={"min": VERSIONS, "max": VERSIONS},
)
def pdf_version(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    v = ctx.doc.version
    lo, hi = str(s.get("min") or "1.3"), str(s.get("max") or "2.0")
    if version_key(lo) <= version_key(v) <= version_key(hi):
        return []
    target = hi if version_key(v) > version_key(hi) else lo
    return [
        Violation(
            measured={"version": v},
            required={"version": {"min": lo, "max": hi}},
            values={"actual.version": v, "target.min": lo, "target.max": hi},
            autofix_params={"target": target},
        )
    ]


def _pdfx_norm(v: str | None) -> str:
    if not v:
        return ""
    v = v.upper().replace("PDF/X-", "").replace("PDFX", "").replace("PDF/X", "").strip(" -:")
    return v.split(":")[0]


# The parts the validator and the PDF/X fix know (core/validation/pdfx, core/fixes/pdfx.py), by the
# check's normalised standard; PDF/X-5 and -6 are checked by the declaration facts only, with no fix.
PDFX_LEVELS = {"1A": "x1a", "3": "x3", "4": "x4"}


def _pdfx_rules(path: Path | None, level: str) -> tuple[list[dict[str, Any]], str | None]:
    """The validator's PDF/X failures for ``path`` at ``level`` (rule, clause, test, count, where), or the
    reason the rules could not run (the check then never passes)."""
    from printgate.core.validation import CannotValidate, validate_file

    if path is None:
        return [], "the file was not available to the PDF/X rules"
    try:
        report = validate_file(path, [f"pdfx-{level.removeprefix('x')}"])
    except CannotValidate as exc:
        return [], exc.reason
    keys = ("ruleId", "clause", "testNumber", "description", "count", "location")
    return [{k: f.get(k) for k in keys} for p in report["profiles"] for f in p["failures"]], None


@check(
    "pdfx",
    section="structure",
    title="PDF/X Standard",
    default="warn",
    rule_id="pdfx_not_compliant",
    target="document",
    scope="document",
    settings={"standard": "PDF/X-4"},
    autofix="identify_pdfx",
    options={"standard": ["PDF/X-1a", "PDF/X-3", "PDF/X-4", "PDF/X-5", "PDF/X-6"]},
)
def pdfx(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    """PDF/X-1a, -3 and -4 are judged by the validator's PDF/X rules when the file claims PDF/X (its claim is
    confirmed, not trusted) or a profile asks for it (the action is reject or autofix); the declaration facts
    alone otherwise, which already fail a file that does not claim the part. The fix converts and
    identifies the file (``identify_pdfx`` with ``convert``), kept only when the validator confirms it."""
    doc = ctx.doc
    want = str(s.get("standard") or "PDF/X-4")
    if not want.upper().startswith("PDF/X"):
        want = "PDF/X-" + want.upper().lstrip("X-")
    declared = doc.pdfx
    problems = []
    have = _pdfx_norm(declared)
    need = _pdfx_norm(want)
    if not declared:
        problems.append("no PDF/X declaration (GTS_PDFXVersion)")
    elif not have.startswith(need.rstrip("A")) and not (need == "1A" and have.startswith("1A")):
        problems.append(f"declares {declared}, not {want}")
    if not any(oi.get("subtype") == "GTS_PDFX" for oi in doc.output_intents):
        problems.append("no GTS_PDFX output intent")
    if doc.encrypted:
        problems.append("encrypted")
    if doc.javascript:
        problems.append("contains JavaScript")
    missing_boxes = [p.page for p in ctx.pages if p.trim is None and p.art is None]
    if missing_boxes:
        problems.append(f"pages without TrimBox: {missing_boxes[:10]}")
    unembedded = sorted({f.name for f in doc.fonts.values() if not f.embedded})
    if unembedded:
        problems.append(f"fonts not embedded: {unembedded[:10]}")
    if need in ("1A", "1A:2001", "1A:2003", "3"):
        if any(p.transparency for p in ctx.pages):
            problems.append("live transparency (not allowed before PDF/X-4)")
        if need.startswith("1A") and any("RGB" in p.modes or "Lab" in p.modes for p in ctx.pages):
            problems.append("RGB/Lab colour (PDF/X-1a allows CMYK, gray and spot only)")
    level = PDFX_LEVELS.get(need)
    asked = any(action in ("reject", "autofix") for action, _ in ctx.page_settings)
    failures: list[dict[str, Any]] = []
    if level is not None and (declared or asked):
        failures, not_run = _pdfx_rules(doc.source_path, level)
        if not_run:
            problems.append(f"the PDF/X rules could not be run ({not_run})")
        if failures:
            clauses = sorted({f"{f['clause']}-{f['testNumber']}" for f in failures})
            problems.append(f"fails the {want} rules {', '.join(clauses)} (see failures)")
    if not problems:
        return []
    extra: dict[str, Any] = {"problems": problems}
    if failures:
        extra["failures"] = failures
    return [
        Violation(
            measured={"standard": declared},
            required={"standard": want},
            extra=extra,
            values={"target.standard": want},
            autofix_params={"level": level, "convert": True} if level else None,
            autofix=level is not None,
        )
    ]


def _detect(rule: str, value: str | None) -> list[Violation]:
    return [Violation(rule_id=rule, measured={"standard": value})] if value else []


@check("pdfa", section="structure", title="PDF/A (detect)", default="reject", rule_id="pdfa_detected", target="document", scope="document")
def pdfa(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return _detect("pdfa_detected", ctx.doc.pdfa)


@check("pdfvt", section="structure", title="PDF/VT (detect)", default="off", rule_id="pdfvt_detected", target="document", scope="document")
def pdfvt(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return _detect("pdfvt_detected", ctx.doc.pdfvt)


@check("pdfua", section="structure", title="PDF/UA (detect)", default="off", rule_id="pdfua_detected", target="document", scope="document")
def pdfua(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return _detect("pdfua_detected", ctx.doc.pdfua)


@check("tagged", section="structure", title="Tagged PDF (require)", default="off", rule_id="not_tagged", target="document", scope="document")
def tagged(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return [] if ctx.doc.tagged else [Violation(measured={"tagged": False}, required={"tagged": True})]


@check(
    "structure_integrity",
    section="structure",
    title="Structure Integrity",
    default="autofix",
    rule_id="structure_damaged",
    target="document",
    scope="document",
    settings={"max_warnings": 0},
    autofix="repair_structure",
    also_emits=("content_lost", "compression_unsupported", "structure_repaired"),
)
def structure_integrity(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    """Damage judged by what it cost: lost content or an unreadable compression rejects whatever the
    action (nothing can restore it), a lossless repair warns, other parser complaints follow the
    action. The reconstruction and loss facts come from ``pdf/repair.py`` via the engine."""
    doc = ctx.doc
    out: list[Violation] = []
    repair = _repair_summary(doc.repair)
    if doc.unsupported_filters:
        names = doc.unsupported_filters
        out.append(Violation(
            rule_id="compression_unsupported",
            severity="reject",
            autofix=False,
            measured={"filters": names},
            values={"actual.filters": ", ".join(names)},
            extra={"pages": [p.page for p in ctx.pages if p.unsupported_filters][:50]},
        ))
    if doc.content_lost:
        broken = [p.page for p in ctx.pages if p.broken_streams]
        out.append(Violation(
            rule_id="content_lost",
            page=broken[0] if broken else None,
            severity="reject",
            autofix=False,
            measured={"losses": len(doc.content_lost)},
            extra={"lost": doc.content_lost[:20], "repair": repair, "pages": broken[:50],
                   "damage": (doc.repair or {}).get("damage") or []},
            rects=[(pg, ctx.pages[pg - 1].crop) for pg in broken[:10]],
        ))
        return out  # the parser's complaints are part of the same damage
    if doc.repair is not None:
        # The verdict is on the reconstruction: the finding says what was wrong with the upload.
        damage = list(doc.repair.get("damage") or []) or ["its internal structure was rebuilt"]
        out.append(Violation(
            rule_id="structure_repaired",
            measured={"tool": doc.repair.get("tool")},
            values={"actual.damage": "; ".join(damage)},
            extra={"repair": repair, "damage": damage},
            # The repair_structure fix rewrites the upload with qpdf: it reproduces qpdf's repair only.
            autofix=doc.repair.get("tool") == "qpdf",
        ))
    problems = list(doc.structure_warnings)
    broken_pages = [p.page for p in ctx.pages if p.content_error]
    for p in ctx.pages:
        if p.content_error:
            problems.append(f"page {p.page}: {p.content_error}")
    limit = int(s.get("max_warnings") or 0)
    if len(problems) <= limit:
        return out
    out.append(
        Violation(
            page=broken_pages[0] if broken_pages else None,
            measured={"warnings": len(problems)},
            required={"warnings": limit},
            extra={"problems": problems[:20], "pages": broken_pages[:50]},
            rects=[(pg, ctx.pages[pg - 1].crop) for pg in broken_pages[:10]],
        )
    )
    return out


def _repair_summary(repair: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reconstruction as the report shows it: which tool, pages declared and recovered."""
    if repair is None:
        return None
    return {k: repair.get(k) for k in ("tool", "lossless", "pagesDeclared", "pagesRecovered", "verified")}


@check(
    "linearized",
    section="structure",
    title="Linearized PDF",
    default="off",
    rule_id="not_linearized",
    target="document",
    scope="document",
    autofix="linearize",
)
def linearized(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    return [] if ctx.doc.linearized else [Violation(measured={"linearized": False}, required={"linearized": True})]


@check(
    "producer",
    section="structure",
    title="PDF Producer Filter",
    default="off",
    rule_id="producer_not_allowed",
    target="document",
    scope="document",
    settings={"whitelist": [], "blacklist": []},
)
def producer(ctx: DocContext, s: dict[str, Any]) -> list[Violation]:
    text = f"{ctx.doc.producer} {ctx.doc.creator}".lower()
    black = [b for b in s.get("blacklist") or [] if str(b).lower() in text]
    white = s.get("whitelist") or []
    if black or (white and not any(str(w).lower() in text for w in white)):
        return [
            Violation(
                measured={"producer": ctx.doc.producer or None, "creator": ctx.doc.creator or None},
                extra={"matched_blacklist": black} if black else {},
            )
        ]
    return []
