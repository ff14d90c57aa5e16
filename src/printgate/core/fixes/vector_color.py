"""RGB fill and stroke colours to CMYK through the chosen ICC profile, before Ghostscript sees the file.

Ghostscript's pdfwrite converts vector colours with its built-in default CMYK profile whatever
``-sOutputICCProfile`` names: FOGRA39, GRACoL and SWOP gave the same numbers, and the bleed strips
and photos (images, converted through LittleCMS with the chosen profile) came out a different blue
from the vector artwork beside them. Here the colour operators of pages, form XObjects, tiling
patterns and annotation appearances are converted with the same transform the images get, so one
file has one conversion. Shadings and inline images are left to Ghostscript.
"""

from __future__ import annotations

import io
from typing import Any

import pikepdf
from PIL import Image, ImageCms

from printgate.core.fixes import icc
from printgate.core.fixes._content import instructions, unparse
from printgate.core.fixes._tokens import content_bytes, operator_hint
from printgate.core.fixes.workdoc import WorkDoc

_MAX_DEPTH = 12
_FILL_OPS = {"sc", "scn"}
_STROKE_OPS = {"SC", "SCN"}
_HINT = operator_hint("rg", "RG", "sc", "scn", "SC", "SCN", "Do")  # without any of these: nothing to convert


class RgbToCmyk:
    """LittleCMS transforms from RGB (sRGB or an embedded ICC profile) into one CMYK profile.

    Relative colorimetric with black point compensation, for images and vector colours alike.
    """

    def __init__(self, target: icc.Profile) -> None:
        self._target = ImageCms.ImageCmsProfile(str(target.path))
        self._transforms: dict[bytes, Any] = {}
        self._colours: dict[tuple[bytes, tuple[int, ...]], list[float]] = {}

    def transform(self, source_icc: bytes = b"") -> Any:
        if source_icc not in self._transforms:
            source = (ImageCms.ImageCmsProfile(io.BytesIO(source_icc)) if source_icc
                      else ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))
            self._transforms[source_icc] = ImageCms.buildTransform(
                source, self._target, "RGB", "CMYK", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
            )
        return self._transforms[source_icc]

    def image(self, image: Image.Image, source_icc: bytes = b"") -> Image.Image | None:
        return ImageCms.applyTransform(image, self.transform(source_icc))

    def colour(self, rgb: list[float], source_icc: bytes = b"") -> list[float]:
        key = (source_icc, tuple(round(min(max(v, 0.0), 1.0) * 255) for v in rgb[:3]))
        if key not in self._colours:
            pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), key[1]), self.transform(source_icc))
            assert pixel is not None  # applyTransform returns None only when converting in place
            self._colours[key] = [round(v / 255, 4) for v in pixel.getpixel((0, 0))]  # type: ignore[union-attr]
        return self._colours[key]


def _rgb_space(space: Any, spaces: Any) -> bytes | None:
    """The source profile of an RGB colour space (b"" for sRGB), None for any other space."""
    if isinstance(space, pikepdf.Name) and str(space) not in ("/DeviceRGB", "/CalRGB"):
        space = spaces.get(str(space)) if spaces is not None else None
    if isinstance(space, pikepdf.Name):
        return b"" if str(space) in ("/DeviceRGB", "/CalRGB") else None
    if isinstance(space, pikepdf.Array) and len(space) >= 1:
        family = str(space[0])
        if family == "/CalRGB":
            return b""
        if family == "/ICCBased" and len(space) == 2 and int(space[1].get("/N", 0)) == 3:
            try:
                return bytes(space[1].read_bytes())
            except pikepdf.PdfError:
                return b""
    return None


def _stream_bytes(container: Any) -> bytes:
    try:
        return content_bytes(container)
    except pikepdf.PdfError:
        return b""


def _numbers(operands: Any) -> list[float] | None:
    try:
        return [float(v) for v in operands]
    except (TypeError, ValueError):
        return None  # a pattern name among them


def convert_rgb_vectors(doc: WorkDoc, converter: RgbToCmyk) -> int:
    """Rewrite RGB colour operators as ``k``/``K`` in the converter's profile; returns how many were converted."""
    pdf = doc.pdf
    count = 0
    seen: set[tuple[int, int]] = set()

    def walk(container: Any, resources: Any, depth: int) -> bytes | None:
        """The rewritten content of ``container``, None when nothing in it changed."""
        nonlocal count
        raw = _stream_bytes(container) if depth <= _MAX_DEPTH else b""
        if not _HINT.search(raw):
            return None
        resources = resources if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
        spaces = resources.get("/ColorSpace")
        xobjects = resources.get("/XObject") or pikepdf.Dictionary()
        walk_patterns(resources, depth)
        fill: bytes | None = None  # the source profile while the fill space is RGB
        stroke: bytes | None = None
        stack: list[tuple[bytes | None, bytes | None]] = []
        out: list[tuple[Any, Any]] = []
        changed = False
        for operands, operator in instructions(container):
            op = str(operator)
            if op == "q":
                stack.append((fill, stroke))
            elif op == "Q" and stack:
                fill, stroke = stack.pop()
            elif op in ("cs", "CS") and operands:
                space = _rgb_space(operands[0], spaces)
                if op == "cs":
                    fill = space
                else:
                    stroke = space
            elif op in ("rg", "RG") and len(operands) == 3:
                cmyk = converter.colour([float(v) for v in operands])
                out.append((cmyk, pikepdf.Operator("k" if op == "rg" else "K")))
                count += 1
                changed = True
                fill, stroke = (None, stroke) if op == "rg" else (fill, None)
                continue
            elif op in _FILL_OPS | _STROKE_OPS:
                source = fill if op in _FILL_OPS else stroke
                values = _numbers(operands)
                if source is not None and values is not None and len(values) == 3:
                    cmyk = converter.colour(values, source)
                    out.append((cmyk, pikepdf.Operator("k" if op in _FILL_OPS else "K")))
                    count += 1
                    changed = True
                    continue
            elif op in ("g", "k"):
                fill = None
            elif op in ("G", "K"):
                stroke = None
            elif op == "Do" and operands:
                xo = xobjects.get(str(operands[0]))
                if isinstance(xo, pikepdf.Stream) and xo.get("/Subtype") == pikepdf.Name.Form:
                    walk_form(xo, resources, depth)
            out.append((operands, operator))
        return unparse(out) if changed else None

    def walk_form(form: pikepdf.Stream, inherited: Any, depth: int) -> None:
        if form.objgen in seen:
            return
        seen.add(form.objgen)
        data = walk(form, form.get("/Resources", inherited), depth + 1)
        if data is not None:
            form.write(data)

    def walk_patterns(resources: pikepdf.Dictionary, depth: int) -> None:
        for pattern in (resources.get("/Pattern") or pikepdf.Dictionary()).values():
            if isinstance(pattern, pikepdf.Stream) and int(pattern.get("/PatternType", 0)) == 1:
                walk_form(pattern, resources, depth)

    for page in pdf.pages:
        data = walk(page, page.obj.get("/Resources"), 0)
        if data is not None:
            page.obj.Contents = pdf.make_stream(data)
        for annot in page.obj.get("/Annots") or []:
            appearance = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            normal = appearance.get("/N") if isinstance(appearance, pikepdf.Dictionary) else None
            forms = [normal] if isinstance(normal, pikepdf.Stream) else \
                list(normal.values()) if isinstance(normal, pikepdf.Dictionary) else []
            for form in forms:
                if isinstance(form, pikepdf.Stream):
                    walk_form(form, pikepdf.Dictionary(), 0)
    if count:
        doc.dirty = True
    return count
