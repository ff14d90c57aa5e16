"""The raster pipeline's image, held by libvips (pyvips): pixels stream from the decoder through
crop, colour, flatten, resize and the encoder a strip at a time, so a 300-megapixel upload is never
decoded whole (Pillow would hold 900 MB of RGB, and refuses it above 178 megapixels).

One engine per step: the steps here are libvips's. The two steps that need every pixel at once
(``removeBg``'s and ``upscale``'s networks and filters) take a Pillow image from :meth:`VipsDoc.to_pil`,
under :data:`IN_MEMORY_PIXELS`, and hand the result back with :meth:`VipsDoc.set_pil`.
Colour goes through LittleCMS (libvips's ``icc_transform``) with the project's ICC profiles.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pyvips
from PIL import Image, ImageCms

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import _jpeg, icc
from printgate.core.fixes.registry import FixSkipped
from printgate.core.preflight.raster import HARD_PIXEL_LIMIT

LOADERS = {"jpegload": "JPEG", "pngload": "PNG", "tiffload": "TIFF", "webpload": "WEBP"}
OPTIMIZE_CODING_PIXELS = 16_000_000  # about 100 MB of DCT coefficients (see ``jpeg_options``)
IN_MEMORY_PIXELS = 200_000_000  # removeBg / upscale hold the image in memory: at most this many pixels
MM_PER_INCH = 25.4
INTENTS = {0: "perceptual", 1: "relative", 2: "saturation", 3: "absolute"}
_DEFAULT_SOURCE = {"CMYK": "fogra39", "L": "gray", "LA": "gray"}


def mode_of(image: pyvips.Image) -> str:
    """Pillow's name for the image's bands: what the steps and the job's details speak."""
    if image.interpretation == "cmyk":
        return "CMYK" if image.bands == 4 else "CMYKA"
    return {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}.get(image.bands, "RGB")


