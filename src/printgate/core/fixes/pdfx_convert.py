"""Conversion to PDF/X (ISO 15930): make the content conform, then identify it (``pdfx.identify``).

What the validator finds on the file decides what runs, so a file that already meets a requirement is not
rewritten for it: a GTS_PDFX output intent (FOGRA39 unless the file has a usable one), a TrimBox where a
page has neither TrimBox nor ArtBox (its CropBox: the page as it is shown), annotations off the trim area
(links and comments removed, form fields baked into the page), fonts embedded, RGB and other
colour the part forbids converted to the intent's CMYK (LittleCMS for images and vectors, Ghostscript for
the rest: the ``convert_to_cmyk`` path), transparency flattened for PDF/X-1a and -3 (Ghostscript
``-dHaveTransparency=false``: the ``flatten_transparency`` path), forbidden actions and JavaScript removed,
the header within the part's version. The converted, identified file is judged by the PDF/X rules and
written only when compliant: what remains is reported by rule and clause, never a success.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.clock import utcnow
from printgate.core.fixes import icc
from printgate.core.fixes.pdfx import (
    PdfxIdentificationError,
    PdfxLevel,
    identify,
    parse_level,
    validated_rewrite,
)
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped
from printgate.core.fixes.workdoc import WorkDoc

# The PDF version each part allows at most (the 2003 editions of X-1a and X-3; PDF/X-4).
VERSION_CAP = {"x1a": "1.4", "x3": "1.4", "x4": "1.6"}


class PdfxConversionError(PdfxIdentificationError):
    """The file cannot be converted at all (unreadable, encrypted, the validator cannot read it)."""


def _failing(path: Path, level: PdfxLevel) -> set[tuple[str, int]]:
    """(clause, test number) of every PDF/X rule ``path`` fails at ``level``."""
    from printgate.core.validation import CannotValidate, validate_file

    try:
        report = validate_file(path, [level.flavour])
    except CannotValidate as exc:
        raise PdfxConversionError(exc.reason) from exc
    return {(str(f["clause"]), int(f["testNumber"])) for p in report["profiles"] for f in p["failures"]}


def _step(doc: WorkDoc, applied: list[str], notes: list[str], fn: Any, strategy: str, what: str,
          params: dict[str, Any] | None = None) -> bool:
    """Run a registered fix as one step of the conversion; its skip reason becomes a note. True when it
    changed the file."""
    try:
        result = fn(doc, FixRequest(strategy, dict(params or {})))
    except FixSkipped as exc:
        if not exc.satisfied:
            notes.append(f"{what}: {exc.reason}")
        return False
    applied.append(result.detail if isinstance(result, FixResult) else str(result))
    return True


def _intent(doc: WorkDoc, failing: set[tuple[str, int]], cmyk_profile: str | None,
            applied: list[str]) -> icc.Profile | None:
    """The CMYK profile colour goes to. A valid intent is kept (None when it embeds no CMYK profile: an RGB
    or gray intent, or a registered characterization); a faulty one is rewritten as one GTS_PDFX intent
    with the file's own CMYK profile, else FOGRA39 (or ``cmyk_profile`` when given)."""
    from printgate.core.fixes.color import add_output_intent, intent_profile

    own = intent_profile(doc)
    if not any(clause == "6.2.1" for clause, _ in failing) and not cmyk_profile:
        return own
    try:
        profile = icc.resolve(cmyk_profile) if cmyk_profile or own is None else own
    except icc.UnknownProfile as exc:
        raise PdfxConversionError(str(exc)) from exc
    if profile.components != 4:
        raise PdfxConversionError(f"{profile.alias} is not a CMYK profile")
    add_output_intent(doc.pdf, profile)
    doc.dirty = True
    applied.append(f"set the PDF/X output intent to {profile.identifier}")
    return profile


def _set_trim_boxes(pdf: pikepdf.Pdf) -> list[str]:
    pages = []
    for number, page in enumerate(pdf.pages, start=1):
        if "/TrimBox" in page.obj or "/ArtBox" in page.obj:
            continue
        page.obj.TrimBox = pikepdf.Array(list(page.cropbox))
        pages.append(number)
    if not pages:
        return []
    shown = ", ".join(str(p) for p in pages[:10]) + (" ..." if len(pages) > 10 else "")
    return [f"set the TrimBox to the visible page (CropBox) on page(s) {shown}: they had no TrimBox or ArtBox"]


