"""``printgate validate FILE... --flavour pdfa-2b|pdfua-1|pdfx-4|auto [--json]``: exit 0 when every file is
compliant, 1 when one is not, 2 when one cannot be validated (not a PDF, damaged, encrypted) or is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO


def _print_human(name: str, report: dict[str, Any], out: TextIO) -> None:
    for p in report["profiles"]:
        verdict = "compliant" if p["compliant"] else "NOT compliant"
        cov = p.get("coverage") or {}
        print(f"{name}: {p['profileName'].removesuffix(' validation profile')} {verdict} "
              f"(checks {p['checks']['passed']} passed, {p['checks']['failed']} failed; rules "
              f"{p['rules']['passed']} passed, {p['rules']['failed']} failed; "
              f"{cov.get('rulesChecked')} of {cov.get('rulesInReferenceProfile')} reference rules checked)", file=out)
        for f in p["failures"]:
            print(f"  {f['specification']} {f['clause']} test {f['testNumber']} (x{f['count']}): "
                  f"{f['description']} [{f['location']}]", file=out)


def run(files: list[str], flavour: str, *, as_json: bool, out: TextIO | None = None) -> int:
    from printgate.core.validation import CannotValidate, normalise_flavour, validate_file

    out = out or sys.stdout  # read at call time: a default bound at import would keep a replaced stream

    try:
        normalise_flavour(flavour)
    except ValueError as exc:
        print(f"printgate: {exc}", file=sys.stderr)
        return 2
    worst = 0
    for name in files:
        path = Path(name)
        if not path.is_file():
            print(f"printgate: no such file: {name}", file=sys.stderr)
            worst = 2
            continue
        try:
            report = validate_file(path, [flavour])
        except CannotValidate as exc:
            worst = 2
            if as_json:
                print(json.dumps({"file": name, "compliant": False, "error": exc.reason}), file=out)
            else:
                print(f"{name}: {exc.reason}", file=out)
            continue
        if not report["compliant"]:
            worst = max(worst, 1)
        if as_json:
            print(json.dumps({"file": name, **report}), file=out)
        else:
            _print_human(name, report, out)
    return worst
