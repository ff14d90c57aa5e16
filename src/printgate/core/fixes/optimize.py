"""``optimize_pdf``: Filecheck's ``params.pdf`` (POST /jobs/optimize) applied unconditionally.

Every key is either applied, or returned in ``skippedFixes`` with the reason: nothing is ignored
silently. Steps run in a fixed order; the output intent is applied last before the save.
"""

from __future__ import annotations

import functools
import io
import shutil
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image

from printgate.core.fixes import _pages as P
from printgate.core.fixes import color, fonts, icc, images, structure
from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped
from printgate.core.fixes.strokes import thicken_hairlines
from printgate.core.fixes.workdoc import WorkDoc

_STRIP_KEYS = ("thumbnails", "alternateImages", "privateData", "invisiblePaths", "batesNumbers", "headerFooter",
               "annotations", "formFields", "attachments", "javascript", "bookmarks")
_ORDER = ("strip", "flattenLayers", "boundingBoxes", "pageResize", "hairlines", "scaleImages", "compression",
          "grayTo1Bit", "colorConversion", "textToOutlines", "snapRichBlack", "outputIntent")
_FORMATS = {"A3": (841.89, 1190.55), "A4": (595.28, 841.89), "A5": (419.53, 595.28), "LETTER": (612.0, 792.0),
            "LEGAL": (612.0, 1008.0), "TABLOID": (792.0, 1224.0)}


class _Run:
    def __init__(self, doc: WorkDoc) -> None:
        self.doc = doc
        self.applied: list[str] = []
        self.skipped: list[dict[str, str]] = []
        self.intent: icc.Profile | None = None

    def step(self, name: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except FixSkipped as exc:
            self.skipped.append({"name": name, "reason": exc.reason})
        except ExternalToolError as exc:
            self.skipped.append({"name": name, "reason": str(exc)})
        except (KeyError, TypeError, ValueError) as exc:
            self.skipped.append({"name": name, "reason": f"invalid parameters: {exc}"})
        else:
            self.applied.append(name)


def optimize_pdf(src: Path, dst: Path, params: dict) -> dict[str, Any]:
    """Apply ``params`` (the ``pdf`` namespace) to ``src`` and write ``dst``; ``{}`` rebuilds streams only.

    The result is never bigger than ``src`` for what only saves bytes (image scaling, compression,
    stripping, a rebuild): then the input is kept and ``size.reason`` says so. What the request
    demands beyond saving bytes (colour conversion, an output intent, outlines, boxes...) is delivered
    even when it grows the file, after a second build without the size-only options, whichever is
    smaller; ``size.grewBecause`` names what grew it.
    """
    params = dict(params or {})
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError("dst must differ from src: the source file is never modified")
    with tempfile.TemporaryDirectory(prefix="printgate-opt-") as tmp:
        out = Path(tmp) / "optimized.pdf"
        run = _optimize_once(src, out, params, Path(tmp) / "a")
        in_bytes = src.stat().st_size
        if out.stat().st_size > in_bytes:
            demanded = _demanded_only(params)
            if demanded is not None and any(not _size_only(n) for n in run.applied):
                second = Path(tmp) / "demanded.pdf"
                run2 = _optimize_once(src, second, demanded, Path(tmp) / "b", object_streams=False)
                if second.stat().st_size < out.stat().st_size:
                    reason = "not applied: it made the file bigger; the file was rebuilt without it"
                    run2.skipped.extend({"name": n, "reason": reason} for n in run.applied if _size_only(n))
                    run2.skipped.extend(s for s in run.skipped if s not in run2.skipped)
                    run, out = run2, second
        size = _guard_size(src, out, run)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out), dst)
    return {"appliedFixes": run.applied, "skippedFixes": run.skipped, "sizeBytes": dst.stat().st_size, "size": size}


def _optimize_once(src: Path, out: Path, params: dict, workdir: Path, *, object_streams: bool = True) -> _Run:
    workdir.mkdir(parents=True, exist_ok=True)
    doc = WorkDoc(src, workdir)
    run = _Run(doc)
    run.intent = _requested_intent(params)
    try:
        for key in params:
            if key not in _ORDER:
                run.skipped.append({"name": key, "reason": "unknown optimize option"})
        for key in _ORDER:
            if key in params:
                _dispatch(run, key, params[key])
        doc.keep_encryption = False
        doc.save(out, object_streams=object_streams)
    finally:
        doc.close()
    return run


