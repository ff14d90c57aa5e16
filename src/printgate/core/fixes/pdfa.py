"""Conversion to PDF/A (1b, 2b, 2u, 3b, 3u, 4), re-validated by printgate's own validator.

The conversion does what a machine can do without guessing: it embeds fonts this server has,
flattens transparency for PDF/A-1 (Ghostscript, the same path as ``flatten_transparency``), takes out
what PDF/A forbids (``pdfa_cleanup``), adds the output intent the content needs, writes the XMP
identification synced with the Info dictionary, and saves with the header, binary comment, trailer
ID and cross-reference form the level asks for. Whether the result conforms is never assumed: the
validator judges the saved file and the report lists every rule that still fails. The accessible
levels (a, ua) need a structure tree that says what the content means; no conversion can invent it.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf.models.metadata import decode_pdf_date, encode_pdf_date

from printgate.core.clock import utcnow
from printgate.core.errors import UnreadableFile
from printgate.core.fixes import icc, pdfa_cleanup
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc
from printgate.core.validation.content import ContentFacts, collect

PRODUCER = "printgate"


@dataclass(frozen=True)
class Level:
    code: str  # "2b"
    part: int
    conformance: str  # "B", "U", "" (PDF/A-4), "F"

    @property
    def flavour(self) -> str:
        return f"pdfa-{self.code}"

    @property
    def name(self) -> str:
        return f"PDF/A-{self.code.upper()}"


LEVELS = {code: Level(code, int(code[0]), code[1:].upper()) for code in ("1b", "2b", "2u", "3b", "3u", "4", "4f")}
DEFAULT_LEVEL = "2b"


class ConformanceError(Exception):
    """A file that cannot be made conformant at all (PDF/A conversion, PDF/X identification); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PdfaConversionError(ConformanceError):
    """The file cannot be converted at all (encrypted, unreadable, a level no conversion reaches)."""


def parse_level(value: str | None) -> Level:
    """``2b``, ``pdfa-2b``, ``PDF/A-2B`` -> a :class:`Level`; the accessible levels are refused with why."""
    text = re.sub(r"[\s_/-]", "", str(value or DEFAULT_LEVEL)).lower().removeprefix("pdfa")
    if text in LEVELS:
        return LEVELS[text]
    if text in ("1a", "2a", "3a", "ua1", "ua2", "pdfua1", "pdfua2") or text.startswith("ua"):
        raise PdfaConversionError(
            f"{value} cannot be produced by conversion: the accessible levels (PDF/A 'a' and PDF/UA) need a "
            "tagged structure tree saying what every part of the page is (headings, paragraphs, figures with "
            "alternative text, reading order); only the author's tool knows that. Export the file tagged, or "
            "convert to a 'b' or 'u' level.")
    raise PdfaConversionError(f"unknown PDF/A level {value!r}: use one of {', '.join(LEVELS)}")


@dataclass
class Conversion:
    level: Level
    applied: list[str] = field(default_factory=list)
    # What the conversion tried and could not do, in words (fonts not on this server...).
    notes: list[str] = field(default_factory=list)


# --- colour: output intent and Default colour spaces ------------------------------------------------

_DEVICE = {"/DeviceGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4}
_DEFAULT_FOR = {3: "/DefaultRGB", 4: "/DefaultCMYK", 1: "/DefaultGray"}


def _device_families(cs: Any, depth: int = 0) -> set[int]:
    """Components of the device colour spaces ``cs`` is built on (Indexed base, Separation/DeviceN
    alternate, Pattern underlying space)."""
    if depth > 8 or cs is None:
        return set()
    if isinstance(cs, pikepdf.Name):
        n = _DEVICE.get(str(cs))
        return {n} if n else set()
    if isinstance(cs, pikepdf.Array) and len(cs) > 1:
        family = str(cs[0])
        if family in ("/Indexed", "/I", "/Pattern"):
            return _device_families(cs[1], depth + 1)
        if family in ("/Separation", "/DeviceN") and len(cs) > 2:
            return _device_families(cs[2], depth + 1)
    return set()


def _used_families(facts: ContentFacts) -> set[int]:
    used: set[int] = set()
    for use in facts.colours:
        for n in _device_families(use.cs):
            if _DEFAULT_FOR[n] not in use.defaults:
                used.add(n)
    return used


def _icc_stream(pdf: pikepdf.Pdf, profile: icc.Profile) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, profile.data())
    stream.N = profile.components
    return pdf.make_indirect(stream)


