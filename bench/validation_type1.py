"""Type 1 font programs: our bounded parser (printgate.core.validation.type1) beside fontTools' t1Lib, and
validating a PDF that embeds them (FontFile) beside ``qpdf --check``.

    .venv/bin/python bench/validation_type1.py [FONT.t1|FONT.pfb ...] [--repeat 3]

With no fonts given, reads the URW base 35 Type 1 fonts (fonts-urw-base35, which ghostscript from
scripts/apt-packages.txt pulls in). Prints, per run, CPU seconds beside wall seconds for: reading every glyph name and
advance width with ours and with fontTools (the peer), and ``validate_file(..., ["pdfa-2b"])`` on a one-page
PDF/A-2b showing text in the first four fonts, beside ``qpdf --check`` on the same file. Also checks that both
parsers agree on glyph names and widths. Then a CID-keyed program whose glyphs live in a GlyphDirectory
(``--cids N`` glyphs, made by the tests' generator): every CID's width read by ours beside Ghostscript
loading the same program as a CIDFont resource and measuring each glyph with ``stringwidth`` (the peer,
its start-up measured apart), and whether the widths agree. A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import glob
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _ours(datas: list[bytes]) -> list[dict[str, float | None]]:
    from printgate.core.validation.type1 import parse_type1

    out = []
    for data in datas:
        prog = parse_type1(data)
        out.append({name: prog.width(name) for name in prog.glyph_names})
    return out


def _peer(paths: list[str]) -> list[dict[str, float | None]]:
    from fontTools.pens.basePen import NullPen
    from fontTools.t1Lib import T1Font

    out = []
    for path in paths:
        font = T1Font(path)
        font.parse()
        glyphs = font.font["CharStrings"]
        widths: dict[str, float | None] = {}
        for name in list(glyphs.keys()):
            cs = glyphs[name]
            cs.draw(NullPen())
            widths[name] = getattr(cs, "width", None)
        out.append(widths)
    return out


def _agree(a: dict[str, float | None], b: dict[str, float | None]) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        return x == y if x is None or y is None else abs(x - y) < 1e-6
    return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)


def _pdf(paths: list[str], target: Path) -> None:
    import pikepdf
    from fontTools.encodings.StandardEncoding import StandardEncoding
    from pikepdf import Array, Dictionary, Name

    from printgate.core.validation.type1 import parse_type1

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(300, 200))
    fonts = Dictionary()
    text = bytes(c for c in range(33, 127) if c not in b"()\\")
    content = b""
    for i, path in enumerate(paths[:4]):
        data = Path(path).read_bytes()
        prog = parse_type1(data)
        widths = [round(prog.width(StandardEncoding[c]) or 0) if StandardEncoding[c] in prog.charstrings else 0
                  for c in range(32, 127)]
        stream = pdf.make_stream(data)
        at = data.find(b"eexec") + 6
        stream.Length1, stream.Length2, stream.Length3 = at, len(data) - at, 0
        name = Path(path).stem
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/" + name), Flags=32, FontBBox=Array([0, -300, 1000, 1000]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80, FontFile=stream))
        fonts[Name(f"/F{i}")] = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/" + name), FirstChar=32, LastChar=126,
            Widths=Array(widths), Encoding=Name.StandardEncoding, FontDescriptor=descriptor))
        content += b"BT /F%d 6 Tf 5 %d Td (%s) Tj ET\n" % (i, 20 + 40 * i, text)
    pdf.pages[0].obj.Resources = Dictionary(Font=fonts)
    pdf.pages[0].obj.Contents = pdf.make_stream(content)
    pdf.save(target)


def _gs_widths(program: Path, count: int) -> tuple[list[float], float, float]:
    """Ghostscript's advance widths for CIDs 0..count-1 of a CIDFont program; wall and CPU seconds."""
    script = program.with_suffix(".show.ps")
    script.write_text(
        f"({program}) run\n/Comp /Identity-H [/ABCDEF+TinyGD /CIDFont findresource] composefont pop\n"
        f"/Comp 1000 selectfont\n0 1 {count - 1} {{ 2 string dup 0 3 index -8 bitshift put "
        "dup 1 4 -1 roll 255 and put stringwidth pop = } for\n")
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    out = subprocess.run(["gs", "-q", "-dNODISPLAY", "-dNOSAFER", "-dBATCH", "-dNOPAUSE", str(script)],
                         capture_output=True, text=True, check=False).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    return [float(v) for v in out.split()], time.perf_counter() - t0, cpu


