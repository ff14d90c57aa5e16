"""Validation memory grows with the objects a file holds, and by no more: a guard on the growth of the peak
from 30 to 300 pages, each page with resources of its own and 800 glyphs shown in hexadecimal strings
(``memory_pdfs.many_page_pdf``), as LuaTeX and office exporters write text.

Each validation runs in a fresh interpreter that reports its own high-water mark (``VmHWM``): a child's
``ru_maxrss`` can inherit the parent's (pytest's) peak. A page of its own font, image, form, ExtGState
and link costs about 35 kB (libqpdf keeps every object it has resolved until the file is closed, and
the rules read every object): 300 pages peak about 1.26x of 30. When the content walk kept one entry
per hex string shown, a page cost 93 kB and 300 pages peaked at 1.67x; the bounds fail that, and any
other state kept per page or per occurrence (a parsed content stream kept per page, ...).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from printgate.core.validation.content import Runs
from tests.core.validation.memory_pdfs import many_page_pdf

CHILD = """import sys
from printgate.core.validation import validate_file
report = validate_file(sys.argv[1], ["pdfa-2b"])
assert report["profiles"][0]["checks"]["passed"] > 0
with open("/proc/self/status") as fh:
    print(next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")))
"""

KB_PER_OWN_PAGE = 64  # a page with resources of its own costs about 35 kB today
MAX_RATIO = 1.4


def peak_kb(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.strip().splitlines()[-1])


def test_peak_memory_from_30_to_300_pages_grows_by_the_pages_objects_only(tmp_path: Path) -> None:
    small = peak_kb(many_page_pdf(tmp_path / "30.pdf", 30))
    large = peak_kb(many_page_pdf(tmp_path / "300.pdf", 300))
    per_page = (large - small) / 270
    assert per_page <= KB_PER_OWN_PAGE, f"{per_page:.0f} kB per page ({small} kB at 30 pages, {large} kB at 300)"
    assert large / small <= MAX_RATIO, f"{large / small:.2f}x ({small} kB at 30 pages, {large} kB at 300)"


def test_the_generated_pages_each_hold_resources_of_their_own(tmp_path: Path) -> None:
    """The guard above measures what it says: every page has its own font, image, form and ExtGState."""
    import pikepdf

    with pikepdf.open(many_page_pdf(tmp_path / "3.pdf", 3)) as pdf:
        seen: dict[str, set[tuple[int, int]]] = {"/Font": set(), "/XObject": set(), "/ExtGState": set()}
        for page in pdf.pages:
            res = page.obj.Resources
            for category in seen:
                seen[category] |= {v.objgen for v in res[category].values()}
            assert len(page.obj.Annots) == 1
        assert {k: len(v) for k, v in seen.items()} == {"/Font": 3, "/XObject": 6, "/ExtGState": 3}


def test_runs_iterate_every_item_in_order_and_keep_one_entry_per_run() -> None:
    """Facts recorded per occurrence (hex strings, intents, marked-content Lang) are read back exactly as the
    list they replace: every item, in order, however equal items are interleaved."""
    items = [("page 1", True, True)] * 500 + [("page 1", False, True)] + [("page 1", True, True)] * 3 + \
        [("page 2", True, True)] * 2
    runs: Runs[tuple[str, bool, bool]] = Runs()
    for item in items:
        runs.append(item)
    assert list(runs) == items
    assert len(runs) == 506
    assert list(runs) == items  # a second pass reads the same
    assert repr(runs) == "Runs(506 items in 4 runs)"
    assert list(Runs()) == [] and len(Runs()) == 0
