"""PDF/X identification (ISO 15930) of a file that already meets PDF/X in substance: a CMYK file with a
GTS_PDFX output intent and page boxes, which lacks only the identification a PDF/X file carries.

The fix writes the version key (Info ``GTS_PDFXVersion`` for PDF/X-1a and -3, XMP
``pdfxid:GTS_PDFXVersion`` for PDF/X-4, kept in agreement wherever both exist), Trapped False where
the file does not say, a title and dates where they are missing. It changes nothing on the page.
An identification is a claim of conformance, so the identified file is judged by the validator's
PDF/X rules first, and kept only when the validator confirms it: a file is never left saying it is
PDF/X when it is not. What still fails is reported by rule and clause.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf.models.metadata import encode_pdf_date

from printgate.core.clock import utcnow
from printgate.core.errors import UnreadableFile
from printgate.core.fixes.pdfa import ConformanceError, _date, _info_text
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc


@dataclass(frozen=True)
class PdfxLevel:
    code: str  # the validate profile code: "x4"
    flavour: str  # "pdfx-4"
    name: str  # "PDF/X-4"
    version: str  # the GTS_PDFXVersion written
    conformance: str | None = None  # the GTS_PDFXConformance written (PDF/X-1a)


# The current edition of each part: PDF/X-1a:2003 and PDF/X-3:2003 (PDF 1.4), PDF/X-4 (PDF 1.6).
LEVELS = {level.code: level for level in (
    PdfxLevel("x1a", "pdfx-1a", "PDF/X-1a", "PDF/X-1a:2003", "PDF/X-1a:2003"),
    PdfxLevel("x3", "pdfx-3", "PDF/X-3", "PDF/X-3:2003"),
    PdfxLevel("x4", "pdfx-4", "PDF/X-4", "PDF/X-4"),
)}
DEFAULT_LEVEL = "x4"


class PdfxIdentificationError(ConformanceError):
    """The file cannot be identified at all (unreadable, encrypted, an unknown level)."""


def parse_level(value: str | None) -> PdfxLevel:
    """``4``, ``x4``, ``pdfx-4``, ``PDF/X-4``, ``1a``, ``x1a``, ``3`` -> a :class:`PdfxLevel`."""
    text = re.sub(r"[\s_/-]", "", str(value or DEFAULT_LEVEL)).lower().removeprefix("pdf").removeprefix("x")
    level = LEVELS.get(f"x{text}")
    if level is None:
        raise PdfxIdentificationError(f"unknown PDF/X level {value!r}: use 1a, 3 or 4")
    return level


def identification_level(profiles: list[str], report: dict[str, Any] | None = None) -> str | None:
    """The PDF/X level a validate step with ``autofix`` identifies to: the first profile asked when it is a
    PDF/X part; for ``auto``, the PDF/X part the file claims unless it also claims PDF/A (then PDF/A
    conversion decides). None when the step asks for PDF/A or PDF/UA."""
    from printgate.core.validation.flavours import normalise_flavour

    for asked in profiles:
        try:
            key = normalise_flavour(str(asked))
        except ValueError:
            return None
        if key == "auto":
            matched = [str(p.get("matched")) for p in (report or {}).get("profiles", [])
                       if p.get("requested") == asked]
            if any(not m.startswith("x") for m in matched):
                return None
            return next((m for m in matched if m in LEVELS), None)
        return f"x{key.removeprefix('pdfx-')}" if key.startswith("pdfx-") else None
    return None


def _xmp_title(pdf: pikepdf.Pdf) -> str | None:
    if "/Metadata" not in pdf.Root:
        return None
    try:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False, strict=True) as meta:
            value = meta.get("dc:title")
    except Exception:  # unreadable XMP: written anew below
        return None
    return str(value).strip() or None if value else None


def identify(pdf: pikepdf.Pdf, level: PdfxLevel, now: datetime, title: str) -> list[str]:
    """Write the identification of ``level`` into ``pdf`` (the caller saves and judges it); what was done."""
    info = pdf.trailer.get("/Info")
    info = info if isinstance(info, pikepdf.Dictionary) else None
    new_info = pikepdf.Dictionary(dict(info.items())) if info is not None else pikepdf.Dictionary()
    writes_xmp = level.code == "x4" or "/Metadata" in pdf.Root
    applied = [f"identified the file as {level.name}: GTS_PDFXVersion {level.version!r} in the document "
               f"information{' and the XMP metadata' if writes_xmp else ''}"]
    new_info.GTS_PDFXVersion = pikepdf.String(level.version)
    if level.conformance:
        new_info.GTS_PDFXConformance = pikepdf.String(level.conformance)
    elif "/GTS_PDFXConformance" in new_info:
        del new_info["/GTS_PDFXConformance"]  # another part's key would contradict the version
    trapped = new_info.get("/Trapped")
    if not (isinstance(trapped, pikepdf.Name) and str(trapped) in ("/True", "/False")):
        new_info.Trapped = pikepdf.Name("/False")
        applied.append("set Trapped to False: the file did not say whether it is trapped, so the printer may trap it")
    text = _info_text(info, "/Title") or _xmp_title(pdf)
    if not text:
        text = title.strip() or "Untitled"
        applied.append(f"set the document title to {text!r} (it had none)")
    new_info.Title = pikepdf.String(text)
    raw = info.get("/CreationDate") if info is not None else None
    created = _date(raw, now) if raw is not None else now
    if created is now:  # none, or none that could be read
        applied.append("set the creation date (it had none that could be read)")
    new_info.CreationDate = pikepdf.String(encode_pdf_date(created))
    new_info.ModDate = pikepdf.String(encode_pdf_date(now))
    pdf.trailer.Info = pdf.make_indirect(new_info)
    if writes_xmp:
        _write_xmp(pdf, level, text, created, now, str(new_info.Trapped)[1:])
    return applied


def _write_xmp(pdf: pikepdf.Pdf, level: PdfxLevel, title: str, created: datetime, now: datetime,
               trapped: str) -> None:
    """The XMP says what Info says (PDF/X requires them to agree); for PDF/X-4 it is the identification."""
    if "/Metadata" in pdf.Root:
        try:
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False, strict=True):
                pass
        except Exception:  # unreadable XMP: written anew from the Info dictionary
            del pdf.Root["/Metadata"]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfxid:GTS_PDFXVersion"] = level.version
        meta["dc:title"] = title
        meta["pdf:Trapped"] = trapped
        meta["xmp:CreateDate"] = created.isoformat()
        meta["xmp:ModifyDate"] = now.isoformat()
        meta["xmp:MetadataDate"] = now.isoformat()


def identification_report(level: PdfxLevel, applied: list[str], report: dict[str, Any] | None,
                          error: str | None = None) -> dict[str, Any]:
    """What a caller shows: compliant (and the file identified) only when the validator said so."""
    compliant = bool(report and report.get("compliant")) and error is None
    remaining = [{k: f.get(k) for k in ("ruleId", "specification", "clause", "testNumber", "description", "count",
                                        "location")}
                 for p in (report or {}).get("profiles", []) for f in p.get("failures", [])]
    clauses = ", ".join(sorted({f"{f['clause']}-{f['testNumber']}" for f in remaining}))
    return {
        "level": level.code, "flavour": level.flavour, "profileName": level.name, "compliant": compliant,
        "written": compliant, "applied": applied if compliant else [], "notes": [], "remaining": remaining,
        "error": error,
        "summary": (f"identified as {level.name}; the validator confirms it" if compliant else
                    f"not identified as {level.name}: " + (error or f"the file does not meet {clauses or 'it'} "
                                                           "(left unchanged; fix those first)")),
    }


def identify_file(src: Path | str, dst: Path | str, level: str | None = None, *,
                  title: str | None = None) -> dict[str, Any]:
    """Identify ``src`` as PDF/X ``level`` into ``dst`` when the validator confirms the identified file;
    otherwise ``dst`` is not written and the result lists what remains. Raises
    ``PdfxIdentificationError`` when the file cannot be identified at all."""
    target = parse_level(level)
    src = Path(src)

    def identify_doc(doc: WorkDoc) -> list[str]:
        if doc.source_encrypted:
            raise PdfxIdentificationError("the file is encrypted: PDF/X forbids encryption. Remove it first "
                                          "(the remove_encryption fix, or re-export).")
        return identify(doc.pdf, target, utcnow().replace(microsecond=0), title or src.stem)

    return validated_rewrite(src, dst, target, identify_doc, error=PdfxIdentificationError, verb="identify",
                             done="identified")


def validated_rewrite(src: Path, dst: Path | str, target: PdfxLevel, rewrite: Callable[[WorkDoc], list[str]], *,
                      error: type[PdfxIdentificationError], verb: str, done: str,
                      object_streams: bool = True) -> dict[str, Any]:
    """Rewrite ``src`` with ``rewrite`` (it returns the lines applied), judge the result with the validator
    as ``target``, and copy it to ``dst`` only when it complies: identification and conversion both keep
    a file only on the validator's word. A file that cannot be opened or rewritten raises ``error``."""
    from printgate.core.validation import CannotValidate, validate_file

    with tempfile.TemporaryDirectory(prefix="pdfx-") as tmp:
        try:
            doc = WorkDoc(src, Path(tmp))
        except UnreadableFile as exc:
            raise error(f"cannot {verb}: {exc}") from exc
        probe = Path(tmp) / "rewritten.pdf"
        try:
            applied = rewrite(doc)
            doc.dirty = True
            doc.save(probe, object_streams=object_streams)
        except PdfxIdentificationError:
            raise
        except Exception as exc:  # a malformed object: an error, never a crash
            raise error(f"cannot {verb}: the file could not be rewritten "
                        f"({type(exc).__name__}: {str(exc)[:160]})") from exc
        finally:
            doc.close()
        try:
            report = validate_file(probe, [target.flavour])
        except CannotValidate as exc:
            return {**identification_report(target, applied, None, exc.reason), "validation": None}
        result = identification_report(target, applied, report)
        if result["written"]:
            try:
                Path(dst).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(probe, dst)
            except OSError as exc:
                raise error(f"cannot write the {done} file: {exc.strerror or exc}") from exc
    return {**result, "validation": report}


