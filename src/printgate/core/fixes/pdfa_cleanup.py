"""What PDF/A forbids, taken out of a document in place: actions and JavaScript, embedded files,
XFA, annotation defects, LZW, interpolation, Alternates, OPI, PostScript XObjects, transfer functions.

Each function edits a pikepdf document and returns the lines of what it changed (for the conversion
report); none of them decides whether the result conforms: the validator does, afterwards.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.fixes.structure import strip_attachments
from printgate.core.pdf_interactive import action_owners, field_type, page_annotations

# Actions ISO 19005 permits (part 1: 6.6.1; parts 2/3: 6.5.1; part 4: 6.6.1 minus JavaScript, which
# printgate never carries into an archive file).
_ACTIONS_1 = {"/GoTo", "/GoToR", "/Thread", "/URI", "/Named", "/SubmitForm"}
_ACTIONS_2 = _ACTIONS_1 | {"/GoToE"}
_NAMED_OK = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}

# Annotation types each part permits (part 1: 6.5.2; parts 2/3: 6.3.1; part 4: 6.3.1).
_ANNOTS_1 = {"/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Highlight", "/Underline", "/Squiggly",
             "/StrikeOut", "/Stamp", "/Ink", "/Popup", "/Widget", "/PrinterMark", "/TrapNet"}
_ANNOTS_2 = _ANNOTS_1 | {"/Polygon", "/PolyLine", "/Caret", "/FileAttachment", "/Redact", "/Watermark"}
_ANNOTS_4 = _ANNOTS_2 | {"/Projection"}

_INVISIBLE, _HIDDEN, _PRINT, _NOVIEW, _TOGGLE_NOVIEW = 1, 2, 4, 32, 256


def _said(*lines: tuple[int | bool, str]) -> list[str]:
    """The report lines whose count is not zero, in order (each cleanup reports only what it changed)."""
    return [text for count, text in lines if count]


def _dicts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary | pikepdf.Stream]:
    """Every dictionary and stream of the file: the indirect objects and the direct ones inside them
    (an action, an ExtGState or an annotation is often written inline)."""
    roots: list[Any] = [pdf.trailer, *pdf.objects]
    for root in roots:
        if root is not pdf.trailer and not isinstance(root, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
            continue
        stack = [root]
        while stack:
            obj = stack.pop()
            if isinstance(obj, pikepdf.Array):
                children = list(obj)
            elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                if obj is not pdf.trailer:
                    yield obj
                children = list(obj.values())
            else:
                continue
            stack.extend(c for c in children if isinstance(c, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array)
                         and not c.is_indirect)


def _action_allowed(action: Any, part: int) -> bool:
    if not isinstance(action, pikepdf.Dictionary):
        return True
    kind = action.get("/S")
    allowed = _ACTIONS_1 if part == 1 else _ACTIONS_2
    if str(kind) not in allowed:
        return False
    return kind != pikepdf.Name.Named or str(action.get("/N")) in _NAMED_OK


def _prune_chain(action: Any, part: int, seen: set[Any] | None = None) -> int:
    """Drop forbidden actions from an allowed action's /Next chain; the count removed. A chain that
    loops back on itself is followed once."""
    seen = set() if seen is None else seen
    key = action.objgen if isinstance(action, pikepdf.Object) and action.is_indirect else id(action)
    if key in seen or len(seen) > 10_000:
        return 0
    seen.add(key)
    removed = 0
    nxt = action.get("/Next") if isinstance(action, pikepdf.Dictionary) else None
    if nxt is None:
        return 0
    items = list(nxt) if isinstance(nxt, pikepdf.Array) else [nxt]
    kept = [a for a in items if _action_allowed(a, part)]
    removed += len(items) - len(kept)
    for a in kept:
        removed += _prune_chain(a, part, seen)
    if not kept:
        del action["/Next"]
    elif len(kept) != len(items):
        action.Next = pikepdf.Array(kept) if isinstance(nxt, pikepdf.Array) else kept[0]
    return removed


def remove_forbidden_actions(pdf: pikepdf.Pdf, part: int) -> list[str]:
    """Launch, JavaScript, Sound, Movie, ResetForm, ImportData, Hide, non-navigation named actions...
    wherever an action sits (OpenAction, link/widget/outline /A, /Next chains), every additional-actions
    (/AA) dictionary, and the document's JavaScript name tree."""
    removed = aa = 0
    for owner, _where in action_owners(pdf):
        for key in ("/OpenAction", "/A"):
            action = owner.get(key)
            if not isinstance(action, pikepdf.Dictionary) or "/S" not in action:
                continue
            if _action_allowed(action, part):
                removed += _prune_chain(action, part)
            else:
                del owner[key]
                removed += 1
        if "/AA" in owner:
            del owner["/AA"]
            aa += 1
    names = pdf.Root.get("/Names")
    js_tree = isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names
    if isinstance(names, pikepdf.Dictionary) and js_tree:
        del names["/JavaScript"]
    return _said(
        (removed, f"removed {removed} action(s) PDF/A forbids (JavaScript, Launch, Sound, Movie, form reset/import, "
                  "named actions other than page navigation)"),
        (aa, f"removed {aa} additional-actions (AA) dictionar{'y' if aa == 1 else 'ies'}"),
        (js_tree, "removed the document-level JavaScript"))


