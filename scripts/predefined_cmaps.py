"""Build the predefined CMap tables the validator reads (src/printgate/core/validation/cmap_data/).

The validator needs, for each predefined CMap of ISO 32000-1 Table 118 (ISO 32000-2 Table 116 lists the
same), its codespace ranges (to split a shown string into character codes) and its code -> CID mappings,
and for each Adobe CJK character collection the Registry-Ordering-UCS2 map (CID -> Unicode, ISO 32000-1
9.10.2). They come from Adobe's CMap resources (BSD-3-Clause), as Debian's poppler-data installs them; the
tables are made once with this script and kept in the project, so a verdict does not depend on the
packages of the machine that validates. Rerun after a poppler-data update:

    apt-get install poppler-data && .venv/bin/python scripts/predefined_cmaps.py [/usr/share/poppler/cMap]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/printgate/core/validation/cmap_data"
COLLECTIONS = ("Adobe-GB1", "Adobe-CNS1", "Adobe-Japan1", "Adobe-Korea1", "Adobe-KR")
_HEX = rb"<([0-9A-Fa-f]+)>"


def _sections(data: bytes, name: bytes) -> list[bytes]:
    return re.findall(rb"begin" + name + rb"\b(.*?)end" + name + rb"\b", data, re.S)


def _ranges(data: bytes, name: bytes, single: bool) -> dict[str, list[int]]:
    """cidrange/notdefrange (lo hi cid) or cidchar/notdefchar (code cid), by code length in bytes."""
    out: dict[str, list[int]] = {}
    pattern = _HEX + rb"\s*(\d+)" if single else _HEX + rb"\s*" + _HEX + rb"\s*(\d+)"
    for body in _sections(data, name):
        for m in re.findall(pattern, body):
            lo, hi, cid = (m[0], m[0], m[1]) if single else m
            out.setdefault(str(len(lo) // 2), []).extend((int(lo, 16), int(hi, 16), int(cid)))
    return out


def delta(triples: list[tuple[int, int, int]]) -> list[int]:
    """(start, span or count, value) triples, sorted, as differences from the previous one's end: small
    numbers, mostly 0 where mappings run on (cmaps.undelta reads them back)."""
    out: list[int] = []
    end = value_end = 0
    for start, span, value in triples:
        out += [start - end, span, value - value_end]
        end, value_end = start + span, value + span
    return out


def _merge(a: dict[str, list[int]], b: dict[str, list[int]]) -> dict[str, list[int]]:
    """Ranges and single codes together, sorted by their low code, as (low, high - low, CID) deltas."""
    out: dict[str, list[int]] = {}
    for n in sorted(set(a) | set(b)):
        flat = a.get(n, []) + b.get(n, [])
        out[n] = delta(sorted((lo, hi - lo, cid) for lo, hi, cid in zip(flat[0::3], flat[1::3], flat[2::3],
                                                                        strict=True)))
    return out


def read_cmap(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    used = re.search(rb"/([\w.-]+)\s+usecmap", data)
    wmode = re.search(rb"/WMode\s+(\d+)\s+def", data)
    supplement = re.search(rb"/Supplement\s+(\d+)\s+def", data)
    spaces = [[len(lo) // 2, lo.decode().upper(), hi.decode().upper()]
              for body in _sections(data, b"codespacerange") for lo, hi in re.findall(_HEX + rb"\s*" + _HEX, body)]
    return {
        "supplement": int(supplement.group(1)) if supplement else 0,
        "wmode": int(wmode.group(1)) if wmode else 0,
        "usecmap": used.group(1).decode() if used else None,
        "codespace": spaces,
        "cid": _merge(_ranges(data, b"cidrange", False), _ranges(data, b"cidchar", True)),
        "notdef": _merge(_ranges(data, b"notdefrange", False), _ranges(data, b"notdefchar", True)),
    }


def _utf16(hexstr: bytes) -> str:
    return bytes.fromhex(hexstr.decode()).decode("utf-16-be", errors="replace")


def read_ucs2(path: Path) -> dict[str, object]:
    """CID -> Unicode as runs (first CID, count, first code point; as deltas) and CIDs mapped to several code points."""
    data = path.read_bytes()
    single: dict[int, int] = {}
    text: dict[int, str] = {}

    def put(cid: int, value: str) -> None:
        if len(value) == 1:
            single[cid] = ord(value)
        else:
            text[cid] = value

    for body in _sections(data, b"bfchar"):
        for src, dst in re.findall(_HEX + rb"\s*" + _HEX, body):
            put(int(src, 16), _utf16(dst))
    for body in _sections(data, b"bfrange"):
        for lo, hi, dst in re.findall(_HEX + rb"\s*" + _HEX + rb"\s*" + _HEX, body):
            base = _utf16(dst)
            for i in range(int(hi, 16) - int(lo, 16) + 1):
                put(int(lo, 16) + i, base[:-1] + chr(ord(base[-1]) + i))
    runs: list[list[int]] = []
    for cid in sorted(single):
        if runs and runs[-1][0] + runs[-1][1] == cid and runs[-1][2] + runs[-1][1] == single[cid]:
            runs[-1][1] += 1
        else:
            runs.append([cid, 1, single[cid]])
    return {"runs": delta([(a, b, c) for a, b, c in runs]), "text": {str(cid): value for cid, value in sorted(text.items())}}


def main(root: Path) -> None:
    from printgate.core.validation.cmaps import PREDEFINED

    OUT.mkdir(exist_ok=True)
    wanted = set(PREDEFINED) - {"Identity-H", "Identity-V"}
    for collection in COLLECTIONS:
        folder = root / collection
        cmaps: dict[str, object] = {}
        todo = sorted(n for n in wanted if (folder / n).is_file())
        while todo:
            name = todo.pop()
            if name in cmaps:
                continue
            cmaps[name] = table = read_cmap(folder / name)
            if table["usecmap"] and table["usecmap"] not in cmaps:
                todo.append(str(table["usecmap"]))
            wanted.discard(name)
        out = {"collection": collection, "source": "Adobe CMap resources (BSD-3-Clause) as poppler-data installs them",
               "cmaps": dict(sorted(cmaps.items())), "ucs2": read_ucs2(folder / f"{collection}-UCS2")}
        (OUT / f"{collection}.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
        print(f"{collection}: {len(cmaps)} CMaps, {(OUT / f'{collection}.json').stat().st_size} bytes")
    notice = re.findall(rb"^%%Copyright: ?(.*?)\s*$", (root / "Adobe-Japan1/90ms-RKSJ-H").read_bytes(), re.M)
    (OUT / "LICENSE.txt").write_text(
        "The tables in this folder are made from Adobe's CMap resources by scripts/predefined_cmaps.py.\n"
        "Their licence (BSD-3-Clause):\n\n" + "\n".join(line.decode("latin-1") for line in notice if b"-----" not in line)
        + "\n")
    if wanted:
        sys.exit(f"predefined CMaps not found under {root}: {sorted(wanted)}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/poppler/cMap"))
