"""split_pages names each page by a pattern; combine keeps the order given; a ZIP keeps every file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pikepdf
import pymupdf
import pytest

from printgate.core.errors import UnreadableFile
from printgate.core.models import Task
from printgate.core.processing.merge import ordered_tasks
from printgate.core.processing.pages import Part, bundle, check_pattern, combine, split_pages
from tests.support import make_pdf


def _texts(path: Path) -> list[str]:
    with pymupdf.open(path) as doc:
        return [p.get_text().strip() for p in doc]


def test_split_pages_by_pattern(tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "brochure.pdf", pages=3, text="Brochure")
    pages = split_pages(src, tmp_path / "out", name="My Brochure.pdf", pattern="{name}_{page:02d}-of-{pages}")
    assert [name for _, name in pages] == ["My Brochure_01-of-3.pdf", "My Brochure_02-of-3.pdf",
                                           "My Brochure_03-of-3.pdf"]
    assert [_texts(path) for path, _ in pages] == [["Brochure page 1"], ["Brochure page 2"], ["Brochure page 3"]]


@pytest.mark.parametrize("pattern", ["{name}.pdf", "{name}-{secret}-{page}", "{page"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        check_pattern(pattern)


def test_pattern_cannot_escape_the_folder(tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "a.pdf", pages=1)
    [(_, name)] = split_pages(src, tmp_path / "o", name="../../etc/x.pdf", pattern="../{name}/{page}")
    assert "/" not in name and name.endswith(".pdf")


def test_split_keeps_the_output_intent(tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "a.pdf", pages=2)
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX, OutputConditionIdentifier="FOGRA39"))])
        pdf.save(src)
    for path, _ in split_pages(src, tmp_path / "o", name="a.pdf"):
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.OutputIntents[0].OutputConditionIdentifier) == "FOGRA39"


def test_split_of_a_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nnothing here")
    with pytest.raises(UnreadableFile):
        split_pages(bad, tmp_path / "o", name="bad.pdf")


def test_combine_in_the_order_given(tmp_path: Path) -> None:
    back = make_pdf(tmp_path / "back.pdf", text="Back")
    front = make_pdf(tmp_path / "front.pdf", text="Front")
    out = tmp_path / "card.pdf"
    assert combine([Part(front, "front.pdf", True), Part(back, "back.pdf", True)], out) == 2
    assert _texts(out) == ["Front page 1", "Back page 1"]
    with pytest.raises(ValueError):
        combine([Part(tmp_path / "x.png", "x.png", False)], tmp_path / "no.pdf")


def test_zip_keeps_every_file_under_a_unique_name(tmp_path: Path) -> None:
    a = make_pdf(tmp_path / "a.pdf", text="A")
    b = make_pdf(tmp_path / "b.pdf", text="B")
    out = tmp_path / "all.zip"
    names = bundle([Part(a, "art.pdf", True), Part(b, "art.pdf", True), Part(a, "../evil.pdf", True)], out)
    assert names == ["art.pdf", "art-2.pdf", "evil.pdf"]
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == names and zf.testzip() is None
        assert zf.read("art-2.pdf") == b.read_bytes()


def test_slot_order_puts_front_before_back_whatever_came_first() -> None:
    back = Task(id="t1", job_id="j", account_id="a", position=0, slot="Back")
    front = Task(id="t2", job_id="j", account_id="a", position=1, slot="Front")
    extra = Task(id="t3", job_id="j", account_id="a", position=2, slot=None)
    assert [t.id for t in ordered_tasks([back, extra, front], ["Front", "Back"])] == ["t2", "t1", "t3"]


def test_combine_names_the_part_it_cannot_read(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n%%EOF")
    with pytest.raises(UnreadableFile, match=r"back\.pdf cannot be combined"):
        combine([Part(good, "front.pdf", True), Part(bad, "back.pdf", True)], tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()