def remove_forms_extras(pdf: pikepdf.Pdf) -> list[str]:
    """XFA, NeedsRendering and NeedAppearances (the form must be drawn from its own appearances)."""
    out = []
    acro = pdf.Root.get("/AcroForm")
    if isinstance(acro, pikepdf.Dictionary):
        if "/XFA" in acro:
            del acro["/XFA"]
            out.append("removed the XFA form (the AcroForm fields stay)")
        if "/NeedAppearances" in acro:
            try:
                pdf.generate_appearance_streams()
            except Exception:  # best effort: fields keep the appearances they have
                pass
            del acro["/NeedAppearances"]
            out.append("generated the form fields' appearances and removed NeedAppearances")
    for key in ("/NeedsRendering", "/Requirements"):
        if key in pdf.Root:
            del pdf.Root[key]
            out.append(f"removed {key[1:]} from the catalog")
    names = pdf.Root.get("/Names")
    if names is not None and "/AlternatePresentations" in names:
        del names["/AlternatePresentations"]
        out.append("removed AlternatePresentations")
    pres = sum(1 for page in pdf.pages if "/PresSteps" in page.obj)
    for page in pdf.pages:
        if "/PresSteps" in page.obj:
            del page.obj["/PresSteps"]
    if pres:
        out.append(f"removed presentation steps from {pres} page(s)")
    return out


def remove_embedded_files(pdf: pikepdf.Pdf) -> list[str]:
    """Parts 1 and 2: embedded files go (part 2 would allow PDF/A ones; they are not checked here)."""
    stripped = strip_attachments(pdf)
    removed = stripped.files + stripped.annotations
    specs = [obj for obj in _dicts(pdf) if "/EF" in obj]
    for obj in specs:  # file specifications elsewhere (links, AF of pages and forms)
        del obj["/EF"]
    removed = removed or len(specs)
    return [f"removed {removed} embedded file(s) (this PDF/A level does not allow them)"] if removed else []


def describe_embedded_files(pdf: pikepdf.Pdf, now: str) -> list[str]:
    """Parts 3 and 4 keep embedded files; each gets what they require: F and UF, AFRelationship, a MIME
    subtype and a modification date on the file stream, and a place in the catalog's AF array."""
    specs = [obj for obj in _dicts(pdf) if "/EF" in obj and isinstance(obj.get("/EF"), pikepdf.Dictionary)]
    if not specs:
        return []
    af = pdf.Root.get("/AF")
    listed = {a.objgen for a in af} if isinstance(af, pikepdf.Array) else set()
    added: list[Any] = []
    for spec in specs:
        name = spec.get("/UF") or spec.get("/F") or pikepdf.String("attachment")
        spec.F = spec.get("/F", name)
        spec.UF = spec.get("/UF", name)
        if "/AFRelationship" not in spec:
            spec.AFRelationship = pikepdf.Name.Unspecified
        for stream in spec.EF.values():
            if not isinstance(stream, pikepdf.Stream):
                continue
            if "/Subtype" not in stream:
                stream.Subtype = pikepdf.Name("/application#2Foctet-stream")
            params = stream.get("/Params")
            if not isinstance(params, pikepdf.Dictionary):
                params = stream.Params = pikepdf.Dictionary()
            if "/ModDate" not in params:
                params.ModDate = pikepdf.String(now)
        if spec.is_indirect and spec.objgen not in listed:
            added.append(spec)
    if added:
        pdf.Root.AF = pikepdf.Array([*(af if isinstance(af, pikepdf.Array) else []), *added])
    return [f"described {len(specs)} embedded file(s) as PDF/A-3/4 requires (AFRelationship, MIME type, dates, AF)"]


