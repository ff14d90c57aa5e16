"""``printgate fix FILE... --pdfx 4 -o OUT``: identify local files as PDF/X and re-validate them.

Exit 0 when every file is identified and confirmed by the validator, 1 when one does not meet the
part otherwise (it is not written: a PDF/X claim is never put into a file that fails; what remains is
printed by rule, clause and test number), 2 when one cannot be identified at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO


def _print_human(name: str, out_path: Path, result: dict[str, Any], out: TextIO) -> None:
    print(f"{name} -> {out_path if result['written'] else '(not written)'}: {result['summary']}", file=out)
    for line in result["applied"]:
        print(f"  applied: {line}", file=out)
    for f in result["remaining"]:
        print(f"  remains: {f['ruleId']} ({f['specification']} {f['clause']} test {f['testNumber']}, "
              f"x{f['count']}): {f['description']} [{f['location']}]", file=out)


def run(targets: dict[Path, Path], level: str, *, as_json: bool, out: TextIO | None = None) -> int:
    from printgate.core.fixes.pdfx import PdfxIdentificationError, identify_file, parse_level

    out = out or sys.stdout  # read at call time: a default bound at import would keep a replaced stream
    try:
        parse_level(level)
    except PdfxIdentificationError as exc:
        print(f"printgate: {exc.reason}", file=sys.stderr)
        return 2
    worst = 0
    for src, dst in targets.items():
        try:
            result = identify_file(src, dst, level)
        except PdfxIdentificationError as exc:
            worst = 2
            if as_json:
                print(json.dumps({"file": str(src), "compliant": False, "error": exc.reason}), file=out)
            else:
                print(f"{src}: {exc.reason}", file=out)
            continue
        result.pop("validation", None)
        if not result["compliant"]:
            worst = max(worst, 2 if result.get("error") else 1)
        if as_json:
            print(json.dumps({"file": str(src), "output": str(dst) if result["written"] else None, **result}),
                  file=out)
        else:
            _print_human(str(src), dst, result, out)
    return worst