def convert_document(doc: WorkDoc, level: PdfxLevel, *, cmyk_profile: str | None = None,
                     on_pages: Any = None) -> tuple[list[str], list[str]]:
    """Make ``doc``'s content meet ``level`` in place (the caller identifies, saves and judges it);
    (what was applied, what could not be done)."""
    from printgate.core.fixes import pdfa_cleanup
    from printgate.core.fixes.color import convert_colors, convert_rgb_images
    from printgate.core.fixes.fonts import embed_fonts
    from printgate.core.fixes.structure import flatten_forms, flatten_transparency, remove_annotations
    from printgate.core.fixes.vector_color import RgbToCmyk, convert_rgb_vectors

    if doc.source_encrypted:
        raise PdfxConversionError("the file is encrypted: PDF/X forbids encryption. Remove it first "
                                  "(the remove_encryption fix, or re-export).")
    applied: list[str] = []
    notes: list[str] = []
    failing = _failing(doc.as_file(), level)
    clauses = {clause for clause, _ in failing}
    if "6.3" in clauses:
        _step(doc, applied, notes, embed_fonts, "embed_fonts", "fonts not embedded")
    if "6.5" in clauses:
        applied += pdfa_cleanup.remove_forbidden_actions(doc.pdf, 1)
        doc.dirty = True
    if "6.2.2" in clauses:
        applied += _set_trim_boxes(doc.pdf)
        doc.dirty = True
    profile = _intent(doc, failing, cmyk_profile, applied)
    # Judged again before Ghostscript: CMYK art may only have lacked the intent, annotations are judged
    # against the TrimBox just set, and a rewrite with a font still missing would embed a substitute, a
    # different typeface (the fonts fix refuses that).
    clauses = {clause for clause, _ in _failing(doc.as_file(), level)}
    if "6.4" in clauses:  # links and comments on the trim area go; form fields are baked into the page
        _step(doc, applied, notes, flatten_forms, "flatten_forms", "form fields")
        _step(doc, applied, notes, remove_annotations, "remove_annotations", "annotations")
    if "6.3" in clauses:
        notes.append("colour and transparency were not converted: a font is still not embedded, and the "
                      "rewrite would substitute another typeface for it")
        clauses -= {"6.2.3", "6.2.4"}
    flatten = "6.2.4" in clauses and level.code in ("x1a", "x3")
    target = profile if "6.2.3" in clauses else None  # the CMYK the colour goes to, when it must
    if "6.2.3" in clauses and profile is None:
        notes.append("colour the part does not allow is not converted: the output intent embeds no CMYK profile "
                     "to convert it to")
    if flatten:
        if target is not None:  # images and vectors through LittleCMS; the flattening rewrite converts the rest
            converter = RgbToCmyk(target)
            convert_rgb_images(doc, converter)
            convert_rgb_vectors(doc, converter)
        flattened = _step(doc, applied, notes, flatten_transparency, "flatten_transparency",
                          "transparency could not be flattened")
        if target is not None and flattened:
            applied.append(f"converted RGB and other colour the part does not allow to CMYK ({target.identifier})")
            target = None
    if target is not None:
        try:
            convert_colors(doc, "cmyk", target, on_pages=on_pages)
            applied.append(f"converted RGB and other colour the part does not allow to CMYK ({target.identifier})")
        except Exception as exc:  # a Ghostscript failure or timeout: reported, the validator has the last word
            notes.append(f"colour could not be converted ({type(exc).__name__}: {str(exc)[:160]})")
    cap = VERSION_CAP[level.code]
    if max(_version(doc.pdf.pdf_version), _version(doc.min_version or "1.0")) > _version(cap):
        doc.force_version, doc.min_version = cap, None
        applied.append(f"wrote the file as PDF {cap} ({level.name} allows at most that)")
    if "/Version" in doc.pdf.Root and _version(str(doc.pdf.Root.Version)[1:]) > _version(cap):
        del doc.pdf.Root["/Version"]
        doc.dirty = True
    doc.keep_encryption = False
    return applied, notes


def _version(text: str) -> tuple[int, int]:
    try:
        major, minor = str(text).split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (9, 9)


def convert_file(src: Path | str, dst: Path | str, level: str | None = None, *, title: str | None = None,
                 cmyk_profile: str | None = None) -> dict[str, Any]:
    """Convert ``src`` to PDF/X ``level`` into ``dst`` when the validator confirms the result; otherwise
    ``dst`` is not written and the result lists what remains. Raises ``PdfxConversionError`` (a
    ``ConformanceError``) when the file cannot be converted at all."""
    target = parse_level(level)
    src = Path(src)
    notes: list[str] = []
    converted = False

    def convert_doc(doc: WorkDoc) -> list[str]:
        nonlocal converted
        applied, found = convert_document(doc, target, cmyk_profile=cmyk_profile)
        notes.extend(found)
        converted = bool(applied)  # the identification's own lines follow
        return applied + identify(doc.pdf, target, utcnow().replace(microsecond=0), title or src.stem)

    result = validated_rewrite(src, dst, target, convert_doc, error=PdfxConversionError, verb="convert",
                               done="converted", object_streams=target.code == "x4")
    result["notes"] = notes
    if result["written"]:
        if converted:
            result["summary"] = f"converted and identified as {target.name}; the validator confirms it"
    elif converted or notes:
        result["summary"] = result["summary"].replace("not identified as", "not converted to").replace(
            "(left unchanged; fix those first)", "after conversion (nothing written)")
    return result