def _rect(annot: pikepdf.Dictionary) -> list[float] | None:
    """The annotation's Rect as four numbers; None when it is missing or malformed."""
    try:
        rect = [float(v) for v in annot.get("/Rect", [])]
    except (TypeError, ValueError):
        return None
    return rect if len(rect) == 4 else None


def _empty_appearance(pdf: pikepdf.Pdf, annot: pikepdf.Dictionary) -> pikepdf.Stream:
    rect = _rect(annot) or [0.0, 0.0, 0.0, 0.0]
    width, height = abs(rect[2] - rect[0]), abs(rect[3] - rect[1])
    return pikepdf.Stream(pdf, b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                          BBox=pikepdf.Array([0, 0, width, height]), Resources=pikepdf.Dictionary())


def fix_annotations(pdf: pikepdf.Pdf, part: int) -> list[str]:
    """Forbidden types removed; the rest printable and visible (F), opaque for part 1 (CA), with a
    normal appearance only (AP /N; generated for form fields, empty for others that had none)."""
    allowed = _ANNOTS_1 if part == 1 else _ANNOTS_4 if part == 4 else _ANNOTS_2
    if part == 3:
        allowed = allowed | {"/FileAttachment"}
    removed: dict[str, int] = {}
    flagged = empty_ap = trimmed_ap = opaque = widget_actions = button_states = 0
    needs_fields = False
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        kept = []
        for annot in annots:
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            sub = str(annot.get("/Subtype", "/?"))
            if _rect(annot) is None:
                removed["without a valid Rect"] = removed.get("without a valid Rect", 0) + 1
                continue
            if sub not in allowed:
                removed[sub[1:]] = removed.get(sub[1:], 0) + 1
                continue
            kept.append(annot)
            try:
                flags = int(annot.get("/F", 0))
            except (TypeError, ValueError):
                flags = 0
            wanted = (flags | _PRINT) & ~(_INVISIBLE | _HIDDEN | _NOVIEW | _TOGGLE_NOVIEW)
            if wanted != flags or "/F" not in annot:
                annot.F = wanted
                flagged += 1
            try:
                translucent = part == 1 and "/CA" in annot and float(annot.CA) != 1.0
            except (TypeError, ValueError):
                translucent = True
            if translucent:
                annot.CA = 1.0
                opaque += 1
            if sub == "/Widget" and "/A" in annot:
                del annot["/A"]  # a field's own action (submit, reset, script) is interactive behaviour
                widget_actions += 1
            if sub in ("/Popup", "/Link"):
                continue
            ap = annot.get("/AP")
            if sub == "/Widget" and isinstance(ap, pikepdf.Dictionary) and isinstance(ap.get("/N"), pikepdf.Stream) \
                    and field_type(annot) == "/Btn":
                # A button's normal appearance is a dictionary of states (ISO 19005-1 6.5.3).
                state = annot.get("/AS") if isinstance(annot.get("/AS"), pikepdf.Name) else pikepdf.Name.On
                ap.N = pikepdf.Dictionary({str(state): ap.N})
                annot.AS = state
                button_states += 1
            if ap is None:
                rect = _rect(annot) or [0.0, 0.0, 0.0, 0.0]
                if rect[0] == rect[2] or rect[1] == rect[3]:
                    continue
                if sub == "/Widget":
                    needs_fields = True
                    continue
                annot.AP = pikepdf.Dictionary(N=_empty_appearance(pdf, annot))
                empty_ap += 1
            elif isinstance(ap, pikepdf.Dictionary) and any(k in ap for k in ("/D", "/R")):
                for key in ("/D", "/R"):
                    if key in ap:
                        del ap[key]
                trimmed_ap += 1
        if len(kept) != len(annots):
            page.obj.Annots = pikepdf.Array(kept)
    out = []
    if needs_fields:
        try:
            pdf.generate_appearance_streams()
            out.append("generated appearance streams for form fields that had none")
        except Exception:  # the validator reports the fields still without appearance
            pass
    return out + _said(
        (len(removed), "removed annotation(s) this level forbids: "
                       + ", ".join(f"{k} x{v}" for k, v in sorted(removed.items()))),
        (flagged, f"set {flagged} annotation(s) printable and visible (Print flag on; Hidden/NoView off)"),
        (opaque, f"made {opaque} annotation(s) opaque (CA 1.0)"),
        (empty_ap, f"gave {empty_ap} annotation(s) without an appearance an empty one (they print nothing, as before)"),
        (widget_actions, f"removed the actions of {widget_actions} form field widget(s)"),
        (button_states, f"gave {button_states} button(s) their appearance as a state dictionary"),
        (trimmed_ap, f"kept only the normal appearance of {trimmed_ap} annotation(s) (rollover/down removed)"))