def _existing_intent_profile(pdf: pikepdf.Pdf) -> tuple[Any, int] | None:
    intents = pdf.Root.get("/OutputIntents")
    if not isinstance(intents, pikepdf.Array):
        return None
    for intent in intents:
        dest = intent.get("/DestOutputProfile") if isinstance(intent, pikepdf.Dictionary) else None
        if isinstance(dest, pikepdf.Stream):
            try:
                n = int(dest.get("/N", 0)) or {b"CMYK": 4, b"RGB ": 3, b"GRAY": 1}.get(dest.read_bytes()[16:20], 0)
            except (pikepdf.PdfError, TypeError, ValueError):
                continue
            if n in (1, 3, 4):
                return dest, n
    return None


def _resource_dicts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Pages' resources (made local where inherited), plus those of forms, patterns and Type 3 fonts."""
    out: list[pikepdf.Dictionary] = []
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        res = page.obj.get("/Resources")
        if res is None:
            node = page.obj.get("/Parent")
            while node is not None and res is None:
                res = node.get("/Resources")
                node = node.get("/Parent")
            res = pikepdf.Dictionary(dict(res.items())) if isinstance(res, pikepdf.Dictionary) else pikepdf.Dictionary()
            page.obj.Resources = res
            res = page.obj.Resources
        if isinstance(res, pikepdf.Dictionary):
            out.append(res)
            if res.is_indirect:
                seen.add(res.objgen)
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Form or obj.get("/PatternType") == 1 or obj.get("/Subtype") == pikepdf.Name.Type3:
            res = obj.get("/Resources")
            if isinstance(res, pikepdf.Dictionary) and not (res.is_indirect and res.objgen in seen):
                if res.is_indirect:
                    seen.add(res.objgen)
                out.append(res)
    return out


def _profile_for(n: int, cmyk_profile: str | None) -> icc.Profile:
    return icc.resolve(cmyk_profile or icc.DEFAULT_CMYK) if n == 4 else icc.resolve("srgb" if n == 3 else "gray")


def apply_colour(pdf: pikepdf.Pdf, facts: ContentFacts, cmyk_profile: str | None, *,
                 prefer_rgb: bool = False) -> list[str]:
    """One GTS_PDFA1 output intent, matching the content (CMYK where the document paints in CMYK, sRGB
    otherwise, or sRGB when ``prefer_rgb``); device spaces of the other family get a Default colour
    space (ICC) so they are device-independent too. An existing intent's profile is reused: every
    intent must share one."""
    out: list[str] = []
    used = _used_families(facts)
    existing = _existing_intent_profile(pdf)
    intents = pdf.Root.get("/OutputIntents")
    has_pdfa = isinstance(intents, pikepdf.Array) and any(
        isinstance(i, pikepdf.Dictionary) and i.get("/S") == pikepdf.Name.GTS_PDFA1 for i in intents)
    if existing is not None:
        dest, n = existing
    else:
        n = 4 if 4 in used and not prefer_rgb else 3
        profile = _profile_for(n, cmyk_profile)
        dest = _icc_stream(pdf, profile)
    if not has_pdfa:
        if existing is not None:
            ident, cond = "Custom", "the print condition of the file's own output intent"
            for intent in intents or []:
                if isinstance(intent, pikepdf.Dictionary) and intent.get("/DestOutputProfile") is not None:
                    ident = str(intent.get("/OutputConditionIdentifier", ident))
                    cond = str(intent.get("/Info", cond))
                    break
        else:
            ident, cond = profile.identifier, profile.condition
        intent = pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
                                    OutputConditionIdentifier=pikepdf.String(ident), Info=pikepdf.String(cond),
                                    RegistryName=pikepdf.String("http://www.color.org"), DestOutputProfile=dest)
        intent = pdf.make_indirect(intent)
        pdf.Root.OutputIntents = pikepdf.Array([*(intents if isinstance(intents, pikepdf.Array) else []), intent])
        out.append(f"added a PDF/A output intent ({ident}, {'CMYK' if n == 4 else 'RGB' if n == 3 else 'Gray'})")
    others = sorted(x for x in used if x != n and x != 1)
    if others:
        spaces = {x: pikepdf.Array([pikepdf.Name.ICCBased, _icc_stream(pdf, _profile_for(x, cmyk_profile))])
                  for x in others}
        count = 0
        for res in _resource_dicts(pdf):
            css = res.get("/ColorSpace")
            if not isinstance(css, pikepdf.Dictionary):
                res.ColorSpace = pikepdf.Dictionary()
                css = res.ColorSpace
            for x, space in spaces.items():
                if _DEFAULT_FOR[x] not in css:
                    css[_DEFAULT_FOR[x]] = space
                    count += 1
        names = " and ".join(("sRGB for DeviceRGB" if x == 3 else f"{_profile_for(x, cmyk_profile).identifier} for "
                              "DeviceCMYK") for x in others)
        out.append(f"made the other device colours device-independent: {names} ({count} resource dictionaries)")
    return out


