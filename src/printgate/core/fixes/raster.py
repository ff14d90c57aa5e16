"""Raster fixes (JPEG, PNG, TIFF, WebP uploads), registered with ``kind="raster"``.

Pixels are processed with Pillow and colour with LittleCMS (``PIL.ImageCms``) through the bundled
ICC profiles. Filecheck's AI steps are not imitated: upscaling here is classical Lanczos (said so in
the detail) and background removal is reported as unavailable.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import _jpeg, icc
from printgate.core.fixes.registry import FixRequest, FixSkipped, fix

_SAVE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WEBP"}
_MODE_FOR = {"cmyk": "CMYK", "gray": "L", "grayscale": "L", "rgb": "RGB"}


class RasterDoc:
    """The image being fixed, with the metadata (DPI, ICC) that must survive a save."""

    def __init__(self, src: Path) -> None:
        self.src = Path(src)
        try:
            with Image.open(self.src) as im:
                im.load()
                self.format = (im.format or "PNG").upper()
                self.image: Image.Image = im.copy()
                self.info: dict[str, Any] = {str(k): v for k, v in im.info.items()}
        except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's own limit (about 180 megapixels) keeps decompression bombs out.
            raise UnreadableFile(f"not a readable image: {exc}") from exc
        if self.format not in _SAVE_FORMATS:
            raise UnreadableFile(f"{self.format} images cannot be fixed; upload JPEG, PNG, TIFF or WebP")
        self.dirty = False

    @property
    def icc_profile(self) -> bytes | None:
        value = self.info.get("icc_profile")
        return value if isinstance(value, bytes) and value else None

    def set(self, image: Image.Image, *, icc_profile: bytes | bool | None = True) -> None:
        self.image = image
        if icc_profile is None:
            self.info.pop("icc_profile", None)
        elif isinstance(icc_profile, bytes):
            self.info["icc_profile"] = icc_profile
        self.dirty = True

    def save(self, dst: Path) -> None:
        fmt = _SAVE_FORMATS[self.format]
        image = self.image
        if fmt in ("PNG", "WEBP") and image.mode == "CMYK":
            raise FixSkipped(f"{fmt} cannot hold CMYK; upload a TIFF or JPEG for CMYK output")
        options: dict[str, Any] = {}
        if self.info.get("dpi"):
            options["dpi"] = tuple(round(float(v), 3) for v in self.info["dpi"])
        if self.icc_profile:
            options["icc_profile"] = self.icc_profile
        if fmt == "JPEG":
            if image.mode not in ("RGB", "L", "CMYK"):
                image = image.convert("RGB")
            # The upload's own quality and chroma subsampling: a fix must not triple the file.
            info = _jpeg.inspect(self.src.read_bytes())
            subsampling = {(1, 1): 0, (2, 1): 1}.get((info.h_samples, info.v_samples), 2)
            options.update(quality=info.quality, subsampling=subsampling if image.mode != "CMYK" else 0)
        elif fmt == "TIFF":
            options["compression"] = "tiff_lzw"
        elif fmt == "WEBP":
            options.update(quality=95)
        image.save(dst, fmt, **options)


def is_raster(path: Path) -> bool:
    """True for image files: anything without a PDF header that starts like JPEG, PNG, TIFF or WebP."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    if b"%PDF" in head:
        return False
    return head[:3] == b"\xff\xd8\xff" or head[:4] in (b"\x89PNG", b"II*\x00", b"MM\x00*") or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _source_profile(doc: RasterDoc) -> ImageCms.ImageCmsProfile:
    if doc.icc_profile:
        try:
            return ImageCms.ImageCmsProfile(io.BytesIO(doc.icc_profile))
        except (OSError, ImageCms.PyCMSError):
            pass
    mode = doc.image.mode
    if mode == "CMYK":
        return ImageCms.ImageCmsProfile(str(icc.resolve("fogra39").path))
    if mode == "L":
        return ImageCms.ImageCmsProfile(str(icc.resolve("gray").path))
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _convert(doc: RasterDoc, profile: icc.Profile, mode: str, intent: int = 0) -> None:
    image = doc.image
    if image.mode not in ("RGB", "L", "CMYK"):
        image = _flatten(image, (255, 255, 255)) if _has_alpha(image) else image.convert("RGB")
        doc.image = image
    source = _source_profile(doc)
    target = ImageCms.ImageCmsProfile(str(profile.path))
    converted = ImageCms.profileToProfile(image, source, target, renderingIntent=ImageCms.Intent(intent), outputMode=mode)
    assert converted is not None
    doc.set(converted, icc_profile=profile.data())


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    rgba = image.convert("RGBA")
    base = Image.new("RGBA", rgba.size, (*background, 255))
    base.alpha_composite(rgba)
    return base.convert("RGB") if image.mode not in ("LA", "La") else base.convert("L")


