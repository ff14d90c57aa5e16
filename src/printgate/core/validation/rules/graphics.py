"""Graphics rules: output intents, ICC profiles, colour spaces used, images, XObjects, ExtGStates,
rendering intents, content-stream operators and transparency (ISO 19005-1 6.2/6.4, -2 6.2, -4 6.2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.content import ColourUse, page_resources
from printgate.core.validation.jpx import JpxError, JpxFacts, read_jpx
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

_DEVICE = {"/DeviceRGB": "/DefaultRGB", "/DeviceCMYK": "/DefaultCMYK", "/DeviceGray": "/DefaultGray"}


def icc_header(stream: Any) -> tuple[str, str, float, int] | None:
    """(device class, colour space, version, declared size) of an ICC profile stream, or None when unreadable."""
    if not isinstance(stream, pikepdf.Stream):
        return None
    try:
        head = stream.read_bytes()[:128]
    except Exception:
        return None
    if len(head) < 20:
        return None
    version = head[8] + (head[9] >> 4) / 10
    return head[12:16].decode("latin-1"), head[16:20].decode("latin-1"), version, int.from_bytes(head[:4], "big")


def expand(cs: Any, depth: int = 0) -> Iterator[Any]:
    """The colour space and every colour space it is built on (Indexed base, Separation/DeviceN alternate)."""
    if depth > 8 or cs is None:
        return
    yield cs
    if isinstance(cs, pikepdf.Array) and len(cs) > 1:
        family = str(cs[0])
        if family in ("/Indexed", "/I") and len(cs) > 1:
            yield from expand(cs[1], depth + 1)
        elif (family == "/Separation" and len(cs) > 2) or (family == "/DeviceN" and len(cs) > 2):
            yield from expand(cs[2], depth + 1)
        elif family == "/Pattern" and len(cs) > 1:
            yield from expand(cs[1], depth + 1)


def family(cs: Any) -> str:
    if isinstance(cs, pikepdf.Name):
        return str(cs)
    if isinstance(cs, pikepdf.Array) and len(cs) > 0:
        return str(cs[0])
    return ""


def _device_uses(ctx: Context, device: str) -> Iterator[ColourUse]:
    for use in ctx.content.colours:
        for cs in expand(use.cs):
            if family(cs) == device and _DEVICE[device] not in use.defaults:
                yield use
                break


def output_profile(ctx: Context) -> Iterator[Verdict]:
    limit = 3.0 if ctx.part == 1 else 5.0
    for oi in ctx.doc.output_intents():
        prof = oi.get("/DestOutputProfile")
        if prof is None:
            continue
        h = icc_header(prof)
        ok = h is not None and h[0] in ("prtr", "mntr") and h[1] in ("RGB ", "CMYK", "GRAY") and h[2] < limit
        yield ok, f"output intent {oi.get('/S')}"


def output_profiles_same(ctx: Context) -> Iterator[Verdict]:
    profs = [oi.get("/DestOutputProfile") for oi in ctx.doc.output_intents() if "/DestOutputProfile" in oi]
    gens = {p.objgen if isinstance(p, pikepdf.Object) and p.is_indirect else id(p) for p in profs}
    yield len(gens) <= 1, "OutputIntents"


def no_dest_profile_ref(ctx: Context) -> Iterator[Verdict]:
    for oi in ctx.doc.output_intents():
        ok = "/DestOutputProfileRef" not in oi or (ctx.part != 4 and oi.get("/S") != pikepdf.Name("/GTS_PDFX"))
        yield ok, f"output intent {oi.get('/S')}"


def _icc_spaces(ctx: Context) -> Iterator[tuple[Any, str]]:
    seen = set()
    for use in ctx.content.colours:
        for cs in expand(use.cs):
            if family(cs) == "/ICCBased" and len(cs) > 1:
                k = cs[1].objgen if cs[1].is_indirect else id(cs[1])
                if k not in seen:
                    seen.add(k)
                    yield cs[1], use.where


def input_profile(ctx: Context) -> Iterator[Verdict]:
    limit = 3.0 if ctx.part == 1 else 5.0
    for prof, where in _icc_spaces(ctx):
        h = icc_header(prof)
        ok = (h is not None and h[0] in ("prtr", "mntr", "scnr", "spac") and h[1] in ("RGB ", "CMYK", "GRAY", "Lab ")
              and h[2] < limit)
        yield ok, f"{where} ICCBased"


def icc_n_matches(ctx: Context) -> Iterator[Verdict]:
    for prof, where in _icc_spaces(ctx):
        h = icc_header(prof)
        n = prof.get("/N") if isinstance(prof, pikepdf.Stream) else None
        ok = h is not None and n is not None and (
            (int(n) == 1 and h[1] == "GRAY") or (int(n) == 3 and h[1] in ("RGB ", "Lab ")) or (int(n) == 4 and h[1] == "CMYK"))
        yield ok, f"{where} ICCBased"


def icc_cmyk_overprint_mode(ctx: Context) -> Iterator[Verdict]:
    """OPM 1 would let ICCBased CMYK zeros knock nothing out: not where that space paints with overprint on."""
    for where in ctx.content.overprint_icc_cmyk:
        yield False, f"{where} ICCBased CMYK with overprint and OPM 1"
    yield True, "document"


def _uses_check(ctx: Context, device: str, wanted: str | None) -> Iterator[Verdict]:
    doc_out = ctx.doc.output_cs
    for use in _device_uses(ctx, device):
        out = doc_out
        if ctx.part == 4:  # PDF 2.0: a page's own output intent replaces the document's
            page_out = _page_output_cs(ctx, use.where)
            out = page_out if page_out is not None else doc_out
        ok = out is not None and (wanted is None or out == wanted)
        if not ok and ctx.part == 4 and wanted is not None and use.how != "group":
            ok = _group_cs(ctx, use.where) == wanted
        yield ok, f"{use.where} {device[1:]}"


def _page_of(ctx: Context, where: str) -> Any:
    m = re.match(r"page (\d+)", where)
    if not m:
        return None
    n = int(m.group(1))
    return ctx.doc.page_at(n)


def _page_output_cs(ctx: Context, where: str) -> str | None:
    page = _page_of(ctx, where)
    ois = page.get("/OutputIntents") if page is not None else None
    if isinstance(ois, pikepdf.Array):
        for oi in ois:
            if isinstance(oi, pikepdf.Dictionary) and oi.get("/S") == pikepdf.Name("/GTS_PDFA1"):
                h = icc_header(oi.get("/DestOutputProfile"))
                if h is not None:
                    return h[1]
    return None


def _group_cs(ctx: Context, where: str) -> str | None:
    """The colour space family (``RGB ``, ``CMYK``, ``GRAY``) of the page's transparency group."""
    page = _page_of(ctx, where)
    group = page.get("/Group") if page is not None else None
    cs = group.get("/CS") if isinstance(group, pikepdf.Dictionary) else None
    fam = family(cs)
    if fam in ("/DeviceRGB", "/CalRGB"):
        return "RGB "
    if fam == "/DeviceCMYK":
        return "CMYK"
    if fam == "/ICCBased" and isinstance(cs, pikepdf.Array) and len(cs) > 1:
        h = icc_header(cs[1])
        return h[1] if h else None
    return None