class VipsDoc:
    """The image being processed (a lazy libvips pipeline) with the DPI and ICC that must survive."""

    def __init__(self, src: Path) -> None:
        self.src = Path(src)
        try:
            # Sequential: every step reads top to bottom, so libvips keeps only a few strips decoded.
            # revalidate: a file rewritten at the same path is read again, not served from libvips's cache.
            image = pyvips.Image.new_from_file(str(self.src), access="sequential", fail_on="truncated",
                                               revalidate=True)
            loader = str(image.get("vips-loader"))
        except pyvips.Error as exc:
            raise UnreadableFile(f"not a readable image: {_first_line(exc)}") from exc
        fmt = LOADERS.get(loader.removesuffix("_source").removesuffix("_buffer"))
        if fmt is None:
            raise UnreadableFile(f"{loader.removesuffix('load').upper()} images cannot be processed; "
                                 "upload JPEG, PNG, TIFF or WebP")
        if image.width * image.height > HARD_PIXEL_LIMIT:
            raise UnreadableFile(f"the image ({image.width} x {image.height} px) is over the "
                                 f"{HARD_PIXEL_LIMIT // 10**6} megapixel limit")
        self.source_format = fmt
        self.format = fmt  # the output's: set by ``convert`` before the steps run
        self.icc_profile = _usable_icc(image)
        self.dpi: tuple[float, float] | None = _header_dpi(self.src, fmt)
        self.image: pyvips.Image = _eight_bit(image)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.width, self.image.height

    @property
    def mode(self) -> str:
        return mode_of(self.image)

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("LA", "RGBA", "CMYKA")

    def set(self, image: pyvips.Image, *, icc_profile: bytes | bool | None = True) -> None:
        """A new pipeline stage; ``icc_profile`` bytes tag it, None drops the tag, True keeps it."""
        self.image = image
        if icc_profile is None or isinstance(icc_profile, bytes):
            self.icc_profile = icc_profile

    # --- the in-memory steps' bridge ----------------------------------------------------------

    def to_pil(self, step: str) -> Image.Image:
        """The whole image as Pillow's, for a step that needs every pixel at once."""
        w, h = self.size
        if w * h > IN_MEMORY_PIXELS:
            raise FixSkipped(f"{step} holds the whole image in memory: {w} x {h} px is over its "
                             f"{IN_MEMORY_PIXELS // 10**6} megapixel limit")
        array = np.asarray(self.image.numpy())
        mode = self.mode
        # The source was read once, top to bottom: later stages start from these pixels instead.
        self.image = pyvips.Image.new_from_array(array).copy(interpretation=self.image.interpretation)
        if mode == "CMYKA":
            array, mode = array[..., :4], "CMYK"
        return Image.fromarray(array.reshape(h, w) if array.ndim == 3 and mode == "L" else array, mode)

    def set_pil(self, image: Image.Image, *, icc_profile: bytes | bool | None = True) -> None:
        if image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
            image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")
        vips = pyvips.Image.new_from_array(np.ascontiguousarray(np.asarray(image)))
        interpretation = {"L": "b-w", "LA": "b-w", "CMYK": "cmyk"}.get(image.mode, "srgb")
        self.set(vips.copy(interpretation=interpretation), icc_profile=icc_profile)

    # --- colour ---------------------------------------------------------------------------------

    def source_profile(self) -> bytes | str:
        """The embedded profile, else the usual one for the image's colour space."""
        if self.icc_profile:
            return self.icc_profile
        alias = _DEFAULT_SOURCE.get(self.mode.removesuffix("A") if self.mode == "CMYKA" else self.mode)
        return icc.resolve(alias).data() if alias else icc.resolve("srgb").data()

    def convert(self, profile: icc.Profile, *, intent: int = 0, keep_alpha: bool = False) -> None:
        """Pixels into ``profile`` (LittleCMS), which is then embedded. Alpha is flattened onto
        white unless ``keep_alpha`` (it then passes through untouched)."""
        image = self.image
        if self.has_alpha and not keep_alpha:
            image = flatten(image, (255, 255, 255))
        image = _tagged(image, self.source_profile())
        out = image.icc_transform(str(profile.path), embedded=True, intent=INTENTS[intent], depth=8)
        if profile.components == 4:
            out = out.copy(interpretation="cmyk")
        elif profile.components == 1:
            out = out.copy(interpretation="b-w")
        self.set(out, icc_profile=profile.data())

    # --- output ---------------------------------------------------------------------------------

    def save(self, dst: Path) -> None:
        """Write in ``self.format``: the upload's own JPEG quality when the format stays, print
        settings when it changes. A damaged upload found while streaming is :class:`UnreadableFile`."""
        fmt = self.format
        image = self.image
        if self.mode.startswith("CMYK") and fmt in ("PNG", "WEBP"):
            self.convert(icc.resolve("srgb"))
            image = self.image
        if fmt == "JPEG" and self.has_alpha:
            image = flatten(image, (255, 255, 255))
        image = _tagged(image, self.icc_profile)
        if self.dpi:
            image = image.copy(xres=self.dpi[0] / MM_PER_INCH, yres=self.dpi[1] / MM_PER_INCH)
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            if fmt == "JPEG":
                image.jpegsave(str(dst), **self._jpeg_options())
            elif fmt == "TIFF":
                image.tiffsave(str(dst), compression="lzw")
            elif fmt == "WEBP":  # libvips writes the resolution into WebP's EXIF, as cameras do
                image.webpsave(str(dst), Q=95, effort=4)
            else:
                image.pngsave(str(dst), compression=6)
        except pyvips.Error as exc:
            dst.unlink(missing_ok=True)
            raise UnreadableFile(f"the image could not be read to the end: {_first_line(exc)}") from exc

    def _jpeg_options(self) -> dict[str, Any]:
        if self.source_format != "JPEG":
            return jpeg_options(self.image, 92, subsample=False)
        with self.src.open("rb") as fh:  # the tables are in the header: no need to read the scan
            info = _jpeg.inspect(fh.read(1 << 20))
        return jpeg_options(self.image, info.quality, subsample=(info.h_samples, info.v_samples) == (2, 2))


