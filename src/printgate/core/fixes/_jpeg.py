"""JPEG in, JPEG out: a photo that arrived DCT-encoded leaves DCT-encoded, at the quality it came with.

Re-storing a converted photo with Flate makes it 10x larger (the issue's flyer grew 1.4 -> 10.4 MB),
so image fixes re-encode a DCT image as DCT. The quality is estimated from the source's luminance
quantization table (the IJG quality whose table fits it best), and chroma subsampling follows the
source.

CMYK is encoded by Ghostscript's DCTEncode as YCCK (the Adobe transform Photoshop uses), with the
chroma channels subsampled like the source's: a plain CMYK JPEG (all Pillow and MuPDF can write)
keeps four full-resolution channels and comes out about 2.5x the size of the RGB photo it came from.
One Ghostscript run encodes every image of a quality; Pillow's plain CMYK is the fallback.
"""

from __future__ import annotations

import io
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image

from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes._exec import ghostscript as gs

# ITU-T T.81 Annex K.1, the luminance table libjpeg scales (natural order, as Pillow reports it).
_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)
DEFAULT_QUALITY = 90  # when a JPEG carries no readable table (never happens with real encoders)


def _scale(quality: int) -> int:
    """libjpeg's ``jpeg_quality_scaling``: quality 1-100 to a percentage of the standard tables."""
    quality = min(max(quality, 1), 100)
    return 5000 // quality if quality < 50 else 200 - 2 * quality