def device_rgb(ctx: Context) -> Iterator[Verdict]:
    yield from _uses_check(ctx, "/DeviceRGB", "RGB ")


def device_cmyk(ctx: Context) -> Iterator[Verdict]:
    yield from _uses_check(ctx, "/DeviceCMYK", "CMYK")


def device_gray(ctx: Context) -> Iterator[Verdict]:
    yield from _uses_check(ctx, "/DeviceGray", None)


def _images(ctx: Context) -> Iterator[tuple[Any, str]]:
    yield from ctx.content.images


def image_no_alternates(ctx: Context) -> Iterator[Verdict]:
    for img, where in _images(ctx):
        yield "/Alternates" not in img, f"{where} image"


def xobject_no_opi(ctx: Context) -> Iterator[Verdict]:
    for img, where in _images(ctx):
        yield "/OPI" not in img, f"{where} image"
    for form, where in ctx.content.forms:
        yield "/OPI" not in form, f"{where} form"


def image_no_interpolate(ctx: Context) -> Iterator[Verdict]:
    for img, where in _images(ctx):
        yield not bool(img.get("/Interpolate", False)), f"{where} image"
    for d, where in ctx.content.inline_images:
        yield not bool(d.get("/Interpolate", d.get("/I", False))), f"{where} inline image"


