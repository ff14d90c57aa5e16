"""``params.raster``: Filecheck's raster pipeline in its fixed order.

removeBg -> upscale -> crop -> grayscale -> colorspace -> flatten -> resize -> embedIcc -> convert
(``bitDepth`` is informational). Every key given is either applied, or returned in ``skipped`` with
the reason; ``{}`` is a no-op transcode of the source format. The image streams through libvips
(``streaming.VipsDoc``): crop, colour (LittleCMS with the project's ICC profiles), flatten, resize and
the encoder never hold it decoded whole; removeBg and upscale take it into memory (Pillow, numpy).
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from printgate.core.fixes import icc
from printgate.core.fixes.raster import _hex, aspect_crop_box
from printgate.core.fixes.registry import FixSkipped
from printgate.core.processing.streaming import VipsDoc, flatten

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
    doc = VipsDoc(src)
    fmt = doc.source_format
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
    if run.applied or doc.source_format != fmt:
        doc.save(run.path)
    else:  # nothing changed the pixels: the upload itself, byte for byte (a re-encode only loses)
        run.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, run.path)
        run.details["keptInput"] = "nothing changed the image: the input is kept byte for byte"
    run.details["output"] = {"format": fmt.lower(), "width": doc.size[0], "height": doc.size[1], "mode": doc.mode}
    return run


def _enabled(value: Any) -> bool:
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def _remove_bg(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    if not _enabled(value):
        return None
    from printgate.core.processing import removebg

    missing = removebg.model_status()
    if missing:
        raise FixSkipped(missing)
    if run.format in ("JPEG",):
        raise FixSkipped("JPEG cannot hold transparency: convert to png, webp or tiff to remove the background")
    if doc.mode.startswith("CMYK"):
        doc.convert(icc.resolve("srgb"), intent=0)
    try:
        doc.set_pil(removebg.remove_background(doc.to_pil("removeBg")))
    except removebg.ModelUnavailable as exc:
        raise FixSkipped(str(exc)) from exc
    return {"engine": "isnet (ONNX Runtime)", "mode": "RGBA"}


def _upscale(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    from printgate.core.processing import upscale

    value = dict(value or {})
    engine = str(value.pop("engine", "classical"))
    try:
        plan = upscale.plan(value, doc.size, doc.dpi)
    except upscale.UpscaleSkipped as exc:
        run.details["upscale"] = {"reason": exc.reason}
        raise FixSkipped(exc.reason) from exc
    before = doc.size
    image, ran, fallback = upscale.enlarge_with(doc.to_pil("upscale"), plan.scale, engine)
    doc.set_pil(image)
    dpi = doc.dpi
    if plan.target_dpi:
        doc.dpi = (plan.target_dpi, plan.target_dpi) if not plan.capped or not dpi else (
            dpi[0] * plan.scale, dpi[1] * plan.scale)
    elif dpi:
        doc.dpi = (dpi[0] * plan.scale, dpi[1] * plan.scale)
    return {"engine": ran, "scale": round(plan.scale, 4), "basis": plan.basis, "capped": plan.capped,
            "from": list(before), "to": list(doc.size), "minDpi": plan.target_dpi,
            **({"engineFallback": fallback} if fallback else {})}


def _crop(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    (left, top, right, bottom), best = aspect_crop_box(doc.size, dict(value))
    w, h = doc.size
    doc.set(doc.image.crop(left, top, right - left, bottom - top))
    return f"cropped from {w} x {h} to {right - left} x {bottom - top} px (ratio {best:.3f})"


def _grayscale(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    if not _enabled(value):
        return None
    if doc.mode in ("L", "LA"):
        raise FixSkipped("the image is already grayscale")
    doc.convert(icc.resolve("gray"), keep_alpha=doc.mode == "RGBA")
    return "converted to grayscale (Gray gamma 2.2)"


_MODE_FOR = {"cmyk": "CMYK", "gray": "L", "grayscale": "L", "rgb": "RGB"}


def _colorspace(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    value = dict(value)
    target = str(value["target"]).lower()
    mode = _MODE_FOR.get(target)
    if mode is None:
        raise FixSkipped(f"unknown colour target {target!r}")
    if doc.mode == mode:
        raise FixSkipped(f"the image is already {target}")
    if mode == "CMYK" and doc.format in ("PNG", "WEBP"):
        raise FixSkipped(f"{doc.format} cannot hold CMYK; upload a TIFF or JPEG for CMYK output")
    profile = _profile(value.get("iccAlias") or {"CMYK": "fogra39", "L": "gray", "RGB": "srgb"}[mode])
    doc.convert(profile)
    return f"converted the image to {target} ({profile.identifier})"


def _profile(alias: Any) -> icc.Profile:
    try:
        return icc.resolve(str(alias))
    except icc.UnknownProfile as exc:
        raise FixSkipped(str(exc)) from exc


def _flatten(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    if not doc.has_alpha:
        raise FixSkipped("the image has no transparency")
    background = str(dict(value).get("background", "#FFFFFF"))
    doc.set(flatten(doc.image, _hex(background)))
    return f"flattened transparency onto {background}"


def _resize(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    value = dict(value)
    w, h = doc.size
    fit = value.get("fit", "inside")
    max_w, max_h = value.get("maxWidth"), value.get("maxHeight")
    min_w, min_h = value.get("minWidth"), value.get("minHeight")
    if fit not in ("inside", "outside", "cover", "contain", "fill"):
        raise ValueError(f"unknown fit {fit!r}")
    new: tuple[int, int] | None = None
    if max_w or max_h:
        tw, th = int(max_w or max_h * w / h), int(max_h or max_w * h / w)
        # Only the bounds given constrain: a height derived from maxWidth, truncated, must not
        # take a pixel off the width asked for.
        scales = [int(t) / d for t, d in ((max_w, w), (max_h, h)) if t]
        if fit == "fill":
            new = (tw, th) if (tw, th) != (w, h) else None
        elif fit in ("cover", "outside"):
            s = max(scales)
            new = (math.ceil(w * s - 1e-9), math.ceil(h * s - 1e-9)) if s < 1 else None
        else:  # inside, contain
            s = min(scales)
            new = (max(1, math.floor(w * s + 1e-9)), max(1, math.floor(h * s + 1e-9))) if s < 1 else None
    if new is None and (min_w or min_h):
        s = max((min_w or 0) / w, (min_h or 0) / h)
        if s > 1:
            new = (math.ceil(w * s), math.ceil(h * s))
    if new is None:
        raise FixSkipped(f"the image ({w} x {h} px) is already within the requested size")
    from printgate.core.processing.upscale import MAX_OUTPUT_PIXELS

    if new[0] * new[1] > MAX_OUTPUT_PIXELS:
        raise FixSkipped(f"{new[0]} x {new[1]} px is over the {MAX_OUTPUT_PIXELS // 10**6} megapixel limit")
    image = doc.image.resize(new[0] / w, vscale=new[1] / h, kernel="lanczos3")
    if (image.width, image.height) != new:  # libvips rounds; the size asked is the size given
        image = image.embed(0, 0, new[0], new[1], extend="copy")
    if fit == "cover" and (max_w and max_h):
        left, top = (new[0] - int(max_w)) // 2, (new[1] - int(max_h)) // 2
        image = image.crop(left, top, int(max_w), int(max_h))
    doc.set(image)
    if doc.dpi:
        doc.dpi = (doc.dpi[0] * image.width / w, doc.dpi[1] * image.height / h)
    return f"resized from {w} x {h} to {image.width} x {image.height} px ({fit})"


def _embed_icc(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    profile = _profile(dict(value)["alias"])
    if doc.icc_profile == profile.data():
        raise FixSkipped(f"the image already carries {profile.identifier}")
    mode = {4: "CMYK", 3: "RGB", 1: "L"}[profile.components]
    if doc.mode.removesuffix("A") != mode:
        if mode == "CMYK" and doc.format in ("PNG", "WEBP"):
            raise FixSkipped(f"{profile.identifier} is a CMYK profile and {doc.format} cannot hold CMYK")
        doc.convert(profile)
        return f"converted the image into {profile.identifier} and embedded the profile"
    doc.set(doc.image, icc_profile=profile.data())
    return f"embedded {profile.identifier} (no pixel change)"


def _convert_format(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    if doc.source_format == run.format:
        raise FixSkipped(f"the image is already {run.format.lower()}")
    return f"written as {run.format.lower()}"


def _bit_depth(doc: VipsDoc, value: Any, run: RasterRun) -> Any:
    wanted = int(dict(value)["min"])
    have = 8  # the streaming reader gives 8 bits per channel (16-bit files are scaled down)
    raise FixSkipped(f"informational: the output has {have} bits per channel (asked at least {wanted})"
                     + ("; 16-bit output is not produced" if wanted > have else ""))


_STEPS = {"removeBg": _remove_bg, "upscale": _upscale, "crop": _crop, "grayscale": _grayscale,
          "colorspace": _colorspace, "flatten": _flatten, "resize": _resize, "embedIcc": _embed_icc,
          "convert": _convert_format, "bitDepth": _bit_depth}
