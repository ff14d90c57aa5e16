"""Structure fixes: strip interactive/embedded content, decrypt, flatten, set the PDF version."""

from __future__ import annotations

from typing import Any, NamedTuple

import pikepdf

from printgate.core.fixes._content import instructions, unparse
from printgate.core.fixes._exec import ExternalToolError
from printgate.core.fixes._exec import ghostscript as gs
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, fix
from printgate.core.fixes.workdoc import WorkDoc
from printgate.core.pdf_interactive import field_type

_KEEP_ANNOTS = {"/Widget", "/PrinterMark", "/TrapNet"}


def _is_js_action(obj: object) -> bool:
    return isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name.JavaScript


def _names_tree_remove(pdf: pikepdf.Pdf, key: str) -> bool:
    names = pdf.Root.get("/Names")
    if names is not None and key in names:
        del names[key]
        return True
    return False


@fix("remove_javascript", order=10, summary="Remove document, page, field and link JavaScript.",
     aliases=["strip_javascript", "javascript"])
def remove_javascript(doc: WorkDoc, req: FixRequest) -> str:
    pdf = doc.pdf
    removed = int(_names_tree_remove(pdf, "/JavaScript"))
    for obj in list(pdf.objects):
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in ("/OpenAction", "/A", "/Next"):
            value = obj.get(key)
            if value is None:
                continue
            if _is_js_action(value):
                del obj[key]
                removed += 1
            elif isinstance(value, pikepdf.Array):
                kept = [v for v in value if not _is_js_action(v)]
                if len(kept) != len(value):
                    obj[key] = pikepdf.Array(kept)
                    removed += len(value) - len(kept)
        if "/AA" in obj:
            del obj["/AA"]
            removed += 1
        if _is_js_action(obj) and "/JS" in obj:
            del obj["/JS"]
            obj.S = pikepdf.Name("/Named")
            obj.N = pikepdf.Name("/NoOp")
            removed += 1
    for page in pdf.pages:
        if "/AA" in page.obj:
            del page.obj["/AA"]
            removed += 1
    if not removed:
        raise FixSkipped("no JavaScript found", satisfied=True)
    doc.dirty = True
    return f"removed {removed} JavaScript action(s)"


@fix("remove_annotations", order=12, summary="Remove comments, highlights, notes and other non-form annotations.",
     aliases=["strip_annotations", "annotations"])
def remove_annotations(doc: WorkDoc, req: FixRequest) -> FixResult:
    pdf = doc.pdf
    keep_types = set(_KEEP_ANNOTS)
    if req.params.get("include_widgets"):
        keep_types.discard("/Widget")
    removed, pages = 0, []
    for index in req.page_indexes(len(pdf.pages)):
        page = pdf.pages[index]
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = [a for a in annots if str(a.get("/Subtype", "")) in keep_types]
        if len(kept) != len(annots):
            removed += len(annots) - len(kept)
            pages.append(index + 1)
            if kept:
                page.obj.Annots = pikepdf.Array(kept)
            else:
                del page.obj["/Annots"]
    if not removed:
        raise FixSkipped("no annotations to remove", satisfied=True)
    doc.dirty = True
    return FixResult(f"removed {removed} annotation(s)", pages)


class AttachmentsRemoved(NamedTuple):
    """What :func:`strip_attachments` took out: embedded files, file-attachment annotations, and the
    catalog's and pages' references to embedded files (AF, Collection)."""

    files: int
    annotations: int
    references: int


