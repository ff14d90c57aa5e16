"""The walker's shortcuts change nothing it reports (issue 17): ``q ... Q`` blocks that only set
the graphics state are dropped by the tokenizer (``scan_ops(prune=True)``) and counted, and a saved
graphics state is shared until something changes it (copy on write). Reports with and without the
pruning, and through qpdf's parser, are the same on generated pages."""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from printgate.core.preflight import run_preflight
from printgate.core.preflight.content import MAX_PRUNED_DEPTH, scan_ops
from printgate.core.preflight.model import DocFacts
from printgate.core.preflight.pdf import streams
from printgate.core.preflight.pdf.reader import DocumentReader

from .pdfgen import PageSpec, build_into, embedded_font


def _ops(data: bytes) -> list[str]:
    out = scan_ops(data, True)
    assert out is not None
    return [op for op, _ in out]


def test_blocks_that_only_set_the_state_are_dropped_and_still_counted() -> None:
    data = b"q 0 g 1 w Q q q 1 0 0 1 5 5 cm [1 2] 0 d Q 0 0 1 RG Q 0 0 m 1 1 l S"
    out = scan_ops(data, True)
    assert out is not None
    assert [op for op, _ in out] == ["l", "S"]
    assert out.n_ops == 14  # every operator of the stream: the walker's budget is the stream's
    kept = scan_ops(data)  # the default reads every operator
    assert kept is not None and [op for op, _ in kept][:3] == ["q", "g", "w"]


@pytest.mark.parametrize("inner", [
    b"0 0 m 1 1 l S", b"0 0 1 1 re f", b"0 0 1 1 re W n", b"/GS1 gs", b"/F1 9 Tf", b"/Im1 Do", b"/Sh1 sh",
    b"/Perceptual ri", b"/CS0 cs", b"/P0 scn", b"/OC /L1 BDC EMC", b"/Span BMC EMC", b"BT ET",
    b"BT (a) Tj ET",
])
def test_blocks_that_do_more_than_set_the_state_are_kept(inner: bytes) -> None:
    ops = _ops(b"q 0 g q 2 w Q q " + inner + b" Q 1 w Q")
    assert ops[0] == "q" and ops[-1] == "Q"
    assert "g" in ops and "w" in ops  # the outer block's state changes stay with it
    assert ops.count("q") == 2  # only the inner ``q 2 w Q`` went


def test_a_Q_of_the_state_before_the_stream_and_deep_nesting_are_kept() -> None:
    assert _ops(b"0 g Q 1 w") == ["g", "Q", "w"]
    deep = b"q " * (MAX_PRUNED_DEPTH + 1) + b"Q " * (MAX_PRUNED_DEPTH + 1)
    assert len(_ops(deep)) == 2 * (MAX_PRUNED_DEPTH + 1)  # the walker must see the depth it refuses
    shallow = scan_ops(b"q " * MAX_PRUNED_DEPTH + b"Q " * MAX_PRUNED_DEPTH, True)
    assert shallow is not None and list(shallow) == [] and shallow.n_ops == 2 * MAX_PRUNED_DEPTH


def test_too_deep_nesting_is_still_refused_with_pruning(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    content = b"q " * (MAX_PRUNED_DEPTH + 1) + b"Q " * (MAX_PRUNED_DEPTH + 1) + b"0 0 10 10 re f"
    path = build_into(pdf, tmp_path / "deep.pdf", [PageSpec(content=content)], intent=False, pdfx=False)
    facts = _page_facts(path)
    assert facts.content_error and "nested too deeply" in facts.content_error


def _page_facts(path: Path) -> Any:
    with pikepdf.open(path) as pdf:
        reader = DocumentReader(pdf)
        return reader.safe_page_facts(0, pdf.pages[0], DocFacts(kind="pdf", size_bytes=0))


def test_a_state_saved_by_q_comes_back_after_changes_made_inside(tmp_path: Path) -> None:
    """Copy on write: ``q`` saves the state itself; the first change after it must not reach the
    saved one, including after an inner ``q Q`` that changed nothing."""
    pdf = pikepdf.new()
    content = (b"3 w 0 0 0 1 K "
               b"q 0.25 w q Q 2 0 0 2 0 0 cm 1 0 0 0 K 20 20 m 40 20 l S q Q Q "  # 0.5 pt at 2x, cyan
               b"20 60 m 60 60 l S")  # back to 3 pt, black
    path = build_into(pdf, tmp_path / "cow.pdf", [PageSpec(content=content)], intent=False, pdfx=False)
    for prune in (True, False):
        facts = _walk(path, prune)
        widths = sorted(w for w, _ in facts.thin_stroke_rects)
        assert widths == [0.5, 3.0]
        assert facts.modes == {"CMYK": 2}
        assert facts.tac_vector == 100.0  # 1 0 0 0 and 0 0 0 1: 100 % each


def _walk(path: Path, prune: bool) -> Any:
    real = streams.scan_ops
    streams.scan_ops = lambda data, _prune=False: real(data, prune)  # type: ignore[assignment]
    try:
        return _page_facts(path)
    finally:
        streams.scan_ops = real  # type: ignore[assignment]


STATE = ["0 g", "1 G", "0.2 0.4 0.6 rg", "0 0 1 RG", "0.1 0.9 0.9 0.9 k", "0.5 0 0 1 K", "0.1 w", "3 w",
         "1 0 0 1 30 40 cm", "0.5 0 0 0.5 0 0 cm", "[2 1] 0 d", "1 J", "0 j", "4 M", "/GS1 gs"]
PAINT = ["10 10 m 200 12 l S", "5 5 40 40 re f", "0 0 m 300 300 l 10 300 l h f*", "BT /F1 5 Tf 20 20 Td (Hi)Tj ET",
         "BT /F1 9 Tf 1 0 0 1 2 250 Tm [(a)-20(b)]TJ ET", "0 0 m 1 1 l n"]


def _random_content(rng: random.Random, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 8)):
        r = rng.random()
        if r < 0.35 and depth < 6:
            parts.append("q " + _random_content(rng, depth + 1) + " Q")
        elif r < 0.75:
            parts.append(rng.choice(STATE))
        else:
            parts.append(rng.choice(PAINT))
    return " ".join(parts)


@pytest.mark.parametrize("seed", range(12))
def test_reports_are_the_same_with_and_without_pruning_and_through_qpdf(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    pdf = pikepdf.new()
    gs1 = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, CA=0.5, LW=0.05))
    pages = [PageSpec(content=_random_content(rng).encode(), fonts={"F1": embedded_font(pdf)},
                      extgstates={"GS1": gs1}) for _ in range(3)]
    path = build_into(pdf, tmp_path / f"r{seed}.pdf", pages, intent=False, pdfx=False)
    real = streams.scan_ops
    reports = []
    for scan in (real, lambda data, prune=False: real(data, False), lambda data, prune=False: None):
        monkeypatch.setattr(streams, "scan_ops", scan)
        reports.append(run_preflight(path, None, source_name="r.pdf", workers=1))
    pruned, unpruned, qpdf = reports
    assert pruned == unpruned
    for key in ("pages", "facts"):
        assert pruned[key] == qpdf[key]
    assert pruned["evaluation"]["findings"] == qpdf["evaluation"]["findings"]
    assert all(p.get("inspected", True) for p in pruned["pages"])  # the content was walked, not skipped
    facts = [_walk(path, prune) for prune in (True, False)]
    assert asdict(facts[0]) == asdict(facts[1]) and facts[0].content_ops > 0
