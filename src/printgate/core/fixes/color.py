"""Colour fixes: convert to CMYK with a real ICC profile, output intents, rich black, spot colours."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import pikepdf
from PIL import Image

from printgate.core.fixes import _jpeg, icc
from printgate.core.fixes import _pages as P
from printgate.core.fixes._content import instructions, unparse
from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes._exec import ghostscript as gs
from printgate.core.fixes.color_residue import pages_for_ghostscript
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.vector_color import RgbToCmyk, convert_rgb_vectors
from printgate.core.fixes.workdoc import WorkDoc

_STRATEGY = {"cmyk": ("CMYK", "DeviceCMYK"), "gray": ("Gray", "DeviceGray"), "rgb": ("RGB", "DeviceRGB")}


def convert_colors(doc: WorkDoc, target: str, profile: icc.Profile | None,
                   on_pages: Callable[[int, int], None] | None = None) -> None:
    """Colour conversion of everything (vector, text, images) into ``target``.

    RGB images go to CMYK here, a whole image at a time through LittleCMS (an order of magnitude
    faster than Ghostscript's per-image path); Ghostscript then converts the rest: only the pages
    where some is left (``color_residue``), unless that is most of them or the file as a whole.
    """
    strategy, model = _STRATEGY[target]
    options = [f"-sColorConversionStrategy={strategy}", f"-sProcessColorModel={model}"]
    if profile is not None:
        options.append(f"-sOutputICCProfile={profile.path}")
    told = _Monotonic(on_pages)
    if target == "cmyk" and profile is not None:
        converter = RgbToCmyk(profile)
        convert_rgb_images(doc, converter)
        convert_rgb_vectors(doc, converter)  # Ghostscript would use its own default profile for these
        total = len(doc.pdf.pages)
        residue = pages_for_ghostscript(doc.pdf)
        if residue is not None and 2 * len(residue) <= total:
            told(0, total)
            told(total - len(residue), total)
            if not residue or _convert_pages(doc, residue, options):
                # The file comes out as the whole-file run wrote it: at least Ghostscript's PDF version.
                doc.require_version(GHOSTSCRIPT_PDF_VERSION)
                told(total, total)
                return
    src = doc.as_file()
    out = doc.temp_path(f"to-{target}")
    gs.pdfwrite(src, out, options, on_pages=told)
    doc.replace(out)


GHOSTSCRIPT_PDF_VERSION = "1.7"  # what pdfwrite writes by default (CompatibilityLevel)


class _Monotonic:
    """Passes (pages done, pages in all) on only when it moves forward: the page-by-page run and a
    whole-file fallback both report, and a progress bar must never go back."""

    def __init__(self, on_pages: Callable[[int, int], None] | None) -> None:
        self.on_pages = on_pages
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if self.on_pages is not None and done > self.last:
            self.last = done
            self.on_pages(done, total)


def _convert_pages(doc: WorkDoc, indexes: list[int], options: list[str]) -> bool:
    """Ghostscript on ``indexes`` only; their converted content and resources replace the originals
    (boxes, annotations and everything else of the page stay). False, with nothing changed, when
    Ghostscript's pages do not line up with the originals (the caller then converts the whole file)."""
    src = doc.as_file()
    out = doc.temp_path("to-cmyk-pages")
    pages = ",".join(str(i + 1) for i in indexes)
    gs.pdfwrite(src, out, [*options, f"-sPageList={pages}", "-dPreserveAnnots=false"])
    converted = pikepdf.open(out)
    doc.keep_open(converted)  # the copied streams are read from it when the document is saved
    pdf = doc.pdf
    if len(converted.pages) != len(indexes):
        return False
    moves: list[tuple[float, float]] = []
    for index, new in zip(indexes, converted.pages, strict=True):
        old = pdf.pages[index]
        a, b = P.box(old, "/MediaBox"), P.box(new, "/MediaBox")
        if a is None or b is None or P.rotation(old) != P.rotation(new):
            return False
        if abs((a[2] - a[0]) - (b[2] - b[0])) > 0.01 or abs((a[3] - a[1]) - (b[3] - b[1])) > 0.01:
            return False
        moves.append((a[0] - b[0], a[1] - b[1]))  # Ghostscript moves the MediaBox origin to 0 0
    for index, new, (dx, dy) in zip(indexes, converted.pages, moves, strict=True):
        _adopt_page(pdf, pdf.pages[index], converted, new, dx, dy)
    doc.dirty = True
    return True


def _adopt_page(pdf: pikepdf.Pdf, page: pikepdf.Page, source: pikepdf.Pdf, new: pikepdf.Page,
                dx: float, dy: float) -> None:
    contents = new.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
    copied = [pdf.copy_foreign(s) for s in streams if isinstance(s, pikepdf.Stream)]
    if abs(dx) > 1e-6 or abs(dy) > 1e-6:
        copied = [pdf.make_stream(f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm\n".encode()), *copied, pdf.make_stream(b"\nQ\n")]
    page.obj.Contents = pikepdf.Array(copied)
    for key in ("/Resources", "/Group"):
        value = new.obj.get(key)
        if value is None:
            if key in page.obj:
                del page.obj[key]
            continue
        page.obj[key] = pdf.copy_foreign(value if value.is_indirect else source.make_indirect(value))


def convert_rgb_images(doc: WorkDoc, converter: RgbToCmyk) -> int:
    """Convert 8-bit RGB image XObjects to DeviceCMYK (relative colorimetric, black point compensation).

    A JPEG stays a JPEG, re-encoded at its own quality (``_jpeg``); Flate stays Flate. Ghostscript,
    which runs next, passes CMYK JPEGs through untouched, so this is the encode that ships.
    """
    from PIL import ImageCms

    from printgate.core.fixes.images import _decode

    pending: list[tuple[pikepdf.Stream, Image.Image, _jpeg.JpegInfo]] = []
    pending_bytes = 0
    count = 0
    for obj in list(doc.pdf.objects):
        if not (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image):
            continue
        cs = obj.get("/ColorSpace")
        icc_bytes = b""
        if isinstance(cs, pikepdf.Array) and len(cs) == 2 and cs[0] == pikepdf.Name.ICCBased and int(cs[1].get("/N", 0)) == 3:
            icc_bytes = bytes(cs[1].read_bytes())
        elif cs != pikepdf.Name.DeviceRGB:
            continue
        if int(obj.get("/BitsPerComponent", 8)) != 8 or "/Decode" in obj or obj.get("/ImageMask"):
            continue
        try:
            info = _jpeg.inspect(bytes(obj.read_raw_bytes())) if _jpeg.is_dct(obj) else None
            image = _decode(obj, "RGB")
            cmyk = converter.image(image, icc_bytes)
        except (OSError, ValueError, ImageCms.PyCMSError):
            continue  # left for Ghostscript
        if cmyk is None:
            continue
        count += 1
        if info is None:
            obj.write(zlib.compress(cmyk.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
            if "/DecodeParms" in obj:
                del obj["/DecodeParms"]
            obj.ColorSpace = pikepdf.Name.DeviceCMYK
            continue
        pending.append((obj, cmyk, info))
        pending_bytes += cmyk.width * cmyk.height * 4
        if pending_bytes > _JPEG_BATCH_BYTES:
            _store_jpegs(doc, pending)
            pending, pending_bytes = [], 0
    _store_jpegs(doc, pending)
    if count:
        doc.dirty = True
    return count


# Converted photos wait in memory for one Ghostscript encode per batch; this bounds the batch.
_JPEG_BATCH_BYTES = 256 * 1024 * 1024


def _store_jpegs(doc: WorkDoc, pending: list[tuple[pikepdf.Stream, Image.Image, _jpeg.JpegInfo]]) -> None:
    if not pending:
        return
    encoded = _jpeg.encode_cmyk([p[1] for p in pending], [p[2] for p in pending], doc.workdir)
    for (obj, _image, _info), enc in zip(pending, encoded, strict=True):
        _jpeg.store(obj, enc)
        obj.ColorSpace = pikepdf.Name.DeviceCMYK


def add_output_intent(pdf: pikepdf.Pdf, profile: icc.Profile, registry: str = "http://www.color.org") -> None:
    """Replace the document's output intents with one GTS_PDFX intent embedding ``profile``."""
    stream = pikepdf.Stream(pdf, profile.data())
    stream.N = profile.components
    stream.Alternate = {4: pikepdf.Name.DeviceCMYK, 3: pikepdf.Name.DeviceRGB}.get(profile.components, pikepdf.Name.DeviceGray)
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(profile.identifier),
        OutputCondition=pikepdf.String(profile.condition),
        Info=pikepdf.String(profile.condition),
        RegistryName=pikepdf.String(registry),
        DestOutputProfile=pdf.make_indirect(stream),
    )
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])


def intent_profile(doc: WorkDoc) -> icc.Profile | None:
    """The document's own CMYK output-intent profile, written to the work folder, if it has one."""
    for intent in doc.pdf.Root.get("/OutputIntents", []):
        stream = intent.get("/DestOutputProfile")
        if stream is None or int(stream.get("/N", 0)) != 4:
            continue
        path = doc.workdir / "output-intent.icc"
        path.write_bytes(stream.read_bytes())
        ident = str(intent.get("/OutputConditionIdentifier", "")) or "output intent"
        return icc.Profile("output-intent", path, ident, str(intent.get("/Info", ident)), 4)
    return None


def document_is_cmyk(doc: WorkDoc) -> bool:
    """A print file meant for CMYK: a CMYK output intent, or no RGB anywhere on its pages."""
    if intent_profile(doc) is not None:
        return True
    pdf = doc.pdf
    for page in pdf.pages:
        try:
            if any(str(op) in ("rg", "RG") for _, op in instructions(page)):
                return False
        except pikepdf.PdfError:
            return False
        resources: Any = page.obj.get("/Resources", {})
        for xo in resources.get("/XObject", {}).values():
            cs = xo.get("/ColorSpace")
            if cs == pikepdf.Name.DeviceRGB or (isinstance(cs, pikepdf.Array) and len(cs) == 2
                                                and cs[0] == pikepdf.Name.ICCBased and int(cs[1].get("/N", 0)) == 3):
                return False
    return True


def _profile_from(params: dict, default: str = icc.DEFAULT_CMYK) -> icc.Profile:
    name = params.get("icc") or params.get("profile") or params.get("output_intent") or params.get("expected") or default
    try:
        return icc.resolve(str(name))
    except icc.UnknownProfile as exc:
        raise FixSkipped(str(exc)) from exc


@fix("convert_to_cmyk", order=60, summary="Convert all colour (vector, text, images) to CMYK through an ICC "
     "profile (FOGRA39 by default) and embed it as the output intent; target gray/rgb also accepted.",
     aliases=["rgb_to_cmyk", "convert_colors", "color_mode", "convert_icc"], params={"icc": "fogra39"})
def convert_to_cmyk(doc: WorkDoc, req: FixRequest) -> str:
    target = str(req.params.get("target", "cmyk")).lower()
    target = {"grayscale": "gray", "grey": "gray"}.get(target, target)
    if target not in _STRATEGY:
        raise FixSkipped(f"unknown colour target {target!r} (cmyk, gray or rgb)")
    explicit = any(req.params.get(k) for k in ("icc", "profile", "output_intent", "expected"))
    own = intent_profile(doc) if target == "cmyk" and not explicit else None
    # Convert into the print condition the file already declares; FOGRA39 only when it declares none.
    profile = own or (_profile_from(req.params) if target == "cmyk" else None)
    if profile is not None and profile.components != 4:
        raise FixSkipped(f"{profile.alias} is not a CMYK profile")
    spots_note = ""
    if req.params.get("convertSpecialSpaces") and not _preserves_spots(req.params):
        from printgate.core.fixes.spots import convert_spots

        converted = convert_spots(doc, list(range(len(doc.pdf.pages))))
        spots_note = f"; {converted} spot colour use(s) converted to process" if converted else ""
    try:
        convert_colors(doc, target, profile, on_pages=req.pages_done)
    except ExternalToolError as exc:
        raise FixSkipped(str(exc)) from exc
    if profile is None:
        return f"converted colours to {target}{spots_note}"
    if own is not None:
        return f"converted colours to CMYK in the file's own output condition ({profile.identifier}){spots_note}"
    add_output_intent(doc.pdf, profile)
    doc.dirty = True
    return f"converted colours to CMYK ({profile.identifier}) and set the output intent{spots_note}"


def _preserves_spots(params: dict) -> bool:
    keep = {str(p).replace(" ", "").lower() for p in params.get("preserve") or []}
    return bool(keep & {"separation", "separationall", "devicen", "nchannel"})


@fix("set_output_intent", order=80, summary="Embed the expected ICC profile as the PDF output intent.",
     aliases=["output_intent", "add_output_intent", "embed_output_intent"], params={"icc": "fogra39"})
def set_output_intent(doc: WorkDoc, req: FixRequest) -> str:
    profile = _profile_from(req.params)
    existing = [str(i.get("/OutputConditionIdentifier", "")) for i in doc.pdf.Root.get("/OutputIntents", [])]
    if existing == [profile.identifier]:
        raise FixSkipped(f"the output intent is already {profile.identifier}", satisfied=True)
    add_output_intent(doc.pdf, profile, str(req.params.get("registry", "http://www.color.org")))
    doc.dirty = True
    return f"set the output intent to {profile.identifier}"


# --- rich black -------------------------------------------------------------------------------

Snap = Callable[[float, float, float, float], bool]


def rich_black_rule(params: dict) -> Snap:
    """Autofix: K >= threshold (0.85) with any colour ink under it (what preflight flags).
    Optimize's ``snapRichBlack`` (``mode: "cmy"``): C, M and Y all >= threshold."""
    t = float(params.get("threshold", params.get("k_min", 0.85)))
    if params.get("mode") == "cmy":
        return lambda c, m, y, k: c >= t and m >= t and y >= t
    cmy_min = float(params.get("cmy_min", 0.02))
    return lambda c, m, y, k: k >= t and max(c, m, y) > cmy_min


def snap_rich_black_in(pdf: pikepdf.Pdf, indexes: list[int], rule: Snap, *, text_only: bool) -> tuple[int, list[int]]:
    count, pages = 0, []
    seen: set[tuple[int, int]] = set()

    def walk(container: object, resources: object, depth: int) -> bytes | None:
        nonlocal count
        if depth > 12:
            return None
        ops = instructions(container)
        spaces = resources.get("/ColorSpace", {}) if resources is not None else {}  # type: ignore[attr-defined]
        xobjects = resources.get("/XObject", {}) if resources is not None else {}  # type: ignore[attr-defined]
        fill_cmyk = stroke_cmyk = False
        fill_value: list[float] | None = None  # current DeviceCMYK fill, tracked for text painted with it
        stack: list[tuple[bool, bool, list[float] | None]] = []
        in_text = snapped_in_text = False
        restore: list[float] | None = None
        out, changed = [], False
        for operands, operator in ops:
            op = str(operator)
            if op == "q":
                stack.append((fill_cmyk, stroke_cmyk, fill_value))
            elif op == "Q" and stack:
                fill_cmyk, stroke_cmyk, fill_value = stack.pop()
            elif op == "BT":
                in_text, snapped_in_text = True, False
            elif op == "ET":
                in_text = False
                if restore is not None:
                    # Text was painted in 100% K; what follows the text block keeps its rich black.
                    out.append((operands, operator))
                    out.append((restore, pikepdf.Operator("k")))
                    restore = None
                    continue
            elif op in ("cs", "CS") and operands:
                name = str(operands[0])
                cs = spaces.get(name) if name not in ("/DeviceCMYK",) else None
                is_cmyk = name == "/DeviceCMYK" or (cs is not None and cs == pikepdf.Name.DeviceCMYK)
                if op == "cs":
                    fill_cmyk, fill_value = is_cmyk, None
                else:
                    stroke_cmyk = is_cmyk
            elif op in ("g", "rg"):
                fill_cmyk, fill_value = False, None
            elif op in ("G", "RG"):
                stroke_cmyk = False
            elif op == "K":
                stroke_cmyk = True
            elif op in ("Tj", "TJ", "'", '"') and in_text and text_only and not snapped_in_text:
                if fill_value is not None and rule(*fill_value):
                    out.append(([0, 0, 0, 1], pikepdf.Operator("k")))
                    restore = restore or list(fill_value)
                    snapped_in_text = changed = True
                    count += 1
            elif op == "Do" and operands:
                xo = xobjects.get(str(operands[0]))
                if xo is not None and xo.get("/Subtype") == pikepdf.Name.Form and xo.objgen not in seen:
                    seen.add(xo.objgen)
                    data = walk(xo, xo.get("/Resources", resources), depth + 1)
                    if data is not None:
                        xo.write(data)
            is_fill = op == "k" or (op in ("sc", "scn") and fill_cmyk)
            applies = is_fill or op == "K" or (op in ("SC", "SCN") and stroke_cmyk)
            values: list[float] | None = None
            if applies and len(operands) == 4:
                try:
                    values = [float(v) for v in operands]
                except (TypeError, ValueError):
                    values = None
            if is_fill:
                fill_cmyk = True
                fill_value = values
                snapped_in_text = False
            if values is not None and (in_text or not text_only) and rule(*values):
                out.append(([0, 0, 0, 1], operator))
                if is_fill:
                    fill_value = [0.0, 0.0, 0.0, 1.0]
                count += 1
                changed = True
                continue
            out.append((operands, operator))
        return unparse(out) if changed else None

    for index in indexes:
        page = pdf.pages[index]
        before = count
        data = walk(page, page.obj.get("/Resources"), 0)
        if data is not None:
            page.obj.Contents = pikepdf.Stream(pdf, data)
        if count > before:
            pages.append(index + 1)
    return count, pages


@fix("snap_rich_black", order=70, summary="Set rich-black CMYK fills/strokes (K high plus C/M/Y) to 100% K only.",
     aliases=["rich_black", "pure_black", "rich_black_to_k"], params={"threshold": 0.85, "scope": "all"})
def snap_rich_black(doc: WorkDoc, req: FixRequest) -> FixResult:
    scope = str(req.params.get("scope", "all")).lower()
    pdf = doc.pdf
    count, pages = snap_rich_black_in(
        pdf, req.page_indexes(len(pdf.pages)), rich_black_rule(req.params), text_only=scope.startswith("text")
    )
    if not count:
        raise FixSkipped("no rich-black DeviceCMYK colours found" + (" in text" if scope.startswith("text") else ""))
    doc.dirty = True
    return FixResult(f"set {count} rich-black colour(s) to 100% K", pages)