def strip_attachments(pdf: pikepdf.Pdf) -> AttachmentsRemoved:
    """Take the embedded files out of ``pdf``: the EmbeddedFiles name tree, the catalog's AF and
    Collection, the pages' AF and their FileAttachment annotations (anything else in /Annots stays)."""
    files = annotations = references = 0
    names = pdf.Root.get("/Names")
    if names is not None and "/EmbeddedFiles" in names:
        files += max(1, len(pdf.attachments))
        del names["/EmbeddedFiles"]
    for key in ("/AF", "/Collection"):
        if key in pdf.Root:
            del pdf.Root[key]
            references += 1
    for page in pdf.pages:
        if "/AF" in page.obj:
            del page.obj["/AF"]
            references += 1
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            kept = [a for a in annots
                    if not isinstance(a, pikepdf.Dictionary) or a.get("/Subtype") != pikepdf.Name.FileAttachment]
            if len(kept) != len(annots):
                annotations += len(annots) - len(kept)
                page.obj.Annots = pikepdf.Array(kept)
    return AttachmentsRemoved(files, annotations, references)


@fix("remove_attachments", order=10, summary="Remove embedded files and file-attachment annotations.",
     aliases=["strip_attachments", "attachments"])
def remove_attachments(doc: WorkDoc, req: FixRequest) -> str:
    removed = sum(strip_attachments(doc.pdf))
    if not removed:
        raise FixSkipped("no attachments found", satisfied=True)
    doc.dirty = True
    return f"removed {removed} attachment(s)"


def _field_widgets(field: Any) -> list[Any]:
    kids = field.get("/Kids")
    if kids is None:
        return [field]
    out: list[Any] = []
    for kid in kids:
        out.extend(_field_widgets(kid))
    return out


@fix("remove_signatures", order=4, summary="Remove digital signature fields and their widgets.",
     aliases=["strip_signatures", "signatures"])
def remove_signatures(doc: WorkDoc, req: FixRequest) -> str:
    pdf = doc.pdf
    acro = pdf.Root.get("/AcroForm")
    removed = 0
    drop: set[tuple[int, int]] = set()
    if acro is not None and "/Fields" in acro:
        kept = []
        for field in acro.Fields:
            if field_type(field) == "/Sig":
                removed += 1
                drop.update(w.objgen for w in _field_widgets(field))
                drop.add(field.objgen)
            else:
                kept.append(field)
        acro.Fields = pikepdf.Array(kept)
        if "/SigFlags" in acro:
            del acro["/SigFlags"]
    if "/Perms" in pdf.Root:
        del pdf.Root["/Perms"]
        removed += 1
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = [a for a in annots if a.objgen not in drop and a.get("/FT") != pikepdf.Name.Sig]
        if len(kept) != len(annots):
            page.obj.Annots = pikepdf.Array(kept)
    if not removed:
        raise FixSkipped("no digital signatures found", satisfied=True)
    doc.dirty = True
    return f"removed {removed} signature field(s); the file is no longer signed"


@fix("flatten_forms", order=5, summary="Bake form field appearances into the page and remove the form (AcroForm and XFA).",
     aliases=["flatten_form_fields", "forms", "remove_xfa"])
def flatten_forms(doc: WorkDoc, req: FixRequest) -> str:
    pdf = doc.pdf
    acro: Any = pdf.Root.get("/AcroForm")
    widgets = sum(
        1 for page in pdf.pages for a in page.obj.get("/Annots", []) if a.get("/Subtype") == pikepdf.Name.Widget
    )
    if acro is None and not widgets:
        raise FixSkipped("no form fields found", satisfied=True)
    xfa = acro is not None and "/XFA" in acro
    if xfa:
        del acro["/XFA"]
    if acro is not None and "/NeedsRendering" in pdf.Root:
        del pdf.Root["/NeedsRendering"]
    try:
        if acro is not None:
            pdf.generate_appearance_streams()
    except Exception:  # appearance generation is best effort: existing appearances still flatten
        pass
    # flatten_annotations() works on every annotation; park the non-widgets so only fields are baked.
    parked: dict[int, list] = {}
    for n, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        parked[n] = [a for a in annots if a.get("/Subtype") != pikepdf.Name.Widget]
        page.obj.Annots = pikepdf.Array([a for a in annots if a.get("/Subtype") == pikepdf.Name.Widget])
    pdf.flatten_annotations("print")
    for n, others in parked.items():
        page = pdf.pages[n]
        remaining = [a for a in page.obj.get("/Annots", []) if a.get("/Subtype") != pikepdf.Name.Widget]
        if others or remaining:
            page.obj.Annots = pikepdf.Array(others + remaining)
        elif "/Annots" in page.obj:
            del page.obj["/Annots"]
    if "/AcroForm" in pdf.Root:
        del pdf.Root["/AcroForm"]
    doc.dirty = True
    return f"flattened {widgets} form field widget(s)" + ("; removed the XFA form" if xfa else "")


