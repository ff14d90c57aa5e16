"""Run a flavour's rules over one document and count checks, rules and failures as veraPDF reports them."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.validation import chunks
from printgate.core.validation.flavours import FLAVOURS, RULES, Flavour, normalise_flavour
from printgate.core.validation.model import Document
from printgate.core.validation.pdfx.facts import PDFXID
from printgate.core.validation.pdfx.facts import content as pdfx_content
from printgate.core.validation.rules.base import Context
from printgate.core.validation.shared_pass import SharedChunks, Tally, tally
from printgate.core.validation.xmp import PDFAID, PDFUAID, read_catalog_xmp

MAX_LOCATIONS = 10


class CannotValidate(Exception):
    """The file cannot be validated at all (not a PDF, damaged beyond reading, password-protected)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot validate: {reason}")
        self.reason = f"cannot validate: {reason}"


def open_document(path: Path) -> Document:
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise CannotValidate("the file is not a PDF (no %PDF- header in its first 1024 bytes)")
    try:
        # Inherited page attributes stay where the file puts them: pushing them onto every page copies a
        # shared direct Resources dictionary per page (memory in page count), and hides inheritance from
        # the rules that judge it. Rules read them through content.page_resources / model.inherited.
        pdf = pikepdf.open(path, inherit_page_attributes=False)
    except pikepdf.PasswordError:
        raise CannotValidate("the file is encrypted and needs a password to open") from None
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        why = str(exc).replace(f"{path}: ", "").replace(str(path), path.name)[:200]
        raise CannotValidate(f"the file is damaged and cannot be read ({why})") from None
    try:
        # a large file's pages are read in chunks (``chunks``): its page tree is checked that way, not
        # by resolving every page on this handle
        page_ids = chunks.large_file_page_ids(path, pdf)
        if page_ids is None:
            len(pdf.pages)
        pdf.Root.get("/Type")
    except Exception as exc:
        pdf.close()
        why = str(exc).replace(f"{path}: ", "").replace(str(path), path.name)[:200]
        raise CannotValidate(f"the file's document catalog or page tree is damaged ({why})") from None
    if pdf.is_encrypted and pdf.encryption.P is None:
        pdf.close()
        raise CannotValidate("the file is encrypted")
    doc = Document(path, pdf)
    doc.page_ids = page_ids
    return doc


def claimed_flavours(doc: Document) -> list[str]:
    """The flavours a file claims: XMP pdfaid part/conformance and pdfuaid part; PDF/X by Info
    ``GTS_PDFXVersion`` (X-1a, X-3; or the X-1a conformance key) or XMP ``pdfxid:GTS_PDFXVersion`` (X-4)."""
    x = read_catalog_xmp(doc)
    out: list[str] = []
    if x is not None and x.well_formed:
        part = (x.simple(PDFAID, "part") or "").strip()
        conf = (x.simple(PDFAID, "conformance") or "").strip().lower()
        if part in ("1", "2", "3"):
            key = f"pdfa-{part}{conf if conf in ('a', 'b', 'u') else 'b'}"
            out.append(key if key in FLAVOURS else f"pdfa-{part}b")
        elif part == "4":
            out.append(f"pdfa-4{conf}" if conf in ("e", "f") else "pdfa-4")
        ua = (x.simple(PDFUAID, "part") or "").strip()
        if ua in ("1", "2"):
            out.append(f"pdfua-{ua}")
    pdfx = _claimed_pdfx(doc, x.simple(PDFXID, "GTS_PDFXVersion") if x is not None and x.well_formed else None)
    if pdfx is not None:
        out.append(pdfx)
    return out


def _claimed_pdfx(doc: Document, xmp_version: str | None) -> str | None:
    """The PDF/X part a file claims. The part's identification decides: XMP for PDF/X-4, Info for the
    PDF 1.3/1.4 parts; a claim in the other place still names the part, and its rules say what is wrong."""
    info = doc.trailer.get("/Info")
    info = info if isinstance(info, pikepdf.Dictionary) else None

    def info_text(key: str) -> str:
        value = info.get(key) if info is not None else None
        return str(value).strip() if isinstance(value, pikepdf.String | pikepdf.Name) else ""

    for version in ((xmp_version or "").strip(), info_text("/GTS_PDFXVersion")):
        if version == "PDF/X-4":
            return "pdfx-4"
        if version.startswith(("PDF/X-1:", "PDF/X-1a:")):
            return "pdfx-1a"
        if version.startswith("PDF/X-3:"):
            return "pdfx-3"
    return "pdfx-1a" if info_text("/GTS_PDFXConformance").startswith("PDF/X-1a") else None


