"""PDF/X graphics requirements: the output intent, the colour spaces used, transparency (forbidden in
PDF/X-1a and PDF/X-3), transfer functions, halftones, PostScript and the overprint mode."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any

import pikepdf

from printgate.core.validation.content import page_resources
from printgate.core.validation.pdfx.document import CLASSIC, X4, rule
from printgate.core.validation.pdfx.facts import content, output_space, pdfx_intents
from printgate.core.validation.rules.base import Context, Rule, Verdict
from printgate.core.validation.rules.graphics import expand, family, icc_header

# -- 6.2.1 output intent ---------------------------------------------------------------------------------


def one_pdfx_intent(ctx: Context) -> Iterator[Verdict]:
    n = len(pdfx_intents(ctx))
    yield n == 1, f"OutputIntents: {n} with S GTS_PDFX"


def condition_identifier(ctx: Context) -> Iterator[Verdict]:
    for oi in pdfx_intents(ctx):
        ident = oi.get("/OutputConditionIdentifier")
        ok = isinstance(ident, pikepdf.String) and bool(str(ident).strip())
        yield ok, "GTS_PDFX output intent OutputConditionIdentifier"


def profile_or_registered(ctx: Context) -> Iterator[Verdict]:
    """PDF/X-4: the profile is embedded. PDF/X-1a and -3: embedded, or the condition is a registered
    characterization (not 'Custom') named with its RegistryName."""
    for oi in pdfx_intents(ctx):
        embedded = isinstance(oi.get("/DestOutputProfile"), pikepdf.Stream)
        if ctx.part == 4:
            yield embedded and "/DestOutputProfileRef" not in oi, "GTS_PDFX output intent DestOutputProfile"
            continue
        registry = oi.get("/RegistryName")
        ident = str(oi.get("/OutputConditionIdentifier", "")).strip()
        registered = (isinstance(registry, pikepdf.String) and bool(str(registry).strip())
                      and ident not in ("", "Custom"))
        yield embedded or registered, "GTS_PDFX output intent DestOutputProfile or RegistryName"


def profile_class(ctx: Context) -> Iterator[Verdict]:
    spaces = ("CMYK", "GRAY") if ctx.part == 1 else ("CMYK", "GRAY", "RGB ")
    for oi in pdfx_intents(ctx):
        prof = oi.get("/DestOutputProfile")
        if prof is None:
            continue
        head = icc_header(prof)
        ok = head is not None and head[0] == "prtr" and head[1] in spaces
        got = f"class {head[0]!r}, colour space {head[1].strip()!r}" if head else "unreadable profile"
        yield ok, f"GTS_PDFX output intent profile ({got})"


# -- 6.2.3 colour spaces ---------------------------------------------------------------------------------

_X1A_SPACES = frozenset(("/DeviceCMYK", "/DeviceGray", "/Separation", "/DeviceN", "/Indexed", "/I", "/Pattern"))


def cmyk_and_spot_only(ctx: Context) -> Iterator[Verdict]:
    for use in content(ctx).colours:
        bad = [family(cs) or "?" for cs in expand(use.cs) if family(cs) not in _X1A_SPACES]
        yield not bad, f"{use.where} {use.how} colour space {', '.join(b[1:] for b in bad) or family(use.cs)[1:]}"


_NEEDS = {"/DeviceRGB": (("RGB ",), "/DefaultRGB"), "/DeviceCMYK": (("CMYK",), "/DefaultCMYK"),
          "/DeviceGray": (("GRAY", "CMYK", "RGB "), "/DefaultGray")}  # gray: any output intent


def device_spaces_match_intent(ctx: Context) -> Iterator[Verdict]:
    out = output_space(ctx)
    for use in content(ctx).colours:
        for cs in expand(use.cs):
            need = _NEEDS.get(family(cs))
            if need is None:
                continue
            ok = (out in need[0]) or need[1] in use.defaults
            yield ok, (f"{use.where} {use.how} {family(cs)[1:]} with a "
                       f"{(out or 'missing').strip()} output intent and no {need[1][1:]}")


# -- 6.2.4 transparency (PDF/X-1a, PDF/X-3) ------------------------------------------------------------


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def no_soft_mask_gs(ctx: Context) -> Iterator[Verdict]:
    for gs, where in content(ctx).ext_gstates:
        sm = gs.get("/SMask")
        yield sm is None or sm == pikepdf.Name("/None"), f"{where} ExtGState SMask"


def no_constant_alpha(ctx: Context) -> Iterator[Verdict]:
    for gs, where in content(ctx).ext_gstates:
        for key in ("/CA", "/ca"):
            if key in gs:
                value = _number(gs.get(key), 0.0)
                yield value >= 1.0, f"{where} ExtGState {key[1:]} {value:g}"


def normal_blend_mode(ctx: Context) -> Iterator[Verdict]:
    for gs, where in content(ctx).ext_gstates:
        bm = gs.get("/BM")
        if bm is None:
            continue
        modes = list(bm) if isinstance(bm, pikepdf.Array) else [bm]
        yield all(str(m) in ("/Normal", "/Compatible") for m in modes), f"{where} ExtGState BM {bm}"


def no_image_soft_mask(ctx: Context) -> Iterator[Verdict]:
    for img, where in content(ctx).images:
        if img.get("/Subtype") != pikepdf.Name("/Image"):
            continue
        smask = img.get("/SMask")
        in_data = _number(img.get("/SMaskInData"), 0.0)
        yield smask is None and in_data == 0, f"{where} image SMask/SMaskInData"


def no_transparency_group(ctx: Context) -> Iterator[Verdict]:
    # a chain, not a list: a large file's pages are valid only while their chunk is read (``chunks``)
    groups = chain(((page.obj.get("/Group"), f"page {n}") for n, page in ctx.doc.iter_pages()),
                   ((form.get("/Group"), f"{where} form XObject") for form, where in content(ctx).forms))
    for group, where in groups:
        if isinstance(group, pikepdf.Dictionary):
            yield group.get("/S") != pikepdf.Name("/Transparency"), f"{where} transparency group"


# -- 6.2.5 graphics state, 6.2.6 PostScript, 6.2.7 overprint ---------------------------------------------


def no_transfer_functions(ctx: Context) -> Iterator[Verdict]:
    for gs, where in content(ctx).ext_gstates:
        if "/TR" in gs:
            yield False, f"{where} ExtGState TR"
        if "/TR2" in gs:
            yield gs.get("/TR2") == pikepdf.Name("/Default"), f"{where} ExtGState TR2"
        if "/TR" not in gs and "/TR2" not in gs:
            yield True, f"{where} ExtGState"


def no_halftone_name(ctx: Context) -> Iterator[Verdict]:
    for gs, where in content(ctx).ext_gstates:
        ht = gs.get("/HT")
        if not isinstance(ht, pikepdf.Dictionary | pikepdf.Stream):
            continue
        # a type 5 halftone holds one halftone per colourant (and Default)
        parts = [ht, *(v for v in ht.values() if isinstance(v, pikepdf.Dictionary | pikepdf.Stream))]
        yield all("/HalftoneName" not in p for p in parts), f"{where} ExtGState HT"


def _xobject_tables(ctx: Context) -> Iterator[tuple[Any, str]]:
    for n, page in ctx.doc.iter_pages():
        res, _inherited = page_resources(page.obj)  # the file is opened without pushing inherited attributes
        yield (res.get("/XObject") if isinstance(res, pikepdf.Dictionary) else None), f"page {n}"
    for form, where in content(ctx).forms:
        res = form.get("/Resources")
        yield (res.get("/XObject") if isinstance(res, pikepdf.Dictionary) else None), f"{where} form XObject"


def no_postscript_xobjects(ctx: Context) -> Iterator[Verdict]:
    for table, where in _xobject_tables(ctx):
        if not isinstance(table, pikepdf.Dictionary):
            continue
        for name, x in table.items():
            if isinstance(x, pikepdf.Stream):
                ps = x.get("/Subtype") == pikepdf.Name("/PS") or x.get("/Subtype2") == pikepdf.Name("/PS")
                yield not ps, f"{where} XObject {name}"


def no_postscript_operator(ctx: Context) -> Iterator[Verdict]:
    for op, where in content(ctx).undefined_ops:
        if op == "PS":
            yield False, f"{where} PS operator"
    yield True, "content streams"


def _cmyk_icc_streams(ctx: Context) -> set[str]:
    out = set()
    for use in content(ctx).colours:
        for cs in expand(use.cs):
            if (family(cs) == "/ICCBased" and len(cs) > 1 and isinstance(cs[1], pikepdf.Stream)
                    and _number(cs[1].get("/N"), 0) == 4):
                out.add(use.where)
    return out


def overprint_mode(ctx: Context) -> Iterator[Verdict]:
    cmyk_icc = _cmyk_icc_streams(ctx)
    for gs, where in content(ctx).ext_gstates:
        overprint = gs.get("/OP") is True or gs.get("/op") is True
        if _number(gs.get("/OPM"), 0) == 1 and overprint:
            yield where not in cmyk_icc, f"{where} ExtGState OPM 1 with overprint and ICCBased CMYK"


RULES: list[Rule] = [
    *rule(one_pdfx_intent, "Exactly one output intent has S GTS_PDFX", "6.2.1", 1),
    *rule(condition_identifier, "The PDF/X output intent has an OutputConditionIdentifier", "6.2.1", 2),
    *rule(profile_or_registered, "The PDF/X output intent embeds its ICC profile (DestOutputProfile); PDF/X-1a "
          "and PDF/X-3 may instead name a registered characterization with RegistryName", "6.2.1", 3),
    *rule(profile_class, "The output intent's profile is an output device (prtr) profile for CMYK or gray "
          "(PDF/X-1a) or for CMYK, RGB or gray (PDF/X-3, PDF/X-4)", "6.2.1", 4),
    *rule(cmyk_and_spot_only, "Colour is DeviceCMYK, DeviceGray, Separation or DeviceN (with CMYK or gray "
          "alternates), Indexed or patterns over them: no RGB, CIE-based, ICCBased or Lab", "6.2.3", 1,
          ("pdfx1a",)),
    *rule(device_spaces_match_intent, "Device colour matches the output intent: DeviceRGB only with an RGB "
          "intent, DeviceCMYK only with a CMYK intent, DeviceGray with any output intent (or a Default colour "
          "space in force)", "6.2.3", 2, ("pdfx3", "pdfx4")),
    *rule(no_soft_mask_gs, "No soft masks in graphics states (SMask other than None)", "6.2.4", 1, CLASSIC),
    *rule(no_constant_alpha, "No constant alpha below 1 (CA, ca)", "6.2.4", 2, CLASSIC),
    *rule(normal_blend_mode, "Blend mode Normal or Compatible only", "6.2.4", 3, CLASSIC),
    *rule(no_image_soft_mask, "No image soft masks (SMask, SMaskInData)", "6.2.4", 4, CLASSIC),
    *rule(no_transparency_group, "No transparency groups on pages or form XObjects", "6.2.4", 5, CLASSIC),
    *rule(no_transfer_functions, "No transfer functions (TR; TR2 only Default)", "6.2.5", 1),
    *rule(no_halftone_name, "No halftone with a HalftoneName", "6.2.5", 2),
    *rule(no_postscript_xobjects, "No PostScript XObjects", "6.2.6", 1),
    *rule(no_postscript_operator, "No PS operator in content streams", "6.2.6", 2),
    *rule(overprint_mode, "Overprint mode 1 is not set with overprinting on where ICCBased CMYK colour is "
          "painted", "6.2.7", 1, ("pdfx3", *X4)),
]
