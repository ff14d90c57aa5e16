"""``params.raster``: Filecheck's raster pipeline in its fixed order.

removeBg -> upscale -> crop -> grayscale -> colorspace -> flatten -> resize -> embedIcc -> convert
(``bitDepth`` is informational). Every key given is either applied, or returned in ``skipped`` with
the reason; ``{}`` is a no-op transcode of the source format. Pixels are processed with Pillow and
colour with LittleCMS through the project's ICC profiles (``printgate.core.fixes.raster``).
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from printgate.core.fixes import icc
from printgate.core.fixes import raster as R
from printgate.core.fixes.registry import FixRequest, FixSkipped

ORDER = ("removeBg", "upscale", "crop", "grayscale", "colorspace", "flatten", "resize", "embedIcc", "convert",
         "bitDepth")
FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "tiff": "TIFF", "tif": "TIFF", "webp": "WEBP"}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp"}
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff", "WEBP": "image/webp"}


@dataclass
class RasterRun:
    path: Path
    format: str
    applied: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def mime_type(self) -> str:
        return MIME[self.format]


def run_raster(src: Path, dst_dir: Path, params: dict[str, Any] | None) -> RasterRun:
    """Apply ``params`` to the image ``src``; the output goes in ``dst_dir``."""
    params = dict(params or {})
    doc = R.RasterDoc(src)
    fmt = R._SAVE_FORMATS[doc.format]
    skipped: list[dict[str, str]] = []
    bad_format = False
    convert = params.get("convert")
    if convert is not None:
        wanted = str((convert or {}).get("format", "")).lower() if isinstance(convert, dict) else ""
        if wanted in FORMATS:
            fmt = FORMATS[wanted]
        else:
            skipped.append({"name": "convert", "reason": f"unknown format {wanted!r}: jpeg, png, tiff or webp"})
            bad_format = True
    doc.format = fmt  # later steps (CMYK into PNG?) judge against the output format
    run = RasterRun(path=dst_dir / f"raster{EXTENSIONS[fmt]}", format=fmt, skipped=skipped)
    for key in params:
        if key not in ORDER:
            run.skipped.append({"name": key, "reason": "unknown raster option"})
    for key in ORDER:
        if key not in params or (key == "convert" and bad_format):
            continue
        try:
            detail = _STEPS[key](doc, params[key] if params[key] is not None else {}, run)
        except FixSkipped as exc:
            run.skipped.append({"name": key, "reason": exc.reason})
        except (KeyError, TypeError, ValueError) as exc:
            run.skipped.append({"name": key, "reason": f"invalid parameters: {exc}"})
        else:
            if detail is None:
                continue
            run.applied.append(key)
            run.details[key] = detail
    if run.applied or not _same_format(src, fmt):
        _save(doc, run.path, src)
    else:  # nothing changed the pixels: the upload itself, byte for byte (a re-encode only loses)
        run.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, run.path)
        run.details["keptInput"] = "nothing changed the image: the input is kept byte for byte"
    run.details["output"] = {"format": fmt.lower(), "width": doc.image.width, "height": doc.image.height,
                             "mode": doc.image.mode}
    return run


def _enabled(value: Any) -> bool:
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def _remove_bg(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    if not _enabled(value):
        return None
    from printgate.core.processing import removebg

    missing = removebg.model_status()
    if missing:
        raise FixSkipped(missing)
    if run.format in ("JPEG",):
        raise FixSkipped("JPEG cannot hold transparency: convert to png, webp or tiff to remove the background")
    image = doc.image
    if image.mode == "CMYK":
        R._convert(doc, icc.resolve("srgb"), "RGB")
        image = doc.image
    try:
        doc.set(removebg.remove_background(image), icc_profile=True)
    except removebg.ModelUnavailable as exc:
        raise FixSkipped(str(exc)) from exc
    return {"engine": "isnet (ONNX Runtime)", "mode": "RGBA"}


def _dpi(doc: R.RasterDoc) -> tuple[float, float] | None:
    dpi = doc.info.get("dpi")
    try:
        return (float(dpi[0]), float(dpi[1])) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None


def _upscale(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    from printgate.core.processing import upscale

    value = dict(value or {})
    engine = str(value.pop("engine", "classical"))
    try:
        plan = upscale.plan(value, doc.image.size, _dpi(doc))
    except upscale.UpscaleSkipped as exc:
        run.details["upscale"] = {"reason": exc.reason}
        raise FixSkipped(exc.reason) from exc
    before = doc.image.size
    image, ran, fallback = upscale.enlarge_with(doc.image, plan.scale, engine)
    doc.set(image)
    dpi = _dpi(doc)
    if plan.target_dpi:
        doc.info["dpi"] = (plan.target_dpi, plan.target_dpi) if not plan.capped or not dpi else (
            dpi[0] * plan.scale, dpi[1] * plan.scale)
    elif dpi:
        doc.info["dpi"] = (dpi[0] * plan.scale, dpi[1] * plan.scale)
    return {"engine": ran, "scale": round(plan.scale, 4), "basis": plan.basis, "capped": plan.capped,
            "from": list(before), "to": list(doc.image.size), "minDpi": plan.target_dpi,
            **({"engineFallback": fallback} if fallback else {})}


def _crop(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    return R.pad_crop_aspect(doc, FixRequest("pad_crop_aspect", dict(value)))


def _grayscale(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    if not _enabled(value):
        return None
    if doc.image.mode in ("L", "LA"):
        raise FixSkipped("the image is already grayscale")
    alpha = doc.image.getchannel("A") if doc.image.mode == "RGBA" else None
    if alpha is not None:
        doc.image = doc.image.convert("RGB")
    R._convert(doc, icc.resolve("gray"), "L")
    if alpha is not None:
        gray = doc.image.convert("LA")
        gray.putalpha(alpha)
        doc.set(gray, icc_profile=True)
    return "converted to grayscale (Gray gamma 2.2)"


def _colorspace(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    value = dict(value)
    return R.convert_colorspace(doc, FixRequest("convert_colorspace", {"target": value["target"],
                                                                       "iccAlias": value.get("iccAlias")}))


def _flatten(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    return R.flatten_alpha(doc, FixRequest("flatten_alpha", {"background": dict(value).get("background", "#FFFFFF")}))


def _resize(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    value = dict(value)
    w, h = doc.image.size
    fit = value.get("fit", "inside")
    max_w, max_h = value.get("maxWidth"), value.get("maxHeight")
    min_w, min_h = value.get("minWidth"), value.get("minHeight")
    if fit not in ("inside", "outside", "cover", "contain", "fill"):
        raise ValueError(f"unknown fit {fit!r}")
    new: tuple[int, int] | None = None
    if max_w or max_h:
        tw, th = int(max_w or max_h * w / h), int(max_h or max_w * h / w)
        if fit == "fill":
            new = (tw, th) if (tw, th) != (w, h) else None
        elif fit in ("cover", "outside"):
            s = max(tw / w, th / h)
            new = (math.ceil(w * s), math.ceil(h * s)) if s < 1 else None
        else:  # inside, contain
            s = min(tw / w, th / h)
            new = (max(1, math.floor(w * s)), max(1, math.floor(h * s))) if s < 1 else None
    if new is None and (min_w or min_h):
        s = max((min_w or 0) / w, (min_h or 0) / h)
        if s > 1:
            new = (math.ceil(w * s), math.ceil(h * s))
    if new is None:
        raise FixSkipped(f"the image ({w} x {h} px) is already within the requested size")
    from printgate.core.processing.upscale import MAX_OUTPUT_PIXELS

    if new[0] * new[1] > MAX_OUTPUT_PIXELS:
        raise FixSkipped(f"{new[0]} x {new[1]} px is over the {MAX_OUTPUT_PIXELS // 10**6} megapixel limit")
    image = doc.image.resize(new, Image.Resampling.LANCZOS)
    if fit == "cover" and (max_w and max_h):
        left, top = (new[0] - int(max_w)) // 2, (new[1] - int(max_h)) // 2
        image = image.crop((left, top, left + int(max_w), top + int(max_h)))
    doc.set(image)
    dpi = _dpi(doc)
    if dpi:
        doc.info["dpi"] = (dpi[0] * image.width / w, dpi[1] * image.height / h)
    return f"resized from {w} x {h} to {image.width} x {image.height} px ({fit})"


def _embed_icc(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    return R.embed_icc(doc, FixRequest("embed_icc", {"alias": dict(value)["alias"]}))


def _convert_format(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    if _same_format(doc.src, run.format):
        raise FixSkipped(f"the image is already {run.format.lower()}")
    return f"written as {run.format.lower()}"


def _bit_depth(doc: R.RasterDoc, value: Any, run: RasterRun) -> Any:
    wanted = int(dict(value)["min"])
    have = {"1": 1, "P": 8, "L": 8, "LA": 8, "RGB": 8, "RGBA": 8, "CMYK": 8, "I;16": 16}.get(doc.image.mode, 8)
    raise FixSkipped(f"informational: the output has {have} bits per channel (asked at least {wanted})"
                     + ("; 16-bit output is not produced" if wanted > have else ""))


_STEPS = {"removeBg": _remove_bg, "upscale": _upscale, "crop": _crop, "grayscale": _grayscale,
          "colorspace": _colorspace, "flatten": _flatten, "resize": _resize, "embedIcc": _embed_icc,
          "convert": _convert_format, "bitDepth": _bit_depth}


def _same_format(src: Path, fmt: str) -> bool:
    with Image.open(src) as original:
        return (original.format or "").upper().replace("MPO", "JPEG") == fmt


def _save(doc: R.RasterDoc, dst: Path, src: Path) -> None:
    """The source's own encoder settings when the format stays; sensible print ones when it changes."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fmt = doc.format
    image = doc.image
    same = _same_format(src, fmt)
    if same and (fmt != "JPEG" or image.mode in ("RGB", "L", "CMYK")):
        doc.save(dst)
        return
    if image.mode == "CMYK" and fmt in ("PNG", "WEBP"):
        R._convert(doc, icc.resolve("srgb"), "RGB")
        image = doc.image
    options: dict[str, Any] = {}
    dpi = _dpi(doc)
    if dpi:
        options["dpi"] = tuple(round(v, 3) for v in dpi)
    if doc.icc_profile:
        options["icc_profile"] = doc.icc_profile
    if fmt == "JPEG":
        if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
            image = R._flatten(image, (255, 255, 255))
        elif image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=92, subsampling=0, optimize=True)
    elif fmt == "TIFF":
        options["compression"] = "tiff_lzw"
    elif fmt == "WEBP":
        options.update(quality=95, method=4)
        if dpi:  # WebP has no resolution field of its own: EXIF's (as cameras and editors write it)
            exif = Image.Exif()
            exif[282], exif[283], exif[296] = dpi[0], dpi[1], 2
            options["exif"] = exif.tobytes()
    elif fmt == "PNG":
        options["optimize"] = False
        options["compress_level"] = 6
    image.save(dst, fmt, **options)
