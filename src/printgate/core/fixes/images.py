"""Image fixes: downsample over-resolved images in place (placement on the page is unchanged)."""

from __future__ import annotations

import io
import zlib

import pikepdf
from PIL import Image, ImageChops

from printgate.core.fixes import _jpeg
from printgate.core.fixes._content import image_placements
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc

_MODES = {"/DeviceRGB": ("RGB", 3), "/DeviceGray": ("L", 1), "/DeviceCMYK": ("CMYK", 4)}


def _pil_mode(image: pikepdf.Stream) -> str | None:
    """The Pillow mode for an image we can resample faithfully, or None."""
    if image.get("/ImageMask") or int(image.get("/BitsPerComponent", 8)) != 8:
        return None
    cs = image.get("/ColorSpace")
    if isinstance(cs, pikepdf.Name):
        return _MODES.get(str(cs), (None, 0))[0]
    if isinstance(cs, pikepdf.Array) and len(cs) == 2 and cs[0] == pikepdf.Name.ICCBased:
        return {1: "L", 3: "RGB", 4: "CMYK"}.get(int(cs[1].get("/N", 0)))
    return None


def _decode(image: pikepdf.Stream, mode: str) -> Image.Image:
    filters = image.get("/Filter")
    names = [str(f) for f in (filters if isinstance(filters, pikepdf.Array) else [filters] if filters else [])]
    if names == ["/DCTDecode"]:
        img: Image.Image = Image.open(io.BytesIO(image.read_raw_bytes()))
        img.load()
        if mode == "CMYK" and img.mode == "CMYK" and "adobe" in img.info:
            # Pillow inverts Adobe CMYK JPEGs while decoding; undo it: these are the stored samples,
            # which the image's /Decode (if any) maps to colours, as for every other filter.
            img = ImageChops.invert(img)
        return img.convert(mode) if img.mode != mode else img
    data = image.read_bytes()
    w, h = int(image.Width), int(image.Height)
    return Image.frombytes(mode, (w, h), data[: w * h * len(mode.replace("L", "X"))])