def _glyph_directory(count: int, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    from printgate.core.validation.type1 import parse_cid_type1
    from tests.core.validation.type1_pdfs import cid_type1_directory_program

    widths = {cid: 200 + cid * 37 % 800 for cid in range(count)}
    data = cid_type1_directory_program(widths, cid_count=count, layout="dict", strings="binary")
    print(f"GlyphDirectory CIDFont: {count} glyphs, {len(data) / 1e3:.0f} kB")
    ours: list[float | None] = []
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp) / "gd.ps"
        program.write_bytes(data)
        for run in range(repeat):
            c0, t0 = _cpu(), time.perf_counter()
            prog = parse_cid_type1(data)
            ours = [prog.width(cid) for cid in range(count)]
            c1, t1 = _cpu(), time.perf_counter()
            line = f"run {run + 1}: printgate parse + {count} widths {t1 - t0:.3f} s wall, {c1 - c0:.3f} s CPU"
            if shutil.which("gs"):
                peer, wall, cpu = _gs_widths(program, count)
                _, wall0, cpu0 = _gs_widths(program, 1)
                line += (f" | peer Ghostscript {wall:.3f} s wall, {cpu:.3f} s CPU (of which start-up and loading"
                         f" the font with 1 glyph measured {wall0:.3f} s wall, {cpu0:.3f} s CPU)")
                same = sum(1 for a, b in zip(ours, peer, strict=False) if a is not None and abs(a - b) < 1e-6)
                line += f"; widths identical to Ghostscript for {same}/{count} CIDs"
            print(line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("fonts", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cids", type=int, default=5000, help="glyphs in the GlyphDirectory program (0: skip)")
    args = ap.parse_args()
    if args.cids > 0:
        _glyph_directory(args.cids, args.repeat)
    paths = args.fonts or sorted(glob.glob("/usr/share/fonts/type1/urw-base35/*.t1"))
    if not paths:
        sys.exit("no Type 1 fonts given or found (apt-get install fonts-urw-base35)")
    datas = [Path(p).read_bytes() for p in paths]
    print(f"{len(paths)} Type 1 programs, {sum(map(len, datas)) / 1e6:.1f} MB")
    ours = peer = []
    for run in range(args.repeat):
        c0, t0 = _cpu(), time.perf_counter()
        ours = _ours(datas)
        c1, t1 = _cpu(), time.perf_counter()
        peer = _peer(paths)
        c2, t2 = _cpu(), time.perf_counter()
        print(f"run {run + 1}: printgate type1 {t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU | "
              f"peer fontTools t1Lib {t2 - t1:.2f} s wall, {c2 - c1:.2f} s CPU")
    same = sum(_agree(a, b) for a, b in zip(ours, peer, strict=True))
    print(f"glyph names and widths identical to fontTools in {same}/{len(paths)} programs")

    from printgate.core.validation import validate_file

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "type1.pdf"
        _pdf(paths, target)
        for _ in range(args.repeat):
            c0, t0 = _cpu(), time.perf_counter()
            report = validate_file(target, ["pdfa-2b"])
            c1, t1 = _cpu(), time.perf_counter()
            # the file has no XMP or output intent: only the font clauses (6.2.11) are of interest here
            fonts = [f"{f['clause']}-{f['testNumber']}" for f in report["profiles"][0]["failures"]
                     if f["clause"].startswith("6.2.11")]
            line = (f"validate pdfa-2b, 4 embedded Type 1 fonts: {t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU "
                    f"(font findings: {fonts or 'none'})")
            if shutil.which("qpdf"):
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                q0 = time.perf_counter()
                subprocess.run(["qpdf", "--check", str(target)], capture_output=True, check=False)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                qcpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
                line += f" | peer qpdf --check {time.perf_counter() - q0:.2f} s wall, {qcpu:.2f} s CPU"
            print(line)


if __name__ == "__main__":
    main()