def annotation_colours(pdf: pikepdf.Pdf) -> bool:
    """Does any annotation carry a colour (C or IC)? PDF/A-1 allows them only under an RGB intent."""
    return any("/C" in annot or "/IC" in annot for annot, _where in page_annotations(pdf))


def strip_annotation_colours(pdf: pikepdf.Pdf) -> list[str]:
    """PDF/A-1 under a non-RGB intent: annotation colours (C, IC) go; appearances keep their look."""
    stripped = 0
    for annot, _where in page_annotations(pdf):
        if "/C" in annot or "/IC" in annot:
            for key in ("/C", "/IC"):
                if key in annot:
                    del annot[key]
            stripped += 1
    return [f"removed the colour entries (C/IC) of {stripped} annotation(s): PDF/A-1 allows them only with an "
            "RGB output intent"] if stripped else []


def _filters(stream: pikepdf.Stream) -> list[str]:
    f = stream.get("/Filter")
    if f is None:
        return []
    return [str(x) for x in f] if isinstance(f, pikepdf.Array) else [str(f)]


def clean_streams(pdf: pikepdf.Pdf) -> list[str]:
    """LZW re-encoded as Flate; image Interpolate, Alternates and OPI removed; PostScript XObjects
    emptied (viewers never drew them); transfer functions and halftone names out of ExtGStates."""
    lzw = lzw_left = interp = alternates = opi = ps = gstates = refs = 0
    for obj in _dicts(pdf):
        sub = obj.get("/Subtype")
        if isinstance(obj, pikepdf.Stream):
            filters = _filters(obj)
            if "/LZWDecode" in filters:
                try:
                    data = obj.read_bytes()
                    obj.write(zlib.compress(data), filter=pikepdf.Name.FlateDecode)
                    if "/DecodeParms" in obj:
                        del obj["/DecodeParms"]
                    lzw += 1
                except pikepdf.PdfError:  # LZW under a specialised filter (e.g. DCT): left, reported
                    lzw_left += 1
        if sub == pikepdf.Name.Image:
            if obj.get("/Interpolate") is not None and bool(obj.get("/Interpolate")):
                obj.Interpolate = False
                interp += 1
            for key, counter in (("/Alternates", "alt"), ("/OPI", "opi")):
                if key in obj:
                    del obj[key]
                    if counter == "alt":
                        alternates += 1
                    else:
                        opi += 1
        elif sub == pikepdf.Name.Form:
            for key in ("/OPI", "/PS", "/Ref"):
                if key in obj:
                    del obj[key]
                    opi += key == "/OPI"
                    ps += key == "/PS"
                    refs += key == "/Ref"
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype2") == pikepdf.Name.PS:
                _empty_form(obj)
                ps += 1
        elif sub == pikepdf.Name.PS and isinstance(obj, pikepdf.Stream):
            _empty_form(obj)
            ps += 1
        is_gstate = obj.get("/Type") == pikepdf.Name.ExtGState or (
            not isinstance(obj, pikepdf.Stream) and "/Type" not in obj and any(k in obj for k in ("/TR", "/TR2", "/HTP")))
        if is_gstate:
            changed = False
            if "/TR" in obj:
                del obj["/TR"]
                changed = True
            if "/TR2" in obj and obj.get("/TR2") != pikepdf.Name.Default:
                obj.TR2 = pikepdf.Name.Default
                changed = True
            if "/HTP" in obj:
                del obj["/HTP"]
                changed = True
            gstates += changed
    return _said(
        (lzw, f"re-encoded {lzw} LZW stream(s) with Flate"),
        (lzw_left, f"{lzw_left} stream(s) combine LZW with an image filter and were left as they are"),
        (interp, f"turned image interpolation off on {interp} image(s)"),
        (alternates, f"removed alternate images from {alternates} image(s)"),
        (opi, f"removed {opi} OPI reference(s)"),
        (ps, f"emptied {ps} PostScript XObject(s) (used only when printing to PostScript; never drawn on screen)"),
        (refs, f"removed {refs} external reference(s) of reference XObjects (their proxy content stays)"),
        (gstates, f"removed transfer functions or halftone names from {gstates} graphics state(s)"))


