"""The walk loop's inlined bounds (issue 17) give what the general helpers give, float for float:
``Smallest.wants`` read as ``free``/``top``, ``min()``/``max()`` written as conditionals (path and
text boxes, the distance to the trim, the thinnest stroke, the smallest text), the gray stroke and
gray text paint done without ``paint()``/``_paint_one()``; and an indexed image on an RGB palette
is bounded like an RGB image (its render never carries more ink than the bound); the heaviest
RGB colour of a page is found by a loop, as ``max()`` finds it."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from printgate.core.preflight import tac
from printgate.core.preflight.model import DocFacts, PageFacts
from printgate.core.preflight.pdf.fonts import load_font
from printgate.core.preflight.pdf.geometry import IDENTITY, Smallest, bbox_of, mat_mul
from printgate.core.preflight.pdf.gstate import GState
from printgate.core.preflight.pdf.reader import DocumentReader
from printgate.core.preflight.pdf.textgeom import edge_distance, text_advance, text_distance
from printgate.core.preflight.tac import RGB_INK_BOUND, TacRenderer, rgb_ink

from .pdfgen import PageSpec, build_into, embedded_font

ODD_KEYS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e308]


@pytest.mark.parametrize("seed", range(6))
def test_inline_wants_is_wants(seed: int) -> None:
    rng = random.Random(seed)
    keep = Smallest(rng.choice([1, 3, 24]))
    for _ in range(300):
        probes = [*ODD_KEYS, *(rng.choice([rng.uniform(-50, 50), float(rng.randint(-3, 3))]) for _ in range(6))]
        for k in probes:
            assert bool(keep.free or -k > keep.top) == keep.wants(k), (k, keep.free, keep.top)
        key = rng.choice(probes)
        keep.push(key, key)


def test_the_inline_wants_is_not_always_true() -> None:
    keep = Smallest(2)
    keep.push(1.0, "a")
    keep.push(2.0, "b")
    assert not (keep.free or keep.top < -3.0) and not keep.wants(3.0)
    assert (keep.free or keep.top < -1.5) and keep.wants(1.5)


def _num(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 3)


def _ctm(rng: random.Random) -> tuple[float, ...]:
    if rng.random() < 0.6:  # axis-aligned, mirrored at times: the inline bbox
        return (rng.choice([1.0, -1.0, 0.5, 2.0]), 0.0, 0.0, rng.choice([1.0, -1.0, 0.75]),
                _num(rng, -50, 450), _num(rng, -50, 650))
    a = math.radians(rng.uniform(0, 360))
    return (round(math.cos(a), 4), round(math.sin(a), 4), round(-math.sin(a), 4), round(math.cos(a), 4),
            _num(rng, 0, 420), _num(rng, 0, 600))


def _fmt(vals: Any) -> str:
    return " ".join(repr(float(v)) for v in vals)


def _random_page(rng: random.Random, fm: Any) -> tuple[bytes, list[Any]]:
    """Content of up to 20 gray objects, and what each is: ("path", ctm, points, op) or
    ("text", ctm, size, (tx, ty), items, render mode)."""
    parts: list[str] = []
    objs: list[Any] = []
    for _ in range(rng.randint(1, 20)):
        cm = _ctm(rng)
        if rng.random() < 0.6:
            pts = [_num(rng, -30, 460) if i % 2 == 0 else _num(rng, -30, 640) for i in range(2 * rng.choice([2, 2, 3, 5]))]
            op = rng.choice(["f", "S"])
            body = f"{_fmt(pts[:2])} m " + " ".join(f"{_fmt(pts[i:i + 2])} l" for i in range(2, len(pts), 2))
            parts.append(f"q {_fmt(cm)} cm {body} {op} Q")
            objs.append(("path", cm, pts, op))
        else:
            size = rng.choice([4.0, 6.5, 9.0, 12.0, -7.0])
            at = (_num(rng, -20, 300), _num(rng, -20, 500))
            items: list[Any] = [rng.choice([b"Hi", b"word", b"a b", b"x"]) if i % 2 == 0 else float(rng.randint(-300, 300))
                                for i in range(rng.choice([1, 3, 5]))]
            arr = " ".join(f"({it.decode()})" if isinstance(it, bytes) else repr(it) for it in items)
            tr = rng.choice([0, 0, 1, 2, 3])  # fill, stroke, both, invisible
            parts.append(f"q {_fmt(cm)} cm BT /F1 {size!r} Tf {tr} Tr {_fmt(at)} Td [{arr}] TJ ET Q")
            objs.append(("text", cm, size, at, items, tr))
    return " ".join(parts).encode(), objs


def _expected(objs: list[Any], fm: Any, edge: tuple[float, ...], bleed: Any) -> dict[str, Any]:
    """What the general helpers say: bbox_of, edge/text_distance, text_advance, builtin min/max."""
    marks, tmarks, gray, thin, small = [], [], [], [], []
    min_stroke = min_font = None
    for obj in objs:
        ctm = mat_mul(obj[1], IDENTITY)
        if obj[0] == "path":
            pts, op = obj[2], obj[3]
            xs, ys = pts[0::2], pts[1::2]
            rect = bbox_of(ctm, min(xs), min(ys), max(xs), max(ys))
            gray.append(rect)
            d = edge_distance(edge, rect)
            if d is not None and not d < 0.5:
                marks.append((d, rect))
            if op == "S":
                lw = 1.0 * math.sqrt(abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]))
                thin.append((round(lw, 3), rect))
                min_stroke = lw if min_stroke is None else min(min_stroke, lw)
            continue
        _, _, fs, (x, y), items, tr = obj
        if tr == 3:
            continue  # invisible: not measured, not painted
        g = GState(ctm)
        g.font, g.font_size = fm, fs
        tx = 0.0
        for it in items:
            tx = tx + text_advance(fm, it, g) if isinstance(it, bytes) else tx - it / 1000.0 * fs * g.th
        trm = mat_mul(mat_mul((1, 0, 0, 1, x, y), IDENTITY), ctm)
        size = abs(fs) * math.hypot(trm[2], trm[3])
        rect = bbox_of(trm, min(0.0, tx), -0.2 * abs(fs), max(0.0, tx), 0.8 * abs(fs))
        gray += [rect] * (2 if tr == 2 else 1)  # filled, stroked or both: each paints
        small.append((round(size, 2), rect))
        min_font = size if min_font is None else min(min_font, size)
        d = text_distance(edge, bleed, rect)
        if d is not None:
            tmarks.append((d, rect))
    return {"marks": sorted(marks), "text": sorted(tmarks), "gray": gray[:10], "painted": len(gray), "thin": sorted(thin),
            "small": sorted(small), "min_stroke": min_stroke, "min_font": min_font}


@pytest.mark.parametrize("seed", range(24))
def test_inline_bounds_give_the_general_helpers_values(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    pdf = pikepdf.new()
    font = embedded_font(pdf)
    fm = load_font(font, "F1")
    content, objs = _random_page(rng, fm)
    path = build_into(pdf, tmp_path / f"r{seed}.pdf", [PageSpec(content=content, fonts={"F1": font})],
                      intent=False, pdfx=False)
    with pikepdf.open(path) as doc:
        facts = DocumentReader(doc).safe_page_facts(0, doc.pages[0], DocFacts(kind="pdf", size_bytes=0))
    assert facts.content_error is None
    want = _expected(objs, fm, facts.trim_or_media, facts.bleed)
    got = {
        "marks": sorted((m.distance_pt, m.rect) for m in facts.object_marks),
        "text": sorted((m.distance_pt, m.rect) for m in facts.text_marks),
        "gray": facts.mode_rects.get("Gray", []),
        "painted": facts.modes.get("Gray", 0),
        "thin": sorted(facts.thin_stroke_rects),
        "small": sorted(facts.small_text_rects),
        "min_stroke": facts.min_stroke,
        "min_font": facts.min_font_size,
    }
    assert got == want
    assert set(facts.modes) <= {"Gray"}


def _indexed_page(tmp_path: Path, base: str, palette: bytes) -> Path:
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, bytes([0, 1, 1, 0] * 4))  # 4x4 px, both palette entries
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width = image.Height = 4
    image.BitsPerComponent = 8
    image.ColorSpace = pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name(base), 1, pikepdf.String(palette)])
    spec = PageSpec(content=b"q 300 0 0 300 40 40 cm /Im1 Do Q", xobjects={"Im1": pdf.make_indirect(image)})
    return build_into(pdf, tmp_path / f"indexed-{base[1:]}.pdf", [spec], intent=False, pdfx=False)


def _facts(path: Path) -> Any:
    with pikepdf.open(path) as doc:
        return DocumentReader(doc).safe_page_facts(0, doc.pages[0], DocFacts(kind="pdf", size_bytes=0))


def test_an_rgb_palette_image_is_bounded_and_its_render_stays_under_the_bound(tmp_path: Path) -> None:
    path = _indexed_page(tmp_path, "/DeviceRGB", bytes([0, 0, 0, 20, 0, 60]))  # the heaviest RGB colours
    facts = _facts(path)
    assert facts.tac_rgb_any and not facts.tac_needs_render
    renderer = TacRenderer(path)
    try:
        renderer.measure(0, facts, 300.0)  # under the limit: the bound, not rendered
        assert facts.tac_max == RGB_INK_BOUND and facts.tac_bound
        rendered = _facts(path)
        renderer.measure(0, rendered, None)  # no limit: always rendered (the general path)
        assert not rendered.tac_bound and 250.0 < rendered.tac_max <= RGB_INK_BOUND
    finally:
        renderer.close()


def test_a_cmyk_palette_image_is_still_rendered(tmp_path: Path) -> None:
    facts = _facts(_indexed_page(tmp_path, "/DeviceCMYK", bytes([255, 255, 255, 255, 0, 0, 0, 0])))
    assert facts.tac_needs_render


@pytest.mark.parametrize(("seed", "coarse"), [(s, c) for s in range(4) for c in (False, True)])
def test_the_heaviest_rgb_colour_is_the_one_max_picks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, coarse: bool) -> None:
    ink_of = rgb_ink
    if coarse:  # inks in whole steps: many ties, where max() keeps the first
        monkeypatch.setattr(tac, "rgb_ink", lambda c: float(round(sum(c))))
        ink_of = tac.rgb_ink
    rng = random.Random(seed)
    facts = PageFacts(page=1, media=(0.0, 0.0, 100.0, 100.0), crop=(0.0, 0.0, 100.0, 100.0), bleed=None,
                      trim=None, art=None, rotation=0)
    for i in range(rng.randint(1, 40)):  # a coarse grid: some colours print with the same ink
        colour = (rng.choice([0.0, 0.5, 1.0]), rng.choice([0.0, 0.5, 1.0]), rng.choice([0.0, 0.5, 1.0]))
        facts.tac_rgb.setdefault(colour, (float(i), 0.0, float(i) + 1, 1.0) if i % 3 else None)
    ink, rect = max(((ink_of(c), r) for c, r in facts.tac_rgb.items()), key=lambda x: x[0])
    renderer = TacRenderer(tmp_path / "unused.pdf")
    renderer.measure(0, facts, 400.0)  # far under the limit: not rendered
    assert (facts.tac_max, facts.tac_rect) == (ink, rect)