def _hex(colour: str) -> tuple[int, int, int]:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise FixSkipped(f"invalid background colour {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@fix("flatten_alpha", kind="raster", order=10, summary="Composite transparency onto a background (white by default).",
     aliases=["flatten", "raster_transparency"], params={"background": "#FFFFFF"})
def flatten_alpha(doc: RasterDoc, req: FixRequest) -> str:
    if not _has_alpha(doc.image):
        raise FixSkipped("the image has no transparency")
    background = str(req.params.get("background", "#FFFFFF"))
    doc.set(_flatten(doc.image, _hex(background)))
    doc.info.pop("transparency", None)
    return f"flattened transparency onto {background}"


@fix("increase_bit_depth", kind="raster", order=15, summary="Expand 1-bit, 2/4-bit and palette images to 8 bits per channel.",
     aliases=["bit_depth"], params={"min": 8})
def increase_bit_depth(doc: RasterDoc, req: FixRequest) -> str:
    need = int(req.params.get("min", 8))
    if need > 8:
        raise FixSkipped("16-bit output is not supported; 8 bits per channel is the maximum here")
    image = doc.image
    if image.mode == "1":
        doc.set(image.convert("L"))
    elif image.mode in ("P", "PA"):
        doc.set(image.convert("RGBA" if _has_alpha(image) else "RGB"))
        doc.info.pop("transparency", None)
    else:
        raise FixSkipped(f"the image is already {image.mode} (8 bits per channel or more)")
    return f"expanded the image to 8 bits per channel ({doc.image.mode})"


@fix("convert_colorspace", kind="raster", order=30, summary="Convert pixels to CMYK (FOGRA39), grayscale or sRGB with LittleCMS "
     "and embed the destination profile.", aliases=["raster_color_mode", "colorspace"], params={"target": "cmyk"})
def convert_colorspace(doc: RasterDoc, req: FixRequest) -> str:
    target = str(req.params.get("target", "cmyk")).lower()
    mode = _MODE_FOR.get(target)
    if mode is None:
        raise FixSkipped(f"unknown colour target {target!r}")
    if doc.image.mode == mode:
        raise FixSkipped(f"the image is already {target}")
    if mode == "CMYK" and _SAVE_FORMATS[doc.format] in ("PNG", "WEBP"):
        raise FixSkipped(f"{doc.format} cannot hold CMYK; upload a TIFF or JPEG for CMYK output")
    alias = req.params.get("iccAlias") or {"CMYK": "fogra39", "L": "gray", "RGB": "srgb"}[mode]
    try:
        profile = icc.resolve(str(alias))
    except icc.UnknownProfile as exc:
        raise FixSkipped(str(exc)) from exc
    _convert(doc, profile, mode)
    return f"converted the image to {target} ({profile.identifier})"


@fix("embed_icc", kind="raster", order=40, summary="Tag the image with the expected ICC profile (converting when the "
     "profile's colour space differs from the image's).", aliases=["icc_profile", "embedIcc"], params={"alias": "srgb"})
def embed_icc(doc: RasterDoc, req: FixRequest) -> str:
    try:
        profile = icc.resolve(str(req.params.get("alias") or req.params.get("profile") or "srgb"))
    except icc.UnknownProfile as exc:
        raise FixSkipped(str(exc)) from exc
    if doc.icc_profile == profile.data():
        raise FixSkipped(f"the image already carries {profile.identifier}")
    mode = {4: "CMYK", 3: "RGB", 1: "L"}[profile.components]
    if doc.image.mode != mode:
        if mode == "CMYK" and _SAVE_FORMATS[doc.format] in ("PNG", "WEBP"):
            raise FixSkipped(f"{profile.identifier} is a CMYK profile and {doc.format} cannot hold CMYK")
        _convert(doc, profile, mode)
        return f"converted the image into {profile.identifier} and embedded the profile"
    doc.set(doc.image, icc_profile=profile.data())
    return f"embedded {profile.identifier} (no pixel change)"


@fix("limit_ink", kind="raster", order=45, summary="Bring total ink coverage under the limit by converting through an "
     "ink-limited CMYK profile.", aliases=["ink_coverage", "tac"], params={"maxPercent": 300})
def limit_ink(doc: RasterDoc, req: FixRequest) -> str:
    limit = float(req.params.get("maxPercent", 300))
    name = str(req.params.get("profile") or ("fogra39-300" if limit < 330 else "fogra39"))
    try:
        profile = icc.resolve(name)
    except icc.UnknownProfile as exc:
        raise FixSkipped(str(exc)) from exc
    if limit < 300 and "300" in profile.alias:
        raise FixSkipped(f"no bundled profile limits ink below 300 % (asked {limit:g} %)")
    if _SAVE_FORMATS[doc.format] in ("PNG", "WEBP"):
        raise FixSkipped(f"{doc.format} cannot hold CMYK; ink limiting needs a TIFF or JPEG")
    _convert(doc, profile, "CMYK", intent=1)
    return f"converted through {profile.path.name} (total ink limited to {300 if '300' in profile.path.name else 330} %)"