# --- fonts: glyph widths --------------------------------------------------------------------------------

def _set_simple_widths(font: pikepdf.Dictionary, new: dict[int, float]) -> None:
    first = int(font.get("/FirstChar", 0))
    old = font.get("/Widths")
    table = {first + i: float(w) for i, w in enumerate(old)} if isinstance(old, pikepdf.Array) else {}
    table.update(new)
    desc = font.get("/FontDescriptor")
    missing = float(desc.get("/MissingWidth", 0)) if isinstance(desc, pikepdf.Dictionary) else 0.0
    lo, hi = min(table), max(table)
    font.FirstChar, font.LastChar = lo, hi
    font.Widths = pikepdf.Array([round(table.get(code, missing), 3) for code in range(lo, hi + 1)])


def _set_cid_widths(cid_font: pikepdf.Dictionary, new: dict[int, float]) -> None:
    from printgate.core.validation.fontprog import _cid_widths  # the validator's own reading of /W

    table, _ = _cid_widths(cid_font)
    table.update(new)
    out: list[Any] = []
    run: list[float] = []
    start = prev = -2
    for cid in sorted(table):
        if cid != prev + 1 and run:
            out += [start, pikepdf.Array(run)]
            run = []
        if not run:
            start = cid
        run.append(round(table[cid], 3))
        prev = cid
    if run:
        out += [start, pikepdf.Array(run)]
    cid_font.W = pikepdf.Array(out)


def fix_glyph_widths(facts: ContentFacts) -> list[str]:
    """The widths a font dictionary states for the glyphs shown are set to the embedded program's
    (PDF/A requires them consistent); glyphs the program lacks are left for the report."""
    from printgate.core.validation.fontprog import glyphs

    cache: dict[Any, Any] = {}
    fonts = changed = 0
    for use in facts.fonts.values():
        if not use.codes or (use.modes and use.modes <= {3}):
            continue  # invisible text: its widths are not judged
        wrong = {g.code: float(g.program_width) for g in glyphs(use.font, use.codes, cache)
                 if g.present and g.program_width is not None and g.dict_width is not None
                 and abs(g.program_width - g.dict_width) > 1}
        if not wrong:
            continue
        if use.font.get("/Subtype") == pikepdf.Name.Type0:
            cid_font = use.font.DescendantFonts[0]
            if not isinstance(cid_font, pikepdf.Dictionary):
                continue
            _set_cid_widths(cid_font, wrong)
        else:
            _set_simple_widths(use.font, wrong)
        fonts += 1
        changed += len(wrong)
    return [f"set {changed} glyph width(s) in {fonts} font(s) to the embedded program's (text set in them may "
            "move slightly, as it does in viewers that use the program's widths)"] if fonts else []


# --- metadata ----------------------------------------------------------------------------------------

_INFO_DATES = ("/CreationDate", "/ModDate")


