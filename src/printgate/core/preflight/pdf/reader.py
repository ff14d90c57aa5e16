"""Opening an upload and reading a PDF into facts: ``DocFacts`` once, then one ``PageFacts`` per page.

``detect_kind`` tells a PDF from a raster by content, ``open_pdf`` and ``page_count`` turn qpdf
failures into customer-readable ``UnreadableFile`` reasons, and ``DocumentReader`` holds the open
document with its per-document caches (fonts, images, colour spaces, ExtGStates, parsed forms). It
reads document-level facts (version, encryption, metadata and standards, output intents, layers,
scripts, forms, attachments) and page boxes and annotations itself, and hands each page's content
to ``walker.PageWalker``. Nothing here judges: the checks read the facts.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.errors import UnreadableFile

from ..model import DocFacts, PageFacts, effective_trim
from .colorspaces import CS, ColorSpaces
from .fonts import FontMetrics, load_font
from .geometry import IDENTITY, intersect, rect_of
from .objects import dict_get, inherited, num, objkey, pdf_name, pdf_text, version_key
from .streams import read_stream_capped
from .walker import PageWalker
from .xmp import XMP_PATTERNS, xmp_as_utf8

MAGIC_RASTER = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
)


def detect_kind(path: Path) -> str:
    """``pdf`` or ``raster`` by content, never by extension. Raises UnreadableFile otherwise."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"The file could not be read ({exc.strerror or exc}).") from exc
    if size == 0:
        raise UnreadableFile("The file is empty (0 bytes).")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" in head:
        return "pdf"
    for magic, _ in MAGIC_RASTER:
        if head.startswith(magic):
            return "raster"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "raster"
    raise UnreadableFile(
        "The file is not a PDF or a supported image (JPEG, PNG, TIFF, WebP), so it can't be checked."
    )