# What only saves bytes: when the result is bigger anyway, the input is the better answer.
_SIZE_ONLY = ("scaleImages", "compression", "grayTo1Bit", "strip.thumbnails", "strip.privateData",
              "strip.alternateImages")


def _size_only(name: str) -> bool:
    return name.startswith(_SIZE_ONLY)


def _demanded_only(params: dict) -> dict | None:
    """``params`` without its size-only options; None when nothing else is asked."""
    kept = {k: v for k, v in params.items() if not _size_only(k) and k != "strip"}
    strip = {k: v for k, v in (params.get("strip") or {}).items() if not _size_only(f"strip.{k}")} \
        if isinstance(params.get("strip"), dict) else {}
    if strip:
        kept["strip"] = strip
    return kept or None


def _guard_size(src: Path, out: Path, run: _Run) -> dict[str, Any]:
    """Bytes in and out, saved per category; keeps the input when nothing demanded grew the file."""
    in_bytes, out_bytes = src.stat().st_size, out.stat().st_size
    before, after = byte_breakdown(src), byte_breakdown(out)
    size: dict[str, Any] = {"inputBytes": in_bytes, "outputBytes": out_bytes, "keptInput": False}
    if out_bytes > in_bytes:
        demanded = [name for name in run.applied if not _size_only(name)]
        if demanded:
            size["grewBecause"] = demanded
        else:
            reason = (f"the result was {out_bytes - in_bytes:,} bytes bigger than the input "
                      f"({in_bytes:,} bytes): the input is kept unchanged")
            run.skipped.extend({"name": name, "reason": f"not applied: {reason}"} for name in run.applied)
            run.applied.clear()
            shutil.copyfile(src, out)
            size.update(outputBytes=in_bytes, keptInput=True, reason=reason)
            after = before
    saved = {key: before.get(key, 0) - after.get(key, 0) for key in _CATEGORIES}
    saved["total"] = in_bytes - size["outputBytes"]
    size["bytesSaved"] = saved
    return size


_CATEGORIES = ("images", "fonts", "content", "color", "metadata", "structure")


def byte_breakdown(path: Path) -> dict[str, int]:
    """Stored (compressed) bytes of ``path`` by category; ``structure`` is everything else in the file."""
    totals = dict.fromkeys(_CATEGORIES, 0)
    try:
        pdf = pikepdf.open(path)
    except Exception:
        totals["structure"] = path.stat().st_size
        return totals
    with pdf:
        fonts_, contents, colors = set(), set(), set()
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                continue
            if obj.get("/Type") == pikepdf.Name.FontDescriptor:
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in obj and obj[key].is_indirect:
                        fonts_.add(obj[key].objgen)
            if obj.get("/DestOutputProfile") is not None and obj.DestOutputProfile.is_indirect:
                colors.add(obj.DestOutputProfile.objgen)
        for page in pdf.pages:
            found = page.obj.get("/Contents")
            for item in (found if isinstance(found, pikepdf.Array) else [found] if found is not None else []):
                if item.is_indirect:
                    contents.add(item.objgen)
        streams = 0
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            length = len(obj.read_raw_bytes())
            streams += length
            subtype = obj.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                key = "images"
            elif obj.objgen in fonts_:
                key = "fonts"
            elif obj.objgen in contents or subtype == pikepdf.Name.Form:
                key = "content"
            elif obj.objgen in colors or ("/N" in obj and "/Alternate" in obj):
                key = "color"
            elif obj.get("/Type") == pikepdf.Name.Metadata:
                key = "metadata"
            else:
                key = "structure"
            totals[key] += length
    totals["structure"] += max(0, path.stat().st_size - streams)
    return totals