def jpeg_options(image: pyvips.Image, quality: int, *, subsample: bool) -> dict[str, Any]:
    """libvips ``jpegsave`` options. Optimized Huffman tables make libjpeg hold every DCT coefficient
    of the image (about 6 bytes a pixel: 1.8 GB at 300 megapixels), so only small images get them."""
    return {"Q": quality, "subsample_mode": "on" if subsample else "off",
            "optimize_coding": image.width * image.height <= OPTIMIZE_CODING_PIXELS}


def flatten(image: pyvips.Image, background: tuple[int, int, int]) -> pyvips.Image:
    if image.bands in (1, 3) or (image.interpretation == "cmyk" and image.bands == 4):
        return image
    if image.bands == 2:  # gray + alpha: the background's luminance (Rec. 601, as Pillow's "L")
        r, g, b = background
        return image.flatten(background=[round(0.299 * r + 0.587 * g + 0.114 * b)])
    if image.interpretation == "cmyk":
        return image.extract_band(0, n=4)
    return image.flatten(background=list(background))


def _tagged(image: pyvips.Image, profile: bytes | str | None) -> pyvips.Image:
    out = image.copy()
    if isinstance(profile, bytes) and profile:
        out.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    elif "icc-profile-data" in out.get_fields():
        out.remove("icc-profile-data")
    return out


def _usable_icc(image: pyvips.Image) -> bytes | None:
    """The embedded profile when LittleCMS can read it; a broken one is ignored, as Pillow's path did."""
    if "icc-profile-data" not in image.get_fields():
        return None
    data = bytes(image.get("icc-profile-data"))
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, ImageCms.PyCMSError):
        return None
    return data or None


def _header_dpi(path: Path, fmt: str) -> tuple[float, float] | None:
    """The file's DPI as Pillow reads its header (libvips reports 72 or 25.4 dpi when a file has none).
    The plugin class is opened directly: ``Image.open``'s 178-megapixel guard is for decoding, and
    nothing is decoded here."""
    from PIL import JpegImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin

    plugin: Any = {"JPEG": JpegImagePlugin.JpegImageFile, "PNG": PngImagePlugin.PngImageFile,
                   "TIFF": TiffImagePlugin.TiffImageFile, "WEBP": WebPImagePlugin.WebPImageFile}[fmt]
    try:
        with plugin(str(path)) as im:
            dpi = im.info.get("dpi")
            if not dpi and fmt == "WEBP":  # WebP keeps it in EXIF (as we write it)
                exif = im.getexif()
                dpi = (exif.get(282), exif.get(283)) if exif.get(282) and exif.get(296, 2) == 2 else None
    except (OSError, ValueError, SyntaxError, KeyError):
        return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    return (x, y) if x > 1 and y > 1 else None


def _eight_bit(image: pyvips.Image) -> pyvips.Image:
    """8 bits per channel: 16-bit and float files are scaled down, as the encoders here write 8."""
    if image.format == "uchar":
        return image
    if image.format == "ushort":
        return (image >> 8).cast("uchar").copy(interpretation=_interpretation_8(image))
    # Float, 32-bit and signed files: libvips's own conversion to 8-bit sRGB or gray.
    return image.colourspace("srgb" if image.bands >= 3 else "b-w").cast("uchar")


def _interpretation_8(image: pyvips.Image) -> str:
    return {"rgb16": "srgb", "grey16": "b-w", "scrgb": "srgb"}.get(str(image.interpretation), image.interpretation)


def _first_line(exc: pyvips.Error) -> str:
    text = str(getattr(exc, "detail", "") or exc).strip()
    return text.splitlines()[0] if text else "libvips could not read it"