def image_bpc(ctx: Context) -> Iterator[Verdict]:
    allowed = (1, 2, 4, 8) if ctx.part == 1 else (1, 2, 4, 8, 16)
    for img, where in _images(ctx):
        if bool(img.get("/ImageMask", False)):
            continue
        bpc = img.get("/BitsPerComponent")
        yield bpc is None or int(bpc) in allowed, f"{where} image"


def mask_bpc(ctx: Context) -> Iterator[Verdict]:
    for img, where in _images(ctx):
        if bool(img.get("/ImageMask", False)):
            bpc = img.get("/BitsPerComponent")
            yield bpc is None or int(bpc) == 1, f"{where} image mask"


def form_no_ps(ctx: Context) -> Iterator[Verdict]:
    for form, where in ctx.content.forms:
        ok = form.get("/Subtype2") != pikepdf.Name("/PS") and "/PS" not in form
        if ctx.part >= 2:
            ok = ok and "/OPI" not in form
        yield ok, f"{where} form"


def form_no_ref(ctx: Context) -> Iterator[Verdict]:
    for form, where in ctx.content.forms:
        yield "/Ref" not in form, f"{where} form"


def _xobject_tables(ctx: Context) -> Iterator[tuple[Any, str]]:
    """The XObject resources of the document's pages (own or inherited) and of the forms painted."""
    for n, page in ctx.doc.iter_pages():
        res = page_resources(page.obj)[0]
        yield (res.get("/XObject") if isinstance(res, pikepdf.Dictionary) else None), f"page {n}"
    for form, where in ctx.content.forms:
        res = form.get("/Resources")
        yield (res.get("/XObject") if isinstance(res, pikepdf.Dictionary) else None), where


def no_ps_xobject(ctx: Context) -> Iterator[Verdict]:
    """PostScript XObjects in the document's resources (an orphan object no resource names is not part
    of the document's content)."""
    for table, where in _xobject_tables(ctx):
        if isinstance(table, pikepdf.Dictionary):
            for name in table:
                x = table.get(str(name))
                if isinstance(x, pikepdf.Stream):
                    yield x.get("/Subtype") != pikepdf.Name("/PS"), f"{where} XObject {name}"
    yield True, "XObjects"


def gs_no_tr(ctx: Context) -> Iterator[Verdict]:
    for gs, where in ctx.content.ext_gstates:
        yield "/TR" not in gs, f"{where} ExtGState"


def gs_tr2_default(ctx: Context) -> Iterator[Verdict]:
    for gs, where in ctx.content.ext_gstates:
        yield "/TR2" not in gs or gs.get("/TR2") == pikepdf.Name("/Default"), f"{where} ExtGState"


def gs_no_htp(ctx: Context) -> Iterator[Verdict]:
    key = "/HTO" if ctx.part == 4 else "/HTP"
    for gs, where in ctx.content.ext_gstates:
        yield key not in gs, f"{where} ExtGState"


def _halftones(ctx: Context) -> Iterator[tuple[Any, str, str | None]]:
    for gs, where in ctx.content.ext_gstates:
        ht = gs.get("/HT")
        if isinstance(ht, pikepdf.Dictionary | pikepdf.Stream):
            yield ht, where, None
            if ht.get("/HalftoneType") == 5:
                for k in ht:
                    sub = ht.get(str(k))
                    if isinstance(sub, pikepdf.Dictionary | pikepdf.Stream) and k not in ("/Type",):
                        yield sub, where, str(k)[1:]


def halftone_type(ctx: Context) -> Iterator[Verdict]:
    for ht, where, colorant in _halftones(ctx):
        if colorant is None:
            t = ht.get("/HalftoneType")
            yield t is not None and int(t) in (1, 5), f"{where} halftone"


def halftone_no_name(ctx: Context) -> Iterator[Verdict]:
    for ht, where, _ in _halftones(ctx):
        yield "/HalftoneName" not in ht, f"{where} halftone"


def halftone_transfer(ctx: Context) -> Iterator[Verdict]:
    for ht, where, colorant in _halftones(ctx):
        if colorant == "Default":
            continue
        has = "/TransferFunction" in ht
        # a halftone of its own (no colorant) or of a primary colourant takes no transfer function
        ok = not has if colorant in (None, "Cyan", "Magenta", "Yellow", "Black") else has
        yield ok, f"{where} halftone {colorant or ''}".rstrip()