def _enabled(value: Any) -> bool:
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def _dispatch(run: _Run, key: str, value: Any) -> None:
    doc = run.doc
    if key == "strip":
        if not isinstance(value, dict):
            run.skipped.append({"name": "strip", "reason": "strip must be an object of booleans"})
            return
        for name, flag in value.items():
            if name not in _STRIP_KEYS:
                run.skipped.append({"name": f"strip.{name}", "reason": "unknown strip option"})
            elif flag:
                run.step(f"strip.{name}", functools.partial(_strip, doc, name))
    elif key == "flattenLayers":
        if value:
            run.step(key, lambda: structure.remove_layers(doc, FixRequest("remove_layers")))
    elif key == "boundingBoxes":
        run.step(key, lambda: _bounding_boxes(doc, value))
    elif key == "pageResize":
        run.step(key, lambda: _page_resize(doc, value))
    elif key == "hairlines":
        run.step(key, lambda: thicken_hairlines(doc, FixRequest("thicken_hairlines", _require(value, "minWidth"))))
    elif key == "scaleImages":
        run.step(key, lambda: _scale_images(doc, value))
    elif key == "compression":
        _compression(run, value)
    elif key == "grayTo1Bit":
        if _enabled(value):
            run.step(key, lambda: _gray_to_1bit(doc, bool(value.get("useOtsuFilter"))))
    elif key == "colorConversion":
        _color_conversion(run, value, run.intent)
    elif key == "textToOutlines":
        if _enabled(value):
            run.step(key, lambda: _outlines(doc, bool(value.get("nonEmbeddedOnly"))))
    elif key == "snapRichBlack":
        if _enabled(value):
            run.step(key, lambda: _snap(doc, float(value.get("threshold", 0.85))))
    elif key == "outputIntent":
        run.step(key, lambda: _output_intent(doc, value))


def _require(value: Any, name: str) -> dict:
    if not isinstance(value, dict) or name not in value:
        raise ValueError(f"{name} is required")
    return dict(value)


def _requested_intent(params: dict) -> icc.Profile | None:
    """The CMYK target named by ``outputIntent`` (colour conversion converts into it)."""
    value = params.get("outputIntent")
    if not isinstance(value, dict) or not value.get("profile"):
        return None
    try:
        profile = icc.resolve(str(value["profile"]))
    except icc.UnknownProfile:
        return None
    return profile if profile.components == 4 else None


# --- strip ------------------------------------------------------------------------------------

def _strip(doc: WorkDoc, name: str) -> None:
    pdf = doc.pdf
    if name == "javascript":
        structure.remove_javascript(doc, FixRequest("remove_javascript"))
    elif name == "attachments":
        structure.remove_attachments(doc, FixRequest("remove_attachments"))
    elif name == "annotations":
        structure.remove_annotations(doc, FixRequest("remove_annotations"))
    elif name == "formFields":
        removed = 0
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if annots is not None:
                kept = [a for a in annots if a.get("/Subtype") != pikepdf.Name.Widget]
                removed += len(annots) - len(kept)
                page.obj.Annots = pikepdf.Array(kept)
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
            removed += 1
        if not removed:
            raise FixSkipped("no form fields")
    elif name == "bookmarks":
        if "/Outlines" not in pdf.Root:
            raise FixSkipped("no bookmarks")
        del pdf.Root["/Outlines"]
        if pdf.Root.get("/PageMode") == pikepdf.Name.UseOutlines:
            pdf.Root.PageMode = pikepdf.Name.UseNone
    elif name == "thumbnails":
        if not any("/Thumb" in p.obj for p in pdf.pages):
            raise FixSkipped("no page thumbnails")
        for page in pdf.pages:
            if "/Thumb" in page.obj:
                del page.obj["/Thumb"]
    elif name == "privateData":
        found = 0
        for obj in [pdf.Root, *[p.obj for p in pdf.pages], *pdf.objects]:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) and "/PieceInfo" in obj:
                del obj["/PieceInfo"]
                found += 1
        if not found:
            raise FixSkipped("no application private data (PieceInfo)")
    elif name == "alternateImages":
        found = 0
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and "/Alternates" in obj:
                del obj["/Alternates"]
                found += 1
        if not found:
            raise FixSkipped("no alternate images")
    elif name in ("invisiblePaths", "headerFooter", "batesNumbers"):
        count = _rewrite_all_content(pdf, functools.partial(_strip_ops, name))
        if not count:
            raise FixSkipped({"invisiblePaths": "no invisible paths",
                              "headerFooter": "no Acrobat headers or footers",
                              "batesNumbers": "no Bates numbers"}[name])
    else:
        raise FixSkipped(f"strip.{name} is not supported by printgate yet")
    doc.dirty = True