def _date(value: Any, fallback: datetime) -> datetime:
    try:
        parsed = decode_pdf_date(str(value))
    except Exception:  # an unparsable date is replaced: Info and XMP must agree on a real one
        return fallback
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=fallback.tzinfo)


def _info_text(info: Any, key: str) -> str | None:
    value = info.get(key) if info is not None else None
    if isinstance(value, pikepdf.String):
        text = str(value).strip("\x00")
        return text or None
    return None


def write_metadata(pdf: pikepdf.Pdf, level: Level, now: datetime) -> list[str]:
    """XMP with the PDF/A identification, the Info dictionary's title, author, subject, keywords,
    creator tool, producer and dates, and the Info dictionary rewritten to say exactly the same."""
    info = pdf.trailer.get("/Info")
    info = info if isinstance(info, pikepdf.Dictionary) else None
    created = _date(info.get("/CreationDate"), now) if info is not None and "/CreationDate" in info else now
    fields = {key: _info_text(info, key) for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator",
                                                      "/Producer")}
    producer = fields["/Producer"] or PRODUCER
    if "/Metadata" in pdf.Root:
        try:
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False, strict=True):
                pass
        except Exception:  # unreadable XMP: written anew from the Info dictionary
            del pdf.Root["/Metadata"]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in list(meta):
            # What the Info dictionary says wins; stale XMP copies of it go.
            if key.split("}")[-1] in ("title", "creator", "description", "Keywords", "CreatorTool", "Producer",
                                      "CreateDate", "ModifyDate", "MetadataDate", "part", "conformance", "rev"):
                del meta[key]
        if fields["/Title"]:
            meta["dc:title"] = fields["/Title"]
        if fields["/Author"]:
            meta["dc:creator"] = [fields["/Author"]]
        if fields["/Subject"]:
            meta["dc:description"] = fields["/Subject"]
        if fields["/Keywords"]:
            meta["pdf:Keywords"] = fields["/Keywords"]
        if fields["/Creator"]:
            meta["xmp:CreatorTool"] = fields["/Creator"]
        meta["pdf:Producer"] = producer
        meta["xmp:CreateDate"] = created.isoformat()
        meta["xmp:ModifyDate"] = now.isoformat()
        meta["xmp:MetadataDate"] = now.isoformat()
        meta["pdfaid:part"] = str(level.part)
        if level.part == 4:
            meta["pdfaid:rev"] = "2020"
            if level.conformance:
                meta["pdfaid:conformance"] = level.conformance
        else:
            meta["pdfaid:conformance"] = level.conformance
    if level.part == 4:
        # PDF/A-4 keeps document information in XMP only (an Info dictionary needs PieceInfo).
        if "/Info" in pdf.trailer and "/PieceInfo" not in pdf.Root:
            del pdf.trailer["/Info"]
        elif "/Info" in pdf.trailer:
            pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(ModDate=pikepdf.String(encode_pdf_date(now))))
    else:
        new_info = pikepdf.Dictionary()
        if info is not None:
            for key, value in info.items():
                if key not in fields and key not in _INFO_DATES and key != "/Trapped":
                    new_info[key] = value
        for key, text in fields.items():
            if text:
                new_info[key] = pikepdf.String(text)
        new_info.Producer = pikepdf.String(producer)
        new_info.CreationDate = pikepdf.String(encode_pdf_date(created))
        new_info.ModDate = pikepdf.String(encode_pdf_date(now))
        pdf.trailer.Info = pdf.make_indirect(new_info)
    return [f"wrote XMP metadata identifying the file as {level.name}, synced with the document information "
            "(title, author, subject, keywords, creator tool, producer, dates)"]


# --- the conversion ------------------------------------------------------------------------------------

def _run_fix(doc: WorkDoc, conv: Conversion, fn: Any, strategy: str, what: str) -> None:
    """A registered fix reused as one step; its skip reason becomes a note unless nothing was needed."""
    try:
        result = fn(doc, FixRequest(strategy))
    except FixSkipped as exc:
        if not exc.satisfied:
            conv.notes.append(f"{what}: {exc.reason}")
        return
    conv.applied.append(result.detail if isinstance(result, FixResult) else str(result))