_INTENTS = {"/RelativeColorimetric", "/AbsoluteColorimetric", "/Perceptual", "/Saturation"}


def rendering_intents(ctx: Context) -> Iterator[Verdict]:
    for intent, where in ctx.content.intents:
        yield intent in _INTENTS, f"{where} ri {intent}"
    for gs, where in ctx.content.ext_gstates:
        if "/RI" in gs:
            yield str(gs["/RI"]) in _INTENTS, f"{where} ExtGState RI"
    for img, where in _images(ctx):
        if "/Intent" in img:
            yield str(img["/Intent"]) in _INTENTS, f"{where} image Intent"
    for d, where in ctx.content.inline_images:
        if "/Intent" in d:
            yield str(d["/Intent"]) in _INTENTS, f"{where} inline image Intent"


def _jpx_bytes(img: Any, names: list[Any]) -> bytes:
    """The JPEG 2000 data of an image: its stream data with the filters before JPXDecode undone."""
    if str(names[-1]) != "/JPXDecode":
        raise JpxError("JPXDecode is not the last filter")
    if len(names) == 1:
        return bytes(img.read_raw_bytes())
    scratch = pikepdf.new()  # qpdf will not undo a chain that ends in JPXDecode: undo the rest on a copy
    copy = scratch.make_stream(img.read_raw_bytes())
    copy.Filter = pikepdf.Array([pikepdf.Name(str(n)) for n in names[:-1]])
    parms = img.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array):
        copy.DecodeParms = pikepdf.Array([
            pikepdf.Dictionary({str(k): v for k, v in p.items() if isinstance(v, int)})
            if isinstance(p, pikepdf.Dictionary) else None for p in list(parms)[:-1]])
    return bytes(copy.read_bytes())


def _jpx_images(ctx: Context) -> Iterator[tuple[Any, JpxFacts | str, str]]:
    """Each JPXDecode image with its JPEG 2000 facts, or why its data could not be read (read once)."""
    read: dict[Any, JpxFacts | str] = ctx.__dict__.setdefault("_jpx_facts", {})
    for img, where in _images(ctx):
        f = img.get("/Filter")
        names = [f] if isinstance(f, pikepdf.Name) else list(f) if isinstance(f, pikepdf.Array) else []
        if not any(str(n) == "/JPXDecode" for n in names):
            continue
        key = img.objgen if img.is_indirect else id(img)
        if key not in read:
            try:
                read[key] = read_jpx(_jpx_bytes(img, names))
            except JpxError as exc:
                read[key] = f"the JPEG 2000 data could not be read: {exc}"
            except Exception as exc:  # a stream pikepdf cannot read (damaged filter data)
                read[key] = f"the JPEG 2000 data could not be read: {type(exc).__name__}: {exc}"
        yield img, read[key], f"{where} JPX image"


def jpx_channels(ctx: Context) -> Iterator[Verdict]:
    for _, facts, where in _jpx_images(ctx):
        if isinstance(facts, str):
            yield False, f"{where}: {facts}"
        else:
            yield facts.colour_channels in (1, 3, 4), f"{where}: {facts.colour_channels} colour channels"


def _jpx_colour(ctx: Context) -> Iterator[tuple[JpxFacts | None, str]]:
    """The JPX images whose colour specifications apply (ISO 32000-1 8.9.5: a ColorSpace entry overrides
    them): (facts, where); (None, why) when the data could not be read. An image with a ColorSpace
    entry is not judged by its colour specifications."""
    for img, facts, where in _jpx_images(ctx):
        if "/ColorSpace" in img:
            continue
        if isinstance(facts, str):
            yield None, f"{where}: {facts}"
        else:
            yield facts, where


def jpx_one_colour_spec(ctx: Context) -> Iterator[Verdict]:
    for facts, where in _jpx_colour(ctx):
        if facts is None:
            yield False, where
            continue
        best = sum(1 for c in facts.colr if c.approx == 1)
        yield len(facts.colr) == 1 or best == 1, (
            f"{where}: {len(facts.colr)} colour specifications, {best} with APPROX 1")


