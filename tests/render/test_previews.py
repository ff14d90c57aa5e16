from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from printgate.core.errors import UnreadableFile
from printgate.core.render import render_previews


def test_png_previews_and_thumbnails_for_every_page(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(595, 842), (842, 595), (300, 300)])
    out = render_previews(src, tmp_path / "out", dpi=72)
    assert [(e["page"], e["kind"]) for e in out] == [
        (1, "thumbnail"), (1, "preview"), (2, "thumbnail"), (2, "preview"), (3, "thumbnail"), (3, "preview"),
    ]
    previews = {e["page"]: e for e in out if e["kind"] == "preview"}
    assert (previews[1]["width"], previews[1]["height"]) == (595, 842)
    assert (previews[2]["width"], previews[2]["height"]) == (842, 595)
    for entry in out:
        assert entry["mimeType"] == "image/png"
        assert entry["bytes"] == Path(entry["path"]).stat().st_size > 0
        with Image.open(entry["path"]) as im:
            assert im.format == "PNG"
            assert im.size == (entry["width"], entry["height"])
        if entry["kind"] == "thumbnail":
            assert max(entry["width"], entry["height"]) == 256


def test_webp_dpi_and_max_pages(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(72, 144)] * 4)
    out = render_previews(src, tmp_path / "out", dpi=150, fmt="webp", max_pages=2, thumbnail_px=64)
    assert {e["page"] for e in out} == {1, 2}
    preview = next(e for e in out if e["kind"] == "preview")
    assert (preview["width"], preview["height"]) == (150, 300)
    thumb = next(e for e in out if e["kind"] == "thumbnail")
    assert (thumb["width"], thumb["height"]) == (32, 64)
    with Image.open(preview["path"]) as im:
        assert im.format == "WEBP"
    assert preview["mimeType"] == "image/webp"


def test_rotation_is_applied_like_a_viewer(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(200, 100)], rotate=90)
    preview = next(e for e in render_previews(src, tmp_path / "o") if e["kind"] == "preview")
    assert (preview["width"], preview["height"]) == (100, 200)


def test_huge_page_is_capped_not_exploding(make_pdf, tmp_path: Path) -> None:
    src = make_pdf(sizes=[(14400, 14400)])
    preview = next(e for e in render_previews(src, tmp_path / "o", dpi=300, thumbnail_px=32) if e["kind"] == "preview")
    assert preview["width"] * preview["height"] <= 40_000_000


@pytest.mark.parametrize(
    "payload",
    [b"", b"hello, not a pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF garbage"],
)
def test_broken_input_raises_unreadable(payload: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(payload)
    with pytest.raises(UnreadableFile):
        render_previews(bad, tmp_path / "o")


def test_truncated_pdf_is_repaired_or_rejected_clearly(make_pdf, tmp_path: Path) -> None:
    good = make_pdf().read_bytes()
    bad = tmp_path / "trunc.pdf"
    bad.write_bytes(good[: len(good) // 2])
    try:
        out = render_previews(bad, tmp_path / "o")
    except UnreadableFile as exc:
        assert exc.reason
    else:
        assert out and all(e["bytes"] > 0 for e in out)


def test_password_protected_pdf_is_unreadable(make_pdf, tmp_path: Path) -> None:
    import pikepdf

    src = make_pdf()
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(src) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    with pytest.raises(UnreadableFile, match="password"):
        render_previews(locked, tmp_path / "o")


@pytest.mark.parametrize(("fmt", "mode"), [("png", "RGBA"), ("jpg", "CMYK"), ("webp", "RGB"), ("tif", "RGB")])
def test_raster_uploads_get_previews_sized_by_their_dpi(fmt: str, mode: str, tmp_path: Path) -> None:
    src = tmp_path / f"photo.{fmt}"
    Image.new(mode, (300, 150), "red" if mode != "CMYK" else (0, 255, 255, 0)).save(src, dpi=(150, 150))
    out = render_previews(src, tmp_path / "o", dpi=150)
    preview = next(e for e in out if e["kind"] == "preview")
    # WebP carries no DPI for Pillow: it is taken as 72 dpi like any image without one.
    expected = (625, 313) if fmt == "webp" else (300, 150)
    assert (preview["width"], preview["height"]) == expected
    with Image.open(preview["path"]) as im:
        r, g, b = im.convert("RGB").getpixel((expected[0] // 2, expected[1] // 2))
    assert r > 180 and g < 90 and b < 90


def test_proof_for_raster_upload(tmp_path: Path) -> None:
    from printgate.core.render import render_proofs

    src = tmp_path / "photo.png"
    Image.new("RGB", (300, 150), "white").save(src, dpi=(72, 72))
    out = render_proofs(src, {"evaluation": {"findings": []}}, tmp_path / "p", dpi=72)
    assert len(out) == 1 and out[0]["width"] > 300


def test_jpeg_previews(make_pdf, tmp_path: Path) -> None:
    out = render_previews(make_pdf(), tmp_path / "o", fmt="jpeg", max_pages=1)
    assert {e["mimeType"] for e in out} == {"image/jpeg"}
    with Image.open(out[1]["path"]) as im:
        assert im.format == "JPEG"


def test_bad_format_is_a_value_error(make_pdf, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported preview format"):
        render_previews(make_pdf(), tmp_path / "o", fmt="gif")  # type: ignore[arg-type]
