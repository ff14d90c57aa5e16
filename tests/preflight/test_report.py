"""The clean control and the report envelope (shape of sdk-fixtures/job.preflight.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.preflight import run_preflight

from . import pdfgen
from .conftest import findings, print_ready

FIXTURE = Path("/work/shared/spec/sdk-fixtures/job.preflight.json")


def test_clean_control_has_no_rejects(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.make_clean, print_ready())
    assert report["evaluation"]["summary"]["fail"] == 0
    # Text is live (not outlined) — the only thing the documented defaults flag.
    assert [f["ruleId"] for f in findings(report)] == ["text_not_outlined"]
    assert report["outcome"] == "warn"


def test_clean_control_with_no_profile(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.make_clean)
    assert report["evaluation"]["summary"]["fail"] == 0
    assert report["evaluation"]["profileId"] is None
    assert "page_size" in report["evaluation"]["skipped"]  # no size to compare against
    assert "orientation" in report["evaluation"]["ignored"]  # documented default: Off


def test_report_has_the_fixture_shape(run: Callable[..., dict[str, Any]]) -> None:
    fixture = json.loads(FIXTURE.read_text())["job"]["results"]["preflight"][0]["report"]
    report = run(pdfgen.unembedded_font, print_ready(), name="card.pdf")

    def keys_subset(want: Any, got: Any, where: str) -> None:
        if isinstance(want, dict):
            assert isinstance(got, dict), where
            for k, v in want.items():
                if where.endswith("findings[]") and k not in ("sectionId", "ruleId", "severity", "target", "autofix", "locate"):
                    continue
                assert k in got, f"{where}.{k} missing"
                keys_subset(v, got[k], f"{where}.{k}")
        elif isinstance(want, list) and want and isinstance(want[0], dict) and got:
            keys_subset(want[0], got[0], where + "[]")

    keys_subset({k: v for k, v in fixture.items() if k != "evaluation"}, report, "report")
    ev = report["evaluation"]
    for k in ("findings", "passed", "skipped", "summary", "recommendedAutofix"):
        assert k in ev
    assert set(fixture["evaluation"]["summary"]) <= set(ev["summary"])
    assert report["source"] == {"name": "card.pdf", "sizeBytes": report["source"]["sizeBytes"]}
    assert report["pdf"]["page_count"] == 1 and report["pdf"]["version"] == "1.6"
    font = next(f for f in report["fonts"] if f["name"] == "Helvetica")
    assert font["embedded"] is False and font["pages"] == [1]
    hit = findings(report, "font_not_embedded")[0]
    assert hit["sectionId"] == "text" and hit["target"] == "fonts" and hit["font"] == "Helvetica"
    assert hit["checkId"] == "fonts_embedded"
    # fixture-compatible: autofix strategy embed_fonts, recommended optimize params
    assert hit["autofix"]["strategy"] == "embed_fonts"
    rec = ev["recommendedAutofix"]
    assert rec["runner"] == "optimize" and rec["params"]["pdf"]["fonts"] == {"embed": True}
    assert "font_not_embedded" in rec["fixes"]
    json.dumps(report)  # serialisable


def test_summary_counts_are_consistent(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.no_bleed, print_ready(bleed={"action": "reject"}))
    ev = report["evaluation"]
    s = ev["summary"]
    assert s["fail"] == sum(f["severity"] == "reject" for f in ev["findings"])
    assert s["warn"] == sum(f["severity"] == "warn" for f in ev["findings"])
    assert s["pass"] == len(ev["passed"]) and s["skipped"] == len(ev["skipped"])
    assert s["autofixable"] == sum(f["autofix"]["available"] for f in ev["findings"])
    bleed = findings(report, "bleed_missing")[0]
    # Like the fixture: a reject that autofix could repair counts in autofixableFails.
    assert bleed["severity"] == "reject" and bleed["autofix"]["available"] and not bleed["autofix"]["scheduled"]
    assert s["autofixableFails"] >= 1
    assert ev["recommendedAutofix"]["params"]["pdf"]["bleed"] == {"mode": "mirror", "bleed_mm": 3.0}
    assert report["outcome"] == "fail"
    assert "page_count" in ev["passed"] and "pdf_version" in ev["passed"]


def test_autofix_action_gives_warn_with_autofix(run: Callable[..., dict[str, Any]]) -> None:
    hit = findings(run(pdfgen.no_bleed, print_ready()), "bleed_missing")[0]
    assert hit["action"] == "autofix" and hit["severity"] == "warn"
    assert hit["autofix"]["available"] and hit["autofix"]["scheduled"]
    assert hit["autofixMessage"] == "We'll add the missing bleed automatically before printing."
    assert hit["issue"] == "Your file is missing or has incorrect bleed. We need 3 mm on every side."


def test_bleed_fill_none_is_not_autofixable(run: Callable[..., dict[str, Any]]) -> None:
    hit = findings(run(pdfgen.no_bleed, print_ready(bleed={"fill": "none"})), "bleed_missing")[0]
    assert hit["autofix"] == {"available": False}


def test_page_block(run: Callable[..., dict[str, Any]]) -> None:
    report = run(pdfgen.rotated, print_ready())
    (page,) = report["pages"]
    assert page["rotation"] == 90
    assert page["bleed_mm"] == {"left": 3.0, "bottom": 3.0, "right": 3.0, "top": 3.0}
    assert page["bleed_pt"] == 8.5
    assert page["size_mm"] == [210.0, 148.0]  # as displayed (rotated)
    assert page["boxes"]["trim"] is not None and page["transparency"] is False
    assert report["facts"]["orientation"] == "landscape" and report["facts"]["pageCount"] == 1


def test_ink_coverage_off_does_not_render(tmp_path: Path) -> None:
    path = pdfgen.tac_380(tmp_path / "t.pdf")
    report = run_preflight(path, print_ready(ink_coverage={"action": "off"}), source_name="t.pdf")
    assert "tac_max" not in report["pages"][0]
    assert "ink_coverage" in report["evaluation"]["ignored"]


def test_tac_locates_heaviest_area(run: Callable[..., dict[str, Any]]) -> None:
    hit = findings(run(pdfgen.tac_380, print_ready()), "ink_coverage_exceeded")[0]
    (box,) = hit["locate"]["boxes"]
    x0, y0, x1, y1 = box["rect"]
    # the 80 x 80 pt box at (BLEED + 25 mm, BLEED + 100 mm)
    bx, by = pdfgen.BLEED + 25 * pdfgen.MM, pdfgen.BLEED + 100 * pdfgen.MM
    assert bx - 3 <= x0 < x1 <= bx + 83 and by - 3 <= y0 < y1 <= by + 83
    assert "380%" in hit["issue"] or "379%" in hit["issue"]


def test_vector_only_tac_is_exact_without_rendering(run: Callable[..., dict[str, Any]]) -> None:
    box = b"q 1 1 0.8 1 k 200 300 80 80 re f Q\n"
    report = run(lambda p: pdfgen._one_page(p, image=b"", extra=box), print_ready())
    hit = findings(report, "ink_coverage_exceeded")[0]
    assert hit["measured_percent"] == 380.0
    assert hit["locate"]["boxes"][0]["rect"] == [200.0, 300.0, 280.0, 380.0]
    # RGB content can't be judged without a CMYK render: it is rendered instead.
    rgb = run(lambda p: pdfgen._one_page(p, image=b"", extra=b"q 0 0 1 rg 200 300 80 80 re f Q\n"),
              print_ready(), name="rgb.pdf")
    assert rgb["pages"][0]["tac_max"] > 0


def test_tac_location_on_rotated_pages(tmp_path: Path) -> None:
    """The rendered pixel is mapped back to PDF user space through the page rotation."""
    box = b"q 1 1 0.8 1 k 200 300 80 80 re f Q\nq 0 0 1 rg 10 10 5 5 re f Q\n"  # RGB forces a render
    for rot in (0, 90, 180, 270):
        path = pdfgen._one_page(tmp_path / f"r{rot}.pdf", image=b"", extra=box, rotate=rot)
        report = run_preflight(path, print_ready(), source_name=path.name)
        hit = findings(report, "ink_coverage_exceeded")[0]
        x0, y0, x1, y1 = hit["locate"]["boxes"][0]["rect"]
        assert 199 <= x0 < x1 <= 281 and 299 <= y0 < y1 <= 381, (rot, hit["locate"])


def test_pdfa_identification_is_read_in_every_xmp_encoding(tmp_path: Path) -> None:
    """XMP may be UTF-8, UTF-16 or UTF-32, either byte order, with or without a BOM."""
    import pikepdf

    base = pdfgen.pdfa(tmp_path / "base.pdf")
    with pikepdf.open(base) as pdf:
        xml = pdf.Root.Metadata.read_bytes().decode("utf-8")
    encodings = [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                 ("utf-16-le", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b""), ("utf-16-be", b"\xfe\xff"),
                 ("utf-32-le", b""), ("utf-32-le", b"\xff\xfe\x00\x00"),
                 ("utf-32-be", b""), ("utf-32-be", b"\x00\x00\xfe\xff")]
    for codec, bom in encodings:
        path = tmp_path / f"{codec}-{len(bom)}.pdf"
        with pikepdf.open(base) as pdf:
            pdf.Root.Metadata.write(bom + xml.lstrip("\ufeff").encode(codec))
            pdf.save(path, fix_metadata_version=False)  # pikepdf would re-serialise it as UTF-8
        with pikepdf.open(path) as pdf:
            assert pdf.Root.Metadata.read_bytes().startswith(bom + "<".encode(codec))
        report = run_preflight(path, None, source_name=path.name)
        assert report["pdf"]["pdfa"] == "PDF/A-2b", (codec, bom)
    plain = run_preflight(pdfgen.make_clean(tmp_path / "plain.pdf"), None, source_name="plain.pdf")
    assert plain["pdf"]["pdfa"] is None  # no identification, no claim


def test_font_embedding_is_offered_only_for_a_font_the_server_has(run: Callable[..., dict[str, Any]]) -> None:
    """Issue 11, hole 9: font_not_embedded was offered as auto-fixable for any font and the fix could
    not run for a font the server lacks. Helvetica (a standard-14 substitute exists) is offered;
    a font nobody has is not, and the finding says how to fix it by hand."""

    def made_up_font(path: Path) -> Path:
        pdf = pikepdf.new()
        spec = pdfgen.clean_page(pdf, fonts={"F2": pdfgen.base14_font(pdf, "NoSuchFoundry-Bold")},
                                 extra=pdfgen._text(y_mm=120, font="F2"))
        return pdfgen.build_into(pdf, path, [spec])

    offered = findings(run(pdfgen.unembedded_font), "font_not_embedded")[0]
    assert offered["autofix"]["available"] is True
    missing = findings(run(made_up_font, name="made-up.pdf"), "font_not_embedded")[0]
    assert missing["font"] == "NoSuchFoundry-Bold"
    assert missing["autofix"] == {"available": False} and missing["fix"]
