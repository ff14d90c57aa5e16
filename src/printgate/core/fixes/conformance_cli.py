"""``printgate fix FILE... --pdfa 2b -o OUT`` and ``--pdfx 4``: make local files PDF/A or PDF/X (a
conversion, then the identification), each judged again by the validator.

Exit 0 when every file is confirmed compliant by the validator, 1 when one is not (what remains is
printed by rule, clause and test number; an unconfirmed PDF/X claim is never written), 2 when one
cannot be converted at all.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TextIO

Standard = Literal["pdfa", "pdfx"]


def _tools(standard: Standard) -> tuple[Callable[[str], Any], Callable[..., dict[str, Any]]]:
    """(parse_level, convert src -> dst at a level); both raise ``ConformanceError`` for a file that
    cannot be done at all."""
    if standard == "pdfa":
        from printgate.core.fixes.pdfa import convert_file
        from printgate.core.fixes.pdfa import parse_level as pdfa_level

        return pdfa_level, convert_file
    from printgate.core.fixes.pdfx import parse_level as pdfx_level
    from printgate.core.fixes.pdfx_convert import convert_file as convert_pdfx

    return pdfx_level, convert_pdfx


def _print_human(name: str, out_path: Path | None, result: dict[str, Any], out: TextIO) -> None:
    print(f"{name} -> {out_path if out_path is not None else '(not written)'}: {result['summary']}", file=out)
    for line in result["applied"]:
        print(f"  applied: {line}", file=out)
    for line in result.get("notes") or []:
        print(f"  not done: {line}", file=out)
    for f in result["remaining"]:
        print(f"  remains: {f['ruleId']} ({f['specification']} {f['clause']} test {f['testNumber']}, "
              f"x{f['count']}): {f['description']} [{f['location']}]", file=out)


def run(standard: Standard, targets: dict[Path, Path], level: str, *, as_json: bool,
        out: TextIO | None = None) -> int:
    from printgate.core.fixes.pdfa import ConformanceError

    out = out or sys.stdout  # read at call time: a default bound at import would keep a replaced stream
    parse_level, convert = _tools(standard)
    try:
        parse_level(level)
    except ConformanceError as exc:
        print(f"printgate: {exc.reason}", file=sys.stderr)
        return 2
    worst = 0
    for src, dst in targets.items():
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            result = convert(src, dst, level)
        except (ConformanceError, OSError) as exc:
            worst = 2
            reason = exc.reason if isinstance(exc, ConformanceError) else f"cannot write {dst}: {exc}"
            if as_json:
                print(json.dumps({"file": str(src), "compliant": False, "error": reason}), file=out)
            else:
                print(f"{src}: {reason}", file=out)
            continue
        result.pop("validation", None)
        if not result["compliant"]:
            worst = max(worst, 2 if result.get("error") else 1)
        written = dst if result.get("written", True) else None
        if as_json:
            print(json.dumps({"file": str(src), "output": str(written) if written else None, **result}), file=out)
        else:
            _print_human(str(src), written, result, out)
    return worst