def resample_image(pdf: pikepdf.Pdf, image: pikepdf.Stream, width: int, height: int, *,
                   jpeg_quality: int | None = None) -> bool:
    """Resample ``image`` in place to ``width`` x ``height`` pixels; False when it cannot be done.

    A JPEG is written back as a JPEG at its own quality (or ``jpeg_quality``), CMYK included: a
    photo re-stored with Flate is several times larger.
    """
    mode = _pil_mode(image)
    if mode is None or ("/Decode" in image and mode != "CMYK"):
        return False
    decode = image.get("/Decode")
    inverted = decode is not None and [float(v) for v in decode] == [1.0, 0.0] * 4
    if decode is not None and not inverted:
        return False
    was_jpeg = _jpeg.is_dct(image)
    try:
        info = _jpeg.inspect(bytes(image.read_raw_bytes())) if was_jpeg else None
        img = _decode(image, mode)
    except Exception:
        return False
    if inverted:
        # Stored samples of an Adobe-style CMYK JPEG: make them the colours the page shows.
        img = ImageChops.invert(img)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    if info is not None or (jpeg_quality and mode in ("RGB", "L")):
        info = info or _jpeg.JpegInfo(int(jpeg_quality or _jpeg.DEFAULT_QUALITY))
        if jpeg_quality:
            info = _jpeg.JpegInfo(int(jpeg_quality), info.h_samples, info.v_samples)
        _jpeg.store(image, _jpeg.encode(img, info))
    else:
        image.write(zlib.compress(img.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
        for key in ("/DecodeParms", "/Decode"):
            if key in image:
                del image[key]
    image.Width, image.Height = width, height
    smask = image.get("/SMask")
    if smask is not None and int(smask.get("/BitsPerComponent", 8)) == 8:
        try:
            mask = Image.frombytes("L", (int(smask.Width), int(smask.Height)), smask.read_bytes())
            mask = mask.resize((width, height), Image.Resampling.LANCZOS)
            smask.write(zlib.compress(mask.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
            if "/DecodeParms" in smask:
                del smask["/DecodeParms"]
            smask.Width, smask.Height = width, height
        except Exception:
            del image["/SMask"]
    return True


def downsample(pdf: pikepdf.Pdf, indexes: list[int], *, max_dpi: float, target_dpi: float,
               jpeg_quality: int | None = None) -> tuple[int, list[int], list[str]]:
    """Downsample every image whose effective resolution exceeds ``max_dpi`` to ``target_dpi``."""
    uses: dict[tuple[int, int], list] = {}
    for placement in image_placements(pdf, indexes):
        uses.setdefault(placement.image.objgen, []).append(placement)
    done, pages, problems = 0, set[int](), list[str]()
    for placements in uses.values():
        image = placements[0].image
        w, h = int(image.Width), int(image.Height)
        # The largest placement needs the most pixels: never go below target there.
        dpi_x = min(w / max(p.size_in[0], 1e-6) for p in placements)
        dpi_y = min(h / max(p.size_in[1], 1e-6) for p in placements)
        if min(dpi_x, dpi_y) <= max_dpi + 0.5:
            continue
        nw = max(1, min(w, round(w * target_dpi / dpi_x)))
        nh = max(1, min(h, round(h * target_dpi / dpi_y)))
        if (nw, nh) == (w, h):
            continue
        if resample_image(pdf, image, nw, nh, jpeg_quality=jpeg_quality):
            done += 1
            pages.update(p.page for p in placements)
        else:
            problems.append(f"{placements[0].name} on page {placements[0].page} ({image.get('/ColorSpace')}, "
                            f"{image.get('/BitsPerComponent')} bit)")
    return done, sorted(pages), problems


@fix("downsample_images", order=45, summary="Resample images above max_dpi down to target_dpi (Lanczos), keeping placement.",
     aliases=["downsample", "max_resolution", "image_max_resolution"], params={"max_dpi": 600, "target_dpi": 300})
def downsample_images(doc: WorkDoc, req: FixRequest) -> FixResult:
    params = req.params
    target_res: dict = params["targetRes"] if isinstance(params.get("targetRes"), dict) else {}
    # Only what the report flagged: its limit (required_dpi) beats the resampling target.
    limits = [float(f["required_dpi"]) for f in req.findings if isinstance(f.get("required_dpi"), int | float)]
    max_dpi = float(params.get("max_dpi", params.get("required_dpi", params.get("limit_dpi",
                    min(limits) if limits else (target_res.get("color") or 600)))))
    target_dpi = float(params.get("target_dpi", target_res.get("color") or min(max_dpi, 300)))
    if target_dpi > max_dpi:
        target_dpi = max_dpi
    pdf = doc.pdf
    done, pages, problems = downsample(pdf, req.page_indexes(len(pdf.pages)), max_dpi=max_dpi, target_dpi=target_dpi)
    if not done:
        if problems:
            raise FixSkipped("these images cannot be resampled safely: " + "; ".join(problems[:5]))
        raise FixSkipped(f"no image exceeds {max_dpi:g} dpi")
    doc.dirty = True
    note = f"; {len(problems)} left unchanged (unsupported colour space/bit depth)" if problems else ""
    return FixResult(f"downsampled {done} image(s) to {target_dpi:g} dpi{note}", pages)


@fix("recompress_images", order=46, summary="Re-encode images whose compression is not allowed (Flate or JPEG).",
     aliases=["image_compression", "recompress"], params={"colorFilter": "flate", "grayFilter": "flate"})
def recompress_images(doc: WorkDoc, req: FixRequest) -> str:
    params = req.params
    color_filter = str(params.get("colorFilter", "flate"))
    gray_filter = str(params.get("grayFilter", color_filter))
    quality = int(params.get("jpegQuality", 88))
    pdf = doc.pdf
    done, unsupported = 0, 0
    for obj in list(pdf.objects):
        if not (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image):
            continue
        mode = _pil_mode(obj)
        want = gray_filter if mode == "L" else color_filter
        current = obj.get("/Filter")
        names = [str(f) for f in (current if isinstance(current, pikepdf.Array) else [current] if current else [])]
        target = "/DCTDecode" if want == "jpeg" else "/FlateDecode"
        if names == [target]:
            continue
        if mode is None or ("/Decode" in obj and mode != "CMYK"):
            unsupported += 1
            continue
        try:
            img = _decode(obj, mode)
        except Exception:
            unsupported += 1
            continue
        if want == "jpeg" and mode in ("RGB", "L"):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality, optimize=True)
            obj.write(buf.getvalue(), filter=pikepdf.Name.DCTDecode)
        else:
            obj.write(zlib.compress(img.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
        for key in ("/DecodeParms", "/Decode"):
            if key in obj:
                del obj[key]
        done += 1
    if not done:
        raise FixSkipped("no images needed re-encoding" + (f" ({unsupported} unsupported)" if unsupported else ""))
    doc.dirty = True
    return f"re-encoded {done} image(s) with {color_filter}" + (f"; {unsupported} left as is" if unsupported else "")
