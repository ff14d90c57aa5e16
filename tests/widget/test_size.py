"""The widget stays small: JS + CSS under 30 kB gzipped."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from tests.support import source_dir

STATIC = source_dir("widgets", "static")
BUDGET = 30 * 1024


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_js_and_css_fit_the_budget() -> None:
    js, css = gzipped(STATIC / "printgate.js"), gzipped(STATIC / "printgate.css")
    print(f"printgate.js {js} B gz, printgate.css {css} B gz, total {js + css} B")
    assert js + css < BUDGET, f"{js + css} bytes gzipped exceeds {BUDGET}"
    assert js > 5000, "the budget test must measure the real script"


def test_script_is_es2019_without_a_build_step() -> None:
    """No optional chaining or nullish coalescing (ES2020): shops' older browsers run it as is."""
    source = (STATIC / "printgate.js").read_text()
    newer = {
        "optional chaining": (r"(?<!\\)\?\.(?=[A-Za-z_$(\[])", "a?.b"),
        "nullish coalescing": (r"(?<![\\(])\?\?", "a ?? b"),
    }
    for feature, (pattern, example) in newer.items():
        assert re.search(pattern, example), f"the {feature} pattern must recognise {example!r}"
        assert not re.search(pattern, source), f"{feature} is newer than the ES2019 the widget is written in"