_PATH_OPS = {"m", "l", "c", "v", "y", "h", "re"}


def _artifact_kind(operands: Any, resources: Any) -> str | None:
    """``header``/``footer``/``bates`` for Acrobat pagination artifacts (``/Artifact <<...>> BDC``)."""
    if len(operands) != 2 or operands[0] != pikepdf.Name.Artifact:
        return None
    props = operands[1]
    if isinstance(props, pikepdf.Name) and resources is not None:
        props = resources.get("/Properties", {}).get(str(props))
    if not isinstance(props, pikepdf.Dictionary):
        return None
    subtype = str(props.get("/Subtype", ""))
    return {"/Header": "header", "/Footer": "footer", "/BatesN": "bates"}.get(subtype)


def _strip_ops(what: str, ops: list[tuple[Any, Any]], resources: Any) -> tuple[list[tuple[Any, Any]], int]:
    out: list[tuple[Any, Any]] = []
    removed = 0
    if what == "invisiblePaths":
        pending: list[tuple[Any, Any]] = []
        for operands, operator in ops:
            op = str(operator)
            if op in _PATH_OPS or op in ("W", "W*"):
                pending.append((operands, operator))
                continue
            if op == "n" and pending and not any(str(o) in ("W", "W*") for _, o in pending):
                pending = []  # a path that is neither painted nor used as a clip
                removed += 1
                continue
            out.extend(pending)
            pending = []
            out.append((operands, operator))
        out.extend(pending)
        return out, removed
    wanted = {"headerFooter": {"header", "footer"}, "batesNumbers": {"bates"}}[what]
    depth = 0  # > 0 while inside a stripped artifact (counting nested marked content)
    for operands, operator in ops:
        op = str(operator)
        if depth:
            depth += 1 if op in ("BDC", "BMC") else -1 if op == "EMC" else 0
            continue
        if op == "BDC" and _artifact_kind(operands, resources) in wanted:
            depth = 1
            removed += 1
            continue
        out.append((operands, operator))
    return out, removed


def _rewrite_all_content(pdf: pikepdf.Pdf, fn: Callable[[list[tuple[Any, Any]], Any], tuple[list, int]]) -> int:
    from printgate.core.fixes._content import instructions, unparse

    total = 0
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        new_ops, removed = fn(instructions(page), resources)
        if removed:
            page.obj.Contents = pikepdf.Stream(pdf, unparse(new_ops))
            total += removed
        xobjects: Any = resources.get("/XObject", {}) if resources is not None else {}
        for xo in xobjects.values():
            if xo.get("/Subtype") == pikepdf.Name.Form:
                new_ops, removed = fn(instructions(xo), xo.get("/Resources", resources))
                if removed:
                    xo.write(unparse(new_ops))
                    total += removed
    return total


# --- geometry ---------------------------------------------------------------------------------

_BOX_KEYS = {"media": "/MediaBox", "crop": "/CropBox", "bleed": "/BleedBox", "trim": "/TrimBox", "art": "/ArtBox"}


def _bounding_boxes(doc: WorkDoc, entries: Any) -> None:
    if not isinstance(entries, list) or not 1 <= len(entries) <= 5000:
        raise ValueError("boundingBoxes must be a list of 1-5000 entries")
    pdf = doc.pdf
    for entry in entries:
        name = _BOX_KEYS[str(entry["box"]).lower()]
        pages = [int(entry["page"]) - 1] if entry.get("page") else range(len(pdf.pages))
        for index in pages:
            if not 0 <= index < len(pdf.pages):
                raise ValueError(f"page {index + 1} does not exist")
            page = pdf.pages[index]
            if "source" in entry:
                source = _BOX_KEYS[str(entry["source"]).lower()]
                base = P.box(page, source)
                if base is None:
                    raise FixSkipped(f"page {index + 1} has no {entry['source']} box to start from")
                d = float(entry.get("expand", 0))
                rect = (base[0] - d, base[1] - d, base[2] + d, base[3] + d)
            else:
                rect = P.norm((entry["leftX"], entry["leftY"], entry["rightX"], entry["rightY"]))
            w, h = rect[2] - rect[0], rect[3] - rect[1]
            if name != "/MediaBox" and (w < 1 or h < 1):
                if name in page.obj:
                    del page.obj[name]
                continue
            if not (3 <= w <= 14400 and 3 <= h <= 14400):
                raise ValueError(f"{entry['box']} box {w:.1f} x {h:.1f} pt is outside 3-14400 pt")
            P.set_box(page, name, rect)
    doc.dirty = True