def convert_document(doc: WorkDoc, level: Level, *, cmyk_profile: str | None = None) -> Conversion:
    """Convert ``doc`` in place (the caller saves it); raises ``PdfaConversionError`` for encrypted files."""
    from printgate.core.fixes.fonts import embed_fonts
    from printgate.core.fixes.structure import flatten_transparency, remove_layers

    if doc.source_encrypted:
        raise PdfaConversionError(
            "the file is encrypted: PDF/A forbids encryption, and a conversion does not remove a document's "
            "protection on its own. Remove the encryption first (the remove_encryption fix, or re-export).")
    conv = Conversion(level)
    _run_fix(doc, conv, embed_fonts, "embed_fonts", "fonts not embedded")
    if level.part == 1:
        if "/OCProperties" in doc.pdf.Root:
            _run_fix(doc, conv, remove_layers, "remove_layers", "optional content")
        live = [t for t in pdfa_cleanup.transparency_in(doc.pdf) if t != "transparency group"]
        if live:
            _run_fix(doc, conv, flatten_transparency, "flatten_transparency",
                     "transparency (" + ", ".join(live) + ") could not be flattened")
        if not [t for t in pdfa_cleanup.transparency_in(doc.pdf) if t != "transparency group"]:
            conv.applied += pdfa_cleanup.drop_empty_page_groups(doc.pdf)
    pdf = doc.pdf
    now = utcnow().replace(microsecond=0)
    conv.applied += pdfa_cleanup.remove_forbidden_actions(pdf, level.part)
    conv.applied += pdfa_cleanup.remove_forms_extras(pdf)
    if level.part in (1, 2):
        conv.applied += pdfa_cleanup.remove_embedded_files(pdf)
    else:
        conv.applied += pdfa_cleanup.describe_embedded_files(pdf, encode_pdf_date(now))
    if level.part != 1:
        conv.applied += pdfa_cleanup.fix_optional_content(pdf)
    conv.applied += pdfa_cleanup.fix_annotations(pdf, level.part)
    conv.applied += pdfa_cleanup.clean_streams(pdf)
    # The validator's own content walk, once: the colours and glyphs it will judge.
    facts = collect(pdf)
    conv.applied += fix_glyph_widths(facts)
    # PDF/A-1 allows annotation colours only under an RGB intent: with them, the intent is sRGB and
    # CMYK content becomes device-independent through DefaultCMYK (it prints the same).
    prefer_rgb = level.part == 1 and pdfa_cleanup.annotation_colours(pdf)
    conv.applied += apply_colour(pdf, facts, cmyk_profile, prefer_rgb=prefer_rgb)
    intent = _existing_intent_profile(pdf)
    if prefer_rgb and intent is not None and intent[1] != 3:  # the file's own CMYK/gray intent was kept
        conv.applied += pdfa_cleanup.strip_annotation_colours(pdf)
    conv.applied += write_metadata(pdf, level, now)
    if "/Version" in pdf.Root and level.part != 4:
        del pdf.Root["/Version"]
    # Header: PDF/A-1 is PDF 1.4 (classic cross-reference table, no object streams), 2 and 3 build on
    # PDF 1.7, PDF/A-4 on PDF 2.0. The save writes the binary comment and the trailer ID.
    doc.force_version = {1: "1.4", 4: "2.0"}.get(level.part, "1.7")
    doc.keep_encryption = False
    doc.dirty = True
    return conv


