"""Spot colours to process: Separation/DeviceN colours are replaced by their alternate-space values.

Ghostscript keeps separations when converting to CMYK, so this is done here: every ``scn`` in a
spot colour space is evaluated through the space's tint transform (PDF function types 0, 2, 3, 4)
and written in the alternate space; 8-bit single-channel spot images are converted with a lookup
table. Spot shadings are left alone and reported.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import pikepdf

from printgate.core.fixes._content import instructions, unparse
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc

_ALT_OPS = {1: ("g", "G"), 3: ("rg", "RG"), 4: ("k", "K")}


class _Fn:
    """A PDF function (types 0, 2, 3, 4) as a Python callable."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.type = int(obj.get("/FunctionType", -1))
        self.domain = [float(v) for v in obj.get("/Domain", [0, 1])]
        rng = obj.get("/Range")
        self.range = [float(v) for v in rng] if rng is not None else None
        if self.type == 4:
            self.program = _ps_tokens(bytes(obj.read_bytes()).decode("latin-1"))
        elif self.type == 3:
            self.parts = [_Fn(f) for f in obj.Functions]
            self.bounds = [float(v) for v in obj.get("/Bounds", [])]
            self.encode = [float(v) for v in obj.Encode]
        elif self.type == 0:
            self.size = [int(v) for v in obj.Size]
            self.bps = int(obj.BitsPerSample)
            self.samples = bytes(obj.read_bytes())
            enc = obj.get("/Encode")
            self.enc = [float(v) for v in enc] if enc is not None else [v for s in self.size for v in (0, s - 1)]
            dec = obj.get("/Decode")
            self.dec = [float(v) for v in dec] if dec is not None else list(self.range or [])
        elif self.type != 2:
            raise ValueError(f"unsupported function type {self.type}")

    def __call__(self, inputs: list[float]) -> list[float]:
        xs = [min(max(x, self.domain[2 * i]), self.domain[2 * i + 1]) for i, x in enumerate(inputs)]
        if self.type == 2:
            c0 = [float(v) for v in self.obj.get("/C0", [0])]
            c1 = [float(v) for v in self.obj.get("/C1", [1])]
            n = float(self.obj.get("/N", 1))
            out = [a + (xs[0] ** n) * (b - a) for a, b in zip(c0, c1, strict=False)]
        elif self.type == 3:
            x = xs[0]
            i = sum(1 for b in self.bounds if x >= b)
            lo = self.domain[0] if i == 0 else self.bounds[i - 1]
            hi = self.domain[1] if i == len(self.bounds) else self.bounds[i]
            e0, e1 = self.encode[2 * i], self.encode[2 * i + 1]
            t = e0 if hi == lo else e0 + (x - lo) * (e1 - e0) / (hi - lo)
            out = self.parts[i]([t])
        elif self.type == 4:
            out = _ps_run(self.program, list(xs))
        else:
            out = self._sampled(xs)
        if self.range:
            out = [min(max(v, self.range[2 * i]), self.range[2 * i + 1]) for i, v in enumerate(out)]
        return out

    def _sampled(self, xs: list[float]) -> list[float]:
        if len(self.size) != 1 or self.bps != 8:
            raise ValueError("only 1-input 8-bit sampled functions are supported")
        n_out = len(self.dec) // 2
        d0, d1 = self.domain[0], self.domain[1]
        e = self.enc[0] + (xs[0] - d0) * (self.enc[1] - self.enc[0]) / ((d1 - d0) or 1)
        e = min(max(e, 0), self.size[0] - 1)
        i0 = math.floor(e)
        i1 = min(i0 + 1, self.size[0] - 1)
        f = e - i0
        out = []
        for j in range(n_out):
            s = self.samples[i0 * n_out + j] * (1 - f) + self.samples[i1 * n_out + j] * f
            out.append(self.dec[2 * j] + s / 255 * (self.dec[2 * j + 1] - self.dec[2 * j]))
        return out