@fix("downscale_image", kind="raster", order=50, summary="Resize down to fit the maximum pixel size (Lanczos).",
     aliases=["resize", "raster_too_large"], params={"fit": "inside"})
def downscale_image(doc: RasterDoc, req: FixRequest) -> str:
    w, h = doc.image.size
    mw = int(req.params.get("maxWidth") or w)
    mh = int(req.params.get("maxHeight") or h)
    if w <= mw and h <= mh:
        raise FixSkipped("the image is already within the maximum size")
    scale = min(mw / w, mh / h)
    new = (max(1, math.floor(w * scale)), max(1, math.floor(h * scale)))
    doc.set(doc.image.resize(new, Image.Resampling.LANCZOS))
    if doc.info.get("dpi"):
        doc.info["dpi"] = tuple(float(v) * scale for v in doc.info["dpi"])
    return f"resized from {w} x {h} to {new[0]} x {new[1]} px"


@fix("upscale_image", kind="raster", order=55, summary="Enlarge up to 4x with Lanczos resampling to reach the minimum "
     "pixel size or effective resolution (classical interpolation, not AI super-resolution).",
     aliases=["upscale", "raster_low_resolution"])
def upscale_image(doc: RasterDoc, req: FixRequest) -> str:
    p = req.params
    w, h = doc.image.size
    scale = 1.0
    if p.get("scale"):
        scale = float(p["scale"])
    elif p.get("target_width_px") or p.get("target_height_px"):
        scale = max(float(p.get("target_width_px") or 0) / w, float(p.get("target_height_px") or 0) / h)
    elif p.get("minDpi") and p.get("target_width_mm") and p.get("target_height_mm"):
        need_w = float(p["minDpi"]) * float(p["target_width_mm"]) / 25.4
        need_h = float(p["minDpi"]) * float(p["target_height_mm"]) / 25.4
        scale = max(need_w / w, need_h / h)
    elif p.get("minDpi") and doc.info.get("dpi"):
        scale = float(p["minDpi"]) / min(float(v) for v in doc.info["dpi"])
    else:
        raise FixSkipped("no_dpi_basis: neither a target size nor the image's DPI is known")
    if scale <= 1.0:
        raise FixSkipped("already_at_dpi: the image already has enough pixels")
    if scale > 4.0:
        raise FixSkipped(f"the image would need {scale:.1f}x enlargement; the limit is 4x")
    new = (math.ceil(w * scale), math.ceil(h * scale))
    doc.set(doc.image.resize(new, Image.Resampling.LANCZOS))
    if p.get("minDpi"):
        doc.info["dpi"] = (float(p["minDpi"]), float(p["minDpi"]))
    return f"upscaled {scale:.2f}x to {new[0]} x {new[1]} px (Lanczos; detail is interpolated, not recovered)"


def _ratio(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace("x", ":").replace("/", ":")
    a, _, b = text.partition(":")
    return float(a) / float(b) if b else float(a)


@fix("pad_crop_aspect", kind="raster", order=60, summary="Centre-crop to the nearest allowed aspect ratio (or its inverse).",
     aliases=["crop", "aspect_ratio"], params={"tolerance": 0.02})
def pad_crop_aspect(doc: RasterDoc, req: FixRequest) -> str:
    box, best = aspect_crop_box(doc.image.size, req.params)
    w, h = doc.image.size
    doc.set(doc.image.crop(box))
    return f"cropped from {w} x {h} to {box[2] - box[0]} x {box[3] - box[1]} px (ratio {best:.3f})"


def aspect_crop_box(size: tuple[int, int], params: dict[str, Any]) -> tuple[tuple[int, int, int, int], float]:
    """The centred (left, top, right, bottom) box of the allowed aspect ratio (``ratios``, or their
    inverse) nearest the image's, and that ratio; FixSkipped when none is given or it fits already."""
    ratios = [_ratio(r) for r in params.get("ratios") or []]
    if not ratios:
        raise FixSkipped("no target aspect ratio given")
    tol = float(params.get("tolerance", 0.02))
    w, h = size
    current = w / h
    candidates = ratios + [1 / r for r in ratios]
    best = min(candidates, key=lambda r: abs(math.log(current / r)))
    if abs(current - best) / best <= tol:
        raise FixSkipped("the aspect ratio is already within tolerance")
    if current > best:
        nw, nh = round(h * best), h
    else:
        nw, nh = w, round(w / best)
    left, top = (w - nw) // 2, (h - nh) // 2
    return (left, top, left + nw, top + nh), best


@fix("remove_background", kind="raster", order=5, summary="Background removal (needs a segmentation model; not available).",
     aliases=["removeBg"])
def remove_background(doc: RasterDoc, req: FixRequest) -> str:
    raise FixSkipped("background removal needs an AI segmentation model, which this server does not have")
