"""Font fixes through Ghostscript: embed, subset, outline.

A font that is not in the file can only be embedded if this server has it. The 14 standard PDF
fonts have metric-compatible URW equivalents (what Acrobat and Ghostscript substitute), so those are
embedded; any other missing font makes the fix skip with its name instead of silently printing in
a substitute typeface.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes._exec import ghostscript as gs
from printgate.core.fixes.outline import Outliner, Unsupported, mark_text_runs, text_runs
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.server_fonts import STANDARD_14, STANDARD_14_ALIASES, available_on_server, font_file
from printgate.core.fixes.workdoc import WorkDoc

log = logging.getLogger(__name__)


@dataclass
class FontUse:
    name: str
    embedded: bool
    subset: bool
    subtype: str


def _descriptor(font: Any) -> Any:
    if font.get("/Subtype") == pikepdf.Name.Type0:
        kids = font.get("/DescendantFonts")
        if kids:
            return kids[0].get("/FontDescriptor")
        return None
    return font.get("/FontDescriptor")


def fonts_in(pdf: pikepdf.Pdf) -> list[FontUse]:
    """Every font dictionary reachable from the pages (through forms), deduplicated."""
    seen: set[tuple[int, int]] = set()
    found: list[FontUse] = []

    def visit(resources: object, depth: int) -> None:
        if resources is None or depth > 12:
            return
        for font in resources.get("/Font", {}).values():  # type: ignore[attr-defined]
            key = font.objgen
            if key in seen and key != (0, 0):
                continue
            seen.add(key)
            subtype = str(font.get("/Subtype", ""))
            base = str(font.get("/BaseFont", "/?"))[1:]
            if subtype == "/Type3":
                found.append(FontUse(base or "Type3", True, False, subtype))
                continue
            desc = _descriptor(font)
            embedded = desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            subset = bool(re.match(r"^[A-Z]{6}\+", base))
            found.append(FontUse(re.sub(r"^[A-Z]{6}\+", "", base), embedded, subset, subtype))
        for xo in resources.get("/XObject", {}).values():  # type: ignore[attr-defined]
            if xo.get("/Subtype") == pikepdf.Name.Form and xo.objgen not in seen:
                seen.add(xo.objgen)
                visit(xo.get("/Resources"), depth + 1)

    for page in pdf.pages:
        visit(page.obj.get("/Resources"), 0)
    return found


def _missing(pdf: pikepdf.Pdf) -> tuple[list[FontUse], dict[str, str], list[str]]:
    missing = [f for f in fonts_in(pdf) if not f.embedded]
    have: dict[str, str] = {}
    lacking: list[str] = []
    for font in missing:
        found = available_on_server(font.name)
        if found:
            have[font.name] = found
        elif font.name not in lacking:
            lacking.append(font.name)
    return missing, have, lacking


def _same_font(loaded: Path, expected: Path, name: str) -> bool:
    """Ghostscript may load the same font from its own resource folder (a link to another format)."""
    key = re.sub(r"[\s_-]", "", name).lower()
    return loaded == expected or re.sub(r"[\s_-]", "", loaded.resolve().stem).lower() == key


def _rewrite(doc: WorkDoc, stem: str, options: list[str], wanted: dict[str, str] | None = None,
             req: FixRequest | None = None) -> None:
    """Ghostscript rewrite; fonts in ``wanted`` (non-standard, found on this server) are loaded from
    their files and the log is checked, so a silent substitution never counts as embedding."""
    wanted = {k: v for k, v in (wanted or {}).items() if STANDARD_14_ALIASES.get(k, k) not in STANDARD_14}
    files = {name: font_file(name) for name in wanted}
    dirs = [f[1].parent for f in files.values() if f is not None]
    src = doc.as_file()
    out = doc.temp_path(stem)
    try:
        log = gs.pdfwrite(src, out, options, font_dirs=dirs, quiet=not wanted,
                         on_pages=req.pages_done if req is not None else None)
    except ExternalToolError as exc:
        raise FixSkipped(str(exc)) from exc
    for name, found in files.items():
        loaded = re.search(rf"Loading font {re.escape(name)} \(or substitute\) from (\S+)", log)
        if found is None or (loaded and not _same_font(Path(loaded.group(1)), found[1], name)) or f"for {name}" in log:
            raise FixSkipped(f"Ghostscript would substitute another typeface for {name}; the file was left unchanged")
    doc.replace(out)


@fix("embed_fonts", order=56, summary="Embed (subsetted) every font that is not in the file, when this server has it.",
     aliases=["font_not_embedded", "fonts_embedded", "embed"], when_offered=True)
def embed_fonts(doc: WorkDoc, req: FixRequest) -> str:
    missing, have, lacking = _missing(doc.pdf)
    if not missing:
        raise FixSkipped("every font is already embedded", satisfied=True)
    if lacking:
        raise FixSkipped(
            "the font program for " + ", ".join(sorted(lacking)) + " is not in the file and not available on this "
            "server; embedding a substitute would change the typeface. Re-export with fonts embedded or outlined."
        )
    _rewrite(doc, "embed", ["-dEmbedAllFonts=true", "-dSubsetFonts=true"], have, req)
    still = [f.name for f in fonts_in(doc.pdf) if not f.embedded]
    if still:
        raise FixSkipped("Ghostscript could not embed " + ", ".join(sorted(set(still))))
    pairs = ", ".join(f"{k} ({v})" if STANDARD_14_ALIASES.get(k, k) in STANDARD_14 else k for k, v in sorted(have.items()))
    return f"embedded {len(have)} font(s): {pairs}"


@fix("subset_fonts", order=57, summary="Re-embed fully embedded fonts as subsets of the glyphs used.",
     aliases=["font_subsetting", "subset"])
def subset_fonts(doc: WorkDoc, req: FixRequest) -> str:
    fonts = fonts_in(doc.pdf)
    full = [f for f in fonts if f.embedded and not f.subset and f.subtype != "/Type3"]
    if not full:
        raise FixSkipped("no fully embedded fonts to subset", satisfied=True)
    _, have, lacking = _missing(doc.pdf)
    if lacking:
        raise FixSkipped("cannot rewrite fonts while " + ", ".join(lacking) + " is not embedded nor available")
    _rewrite(doc, "subset", ["-dSubsetFonts=true", "-dMaxSubsetPct=100"], have, req)
    left = [f.name for f in fonts_in(doc.pdf) if f.embedded and not f.subset and f.subtype != "/Type3"]
    if len(left) >= len(full):
        raise FixSkipped("Ghostscript kept the fonts fully embedded: " + ", ".join(sorted(set(left))))
    return f"subsetted {len(full) - len(left)} font(s)"


# After every Ghostscript rewrite of the content (spots, transparency, colour: pdfwrite would expand
# the shared glyph shapes back into one path per occurrence) and after rich black (its text scope
# needs the text); embedding first is harmless and lets more files take the shared path.
@fix("outline_text", order=75, summary="Convert all text to outlines (vector paths); no fonts remain. Runs only "
     "when the profile sets text_outlines to autofix, or when asked for by name.",
     aliases=["text_to_outlines", "text_outlined_required", "outlines"],
     needs_profile=("text_outlines", "text.text_outlined_required"))
def outline_text(doc: WorkDoc, req: FixRequest) -> str | FixResult:
    fonts = fonts_in(doc.pdf)
    if not fonts:
        raise FixSkipped("the file has no text", satisfied=True)
    _, have, lacking = _missing(doc.pdf)
    if lacking:
        raise FixSkipped(
            "cannot outline text set in " + ", ".join(sorted(lacking)) + ": the font is neither embedded nor "
            "available on this server, so its glyph shapes are unknown"
        )
    shared = _outline_shared(doc, fonts)
    if shared is not None:
        return shared
    # Ghostscript writes bare paths: read the text runs first, to mark them again afterwards (the
    # size and safe-zone checks judge outlined text as they judged the text).
    try:
        runs = text_runs(doc.as_file())
    except Exception as exc:  # MuPDF could not read the text: without its geometry, no outlining
        raise FixSkipped(f"the text could not be measured before outlining ({type(exc).__name__})") from exc
    _rewrite(doc, "outline", ["-dNoOutputFonts"], have, req)
    left = fonts_in(doc.pdf)
    if left:
        raise FixSkipped("Ghostscript left fonts in the file: " + ", ".join(sorted({f.name for f in left})))
    try:
        mark_text_runs(doc.pdf, runs)
    except Unsupported as exc:
        raise FixSkipped(f"the outlined text could not be kept measurable ({exc})") from exc
    doc.dirty = True
    return f"converted text in {len(fonts)} font(s) to outlines (one path per glyph occurrence)"


def _outline_shared(doc: WorkDoc, fonts: list[FontUse]) -> FixResult | None:
    """Outline with one shape per glyph, shared by its placements (``outline.py``); None when this
    file needs Ghostscript's general outliner (the reason is logged)."""
    if any(not f.embedded for f in fonts):
        # Shapes come from the file itself, never from a substitute: a font that is not embedded is
        # drawn by Ghostscript from this server's copy (the URW twins, or the font file found).
        return None
    src = doc.as_file()
    try:
        with pikepdf.open(src) as pdf:
            stats = Outliner(pdf, src).run()
            left = fonts_in(pdf)
            if left:
                raise Unsupported("fonts left in forms the pages never paint: " + ", ".join(sorted({f.name for f in left})))
            out = doc.temp_path("outline-shared")
            pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    except Unsupported as exc:
        log.info("shared outlining not possible for %s (%s); using Ghostscript", doc.src.name, exc)
        return None
    doc.replace(out)
    note = f"; {stats.dropped_invisible} invisible text run(s) dropped" if stats.dropped_invisible else ""
    return FixResult(
        f"converted text in {len(fonts)} font(s) to outlines: {stats.glyph_shapes} glyph shape(s) stored once, "
        f"{stats.placements} placement(s){note}", stats.pages or None,
        why_larger=f"the text became vector outlines ({stats.glyph_shapes} glyph shapes, each stored once, "
                   f"placed {stats.placements} times)")