def _page_resize(doc: WorkDoc, value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError("pageResize must be an object")
    pdf = doc.pdf
    first = P.box(pdf.pages[0], "/CropBox") or P.box(pdf.pages[0], "/MediaBox")
    assert first is not None
    w0, h0 = first[2] - first[0], first[3] - first[1]
    mode = value.get("mode", "scale")
    if "scaleX" in value or "scaleY" in value:
        sx = float(value.get("scaleX") or value.get("scaleY") or 1)
        sy = float(value.get("scaleY") or sx)
    else:
        if "format" in value:
            tw, th = _FORMATS[str(value["format"]).upper()]
            landscape = value.get("orientation") == "landscape" or (value.get("orientation") is None and w0 > h0)
            if landscape:
                tw, th = th, tw
        else:
            tw, th = float(value["width"]), float(value["height"])
        sx, sy = tw / w0, th / h0
    if mode == "scale":
        sx = sy = min(sx, sy)
    if sx <= 0 or sy <= 0:
        raise ValueError("scale must be positive")
    for page in pdf.pages:
        media = P.box(page, "/MediaBox")
        assert media is not None
        m = (sx, 0.0, 0.0, sy, -media[0] * sx, -media[1] * sy)
        page.contents_add(pikepdf.Stream(pdf, f"q {sx:.6f} 0 0 {sy:.6f} {m[4]:.4f} {m[5]:.4f} cm\n".encode()), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, b"\nQ\n"))
        for name in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
            rect = P.box(page, name)
            if rect is not None and (name in page.obj or name == "/MediaBox"):
                P.set_box(page, name, (rect[0] * sx + m[4], rect[1] * sy + m[5], rect[2] * sx + m[4], rect[3] * sy + m[5]))
        for annot in page.obj.get("/Annots", []):
            if "/Rect" in annot:
                r = P.norm(annot.Rect)
                annot.Rect = pikepdf.Array([r[0] * sx + m[4], r[1] * sy + m[5], r[2] * sx + m[4], r[3] * sy + m[5]])
    doc.dirty = True


# --- images -----------------------------------------------------------------------------------

def _image_class(image: pikepdf.Stream) -> str:
    if image.get("/ImageMask") or int(image.get("/BitsPerComponent", 8)) == 1:
        return "bw"
    mode = images._pil_mode(image)
    return "gray" if mode == "L" else "color"


def _scale_images(doc: WorkDoc, value: Any) -> None:
    target = _require(value, "targetRes")["targetRes"]
    min_res = value.get("minRes") or {}
    skip_masked = bool(value.get("skipMasked"))
    pdf = doc.pdf
    from printgate.core.fixes._content import image_placements

    uses: dict[tuple[int, int], list] = {}
    for placement in image_placements(pdf, list(range(len(pdf.pages)))):
        uses.setdefault(placement.image.objgen, []).append(placement)
    done, unsupported, grew = 0, 0, 0
    for placements in uses.values():
        image = placements[0].image
        kind = _image_class(image)
        if kind not in target:
            continue
        if skip_masked and ("/SMask" in image or "/Mask" in image):
            continue
        t = float(target[kind])
        threshold = float(min_res.get(kind, t + 1))
        w, h = int(image.Width), int(image.Height)
        dpi_x = min(w / max(p.size_in[0], 1e-6) for p in placements)
        dpi_y = min(h / max(p.size_in[1], 1e-6) for p in placements)
        if min(dpi_x, dpi_y) < threshold:
            continue
        nw, nh = max(1, min(w, round(w * t / dpi_x))), max(1, min(h, round(h * t / dpi_y)))
        if (nw, nh) == (w, h):
            continue
        saved = _snapshot(image)
        if not images.resample_image(pdf, image, nw, nh):
            unsupported += 1
        elif len(image.read_raw_bytes()) > len(saved[0]):
            _restore(image, saved)  # fewer pixels stored bigger (a tight JPEG re-encoded): keep the original
            grew += 1
        else:
            done += 1
    if not done:
        raise FixSkipped("no image above the minimum resolution could be resampled"
                         + (f" ({unsupported} unsupported: 1-bit, indexed or special colour spaces)" if unsupported else "")
                         + (f" ({grew} kept: resampled they were bigger)" if grew else ""))
    doc.dirty = True