def jpx_method(ctx: Context) -> Iterator[Verdict]:
    for facts, where in _jpx_colour(ctx):
        if facts is None:
            yield False, where
            continue
        spec = facts.colour_spec
        yield spec is not None and spec.method in (1, 2, 3), (
            f"{where}: METH {spec.method}" if spec is not None else f"{where}: no colour specification in force")


def jpx_no_ciejab(ctx: Context) -> Iterator[Verdict]:
    for facts, where in _jpx_colour(ctx):
        if facts is None:
            yield False, where
            continue
        spec = facts.colour_spec
        yield spec is None or spec.enum_cs != 19, f"{where}: EnumCS {spec.enum_cs if spec else None}"


def jpx_bit_depth(ctx: Context) -> Iterator[Verdict]:
    for _, facts, where in _jpx_images(ctx):
        if isinstance(facts, str):
            yield False, f"{where}: {facts}"
            continue
        problem = facts.depth_problem()
        yield problem is None, f"{where}: {problem}" if problem else f"{where}: bit depth {facts.depths[0]}"


def explicit_resources(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.content.inherited_names:
        yield False, f"{where} (inherited)"
    yield True, "content streams"


def defined_resources(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.content.undefined_names:
        yield False, f"{where} (not defined)"
    yield True, "content streams"


def undefined_operators(ctx: Context) -> Iterator[Verdict]:
    for op, where in ctx.content.undefined_ops:
        yield False, f"{where} operator {op}"
    yield True, "content streams"


# -- transparency -------------------------------------------------------------------------------

def gs_no_smask(ctx: Context) -> Iterator[Verdict]:
    for gs, where in ctx.content.ext_gstates:
        yield "/SMask" not in gs or gs.get("/SMask") == pikepdf.Name("/None"), f"{where} ExtGState"


def xobject_no_smask(ctx: Context) -> Iterator[Verdict]:
    for img, where in _images(ctx):
        yield "/SMask" not in img, f"{where} image"


def no_transparency_group(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        g = page.obj.get("/Group")
        yield not (isinstance(g, pikepdf.Dictionary) and g.get("/S") == pikepdf.Name("/Transparency")), f"page {n}"
    for form, where in ctx.content.forms:
        g = form.get("/Group")
        yield not (isinstance(g, pikepdf.Dictionary) and g.get("/S") == pikepdf.Name("/Transparency")), f"{where} form"


def gs_bm_normal(ctx: Context) -> Iterator[Verdict]:
    for gs, where in ctx.content.ext_gstates:
        bm = gs.get("/BM")
        names = [bm] if isinstance(bm, pikepdf.Name) else list(bm) if isinstance(bm, pikepdf.Array) else []
        yield bm is None or all(str(n) in ("/Normal", "/Compatible") for n in names), f"{where} ExtGState"


def gs_ca_one(key: str) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        for gs, where in ctx.content.ext_gstates:
            v = gs.get(key)
            yield v is None or abs(float(v) - 1.0) < 1e-6, f"{where} ExtGState {key}"
    check.__name__ = f"gs_{key[1:]}_one"
    return check


_BLEND = {"/Normal", "/Compatible", "/Multiply", "/Screen", "/Overlay", "/Darken", "/Lighten", "/ColorDodge",
          "/ColorBurn", "/HardLight", "/SoftLight", "/Difference", "/Exclusion", "/Hue", "/Saturation", "/Color",
          "/Luminosity"}


def blend_modes(ctx: Context) -> Iterator[Verdict]:
    for gs, where in ctx.content.ext_gstates:
        bm = gs.get("/BM")
        names = [bm] if isinstance(bm, pikepdf.Name) else list(bm) if isinstance(bm, pikepdf.Array) else []
        for n in names:
            yield str(n) in _BLEND, f"{where} ExtGState BM {n}"


def _page_has_transparency(ctx: Context, page: Any) -> bool:
    res = page_resources(page.obj)[0]
    seen: set[Any] = set()

    def walk(resources: Any, depth: int) -> bool:
        if depth > 8 or not isinstance(resources, pikepdf.Dictionary):
            return False
        gss = resources.get("/ExtGState")
        if isinstance(gss, pikepdf.Dictionary):
            for k in gss:
                gs = gss.get(str(k))
                if isinstance(gs, pikepdf.Dictionary) and (
                        gs.get("/SMask") not in (None, pikepdf.Name("/None"))
                        or float(gs.get("/CA", 1)) < 1 or float(gs.get("/ca", 1)) < 1
                        or gs.get("/BM") not in (None, pikepdf.Name("/Normal"), pikepdf.Name("/Compatible"))):
                    return True
        xs = resources.get("/XObject")
        if isinstance(xs, pikepdf.Dictionary):
            for k in xs:
                x = xs.get(str(k))
                if not isinstance(x, pikepdf.Stream):
                    continue
                key = x.objgen if x.is_indirect else id(x)
                if key in seen:
                    continue
                seen.add(key)
                if x.get("/Subtype") == pikepdf.Name("/Image") and ("/SMask" in x or ("/SMaskInData" in x
                                                                   and int(x.get("/SMaskInData", 0)) > 0)):
                    return True
                if x.get("/Subtype") == pikepdf.Name("/Form"):
                    g = x.get("/Group")
                    if isinstance(g, pikepdf.Dictionary) and g.get("/S") == pikepdf.Name("/Transparency"):
                        return True
                    if walk(x.get("/Resources"), depth + 1):
                        return True
        return False

    return walk(res, 0)


def page_group_when_transparent(ctx: Context) -> Iterator[Verdict]:
    has_oi = ctx.doc.output_cs is not None
    for n, page in ctx.doc.iter_pages():
        g = page.obj.get("/Group")
        has_cs = isinstance(g, pikepdf.Dictionary) and "/CS" in g
        yield has_oi or has_cs or not _page_has_transparency(ctx, page), f"page {n}"


def devicen_colorants(ctx: Context) -> Iterator[Verdict]:
    for use in ctx.content.colours:
        for cs in expand(use.cs):
            if family(cs) == "/DeviceN" and len(cs) > 3:
                names = [str(n) for n in cs[1]] if isinstance(cs[1], pikepdf.Array) else []
                attrs = cs[4] if len(cs) > 4 else None
                colorants = attrs.get("/Colorants") if isinstance(attrs, pikepdf.Dictionary) else None
                spots = [n for n in names if n not in ("/Cyan", "/Magenta", "/Yellow", "/Black", "/None")]
                ok = all(isinstance(colorants, pikepdf.Dictionary) and n in colorants for n in spots)
                yield ok, f"{use.where} DeviceN"


def _with_colorants(ctx: Context) -> Iterator[tuple[Any, str]]:
    """Every colour space used, and the Separation arrays of DeviceN Colorants dictionaries."""
    for use in ctx.content.colours:
        for cs in expand(use.cs):
            yield cs, use.where
            if family(cs) == "/DeviceN" and len(cs) > 4 and isinstance(cs[4], pikepdf.Dictionary):
                colorants = cs[4].get("/Colorants")
                if isinstance(colorants, pikepdf.Dictionary):
                    for k in colorants:
                        yield colorants.get(str(k)), f"{use.where} Colorants"


def separations_consistent(ctx: Context) -> Iterator[Verdict]:
    seen: dict[str, tuple[Any, Any]] = {}
    for cs, where in _with_colorants(ctx):
        if family(cs) != "/Separation" or len(cs) <= 3:
            continue
        name = str(cs[1])
        ident = (_ident(cs[2]), _ident(cs[3]))
        if name in seen:
            yield seen[name] == ident, f"{where} Separation {name}"
        else:
            seen[name] = ident
            yield True, f"{where} Separation {name}"


def _ident(obj: Any, depth: int = 0) -> Any:
    """A structural identity: equal for objects with equal content, whether shared or copied."""
    if depth > 6:
        return None
    if isinstance(obj, pikepdf.Stream):
        try:
            data = obj.read_bytes()
        except Exception:
            data = obj.read_raw_bytes()
        return ("stream", _ident(obj.stream_dict, depth + 1), data)
    if isinstance(obj, pikepdf.Dictionary):
        return ("dict", tuple(sorted((str(k), _ident(obj.get(str(k)), depth + 1)) for k in obj
                                     if str(k) not in ("/Length",))))
    if isinstance(obj, pikepdf.Array):
        return ("array", tuple(_ident(v, depth + 1) for v in obj))
    if isinstance(obj, pikepdf.Name):
        return str(obj)
    if isinstance(obj, pikepdf.String):
        return bytes(obj)
    try:
        return float(obj)
    except (TypeError, ValueError):
        return repr(obj)


RULES: list[Rule] = [
    *shared(output_profile, "The output intent's profile is an output (prtr) or monitor (mntr) profile of a "
            "supported version in RGB, CMYK or Gray", ("pdfa1", "6.2.2", 1), ("pdfa2", "6.2.3", 1),
            ("pdfa4", "6.2.3", 1)),
    *shared(output_profiles_same, "All output intents share the same destination profile",
            ("pdfa1", "6.2.2", 2), ("pdfa2", "6.2.3", 2), ("pdfa4", "6.2.3", 2)),
    *shared(no_dest_profile_ref, "No DestOutputProfileRef in output intents", ("pdfa2", "6.2.3", 3),
            ("pdfa4", "6.2.3", 3)),
    *shared(input_profile, "ICCBased colour spaces use input, display, output or colour space profiles of a "
            "supported version", ("pdfa1", "6.2.3.2", 1), ("pdfa2", "6.2.4.2", 1), ("pdfa4", "6.2.4.2", 1)),
    *shared(icc_cmyk_overprint_mode, "OPM is not 1 where an ICCBased CMYK colour space paints with overprint on",
            ("pdfa2", "6.2.4.2", 2), ("pdfa4", "6.2.4.2", 2)),
    *shared(icc_n_matches, "The N entry of an ICC profile matches its colour space", ("pdfa1", "6.2.3.2", 2)),
    *shared(device_rgb, "DeviceRGB is used only with an RGB output intent or a DefaultRGB colour space",
            ("pdfa1", "6.2.3.3", 1), ("pdfa2", "6.2.4.3", 2), ("pdfa4", "6.2.4.3", 2)),
    *shared(device_cmyk, "DeviceCMYK is used only with a CMYK output intent or a DefaultCMYK colour space",
            ("pdfa1", "6.2.3.3", 2), ("pdfa2", "6.2.4.3", 3), ("pdfa4", "6.2.4.3", 3)),
    *shared(device_gray, "DeviceGray is used only with an output intent or a DefaultGray colour space",
            ("pdfa1", "6.2.3.3", 3), ("pdfa2", "6.2.4.3", 4), ("pdfa4", "6.2.4.3", 4)),
    *shared(devicen_colorants, "Every spot colour of an NChannel colour space has a Colorants entry",
            ("pdfa2", "6.2.4.4", 1), ("pdfa4", "6.2.4.4", 1)),
    *shared(separations_consistent, "Separations with the same name have the same alternate and tint transform",
            ("pdfa2", "6.2.4.4", 2), ("pdfa4", "6.2.4.4", 2)),
    *shared(image_no_alternates, "Images do not contain Alternates", ("pdfa1", "6.2.4", 1),
            ("pdfa2", "6.2.8", 1), ("pdfa4", "6.2.7.1", 1)),
    *shared(xobject_no_opi, "XObjects do not contain OPI", ("pdfa1", "6.2.4", 2), ("pdfa2", "6.2.8", 2),
            ("pdfa4", "6.2.7.1", 2)),
    *shared(image_no_interpolate, "Images do not request interpolation", ("pdfa1", "6.2.4", 3),
            ("pdfa2", "6.2.8", 3), ("pdfa4", "6.2.7.1", 3)),
    *shared(image_bpc, "Images use 1, 2, 4, 8 (or 16) bits per component", ("pdfa1", "6.2.4", 4),
            ("pdfa2", "6.2.8", 4), ("pdfa4", "6.2.7.1", 4)),
    *shared(mask_bpc, "Image masks use 1 bit per component", ("pdfa1", "6.2.4", 5), ("pdfa2", "6.2.8", 5),
            ("pdfa4", "6.2.7.1", 5)),
    *shared(form_no_ps, "Form XObjects contain no PostScript (PS, Subtype2 PS)", ("pdfa1", "6.2.5", 1),
            ("pdfa2", "6.2.9", 1), ("pdfa4", "6.2.8.1", 1)),
    *shared(form_no_ref, "No reference XObjects", ("pdfa1", "6.2.6", 1), ("pdfa2", "6.2.9", 2),
            ("pdfa4", "6.2.8.2", 1)),
    *shared(no_ps_xobject, "No PostScript XObjects", ("pdfa1", "6.2.7", 1), ("pdfa2", "6.2.9", 3)),
    *shared(gs_no_tr, "ExtGStates do not contain TR", ("pdfa1", "6.2.8", 1), ("pdfa2", "6.2.5", 1),
            ("pdfa4", "6.2.5", 1)),
    *shared(gs_tr2_default, "ExtGStates contain TR2 only with the value Default", ("pdfa1", "6.2.8", 2),
            ("pdfa2", "6.2.5", 2), ("pdfa4", "6.2.5", 2)),
    *shared(gs_no_htp, "ExtGStates do not contain HTP (HTO in PDF 2.0)", ("pdfa2", "6.2.5", 3),
            ("pdfa4", "6.2.5", 3)),
    *shared(halftone_type, "Halftones are of type 1 or 5", ("pdfa2", "6.2.5", 4), ("pdfa4", "6.2.5", 4)),
    *shared(halftone_no_name, "Halftones do not contain HalftoneName", ("pdfa2", "6.2.5", 5),
            ("pdfa4", "6.2.5", 5)),
    *shared(halftone_transfer, "Halftone TransferFunction only for non-primary colourants",
            ("pdfa2", "6.2.5", 6), ("pdfa4", "6.2.5", 6)),
    *shared(rendering_intents, "Rendering intents are one of the four standard intents", ("pdfa1", "6.2.9", 1),
            ("pdfa2", "6.2.6", 1)),
    *shared(undefined_operators, "Content streams use only operators defined in ISO 32000",
            ("pdfa1", "6.2.10", 1), ("pdfa2", "6.2.2", 1), ("pdfa4", "6.2.2", 1)),
    *shared(gs_no_smask, "ExtGStates have no soft mask (SMask None)", ("pdfa1", "6.4", 1)),
    *shared(xobject_no_smask, "XObjects have no SMask", ("pdfa1", "6.4", 2)),
    *shared(no_transparency_group, "No transparency groups", ("pdfa1", "6.4", 3)),
    *shared(gs_bm_normal, "Blend modes are Normal or Compatible", ("pdfa1", "6.4", 4)),
    *shared(gs_ca_one("/CA"), "Stroke alpha CA is 1.0", ("pdfa1", "6.4", 5)),
    *shared(gs_ca_one("/ca"), "Fill alpha ca is 1.0", ("pdfa1", "6.4", 6)),
    *shared(blend_modes, "Blend modes are those of ISO 32000-1", ("pdfa2", "6.2.10", 1), ("pdfa4", "6.2.9", 1)),
    *shared(page_group_when_transparent, "Pages with transparency have a group colour space unless the file "
            "has a PDF/A output intent", ("pdfa2", "6.2.10", 2), ("pdfa4", "6.2.9", 2)),
    *shared(explicit_resources, "Content streams name only resources of their own resource dictionary",
            ("pdfa2", "6.2.2", 2), ("pdfa4", "6.2.2", 2)),
    *shared(defined_resources, "Every named resource a content stream uses is defined", ("pdfa4", "6.2.2", 3)),
    *shared(jpx_channels, "JPEG 2000 data has 1, 3 or 4 colour channels", ("pdfa2", "6.2.8.3", 1),
            ("pdfa4", "6.2.7.3", 1)),
    *shared(jpx_one_colour_spec, "Several JPEG 2000 colour specifications: exactly one has APPROX 1",
            ("pdfa2", "6.2.8.3", 2), ("pdfa4", "6.2.7.3", 2)),
    *shared(jpx_method, "The JPEG 2000 colr box METH is 1, 2 or 3", ("pdfa2", "6.2.8.3", 3), ("pdfa4", "6.2.7.3", 3)),
    *shared(jpx_no_ciejab, "JPEG 2000 enumerated colour space 19 (CIEJab) is not used", ("pdfa2", "6.2.8.3", 4),
            ("pdfa4", "6.2.7.3", 4)),
    *shared(jpx_bit_depth, "JPEG 2000 channels share one bit depth between 1 and 38", ("pdfa2", "6.2.8.3", 5),
            ("pdfa4", "6.2.7.3", 5)),
]
