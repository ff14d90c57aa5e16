"""``printgate fix FILE... --pdfa 2b -o OUT``: convert local files to PDF/A and re-validate them.

Exit 0 when every converted file is confirmed compliant by the validator, 1 when one is not (what
remains is printed by rule, clause and test number), 2 when one cannot be converted at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO


def _print_human(name: str, out_path: Path, result: dict[str, Any], out: TextIO) -> None:
    print(f"{name} -> {out_path}: {result['summary']}", file=out)
    for line in result["applied"]:
        print(f"  applied: {line}", file=out)
    for line in result["notes"]:
        print(f"  not done: {line}", file=out)
    for f in result["remaining"]:
        print(f"  remains: {f['ruleId']} ({f['specification']} {f['clause']} test {f['testNumber']}, "
              f"x{f['count']}): {f['description']} [{f['location']}]", file=out)


def run(targets: dict[Path, Path], level: str, *, as_json: bool, out: TextIO | None = None) -> int:
    from printgate.core.fixes.pdfa import PdfaConversionError, convert_file, parse_level

    out = out or sys.stdout  # read at call time: a default bound at import would keep a replaced stream

    try:
        parse_level(level)
    except PdfaConversionError as exc:
        print(f"printgate: {exc.reason}", file=sys.stderr)
        return 2
    worst = 0
    for src, dst in targets.items():
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            result = convert_file(src, dst, level)
        except (PdfaConversionError, OSError) as exc:
            worst = 2
            reason = exc.reason if isinstance(exc, PdfaConversionError) else f"cannot write {dst}: {exc}"
            if as_json:
                print(json.dumps({"file": str(src), "compliant": False, "error": reason}), file=out)
            else:
                print(f"{src}: {reason}", file=out)
            continue
        result.pop("validation", None)
        if not result["compliant"]:
            worst = max(worst, 2 if result.get("error") else 1)
        if as_json:
            print(json.dumps({"file": str(src), "output": str(dst), **result}), file=out)
        else:
            _print_human(str(src), dst, result, out)
    return worst