_IMAGE_KEYS = ("/Filter", "/DecodeParms", "/Decode", "/Width", "/Height", "/BitsPerComponent", "/ColorSpace")


def _snapshot(image: Any) -> tuple[bytes, dict[str, Any], tuple[bytes, dict[str, Any], None] | None]:
    smask = image.get("/SMask")
    keys = {k: image[k] for k in _IMAGE_KEYS if k in image}
    inner = (bytes(smask.read_raw_bytes()), {k: smask[k] for k in _IMAGE_KEYS if k in smask}, None) \
        if isinstance(smask, pikepdf.Stream) else None
    return bytes(image.read_raw_bytes()), keys, inner


def _restore(image: Any, saved: tuple[bytes, dict[str, Any], Any]) -> None:
    raw, keys, smask = saved
    image.write(raw, filter=keys.get("/Filter"), decode_parms=keys.get("/DecodeParms"))
    for key in _IMAGE_KEYS:
        if key in keys:
            image[key] = keys[key]
        elif key in image:
            del image[key]
    if smask is not None and image.get("/SMask") is not None:
        _restore(image.SMask, smask)


def _compression(run: _Run, value: Any) -> None:
    if not isinstance(value, dict):
        run.skipped.append({"name": "compression", "reason": "compression must be an object"})
        return
    doc = run.doc
    for key in value:
        if key not in ("colorFilter", "grayFilter", "jpegQuality", "bwFilter", "jpeg2000Quality",
                       "use1BitJBIG2", "recompressJBIG2"):
            run.skipped.append({"name": f"compression.{key}", "reason": "unknown compression option"})
    for key in ("bwFilter", "jpeg2000Quality", "use1BitJBIG2", "recompressJBIG2"):
        if key in value and not (key == "bwFilter" and value[key] == "flate") and value[key] is not False:
            run.skipped.append({"name": f"compression.{key}", "reason": "only Flate and JPEG encoders are available"})
    quality = int(value.get("jpegQuality", 85))
    for key, mode in (("colorFilter", ("RGB", "CMYK")), ("grayFilter", ("L",))):
        filt = value.get(key)
        if filt is None:
            continue
        if filt not in ("jpeg", "flate"):
            run.skipped.append({"name": f"compression.{key}", "reason": f"{filt} encoding is not available; use jpeg or flate"})
            continue
        run.step(f"compression.{key}", functools.partial(_recompress, doc, filt, mode, quality))
    if "jpegQuality" in value and not any(value.get(k) == "jpeg" for k in ("colorFilter", "grayFilter")):
        run.step("compression.jpegQuality", lambda: _recompress(doc, "jpeg-existing", ("RGB", "L"), quality))


def _recompress(doc: WorkDoc, filt: str, modes: tuple[str, ...], quality: int) -> None:
    pdf = doc.pdf
    count = 0
    for obj in list(pdf.objects):
        if not (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image):
            continue
        mode = images._pil_mode(obj)
        if mode not in modes or "/Decode" in obj:
            continue
        is_jpeg = obj.get("/Filter") == pikepdf.Name.DCTDecode
        if filt == "jpeg-existing" and not is_jpeg:
            continue
        try:
            img = images._decode(obj, mode)
        except Exception:
            continue
        if filt in ("jpeg", "jpeg-existing") and mode in ("RGB", "L"):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality, optimize=True)
            data, f = buf.getvalue(), pikepdf.Name.DCTDecode
        else:
            data, f = zlib.compress(img.tobytes(), 9), pikepdf.Name.FlateDecode
        if len(data) >= len(obj.read_raw_bytes()) and filt != "flate":
            continue
        obj.write(data, filter=f)
        if "/DecodeParms" in obj:
            del obj["/DecodeParms"]
        count += 1
    if not count:
        raise FixSkipped("no images to re-encode")
    doc.dirty = True