def _oc_off(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    props = pdf.Root.get("/OCProperties")
    if props is None:
        return set()
    d: Any = props.get("/D", {})
    off = {o.objgen for o in d.get("/OFF", [])}
    if d.get("/BaseState") == pikepdf.Name.OFF:
        on = {o.objgen for o in d.get("/ON", [])}
        off |= {o.objgen for o in props.get("/OCGs", []) if o.objgen not in on}
    return off


def _oc_hidden(oc: object, off: set[tuple[int, int]]) -> bool:
    if not isinstance(oc, pikepdf.Dictionary):
        return False
    if oc.get("/Type") == pikepdf.Name.OCMD:
        ocgs = oc.get("/OCGs")
        members = list(ocgs) if isinstance(ocgs, pikepdf.Array) else ([ocgs] if ocgs is not None else [])
        policy = str(oc.get("/P", "/AnyOn"))
        states = [m.objgen not in off for m in members]
        if not states:
            return False
        visible = {"/AllOn": all(states), "/AnyOff": not all(states), "/AllOff": not any(states)}.get(policy, any(states))
        return not visible
    return oc.objgen in off


def _strip_oc_content(pdf: pikepdf.Pdf, container: Any, resources: Any,
                      off: set[tuple[int, int]], seen: set[tuple[int, int]]) -> None:
    props = resources.get("/Properties", {}) if resources is not None else {}
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    ops = instructions(container)
    out: list = []
    stack: list[str] = []  # per BMC/BDC: "keep" (marker kept), "drop-marker", "hide"
    hiding = 0
    for operands, operator in ops:
        op = str(operator)
        if op in ("BDC", "BMC"):
            kind = "keep"
            if op == "BDC" and len(operands) == 2 and operands[0] == pikepdf.Name.OC:
                prop = operands[1]
                oc = props.get(str(prop)) if isinstance(prop, pikepdf.Name) else prop
                kind = "hide" if _oc_hidden(oc, off) else "drop-marker"
            stack.append(kind)
            if kind == "hide":
                hiding += 1
            if hiding or kind != "keep":
                continue
        elif op == "EMC":
            kind = stack.pop() if stack else "keep"
            if kind == "hide":
                hiding -= 1
                continue
            if hiding or kind == "drop-marker":
                continue
        elif hiding:
            continue
        elif op == "Do" and operands:
            xo = xobjects.get(str(operands[0]))
            if xo is not None and _oc_hidden(xo.get("/OC"), off):
                continue
        out.append((operands, operator))
    data = unparse(out)
    if isinstance(container, pikepdf.Page):
        container.obj.Contents = pikepdf.Stream(pdf, data)
    else:
        container.write(data)
    for xo in list(xobjects.values()) if xobjects is not None else []:
        if "/OC" in xo:
            del xo["/OC"]
        if xo.get("/Subtype") == pikepdf.Name.Form and xo.objgen not in seen:
            seen.add(xo.objgen)
            _strip_oc_content(pdf, xo, xo.get("/Resources"), off, seen)


@fix("remove_layers", order=8, summary="Flatten optional content: hidden layers are dropped, visible ones merged.",
     aliases=["flatten_layers", "layers"])
def remove_layers(doc: WorkDoc, req: FixRequest) -> str:
    pdf = doc.pdf
    if "/OCProperties" not in pdf.Root:
        raise FixSkipped("the file has no layers", satisfied=True)
    off = _oc_off(pdf)
    count = len(pdf.Root.OCProperties.get("/OCGs", []))
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        _strip_oc_content(pdf, page, page.obj.get("/Resources"), off, seen)
        for annot in page.obj.get("/Annots", []):
            if "/OC" in annot:
                del annot["/OC"]
        res = page.obj.get("/Resources")
        if res is not None and "/Properties" in res:
            props = res.Properties
            for key in list(props.keys()):
                if props[key].get("/Type") in (pikepdf.Name.OCG, pikepdf.Name.OCMD):
                    del props[key]
    del pdf.Root["/OCProperties"]
    doc.dirty = True
    hidden = f", {len(off)} hidden layer(s) dropped" if off else ""
    return f"flattened {count} layer(s){hidden}"


@fix("remove_encryption", order=0, summary="Save without encryption (only when no password is needed to open it).",
     aliases=["decrypt", "encryption"])
def remove_encryption(doc: WorkDoc, req: FixRequest) -> str:
    if not doc.source_encrypted:
        raise FixSkipped("the file is not encrypted", satisfied=True)
    doc.keep_encryption = False
    doc.dirty = True
    return "removed the encryption and its permission restrictions (no open password was set)"


def _version(value: object) -> tuple[int, int] | None:
    try:
        major, minor = str(value).strip().split(".")[:2]
        return int(major), int(minor)
    except (ValueError, AttributeError):
        return None


@fix("set_pdf_version", order=90, summary="Move the file into the allowed PDF version range.",
     aliases=["pdf_version", "convert_pdf_version"], params={"min": "1.4", "max": "1.7"})
def set_pdf_version(doc: WorkDoc, req: FixRequest) -> str:
    params = req.params
    current = _version(doc.pdf.pdf_version) or (1, 4)
    target = _version(params.get("version") or params.get("target") or "")
    lo = _version(params.get("min", params.get("min_version", "1.4"))) or (1, 3)
    hi = _version(params.get("max", params.get("max_version", "1.7"))) or (2, 0)
    if target is None:
        target = lo if current < lo else hi if current > hi else current
    if target == current:
        raise FixSkipped(f"the file is already PDF {current[0]}.{current[1]}")
    text = f"{target[0]}.{target[1]}"
    if target > current:
        doc.min_version = text
        doc.dirty = True
        return f"raised the PDF version from {current[0]}.{current[1]} to {text}"
    # Going down: let Ghostscript rewrite features the old version lacks (transparency below 1.4,
    # object streams below 1.5); then pin the header.
    _rewrite_keeping_text(doc, "version", text, [], req)
    doc.force_version = text
    return f"rewrote the file as PDF {text} (was {current[0]}.{current[1]})"


@fix("flatten_transparency", order=50, summary="Flatten live transparency (Ghostscript rewrite as PDF 1.3), then PDF 1.4 header.",
     aliases=["transparency"])
def flatten_transparency(doc: WorkDoc, req: FixRequest) -> str:
    from printgate.core.fixes.color import document_is_cmyk, intent_profile

    dpi = int(req.params.get("dpi", 300))
    options = ["-dHaveTransparency=false", f"-r{dpi}"]
    cmyk = document_is_cmyk(doc)
    if cmyk:
        # Composite in the file's print condition, so a CMYK file stays CMYK.
        profile = intent_profile(doc)
        options += ["-sColorConversionStrategy=CMYK", "-sProcessColorModel=DeviceCMYK"]
        if profile is not None:
            options.append(f"-sOutputICCProfile={profile.path}")
    _rewrite_keeping_text(doc, "flat", "1.3", options, req)
    # The flattened content is valid 1.4; keep the header inside the usual 1.4-1.7 print range.
    doc.min_version = "1.4"
    doc.dirty = True
    return (f"flattened transparency: Ghostscript composited transparent pages into opaque "
            f"{'CMYK' if cmyk else 'RGB'} content at {dpi} dpi (text on those pages is rasterised)")


def _rewrite_keeping_text(doc: WorkDoc, stem: str, compatibility: str, options: list[str],
                          req: FixRequest | None = None) -> None:
    """Ghostscript rewrite that may rasterise text (flattening below PDF 1.4): the text runs are read
    first and put back as outlined-text marks, so the size and safe-zone checks still judge that
    text. Text already outlined (its marks would not survive the rewrite) is left alone."""
    from printgate.core.fixes.outline import Unsupported, has_text_marks, mark_text_runs, text_runs

    if has_text_marks(doc.pdf):
        raise FixSkipped("the text was outlined: a Ghostscript rewrite would drop what keeps it measurable")
    src = doc.as_file()
    try:
        runs = text_runs(src)
    except Exception as exc:
        raise FixSkipped(f"the text could not be measured before the rewrite ({type(exc).__name__})") from exc
    out = doc.temp_path(stem)
    try:
        gs.pdfwrite(src, out, options, compatibility=compatibility,
                    on_pages=req.pages_done if req is not None else None)
    except ExternalToolError as exc:
        raise FixSkipped(str(exc)) from exc
    with pikepdf.open(out) as check:
        if len(check.pages) != len(runs):
            raise FixSkipped("Ghostscript changed the page count; the file was left unchanged")
    doc.replace(out)
    try:
        mark_text_runs(doc.pdf, runs)
    except Unsupported as exc:
        raise FixSkipped(f"the rewritten text could not be kept measurable ({exc})") from exc
    doc.dirty = True


def _normalize_content(pdf: pikepdf.Pdf, container: Any) -> bool:
    """Re-serialise a content stream from what parses, closing unbalanced q/BT; True if it changed."""
    raw = container.read_bytes() if isinstance(container, pikepdf.Stream) else None
    if isinstance(container, pikepdf.Page):
        contents = container.obj.get("/Contents")
        parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
        raw = b"\n".join(part.read_bytes() for part in parts)
    ops = instructions(container)
    depth = text = 0
    kept: list[tuple[Any, Any]] = []
    for operands, operator in ops:
        op = str(operator)
        if op == "Q" and depth == 0:
            continue  # a stray restore would pop state the page never saved
        depth += 1 if op == "q" else -1 if op == "Q" else 0
        text = 1 if op == "BT" else 0 if op == "ET" else text
        kept.append((operands, operator))
    if text:
        kept.append(([], pikepdf.Operator("ET")))
    kept.extend(([], pikepdf.Operator("Q")) for _ in range(depth))
    data = unparse(kept)
    if raw is not None and data.split() == raw.split():
        return False
    if isinstance(container, pikepdf.Page):
        container.obj.Contents = pikepdf.Stream(pdf, data)
    else:
        container.write(data)
    return True


@fix("repair_structure", order=1, summary="Rewrite the file with qpdf (cross-reference, streams) and re-serialise "
     "damaged content streams from what parses.", aliases=["structure_integrity", "repair"])
def repair_structure(doc: WorkDoc, req: FixRequest) -> FixResult:
    from printgate.core.fixes._exec import qpdf

    src = doc.as_file()
    out = doc.temp_path("repair")
    try:
        warnings = qpdf.rewrite(src, out)
    except ExternalToolError as exc:
        raise FixSkipped(str(exc)) from exc
    doc.replace(out)
    pdf = doc.pdf
    pages = []
    for index, page in enumerate(pdf.pages):
        try:
            if _normalize_content(pdf, page):
                pages.append(index + 1)
        except pikepdf.PdfError:
            continue
    doc.dirty = True
    detail = "rewrote the file structure"
    if warnings:
        detail += f" ({len(warnings)} problem(s) repaired)"
    if pages:
        detail += f"; rebuilt damaged content on page(s) {', '.join(map(str, pages))} (unreadable fragments dropped)"
    return FixResult(detail, pages or None)


@fix("linearize", order=99, summary="Save the file linearized (fast web view).", aliases=["linearized", "fast_web_view"])
def linearize(doc: WorkDoc, req: FixRequest) -> str:
    if doc.pdf.is_linearized and not doc.dirty:
        raise FixSkipped("the file is already linearized")
    doc.linearize = True
    doc.dirty = True
    return "linearized the file for fast web view"
