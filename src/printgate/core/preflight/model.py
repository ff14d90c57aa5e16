"""Plain data shared by the extractor, the checks and the report builder.

Also the one rule on that data which both the extractor and the checks apply: ``effective_trim``
(the TrimBox, or the one inferred from the ordered size), kept here so the PDF reader does not
import a check.

Everything here is picklable so page facts can be produced in worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PT_PER_MM = 72.0 / 25.4

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF user space (points)


def pt_to_mm(value: float) -> float:
    return value / PT_PER_MM


def mm_to_pt(value: float) -> float:
    return value * PT_PER_MM


def r1(value: float) -> float:
    """Round for display: one decimal, no -0.0."""
    out = round(value, 1)
    return 0.0 if out == 0 else out


@dataclass
class ImageUse:
    """One placement of an image (XObject or inline) on a page."""

    page: int
    width_px: int
    height_px: int
    bits: int
    color_space: str  # e.g. DeviceRGB, ICCBased, Indexed, Separation
    mode: str  # RGB, CMYK, Gray, Lab, Spot, Indexed..., see document.color_mode_of
    filters: list[str]
    image_mask: bool
    has_smask: bool
    rect: Rect
    dpi_x: float
    dpi_y: float
    inline: bool = False

    @property
    def effective_dpi(self) -> float:
        return min(self.dpi_x, self.dpi_y)


@dataclass
class FontInfo:
    """One font dictionary, independent of where it is used."""

    key: str  # stable key within the document (object id or resource path)
    name: str  # BaseFont without subset tag
    base_font: str  # BaseFont as written
    subtype: str  # Type1, TrueType, Type3, Type0, MMType1
    font_type: str  # Type 1, Type 3, TrueType, OpenType, CID Type 0, CID Type 2
    embedded: bool
    subset: bool


@dataclass
class Mark:
    """An object near the trim edge, kept for the safety checks (worst few per page)."""

    kind: str  # text | image | path | shading
    distance_pt: float  # signed: < 0 means the object crosses the trim line
    rect: Rect


@dataclass
class PageFacts:
    """Everything the checks need to know about one page. Small by construction."""

    page: int  # 1-based
    media: Rect
    crop: Rect
    bleed: Rect | None
    trim: Rect | None
    art: Rect | None
    rotation: int
    content_error: str | None = None
    content_ops: int = 0
    # Compressed content that did not decode completely (corrupt or cut short): content is lost.
    broken_streams: list[str] = field(default_factory=list)
    # Stream filters no PDF reader here decodes (e.g. BrotliDecode): the content can't be read.
    unsupported_filters: list[str] = field(default_factory=list)
    inspected: bool = True  # False: over the time budget, only boxes and annotations were read
    # colour
    modes: dict[str, int] = field(default_factory=dict)  # mode -> count of painting ops/objects
    mode_rects: dict[str, list[Rect]] = field(default_factory=dict)
    spot_names: list[str] = field(default_factory=list)
    icc_profiles: list[str] = field(default_factory=list)  # descriptions of used ICCBased spaces
    rich_black_text: int = 0
    rich_black_other: int = 0
    rich_black_rects: list[Rect] = field(default_factory=list)
    overprint_white: int = 0
    overprint_color: int = 0
    overprint_rects: list[Rect] = field(default_factory=list)
    # text / strokes
    text_ops: int = 0
    min_font_size: float | None = None
    small_text_rects: list[tuple[float, Rect]] = field(default_factory=list)
    min_stroke: float | None = None
    thin_stroke_rects: list[tuple[float, Rect]] = field(default_factory=list)
    font_keys: list[str] = field(default_factory=list)
    # geometry of content near edges
    text_marks: list[Mark] = field(default_factory=list)
    object_marks: list[Mark] = field(default_factory=list)
    # images and transparency
    images: list[ImageUse] = field(default_factory=list)
    image_count: int = 0
    transparency: bool = False
    transparency_reasons: list[str] = field(default_factory=list)
    annotations: list[tuple[str, Rect]] = field(default_factory=list)
    oc_used: bool = False
    # ink coverage, filled only when the TAC check runs
    tac_max: float | None = None
    tac_rect: Rect | None = None
    tac_note: str | None = None
    # Ink coverage straight from DeviceCMYK/gray vector colours; rendering is only needed when the
    # page has anything else (images, shadings, other colour spaces, overprint, transparency).
    tac_vector: float = 0.0
    tac_vector_rect: Rect | None = None
    # Opaque DeviceRGB vector colours painted (colour -> where): their ink is the renderer's own
    # conversion of each colour, so a page of them is only rendered when one can exceed the limit.
    tac_rgb: dict[tuple[float, ...], Rect | None] = field(default_factory=dict)
    # RGB / gray content of colours not known one by one (images, shadings, RGB groups): its
    # ink is at most ``tac.RGB_INK_BOUND``, so the page is rendered only when the limit is lower.
    tac_rgb_any: bool = False
    # Opacity or soft masks (normal blending): pixels mix the painted colours, never above the heaviest.
    tac_mixed: bool = False
    tac_bound: bool = False  # tac_max is that upper bound, not a measurement (no render was needed)
    tac_needs_render: bool = False
    max_image_pixels: int = 0

    @property
    def trim_or_media(self) -> Rect:
        return self.trim if self.trim is not None else self.crop

    def display_size_pt(self, box: Rect | None = None) -> tuple[float, float]:
        x0, y0, x1, y1 = box if box is not None else self.trim_or_media
        w, h = abs(x1 - x0), abs(y1 - y0)
        return (h, w) if self.rotation % 180 == 90 else (w, h)


def effective_trim(page: PageFacts, context: dict[str, Any], sizes: list[tuple[float, float]] | None = None) -> tuple[Rect, bool]:
    """The trim box, or one inferred from the target size when the page is exactly target + bleed.

    Returns (box, inferred). Mirrors the glossary's rule: a 106 x 106 mm upload for a 100 x 100 mm
    order means a 3 mm bleed with the TrimBox 3 mm inside.
    """
    if page.trim is not None:
        return page.trim, False
    box = page.crop
    if sizes:
        w = pt_to_mm(box[2] - box[0])
        h = pt_to_mm(box[3] - box[1])
        for tw, th in sizes:
            for aw, ah in ((tw, th), (th, tw)):
                dx, dy = w - aw, h - ah
                if 0.5 < dx < 30 and abs(dx - dy) < 0.5:
                    ix, iy = mm_to_pt(dx / 2), mm_to_pt(dy / 2)
                    return (box[0] + ix, box[1] + iy, box[2] - ix, box[3] - iy), True
    return box, False


@dataclass
class DocFacts:
    """Document-level facts gathered once."""

    kind: str  # pdf | raster
    size_bytes: int
    version: str = ""
    page_count: int = 0
    encrypted: bool = False
    permissions: dict[str, bool] = field(default_factory=dict)
    tagged: bool = False
    linearized: bool = False
    producer: str = ""
    creator: str = ""
    pdfx: str | None = None
    pdfa: str | None = None
    pdfua: str | None = None
    pdfvt: str | None = None
    output_intents: list[dict[str, Any]] = field(default_factory=list)
    ocgs: list[str] = field(default_factory=list)
    ocgs_hidden: list[str] = field(default_factory=list)  # layers off by default: they won't print as seen
    javascript: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    acroform_fields: int = 0
    xfa: bool = False
    need_appearances: bool = False
    signatures: int = 0
    structure_warnings: list[str] = field(default_factory=list)
    # Set when the file needed reconstruction (pdf/repair.py): which tool, pages declared and
    # recovered, what was lost; None for a file that opened cleanly.
    repair: dict[str, Any] | None = None
    # What the file lost, from every source (repair, broken streams, the reader's warnings) and the
    # unsupported stream filters it uses: the structure_integrity check rejects on either.
    content_lost: list[str] = field(default_factory=list)
    unsupported_filters: list[str] = field(default_factory=list)
    fonts: dict[str, FontInfo] = field(default_factory=dict)
    raster: dict[str, Any] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)  # become report["errors"] entries
    # The upload as it was given (not a repaired copy): what a check that reads the whole file (the PDF/X
    # rules) opens; None for rasters and stored reports.
    source_path: Path | None = None


@dataclass
class Violation:
    """What a check returns: one thing that missed its target. The engine turns it into a finding."""

    page: int | None = None
    rule_id: str | None = None  # defaults to the check's rule id
    target: str | None = None  # defaults to the check's target
    measured: dict[str, Any] = field(default_factory=dict)  # unit -> value, becomes measured_<unit>
    required: dict[str, Any] = field(default_factory=dict)  # unit -> value, becomes required_<unit>
    values: dict[str, Any] = field(default_factory=dict)  # message placeholders, e.g. "actual.pageCount"
    extra: dict[str, Any] = field(default_factory=dict)  # copied into the finding as-is
    rects: list[tuple[int, Rect]] = field(default_factory=list)
    autofix_params: dict[str, Any] | None = None
    severity: str | None = None  # override (e.g. "reject" for overprint on white)
    autofix: bool = True  # False: this particular violation cannot be auto-fixed