def _empty_form(obj: pikepdf.Stream) -> None:
    obj.write(b"")
    for key in list(obj.keys()):
        if key not in ("/Length",):
            del obj[key]
    obj.Type = pikepdf.Name.XObject
    obj.Subtype = pikepdf.Name.Form
    obj.BBox = pikepdf.Array([0, 0, 0, 0])


def fix_optional_content(pdf: pikepdf.Pdf) -> list[str]:
    """Parts 2-4: every optional-content configuration is named and has no AS array."""
    props = pdf.Root.get("/OCProperties")
    if not isinstance(props, pikepdf.Dictionary):
        return []
    configs = [props.get("/D"), *list(props.get("/Configs", []))]
    changed = 0
    for n, config in enumerate(configs):
        if not isinstance(config, pikepdf.Dictionary):
            continue
        if "/Name" not in config:
            config.Name = pikepdf.String("Default" if n == 0 else f"Configuration {n}")
            changed += 1
        if "/AS" in config:
            del config["/AS"]
            changed += 1
    return [f"named the optional-content configurations and removed their AS arrays ({changed} change(s))"] \
        if changed else []


def transparency_in(pdf: pikepdf.Pdf) -> list[str]:
    """What PDF/A-1 forbids as transparency: soft masks, constant alpha < 1, blend modes other than
    Normal/Compatible, transparency groups. Empty: the file is opaque."""
    found: set[str] = set()
    for obj in _dicts(pdf):
        smask = obj.get("/SMask")
        if smask is not None and smask != pikepdf.Name("/None"):
            found.add("soft mask")
        for key in ("/CA", "/ca"):
            value = obj.get(key)
            if value is not None and obj.get("/Type") != pikepdf.Name.Annot and not isinstance(value, pikepdf.Name):
                try:
                    if float(value) < 1.0:
                        found.add("constant alpha")
                except (TypeError, ValueError):
                    continue
        bm = obj.get("/BM")
        if bm is not None:
            modes = list(bm) if isinstance(bm, pikepdf.Array) else [bm]
            if any(str(m) not in ("/Normal", "/Compatible") for m in modes):
                found.add("blend mode")
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency:
            found.add("transparency group")
    return sorted(found)


def drop_empty_page_groups(pdf: pikepdf.Pdf) -> list[str]:
    """PDF/A-1 forbids the transparency group key; on a page without transparency it is harmless to drop."""
    dropped = 0
    for obj in _dicts(pdf):
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency:
            del obj["/Group"]
            dropped += 1
    return [f"removed {dropped} transparency group(s) from opaque content"] if dropped else []