def open_pdf(path: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise UnreadableFile(
            "The PDF is password-protected. Remove the password and upload an unlocked PDF."
        ) from exc
    except (pikepdf.PdfError, RuntimeError, ValueError, OSError) as exc:
        raise UnreadableFile(
            "The PDF is damaged or truncated beyond repair and can't be opened. "
            "Re-export it from your design application."
        ) from exc


def page_count(pdf: pikepdf.Pdf) -> int:
    try:
        n = len(pdf.pages)
    except (pikepdf.PdfError, RuntimeError, RecursionError) as exc:
        raise UnreadableFile(
            "The PDF's page tree is broken (it loops or cannot be read), so its pages can't be found."
        ) from exc
    if n == 0:
        raise UnreadableFile("The PDF has no pages.")
    return n


class DocumentReader:
    """Holds an open pikepdf document and the per-document caches (fonts, images, colour spaces)."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.scratch = pikepdf.new()
        self._scratch_stream: pikepdf.Stream | None = None
        self.form_ops: dict[tuple[int, int], list[tuple[str, Any]]] = {}
        self.form_ops_size = 0
        self.colorspaces = ColorSpaces()
        self.gstates: dict[tuple[int, int], tuple[tuple[str, Any], ...]] = {}
        self.fonts: dict[str, FontMetrics] = {}
        self._font_by_obj: dict[tuple[int, int], str] = {}
        self._images: dict[tuple[int, int], tuple[int, int, int, CS, list[str], bool, bool]] = {}
        self.warnings: list[str] = []
        # Order sizes (mm) from the SDK context: a page without a TrimBox that is exactly
        # size + bleed gets its safety edges measured from the inferred trim.
        self.trim_sizes: list[tuple[float, float]] = []

    def scratch_stream(self, data: bytes) -> pikepdf.Stream:
        """One reusable stream to parse decoded bytes with (new qpdf streams would pile up)."""
        if self._scratch_stream is None:
            self._scratch_stream = pikepdf.Stream(self.scratch, data)
        else:
            self._scratch_stream.write(data)
        return self._scratch_stream

    def warn(self, msg: str) -> None:
        if len(self.warnings) < 200 and msg not in self.warnings:
            self.warnings.append(msg)

    def font(self, fdict: Any, resname: str) -> FontMetrics:
        og = objkey(fdict)
        if og is not None and og in self._font_by_obj:
            return self.fonts[self._font_by_obj[og]]
        base = pdf_name(dict_get(fdict, "/BaseFont")) or resname
        key = f"{base}#{og[0]}" if og is not None else f"{base}#direct-{len(self.fonts)}"
        fm = load_font(fdict, key)
        self.fonts[key] = fm
        if og is not None:
            self._font_by_obj[og] = key
        return fm

    def image_info(self, img: Any, resources: Any) -> tuple[int, int, int, CS, list[str], bool, bool]:
        og = objkey(img)
        if og is not None and og in self._images:
            return self._images[og]
        w = int(num(dict_get(img, "/Width") if dict_get(img, "/Width") is not None else dict_get(img, "/W")))
        h = int(num(dict_get(img, "/Height") if dict_get(img, "/Height") is not None else dict_get(img, "/H")))
        is_mask = bool(dict_get(img, "/ImageMask") or dict_get(img, "/IM") or False)
        bpc_obj = dict_get(img, "/BitsPerComponent")
        if bpc_obj is None:
            bpc_obj = dict_get(img, "/BPC")
        bits = int(num(bpc_obj, 1 if is_mask else 8))
        filt = dict_get(img, "/Filter")
        if filt is None:
            filt = dict_get(img, "/F")
        filters: list[str] = []
        if isinstance(filt, pikepdf.Array):
            filters = [pdf_name(x) for x in filt]
        elif filt is not None:
            filters = [pdf_name(filt)]
        filters = [{"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode", "Fl": "FlateDecode",
                    "RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode"}.get(x, x) for x in filters]
        cs_obj = dict_get(img, "/ColorSpace")
        if cs_obj is None:
            cs_obj = dict_get(img, "/CS")
        if cs_obj is None and "JPXDecode" in filters:
            cs = CS("JPX", "RGB", 3)
        elif is_mask:
            cs = CS("ImageMask", "None", 1)
        else:
            cs = self.colorspaces.resolve(cs_obj, resources)
        has_smask = dict_get(img, "/SMask") is not None or int(num(dict_get(img, "/SMaskInData"), 0)) > 0
        out = (max(w, 0), max(h, 0), bits, cs, filters, is_mask, has_smask)
        if og is not None:
            self._images[og] = out
        return out

    # ---------------------------------------------------------------- document facts

    def doc_facts(self, path: Path, size: int) -> DocFacts:
        pdf = self.pdf
        root = pdf.Root
        d = DocFacts(kind="pdf", size_bytes=size)
        version = str(pdf.pdf_version)
        cat_ver = pdf_name(dict_get(root, "/Version"))
        if cat_ver and version_key(cat_ver) > version_key(version):
            version = cat_ver
        d.version = version
        d.encrypted = bool(pdf.is_encrypted)
        if d.encrypted:
            allow = pdf.allow
            d.permissions = {
                "print": bool(allow.print_lowres or allow.print_highres),
                "print_highres": bool(allow.print_highres),
                "copy": bool(allow.extract),
                "modify": bool(allow.modify_other),
            }
        mark = dict_get(root, "/MarkInfo")
        d.tagged = bool(dict_get(mark, "/Marked")) if mark is not None else False
        d.linearized = bool(pdf.is_linearized)
        info = pdf.trailer.get("/Info")
        if info is not None:
            d.producer = pdf_text(dict_get(info, "/Producer"))
            d.creator = pdf_text(dict_get(info, "/Creator"))
            gts = dict_get(info, "/GTS_PDFXVersion")
            if gts is not None:
                d.pdfx = pdf_text(gts)
        xmp = b""
        meta = dict_get(root, "/Metadata")
        if isinstance(meta, pikepdf.Stream):
            try:
                xmp = xmp_as_utf8(read_stream_capped(meta, 4 * 1024 * 1024))
            except Exception:
                xmp = b""
        if xmp:
            mp = XMP_PATTERNS["pdfa_part"].search(xmp)
            if mp:
                mc = XMP_PATTERNS["pdfa_conf"].search(xmp)
                d.pdfa = f"PDF/A-{mp.group(1).decode()}{mc.group(1).decode().lower() if mc else ''}"
            mu = XMP_PATTERNS["pdfua"].search(xmp)
            if mu:
                d.pdfua = f"PDF/UA-{mu.group(1).decode()}"
            mx = XMP_PATTERNS["pdfx"].search(xmp)
            if mx and not d.pdfx:
                d.pdfx = mx.group(1).decode("latin-1").strip()
            mv = XMP_PATTERNS["pdfvt"].search(xmp)
            if mv:
                d.pdfvt = mv.group(1).decode("latin-1").strip()
        try:
            self._output_intents(d, root)
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError) as exc:
            self.warn(f"output intents could not be read ({type(exc).__name__})")
        try:
            ocp = dict_get(root, "/OCProperties")
            if ocp is not None:
                for ocg in list(dict_get(ocp, "/OCGs") or [])[:500]:
                    d.ocgs.append(pdf_text(dict_get(ocg, "/Name")) or "(unnamed layer)")
                default = dict_get(ocp, "/D")
                for ocg in list(dict_get(default, "/OFF") or [])[:500] if default is not None else []:
                    d.ocgs_hidden.append(pdf_text(dict_get(ocg, "/Name")) or "(unnamed layer)")
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError) as exc:
            self.warn(f"layers could not be read ({type(exc).__name__})")
        for scan in (self._scan_actions, self._scan_forms):
            try:
                scan(d)
            except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
                self.warn(f"document structure could not be read completely ({type(exc).__name__})")
        try:
            names = dict_get(root, "/Names")
            ef = dict_get(names, "/EmbeddedFiles") if names is not None else None
            if ef is not None:
                d.attachments.extend(_name_tree_keys(ef, 200))
        except Exception:
            self.warn("embedded files name tree could not be read")
        return d

    def _output_intents(self, d: DocFacts, root: Any) -> None:
        for oi in dict_get(root, "/OutputIntents") or []:
            entry: dict[str, Any] = {
                "subtype": pdf_name(dict_get(oi, "/S")),
                "identifier": pdf_text(dict_get(oi, "/OutputConditionIdentifier")),
                "condition": pdf_text(dict_get(oi, "/OutputCondition")),
                "info": pdf_text(dict_get(oi, "/Info")),
                "registry": pdf_text(dict_get(oi, "/RegistryName")),
            }
            prof = dict_get(oi, "/DestOutputProfile")
            if isinstance(prof, pikepdf.Stream):
                desc, n = self.colorspaces.icc_info(prof)
                entry["profile"] = desc
                entry["components"] = n
            else:
                entry["profile"] = None
            d.output_intents.append(entry)

    def _scan_actions(self, d: DocFacts) -> None:
        root = self.pdf.Root
        names = dict_get(root, "/Names")
        js = dict_get(names, "/JavaScript") if names is not None else None
        if js is not None:
            keys = _name_tree_keys(js, 100)
            d.javascript.extend(f"document script {k}" for k in keys or ["(unnamed)"])
        oa = dict_get(root, "/OpenAction")
        if isinstance(oa, pikepdf.Dictionary) and _action_is_script(oa):
            d.javascript.append("open action")
        aa = dict_get(root, "/AA")
        if isinstance(aa, pikepdf.Dictionary) and any(_action_is_script(v) for v in aa.values()):
            d.javascript.append("document additional action")

    def _scan_forms(self, d: DocFacts) -> None:
        af = dict_get(self.pdf.Root, "/AcroForm")
        if not isinstance(af, pikepdf.Dictionary):
            return
        d.xfa = dict_get(af, "/XFA") is not None
        d.need_appearances = bool(dict_get(af, "/NeedAppearances"))
        count = 0
        sigs = 0
        todo = list(dict_get(af, "/Fields") or [])[:5000]
        seen: set[tuple[int, int]] = set()
        while todo and count < 10000:
            fld = todo.pop()
            key = objkey(fld)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            count += 1
            if pdf_name(dict_get(fld, "/FT")) == "Sig" and dict_get(fld, "/V") is not None:
                sigs += 1
            aa = dict_get(fld, "/AA")
            if isinstance(aa, pikepdf.Dictionary) and any(_action_is_script(v) for v in aa.values()):
                d.javascript.append("form field action")
            kids = dict_get(fld, "/Kids")
            if kids is not None:
                todo.extend(list(kids)[:5000])
        d.acroform_fields = count
        d.signatures = sigs

    def safe_page_facts(self, index: int, page: Any, doc: DocFacts, content: bool = True) -> PageFacts:
        """page_facts that never raises: a page we can't read becomes a structure problem.

        The cyclic garbage collector is paused for the page: parsing allocates millions of small
        lists and tuples (no cycles, freed by reference counting), and the collector's passes over
        them took as long as the parsing itself.
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            facts = self.page_facts(index, page, content, doc)
            facts.inspected = content
            return facts
        except MemoryError:
            raise  # the job's memory cap, not a hostile page: the job ends `error`
        except Exception as exc:  # hostile page dictionaries: report, don't crash
            facts = PageFacts(page=index + 1, media=(0.0, 0.0, 0.0, 0.0), crop=(0.0, 0.0, 0.0, 0.0),
                              bleed=None, trim=None, art=None, rotation=0)
            facts.content_error = f"page could not be read ({type(exc).__name__})"
            return facts
        finally:
            if paused:
                gc.enable()

    def page_facts(self, index: int, page: pikepdf.Page, content: bool, doc: DocFacts) -> PageFacts:
        obj = page.obj
        media = rect_of(inherited(obj, "/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
        crop = rect_of(inherited(obj, "/CropBox"))
        crop = intersect(crop, media) if crop else media
        bleed = rect_of(dict_get(obj, "/BleedBox"))
        trim = rect_of(dict_get(obj, "/TrimBox"))
        art = rect_of(dict_get(obj, "/ArtBox"))
        rot = int(num(inherited(obj, "/Rotate"), 0))
        facts = PageFacts(
            page=index + 1,
            media=media,
            crop=crop,
            bleed=bleed,
            trim=trim,
            art=art,
            rotation=rot % 360,
        )
        self._annotations(facts, obj, doc)
        if content:
            edge = facts.trim_or_media
            if facts.trim is None and self.trim_sizes:
                edge, _ = effective_trim(facts, {}, self.trim_sizes)
            walker = PageWalker(self, facts, edge)
            walker.run_page(page, IDENTITY)
            walker.finish()
            for key in facts.font_keys:
                doc.fonts.setdefault(key, self.fonts[key].info)
        return facts

    def _annotations(self, facts: PageFacts, obj: Any, doc: DocFacts) -> None:
        annots = dict_get(obj, "/Annots")
        if annots is None:
            return
        try:
            items = list(annots)[:2000]
        except Exception:
            return
        for an in items:
            if not isinstance(an, pikepdf.Dictionary):
                continue
            sub = pdf_name(dict_get(an, "/Subtype"))
            action = dict_get(an, "/A")
            if isinstance(action, pikepdf.Dictionary) and _action_is_script(action):
                doc.javascript.append(f"annotation action on page {facts.page}")
            aa = dict_get(an, "/AA")
            if isinstance(aa, pikepdf.Dictionary) and any(_action_is_script(v) for v in aa.values()):
                doc.javascript.append(f"annotation action on page {facts.page}")
            if sub == "FileAttachment":
                fs = dict_get(an, "/FS")
                nm = pdf_text(dict_get(fs, "/UF") or dict_get(fs, "/F")) if fs is not None else ""
                doc.attachments.append(nm or f"attachment on page {facts.page}")
            if sub in ("Link", "Widget", "Popup", "PrinterMark", "TrapNet"):
                continue  # (their /Rect is not read: most annotations are links)
            rect = rect_of(dict_get(an, "/Rect")) or (0.0, 0.0, 0.0, 0.0)
            facts.annotations.append((sub, rect))


def _action_is_script(action: Any) -> bool:
    if not isinstance(action, pikepdf.Dictionary):
        return False
    return pdf_name(dict_get(action, "/S")) in ("JavaScript", "Launch")


def _name_tree_keys(node: Any, limit: int) -> list[str]:
    out: list[str] = []
    todo = [node]
    seen: set[tuple[int, int]] = set()
    steps = 0
    while todo and len(out) < limit and steps < 10000:
        steps += 1
        n = todo.pop()
        key = objkey(n)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        names = dict_get(n, "/Names")
        if names is not None:
            items = list(names)
            for i in range(0, len(items) - 1, 2):
                out.append(pdf_text(items[i]))
        kids = dict_get(n, "/Kids")
        if kids is not None:
            todo.extend(list(kids)[:1000])
    return out