def _gray_to_1bit(doc: WorkDoc, otsu: bool) -> None:
    pdf = doc.pdf
    count = 0
    for obj in list(pdf.objects):
        if not (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image):
            continue
        if images._pil_mode(obj) != "L" or "/Decode" in obj or "/SMask" in obj:
            continue
        img = images._decode(obj, "L")
        threshold = _otsu(img) if otsu else 128
        bw = img.point(lambda v, t=threshold: 255 if v >= t else 0).convert("1")
        obj.write(zlib.compress(bw.tobytes(), 9), filter=pikepdf.Name.FlateDecode)
        obj.BitsPerComponent = 1
        obj.ColorSpace = pikepdf.Name.DeviceGray
        if "/DecodeParms" in obj:
            del obj["/DecodeParms"]
        count += 1
    if not count:
        raise FixSkipped("no 8-bit grayscale images")
    doc.dirty = True


def _otsu(img: Image.Image) -> int:
    hist = img.histogram()[:256]
    total = sum(hist)
    sum_all = sum(i * h for i, h in enumerate(hist))
    best, best_t, w_b, sum_b = 0.0, 128, 0, 0.0
    for t in range(256):
        w_b += hist[t]
        if w_b == 0:
            continue
        w_f = total - w_b
        if w_f == 0:
            break
        sum_b += t * hist[t]
        m_b, m_f = sum_b / w_b, (sum_all - sum_b) / w_f
        between = w_b * w_f * (m_b - m_f) ** 2
        if between > best:
            best, best_t = between, t + 1
    return best_t


# --- colour and text --------------------------------------------------------------------------

def _color_conversion(run: _Run, value: Any, requested: icc.Profile | None) -> None:
    if not isinstance(value, dict) or value.get("target") not in ("gray", "rgb", "cmyk"):
        run.skipped.append({"name": "colorConversion", "reason": "target must be gray, rgb or cmyk"})
        return
    for key in ("excludeColorSpaces", "excludeMode", "preserve"):
        if value.get(key):
            run.skipped.append({"name": f"colorConversion.{key}", "reason": "selective conversion is not supported; "
                                "separation/DeviceN colours are always preserved, everything else is converted"})
    if value.get("convertSpecialSpaces") is True and "convertSpecialSpaces" in value:
        run.skipped.append({"name": "colorConversion.convertSpecialSpaces",
                            "reason": "spot colours are kept as separations (use the spot_to_process fix)"})
    if value.get("onOverprint") in ("skip", "convert"):
        run.skipped.append({"name": "colorConversion.onOverprint", "reason": "overprint is always kept as is"})
    target = value["target"]
    doc = run.doc

    def convert() -> None:
        own = color.intent_profile(doc) if target == "cmyk" and requested is None else None
        profile = (requested or own or icc.resolve(icc.DEFAULT_CMYK)) if target == "cmyk" else None
        color.convert_colors(doc, target, profile)
        if profile is not None and own is None:
            color.add_output_intent(doc.pdf, profile)
            doc.dirty = True

    run.step("colorConversion", convert)


def _outlines(doc: WorkDoc, non_embedded_only: bool) -> None:
    if non_embedded_only:
        used = fonts.fonts_in(doc.pdf)
        if not any(not f.embedded for f in used):
            raise FixSkipped("every font is embedded: nothing to outline")
        if any(f.embedded for f in used):
            raise FixSkipped("outlining only the non-embedded fonts is not supported; embedded text would be outlined too")
    fonts.outline_text(doc, FixRequest("outline_text"))


def _snap(doc: WorkDoc, threshold: float) -> None:
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must be between 0 and 1")
    color.snap_rich_black(doc, FixRequest("snap_rich_black", {"threshold": threshold, "mode": "cmy"}))


def _output_intent(doc: WorkDoc, value: Any) -> None:
    value = _require(value, "profile")
    try:
        profile = icc.resolve(str(value["profile"]))
    except icc.UnknownProfile as exc:
        raise FixSkipped(str(exc)) from exc
    color.add_output_intent(doc.pdf, profile, str(value.get("registry", "http://www.color.org")))
    doc.dirty = True


__all__ = ["FixResult", "optimize_pdf"]