@fix("identify_pdfx", order=96, summary="Identify a file that meets PDF/X as PDF/X (level param: x1a, x3, x4; "
     "default x4): version key, Trapped, title, dates; with convert: true the content is made to conform first "
     "(intent, TrimBox, fonts, RGB to CMYK, transparency flattened for X-1a/X-3). Kept only when the validator "
     "confirms it.",
     aliases=["pdfx", "identify_as_pdfx", "pdfx_identification"], params={"level": DEFAULT_LEVEL})
def identify_pdfx(doc: WorkDoc, req: FixRequest) -> FixResult:
    try:
        target = parse_level(req.params.get("level"))
    except PdfxIdentificationError as exc:
        raise FixSkipped(exc.reason) from exc
    if doc.source_encrypted and doc.keep_encryption:
        raise FixSkipped("the file is encrypted: PDF/X forbids encryption (remove_encryption first)")
    out = doc.temp_path("pdfx")
    title = req.params.get("title") or doc.src.stem
    try:
        if req.params.get("convert"):
            from printgate.core.fixes.pdfx_convert import convert_file

            result = convert_file(doc.as_file(), out, target.code, title=title,
                                  cmyk_profile=req.params.get("icc") or None)
        else:
            result = identify_file(doc.as_file(), out, target.code, title=title)
    except PdfxIdentificationError as exc:
        raise FixSkipped(exc.reason) from exc
    if not result["written"]:
        raise FixSkipped(result["summary"])
    doc.replace(out)
    return FixResult(f"{result['summary']} ({'; '.join(result['applied'])})")