def _ps_tokens(text: str) -> list:
    tokens = text.replace("{", " { ").replace("}", " } ").split()

    def parse(i: int) -> tuple[list, int]:
        out: list = []
        while i < len(tokens):
            tok = tokens[i]
            if tok == "{":
                block, i = parse(i + 1)
                out.append(block)
                continue
            if tok == "}":
                return out, i + 1
            try:
                out.append(float(tok))
            except ValueError:
                out.append(tok)
            i += 1
        return out, i

    program, _ = parse(0)
    return program[0] if len(program) == 1 and isinstance(program[0], list) else program


_BIN: dict[str, Any] = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b if b else 0.0, "max": max, "min": min,
        "exp": lambda a, b: a ** b, "atan": lambda a, b: math.degrees(math.atan2(a, b)) % 360,
        "idiv": lambda a, b: float(int(a) // int(b)) if b else 0.0, "mod": lambda a, b: float(int(a) % int(b)) if b else 0.0,
        "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
        "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "and": lambda a, b: a and b, "or": lambda a, b: a or b}
_UN: dict[str, Any] = {"abs": abs, "neg": lambda a: -a, "sqrt": lambda a: math.sqrt(max(a, 0)), "ceiling": math.ceil,
       "floor": math.floor, "round": round, "truncate": math.trunc, "cvi": lambda a: float(int(a)), "cvr": float,
       "sin": lambda a: math.sin(math.radians(a)), "cos": lambda a: math.cos(math.radians(a)),
       "ln": lambda a: math.log(a) if a > 0 else 0.0, "log": lambda a: math.log10(a) if a > 0 else 0.0,
       "not": lambda a: not a}


def _ps_run(program: list, stack: list) -> list[float]:
    for op in program:
        if isinstance(op, float | list):
            stack.append(op)
        elif op in _BIN:
            b, a = stack.pop(), stack.pop()
            stack.append(_BIN[op](a, b))
        elif op in _UN:
            stack.append(_UN[op](stack.pop()))
        elif op == "dup":
            stack.append(stack[-1])
        elif op == "pop":
            stack.pop()
        elif op == "exch":
            stack[-1], stack[-2] = stack[-2], stack[-1]
        elif op == "copy":
            n = int(stack.pop())
            stack.extend(stack[-n:] if n else [])
        elif op == "index":
            n = int(stack.pop())
            stack.append(stack[-1 - n])
        elif op == "roll":
            j, n = int(stack.pop()), int(stack.pop())
            if n:
                part = stack[-n:]
                j %= n
                stack[-n:] = part[-j:] + part[:-j]
        elif op == "true":
            stack.append(True)
        elif op == "false":
            stack.append(False)
        elif op == "if":
            block, cond = stack.pop(), stack.pop()
            if cond:
                _ps_run(block, stack)
        elif op == "ifelse":
            no, yes, cond = stack.pop(), stack.pop(), stack.pop()
            _ps_run(yes if cond else no, stack)
        else:
            raise ValueError(f"unsupported PostScript operator {op}")
    return [float(v) for v in stack]


def _spot_space(cs: Any) -> tuple[Any, _Fn, int] | None:
    """(alternate space, tint transform, alternate component count) for Separation/DeviceN."""
    if not isinstance(cs, pikepdf.Array) or len(cs) < 4:
        return None
    family = cs[0]
    if family not in (pikepdf.Name.Separation, pikepdf.Name.DeviceN):
        return None
    alt = cs[2]
    n = _components(alt)
    if n is None:
        return None
    return alt, _Fn(cs[3]), n


def _components(cs: Any) -> int | None:
    if isinstance(cs, pikepdf.Name):
        return {"/DeviceGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4}.get(str(cs))
    if isinstance(cs, pikepdf.Array) and len(cs) == 2 and cs[0] == pikepdf.Name.ICCBased:
        return int(cs[1].get("/N", 0)) or None
    return None


def convert_spots(doc: WorkDoc, indexes: list[int]) -> int:
    """Rewrite spot colour uses on the given pages; returns how many uses were converted."""
    pdf = doc.pdf
    count = 0
    seen: set[tuple[int, int]] = set()

    def walk(container: Any, resources: Any, depth: int) -> bytes | None:
        nonlocal count
        if depth > 12 or resources is None:
            return None
        spaces = resources.get("/ColorSpace", {})
        xobjects = resources.get("/XObject", {})
        fill: tuple | None = None
        stroke: tuple | None = None
        out, changed = [], False
        for operands, operator in instructions(container):
            op = str(operator)
            if op in ("cs", "CS") and operands:
                info = _spot_space(spaces.get(str(operands[0])))
                if op == "cs":
                    fill = info
                else:
                    stroke = info
                if info is not None:
                    changed = True
                    continue  # the colour operator below carries the replacement
            elif op in ("sc", "scn", "SC", "SCN"):
                info = fill if op in ("sc", "scn") else stroke
                if info is not None:
                    _alt, fn, n = info
                    values = fn([float(v) for v in operands if not isinstance(v, pikepdf.Name)])[:n]
                    if n in _ALT_OPS:
                        name = _ALT_OPS[n][0 if op in ("sc", "scn") else 1]
                        out.append(([round(v, 5) for v in values], pikepdf.Operator(name)))
                        count += 1
                        continue
            elif op in ("g", "rg", "k"):
                fill = None
            elif op in ("G", "RG", "K"):
                stroke = None
            elif op == "Do" and operands:
                xo = xobjects.get(str(operands[0]))
                if xo is not None and xo.objgen not in seen:
                    seen.add(xo.objgen)
                    if xo.get("/Subtype") == pikepdf.Name.Form:
                        data = walk(xo, xo.get("/Resources", resources), depth + 1)
                        if data is not None:
                            xo.write(data)
                    elif xo.get("/Subtype") == pikepdf.Name.Image and _convert_image(xo):
                        count += 1
            out.append((operands, operator))
        return unparse(out) if changed or count else None

    for index in indexes:
        page = pdf.pages[index]
        before = count
        data = walk(page, page.obj.get("/Resources"), 0)
        if data is not None and count > before:
            page.obj.Contents = pikepdf.Stream(pdf, data)
    if count:
        doc.dirty = True
    return count


def _convert_image(image: Any) -> bool:
    info = _spot_space(image.get("/ColorSpace"))
    if info is None or int(image.get("/BitsPerComponent", 8)) != 8 or "/Decode" in image:
        return False
    alt, fn, n = info
    if isinstance(image.ColorSpace, pikepdf.Array) and image.ColorSpace[0] == pikepdf.Name.DeviceN and len(image.ColorSpace[1]) != 1:
        return False
    lut = [fn([i / 255])[:n] for i in range(256)]
    table = [bytes(round(min(max(v, 0), 1) * 255) for v in lut[i]) for i in range(256)]
    data = bytes(image.read_bytes())
    image.write(zlib.compress(b"".join(table[b] for b in data), 6), filter=pikepdf.Name.FlateDecode)
    if "/DecodeParms" in image:
        del image["/DecodeParms"]
    image.ColorSpace = alt
    return True


@fix("spot_to_process", order=58, summary="Replace spot (Separation/DeviceN) colours with their process equivalents.",
     aliases=["spot_colors", "convert_spots", "spots_to_process"])
def spot_to_process(doc: WorkDoc, req: FixRequest) -> FixResult:
    try:
        count = convert_spots(doc, req.page_indexes(len(doc.pdf.pages)))
    except (ValueError, IndexError, ZeroDivisionError) as exc:
        raise FixSkipped(f"a spot colour's tint transform cannot be evaluated: {exc}") from exc
    if not count:
        raise FixSkipped("no spot colours in page content")
    return FixResult(f"converted {count} spot colour use(s) to process")