def _remaining(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for profile in report.get("profiles", []):
        for f in profile.get("failures", []):
            out.append({k: f.get(k) for k in ("ruleId", "specification", "clause", "testNumber", "description",
                                              "count", "location")})
    return out


def conversion_report(conv: Conversion, report: dict[str, Any] | None, error: str | None = None) -> dict[str, Any]:
    """The result a caller shows: compliant only when the validator said so of the converted file."""
    compliant = bool(report and report.get("compliant")) and error is None
    remaining = _remaining(report) if report else []
    return {
        "level": conv.level.code, "flavour": conv.level.flavour, "profileName": conv.level.name,
        "compliant": compliant, "applied": conv.applied, "notes": conv.notes, "remaining": remaining,
        "error": error,
        "summary": (f"converted to {conv.level.name}; the validator confirms it" if compliant else
                    f"not {conv.level.name} compliant after conversion: " + (error or ", ".join(
                        sorted({f"{f['clause']}-{f['testNumber']}" for f in remaining})) or "see the report")),
    }


def convert_file(src: Path | str, dst: Path | str, level: str | None = None, *,
                 cmyk_profile: str | None = None) -> dict[str, Any]:
    """Convert ``src`` into ``dst`` and validate ``dst``. Raises ``PdfaConversionError`` when the file
    cannot be converted at all (then ``dst`` is not written)."""
    from printgate.core.validation import CannotValidate, validate_file

    target = parse_level(level)
    with tempfile.TemporaryDirectory(prefix="pdfa-") as tmp:
        try:
            doc = WorkDoc(Path(src), Path(tmp))
        except UnreadableFile as exc:
            raise PdfaConversionError(f"cannot convert: {exc}") from exc
        try:
            conv = convert_document(doc, target, cmyk_profile=cmyk_profile)
            doc.save(Path(dst), object_streams=target.part != 1)
        except (pikepdf.PdfError, icc.UnknownProfile) as exc:
            raise PdfaConversionError(f"cannot convert: {exc}") from exc
        except PdfaConversionError:
            raise
        except OSError as exc:
            raise PdfaConversionError(f"cannot write the converted file: {exc.strerror or exc}") from exc
        except Exception as exc:  # a malformed object the conversion could not handle: an error, never a crash
            raise PdfaConversionError(f"cannot convert: the file's structure could not be converted "
                                      f"({type(exc).__name__}: {str(exc)[:160]})") from exc
        finally:
            doc.close()
    try:
        report = validate_file(Path(dst), [target.flavour])
    except CannotValidate as exc:
        return {**conversion_report(conv, None, exc.reason), "validation": None}
    return {**conversion_report(conv, report), "validation": report}


@fix("convert_pdfa", order=95, summary="Convert to PDF/A (level param: 1b, 2b, 2u, 3b, 3u, 4, 4f; default 2b): "
     "output intent, XMP, fonts, forbidden actions and annotations, then re-validated.",
     aliases=["pdfa", "convert_to_pdfa", "pdfa_conversion"], params={"level": DEFAULT_LEVEL})
def convert_pdfa(doc: WorkDoc, req: FixRequest) -> FixResult:
    from printgate.core.validation import CannotValidate, validate_file

    try:
        target = parse_level(req.params.get("level"))
        conv = convert_document(doc, target, cmyk_profile=req.params.get("profile"))
    except (PdfaConversionError, icc.UnknownProfile) as exc:
        raise FixSkipped(str(exc)) from exc
    probe = doc.temp_path("pdfa-check")
    doc.save(probe, object_streams=target.part != 1)
    try:
        result = conversion_report(conv, validate_file(probe, [target.flavour]))
    except CannotValidate as exc:
        result = conversion_report(conv, None, exc.reason)
    finally:
        probe.unlink(missing_ok=True)
    detail = "; ".join(conv.applied) or "nothing to change"
    return FixResult(f"{result['summary']} ({detail})")


def conversion_level(profiles: list[str], report: dict[str, Any] | None = None) -> str:
    """The PDF/A level a validate step converts to: the first PDF/A profile asked that conversion can
    reach; for ``auto``, the level the file claims (``report``'s match) when reachable, else 2b. A
    request for accessible levels only raises ``PdfaConversionError`` saying why."""
    refused: PdfaConversionError | None = None
    for asked in profiles:
        text = str(asked).strip().lower()
        if text == "auto":
            matched = [p.get("matched") for p in (report or {}).get("profiles", []) if p.get("requested") == asked]
            for code in matched:
                if str(code).lower() in LEVELS:
                    return str(code).lower()
            return DEFAULT_LEVEL
        try:
            return parse_level(text).code
        except PdfaConversionError as exc:
            refused = refused or exc
    raise refused or PdfaConversionError("no PDF/A level was asked for")