def run_flavour(doc: Document, flavour: Flavour, requested: str) -> dict[str, Any]:
    ctx = Context(doc, flavour.part, flavour.level)
    passed_checks = failed_checks = 0
    failures: list[dict[str, Any]] = []
    passed_rules = 0
    for rule_id, counted in zip(flavour.rule_ids, _tallies(ctx, flavour), strict=True):
        rule = RULES[rule_id]
        passed_checks += counted.passed
        fails, count = counted.locations, counted.failed
        if counted.error is not None:
            exc = counted.error
            count += 1
            fails.append(f"could not be evaluated: {type(exc).__name__}: {str(exc)[:160]}")
        if count:
            failed_checks += count
            spec = flavour.specification if rule.spec.startswith(("pdfa2", "pdfa3")) else None
            failures.append({
                "ruleId": rule.id, "specification": spec or _spec_name(rule.spec), "clause": rule.clause,
                "testNumber": rule.test, "description": rule.description, "count": count,
                "location": fails[0], "locations": fails,
            })
        else:
            passed_rules += 1
    for err in ctx.content.errors[:MAX_LOCATIONS] if "content" in ctx.__dict__ else []:
        failures.append({"ruleId": "printgate:content", "specification": "ISO 32000-1", "clause": "7.8.2",
                         "testNumber": 1, "description": "Content streams can be parsed", "count": 1,
                         "location": err, "locations": [err]})
        failed_checks += 1
    return {
        "flavour": flavour.key, "requested": requested, "matched": flavour.code,
        "profileName": f"{flavour.name} validation profile", "specification": flavour.specification,
        "compliant": not failures,
        "checks": {"passed": passed_checks, "failed": failed_checks},
        "rules": {"passed": passed_rules, "failed": len(failures)},
        "failures": failures,
        "coverage": {"rulesChecked": len(flavour.rule_ids), "rulesInReferenceProfile": flavour.reference_rules},
    }


def _tallies(ctx: Context, flavour: Flavour) -> Iterator[Tally]:
    """Each rule's verdicts, in the flavour's order. A large file's rules run side by side over one reading
    of its page chunks (``shared_pass``)."""
    checks = [partial(RULES[rule_id].check, ctx) for rule_id in flavour.rule_ids]
    doc = ctx.doc
    if doc.page_ids is None:
        for check in checks:
            yield tally(check, MAX_LOCATIONS)
        return
    # the walks every rule of the flavour reads (PDF/A and PDF/X: the cos walk too) are made first, with no
    # page chunk open beside their own chunks; one that fails is left to the rules that read it
    # (the PDF/X parts share one content walk per document: ``pdfx.facts.content``)
    walks = [partial(pdfx_content, ctx) if ctx.level.startswith("x") else partial(getattr, ctx, "content")]
    if ctx.part:
        walks.append(partial(getattr, doc, "cos"))
    for walk in walks:
        try:
            walk()
        except Exception:
            pass
    doc.shared_pages = SharedChunks(doc.path, doc.page_ids)
    try:
        tallies = doc.shared_pages.run(checks, MAX_LOCATIONS)
    finally:
        doc.shared_pages = None
    yield from tallies


def _spec_name(spec: str) -> str:
    from printgate.core.validation.rules.base import SPECS

    return SPECS.get(spec, spec)


def validate_file(path: Path | str, profiles: list[str] | str | None = None) -> dict[str, Any]:
    """Validate one file against the requested profiles (``auto`` = what the file claims, else PDF/A-1B).

    Raises ``CannotValidate`` when the file cannot be read; never answers ``compliant`` for it.
    """
    path = Path(path)
    asked = [profiles] if isinstance(profiles, str) else list(profiles or ["auto"])
    keys = [(a, normalise_flavour(a)) for a in asked]
    doc = open_document(path)
    try:
        reports = []
        for requested, key in keys:
            if key == "auto":
                claimed = claimed_flavours(doc) or ["pdfa-1b"]
                for k in claimed:
                    reports.append(run_flavour(doc, FLAVOURS[k], requested))
            else:
                reports.append(run_flavour(doc, FLAVOURS[key], requested))
        return {"compliant": all(r["compliant"] for r in reports), "profiles": reports}
    finally:
        doc.close()
        doc.pdf.close()