def ijg_table(quality: int) -> list[int]:
    """The baseline luminance table libjpeg writes at ``quality``."""
    scale = _scale(quality)
    return [min(max((q * scale + 50) // 100, 1), 255) for q in _LUMA]


_TABLES = {q: ijg_table(q) for q in range(1, 101)}


@dataclass(frozen=True)
class JpegInfo:
    """What a re-encode must keep of a source JPEG: its quality and whether chroma was subsampled."""

    quality: int
    h_samples: int = 2  # luma samples per chroma sample, across
    v_samples: int = 2  # ... and down (2, 2 = 4:2:0; 2, 1 = 4:2:2; 1, 1 = none)

    @property
    def subsampled(self) -> bool:
        return self.h_samples > 1 or self.v_samples > 1


def inspect(data: bytes) -> JpegInfo:
    """Quality (best-fitting IJG table for the luminance table) and chroma subsampling of ``data``."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            tables = getattr(im, "quantization", None) or {}
            layers = getattr(im, "layer", None) or []
    except (OSError, ValueError):
        return JpegInfo(DEFAULT_QUALITY)
    table = list(tables.get(0) or [])
    quality = DEFAULT_QUALITY
    if len(table) == 64:
        quality = min(_TABLES, key=lambda q: (sum(abs(a - b) for a, b in zip(_TABLES[q], table, strict=True)), -q))
    # Layers are (id, h, v, table): chroma is subsampled when the first component samples more often.
    if len(layers) >= 3:
        h = max(1, min(2, layers[0][1] // max(layers[1][1], 1)))
        v = max(1, min(2, layers[0][2] // max(layers[1][2], 1)))
        return JpegInfo(quality, h, v)
    return JpegInfo(quality)


@dataclass
class Encoded:
    """A DCT stream ready for an image XObject: its bytes and the entries that go with them."""

    data: bytes
    decode: list[int] | None = None  # /Decode (Pillow's CMYK JPEGs are stored inverted, Adobe style)


def encode(image: Image.Image, info: JpegInfo, workdir: Path | None = None) -> Encoded:
    """One image as JPEG (RGB/L with Pillow; CMYK through :func:`encode_cmyk`, temp files in ``workdir``)."""
    if image.mode == "CMYK":
        if workdir is None:
            with tempfile.TemporaryDirectory(prefix="printgate-jpeg-") as tmp:
                return encode_cmyk([image], [info], Path(tmp))[0]
        return encode_cmyk([image], [info], workdir)[0]
    buf = io.BytesIO()
    subsampling = {(1, 1): 0, (2, 1): 1}.get((info.h_samples, info.v_samples), 2)
    image.save(buf, "JPEG", quality=info.quality, subsampling=subsampling, optimize=True)
    return Encoded(buf.getvalue())


def _pillow_cmyk(image: Image.Image, info: JpegInfo) -> Encoded:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=info.quality, optimize=True)
    return Encoded(buf.getvalue(), [1, 0, 1, 0, 1, 0, 1, 0])


def encode_cmyk(images: Sequence[Image.Image], infos: Sequence[JpegInfo], workdir: Path) -> list[Encoded]:
    """CMYK images as YCCK JPEGs at each one's quality: one Ghostscript run per distinct (quality,
    subsampling); any image Ghostscript could not encode falls back to Pillow's plain CMYK."""
    out: list[Encoded | None] = [None] * len(images)
    groups: dict[JpegInfo, list[int]] = {}
    for i, info in enumerate(infos):
        groups.setdefault(info, []).append(i)
    for info, indexes in groups.items():
        try:
            encoded = _gs_ycck([images[i] for i in indexes], info, workdir)
        except (ExternalToolError, pikepdf.PdfError, OSError, ValueError):
            encoded = [None] * len(indexes)
        for i, enc in zip(indexes, encoded, strict=True):
            out[i] = enc
    return [enc if enc is not None else _pillow_cmyk(images[i], infos[i]) for i, enc in enumerate(out)]


def _gs_ycck(images: Sequence[Image.Image], info: JpegInfo, workdir: Path) -> list[Encoded | None]:
    """Ghostscript's DCTEncode on a throwaway PDF holding one image per page, colours left as they are."""
    src = workdir / f"jpeg-in-q{info.quality}.pdf"
    dst = workdir / f"jpeg-out-q{info.quality}.pdf"
    with pikepdf.new() as pdf:
        for image in images:
            page = pdf.add_blank_page(page_size=(image.width, image.height))
            stream = pikepdf.Stream(pdf, zlib.compress(image.tobytes(), 1))
            stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            stream.Width, stream.Height = image.width, image.height
            stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name.DeviceCMYK, 8
            stream.Filter = pikepdf.Name.FlateDecode
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
            page.obj.Contents = pikepdf.Stream(pdf, f"q {image.width} 0 0 {image.height} 0 0 cm /Im0 Do Q".encode())
        pdf.save(src)
    # Y and K at full resolution; Cb/Cr subsampled as the source's chroma was.
    h, v = info.h_samples, info.v_samples
    qfactor = _scale(info.quality) / 100
    try:
        gs.pdfwrite(src, dst, [
            "-sColorConversionStrategy=LeaveColorUnchanged", "-dEncodeColorImages=true",
            "-sColorImageFilter=DCTEncode", "-dDetectDuplicateImages=false",
        ], postscript=[f"<< /ColorImageDict << /QFactor {qfactor:.4f} /Blend 1 /ColorTransform 1 "
                       f"/HSamples [{h} 1 1 {h}] /VSamples [{v} 1 1 {v}] >> >> setdistillerparams"])
        out: list[Encoded | None] = []
        with pikepdf.open(dst) as result:
            if len(result.pages) != len(images):
                return [None] * len(images)
            for page, image in zip(result.pages, images, strict=True):
                resources: Any = page.obj.get("/Resources") or pikepdf.Dictionary()
                found = [xo for xo in (resources.get("/XObject") or pikepdf.Dictionary()).values()
                         if xo.get("/Subtype") == pikepdf.Name.Image]
                ok = (len(found) == 1 and found[0].get("/Filter") == pikepdf.Name.DCTDecode
                      and found[0].get("/ColorSpace") == pikepdf.Name.DeviceCMYK
                      and (int(found[0].Width), int(found[0].Height)) == image.size)
                if not ok:
                    out.append(None)
                    continue
                decode = found[0].get("/Decode")
                out.append(Encoded(bytes(found[0].read_raw_bytes()), [int(v) for v in decode] if decode else None))
        return out
    finally:
        src.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)


def is_dct(image: pikepdf.Object) -> bool:
    """A single-filter DCT image (a JPEG stored as is)."""
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        return len(filters) == 1 and filters[0] == pikepdf.Name.DCTDecode
    return filters == pikepdf.Name.DCTDecode


def store(image: pikepdf.Object, encoded: Encoded) -> None:
    """Write ``encoded`` into ``image`` (filter, /Decode); /DecodeParms of the old data go."""
    image.write(encoded.data, filter=pikepdf.Name.DCTDecode)
    for key in ("/DecodeParms", "/Decode"):
        if key in image:
            del image[key]
    if encoded.decode:
        image.Decode = pikepdf.Array(encoded.decode)
